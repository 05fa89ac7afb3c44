"""Roles from the command line: refusals exit 5 with the reason, the first admin is created
without anyone signed in, and `desk agents edit` changes people."""

from __future__ import annotations

import pytest

from tests.cli.test_cli import run


@pytest.fixture
def desk(database_url, capsys):
    def call(*argv: str):
        return run(capsys, *argv, "--database-url", database_url, "--json")

    # Nobody is acting and no admin exists yet: the system may create the first admin.
    assert call("departments", "add", "Support")[0] == 0
    assert call("departments", "add", "Billing")[0] == 0
    assert call("agents", "add", "ada@desk.test", "--name", "Ada", "--role", "admin")[0] == 0
    return call


def test_after_the_first_admin_admin_verbs_need_an_admin(desk):
    code, _, err = desk("departments", "add", "Sales")
    assert code == 5 and "not allowed: say who you are" in err
    assert desk("agents", "add", "anna@desk.test", "--name", "Anna", "--department",
                "Support", "--as", "ada@desk.test")[0] == 0  # fmt: skip
    code, _, err = desk("departments", "add", "Sales", "--as", "anna@desk.test")
    assert code == 5
    assert "not allowed: an agent may not manage agents" in err
    assert "Traceback" not in err
    assert desk("departments", "add", "Sales", "--as", "ada@desk.test")[0] == 0
    names = [d["name"] for d in desk("departments", "list")[1]["departments"]]
    assert names == ["Billing", "Sales", "Support"]


def test_agents_work_their_own_departments_only(desk, tmp_path):
    body = tmp_path / "body.txt"
    body.write_text("Where is it?", encoding="utf-8")
    desk("agents", "add", "anna@desk.test", "--name", "Anna", "--department", "Support",
         "--as", "ada@desk.test")  # fmt: skip
    code, created, _ = desk(
        "tickets", "create", "--subject", "Invoice", "--customer-email", "c@example.com",
        "--body-file", str(body), "--department", "Billing", "--as", "ada@desk.test",
    )  # fmt: skip
    assert code == 0
    ticket = str(created["ticket_id"])
    code, _, err = desk(
        "tickets", "note", ticket, "--body-file", str(body), "--as", "anna@desk.test"
    )
    assert code == 5 and "not allowed: an agent may not work on tickets of Billing" in err
    code, _, err = desk("tickets", "assign", ticket, "--department", "Support",
                        "--as", "anna@desk.test")  # fmt: skip
    assert code == 5 and "tickets of Billing" in err  # not hers to move either
    # An admin moving it needs a reason (the team's default).
    code, _, err = desk("tickets", "assign", ticket, "--department", "Support",
                        "--as", "ada@desk.test")  # fmt: skip
    assert code == 2 and "a reason is required" in err
    assert desk("tickets", "assign", ticket, "--department", "Support", "--reason",
                "login problem", "--as", "ada@desk.test")[0] == 0  # fmt: skip
    assert desk("tickets", "note", ticket, "--body-file", str(body),
                "--as", "anna@desk.test")[0] == 0  # fmt: skip


def test_agents_edit(desk):
    desk("agents", "add", "anna@desk.test", "--name", "Anna", "--department", "Support",
         "--as", "ada@desk.test")  # fmt: skip
    code, edited, _ = desk(
        "agents", "edit", "anna@desk.test", "--role", "lead", "--department", "Support",
        "--department", "Billing", "--time-zone", "Asia/Tokyo", "--db-user", "anna",
        "--as", "ada@desk.test",
    )  # fmt: skip
    assert code == 0
    agent = edited["agent"]
    assert (agent["role"], agent["departments"], agent["time_zone"], agent["db_user"]) == (
        "lead",
        ["Billing", "Support"],
        "Asia/Tokyo",
        "anna",
    )
    # Anna may mark herself away, but not make herself admin.
    assert desk("agents", "edit", "anna@desk.test", "--no-available",
                "--as", "anna@desk.test")[0] == 0  # fmt: skip
    code, _, err = desk("agents", "edit", "anna@desk.test", "--role", "admin",
                        "--as", "anna@desk.test")  # fmt: skip
    assert code == 5 and "not allowed" in err
    listed = {a["email"]: a for a in desk("agents", "list")[1]["agents"]}
    assert listed["anna@desk.test"]["available"] is False
    assert listed["anna@desk.test"]["role"] == "lead"
    # The last admin cannot be demoted: the team would lock itself out.
    code, _, err = desk("agents", "edit", "ada@desk.test", "--role", "agent",
                        "--as", "ada@desk.test")  # fmt: skip
    assert code == 2 and "at least one active admin" in err
    code, _, err = desk("agents", "edit", "ada@desk.test", "--time-zone", "Mars/Olympus",
                        "--as", "ada@desk.test")  # fmt: skip
    assert code == 2 and "not a time zone" in err
    code, _, err = desk("agents", "edit", "nobody@desk.test", "--no-available",
                        "--as", "ada@desk.test")  # fmt: skip
    assert code == 4
