"""The scripting CLI end to end, in-process, against real databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desk_app.cli import main


def run(capsys, *argv: str) -> tuple[int, dict | list | None, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    data = None
    if "--json" in argv and captured.out.strip():
        data = json.loads(captured.out)
    return code, data, captured.err


@pytest.fixture
def desk(database_url, capsys):
    """Run `desk VERB ... --database-url URL --json` and return (exit code, JSON, stderr)."""

    def call(*argv: str):
        return run(capsys, *argv, "--database-url", database_url, "--json")

    assert call("departments", "add", "Support")[0] == 0
    assert call("departments", "add", "Billing")[0] == 0
    assert (
        call("agents", "add", "anna@desk.test", "--name", "Anna", "--department", "Support")[0] == 0
    )
    assert (
        call(
            "agents",
            "add",
            "lena@desk.test",
            "--name",
            "Lena",
            "--role",
            "lead",
            "--department",
            "Support",
            "--department",
            "Billing",
        )[0]
        == 0
    )
    return call


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("desk ")


def test_ticket_lifecycle_through_the_cli(desk, tmp_path):
    body = write(tmp_path, "body.txt", "Посылка не пришла, заказ 4411.")
    code, created, _ = desk(
        "tickets",
        "create",
        "--subject",
        "Заказ не пришёл",
        "--customer-email",
        "Olga@Example.ru",
        "--customer-name",
        "Ольга Смирнова",
        "--department",
        "Support",
        "--body-file",
        body,
    )
    assert code == 0
    number = str(created["ticket_id"])

    code, listing, _ = desk("tickets", "list", "--view", "unassigned")
    assert code == 0 and listing["count"] == 1
    assert listing["tickets"][0]["customer_email"] == "olga@example.ru"

    code, assigned, _ = desk(
        "tickets",
        "assign",
        number,
        "--agent",
        "anna@desk.test",
        "--reason",
        "hers",
        "--as",
        "lena@desk.test",
    )
    assert code == 0 and assigned["version"] == 2

    reply = write(tmp_path, "reply.txt", "Здравствуйте! Проверяем доставку.")
    code, _, _ = desk("tickets", "reply", number, "--body-file", reply, "--as", "anna@desk.test")
    assert code == 0
    note = write(tmp_path, "note.txt", "Courier says tomorrow")
    assert desk("tickets", "note", number, "--body-file", note, "--as", "anna@desk.test")[0] == 0
    assert desk("tickets", "status", number, "pending", "--as", "anna@desk.test")[0] == 0

    code, shown, _ = desk("tickets", "show", number)
    assert code == 0
    assert [m["direction"] for m in shown["messages"]] == ["inbound", "outbound", "note"]
    assert shown["messages"][1]["delivery_state"] == "queued"
    assert shown["status"] == "pending"
    assert any(e["field"] == "assignee" and e["new_value"] == "Anna" for e in shown["audit"])

    code, found, _ = desk("tickets", "search", "доставку")
    assert code == 0 and [t["id"] for t in found["tickets"]] == [int(number)]

    code, stats, _ = desk("stats")
    assert code == 0
    assert stats["tickets"]["pending"] == 1
    assert stats["messages"] == 3
    assert stats["customers"] == 1 and stats["agents"] == 2 and stats["departments"] == 2


def test_stale_if_version_exits_3_and_names_the_change(desk):
    code, created, _ = desk(
        "tickets",
        "create",
        "--subject",
        "Refund",
        "--customer-email",
        "a@example.com",
        "--department",
        "Support",
    )
    number = str(created["ticket_id"])
    assert (
        desk("tickets", "status", number, "open", "--as", "anna@desk.test", "--if-version", "1")[0]
        == 0
    )
    code, error, stderr = desk(
        "tickets",
        "assign",
        number,
        "--department",
        "Billing",
        "--as",
        "lena@desk.test",
        "--if-version",
        "1",
    )
    assert code == 3
    assert error["error"] == "conflict"
    assert "Anna" in error["message"] and "status" in error["message"]
    assert "Anna" in stderr
    code, shown, _ = desk("tickets", "show", number)
    assert shown["department"] == "Support"  # nothing was overwritten


def test_reply_with_a_stale_if_seen_exits_3_and_names_the_new_message(desk, tmp_path):
    body = write(tmp_path, "body.txt", "Where is my parcel?")
    code, created, _ = desk(
        "tickets",
        "create",
        "--subject",
        "Parcel",
        "--customer-email",
        "p@example.com",
        "--body-file",
        body,
    )
    number = str(created["ticket_id"])
    code, shown, _ = desk("tickets", "show", number)
    seen = str(shown["messages"][-1]["id"])
    note = write(tmp_path, "note.txt", "Courier called")
    assert desk("tickets", "note", number, "--body-file", note, "--as", "lena@desk.test")[0] == 0

    reply = write(tmp_path, "reply.txt", "On its way")
    code, error, _ = desk(
        "tickets",
        "reply",
        number,
        "--body-file",
        reply,
        "--as",
        "anna@desk.test",
        "--if-seen",
        seen,
    )
    assert code == 3 and error["error"] == "collision"
    assert "added an internal note" in error["message"]
    code, shown, _ = desk("tickets", "show", number)
    assert [m["direction"] for m in shown["messages"]] == ["inbound", "note"]


def test_not_found_exits_4(desk):
    code, error, _ = desk("tickets", "show", "999")
    assert code == 4 and error["error"] == "not_found"
    assert desk("tickets", "status", "1", "open", "--as", "nobody@desk.test")[0] == 4


def test_usage_errors_exit_2(desk, tmp_path):
    # No acting agent for a reply.
    body = write(tmp_path, "b.txt", "hi")
    code, created, _ = desk(
        "tickets", "create", "--subject", "S", "--customer-email", "c@example.com"
    )
    code, error, stderr = desk("tickets", "reply", str(created["ticket_id"]), "--body-file", body)
    assert code == 2 and "--as" in stderr and error["error"] == "usage"
    # A bad e-mail address is explained, not a traceback.
    code, error, stderr = desk("tickets", "create", "--subject", "S", "--customer-email", "nope")
    assert code == 2 and "not an e-mail address" in stderr
    # A naive --created-at is refused.
    code, _, stderr = desk(
        "tickets",
        "create",
        "--subject",
        "S",
        "--customer-email",
        "c@example.com",
        "--created-at",
        "2026-01-01T10:00:00",
    )
    assert code == 2 and "time zone" in stderr
    # argparse: unknown status.
    with pytest.raises(SystemExit) as exit_info:
        desk("tickets", "status", "1", "bogus")
    assert exit_info.value.code == 2


def test_unreachable_database_exits_6(capsys, tmp_path):
    url = "postgresql://nobody@127.0.0.1:9/desk"
    code, error, stderr = run(capsys, "stats", "--database-url", url, "--json")
    assert code == 6
    assert error["error"] == "unavailable" and "cannot reach" in stderr


def test_db_upgrade_and_status(capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    # No database there yet: status says so and creates nothing; only upgrade creates one.
    code, error, _ = run(capsys, "db", "status", "--database-url", url, "--json")
    assert code == 6 and "desk db upgrade" in error["message"]
    assert not (tmp_path / "new.sqlite3").exists()
    code, upgraded, _ = run(capsys, "db", "upgrade", "--database-url", url, "--json")
    assert code == 0 and upgraded["from"] is None
    code, status, _ = run(capsys, "db", "status", "--database-url", url, "--json")
    assert upgraded["to"] == status["head"]
    code, status, _ = run(capsys, "db", "status", "--database-url", url, "--json")
    assert status["schema"] == "current"


def test_team_database_is_not_upgraded_implicitly(capsys, pg_admin_url):
    import uuid

    import sqlalchemy as sa

    name = f"desk_empty_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        url = sa.make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
        code, error, stderr = run(capsys, "stats", "--database-url", url, "--json")
        assert code == 6 and "desk db upgrade" in stderr and error["error"] == "unavailable"
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


def test_human_output_lists_tickets(desk, capsys, database_url):
    desk("tickets", "create", "--subject", "Printer on fire", "--customer-email", "x@example.com")
    assert main(["tickets", "list", "--view", "all_open", "--database-url", database_url]) == 0
    out = capsys.readouterr().out
    assert "Printer on fire" in out and "(1 in view)" in out


def test_search_prints_the_rows_before_counting_every_match(
    desk, database_url, capsys, monkeypatch
):
    for n in range(3):
        desk(
            "tickets", "create", "--subject", f"Parcel lost {n}", "--customer-email", f"p{n}@x.org"
        )
    code, found, _ = desk("tickets", "search", "parcel", "--limit", "2")
    assert code == 0 and found["count"] == 3
    assert [t["subject"] for t in found["tickets"]] == ["Parcel lost 2", "Parcel lost 1"]

    # Read as it comes: the rows are out before the (separate) count of every match starts.
    from desk_app.store import Queries

    printed_before_count: list[str] = []
    count = Queries.search_count

    def counting(self: Queries, text: str) -> int:
        printed_before_count.append(capsys.readouterr().out)
        return count(self, text)

    monkeypatch.setattr(Queries, "search_count", counting)
    code = main(["tickets", "search", "parcel", "--limit", "2", "--database-url", database_url])
    assert code == 0
    rows = printed_before_count[0].splitlines()
    assert [line.split()[0] for line in rows] == [f"#{t['id']}" for t in found["tickets"]]
    assert capsys.readouterr().out == "(showing 2 of 3 matching)\n"
    assert main(["tickets", "search", "parcel", "--database-url", database_url]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "(3 matching)"


def test_customers_show_says_how_many_tickets_the_customer_has(database_url, capsys):
    from desk_app.store import Database, Service
    from desk_app.store.queries import CUSTOMER_HISTORY_ROWS

    db = Database(database_url)
    system = Service(db, None)
    total = CUSTOMER_HISTORY_ROWS + 2
    for n in range(total):
        system.create_ticket(subject=f"Order {n}", customer_email="b@example.com", body="?")
    db.dispose()
    code, data, _ = run(
        capsys, "customers", "show", "b@example.com", "--database-url", database_url, "--json"
    )
    assert code == 0
    assert (len(data["tickets"]), data["ticket_count"]) == (CUSTOMER_HISTORY_ROWS, total)
    assert main(["customers", "show", "b@example.com", "--database-url", database_url]) == 0
    last = capsys.readouterr().out.splitlines()[-1]  # the human form says it is not all of them
    assert last == f"(the newest {CUSTOMER_HISTORY_ROWS} of {total} tickets)"
