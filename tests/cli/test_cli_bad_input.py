"""Bad input at the command line gets its documented exit code and one clear line, on SQLite
and PostgreSQL alike: ids no record can have (4), malformed or impossible numbers (2), and
text PostgreSQL cannot store (NUL bytes, 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from desk_app.cli import main
from desk_app.core.errors import InvalidInput
from desk_app.store import Database, Queries, Service

BEYOND_64_BITS = str(2**64 + 5)  # 18446744073709551621
ACCOUNT = ("account", "add", "sales", "--address", "sales@desk.test", "--username", "sales")
ACCOUNT += ("--imap-host", "127.0.0.1", "--smtp-host", "127.0.0.1", "--security", "none")


class Desk:
    """`desk ARGS --database-url URL --as ada` -> (exit code, stderr)."""

    def __init__(self, url: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.url = url
        self._capsys = capsys

    def __call__(self, *argv: str) -> tuple[int, str]:
        code = main([*argv, "--database-url", self.url, "--as", "ada@desk.test"])
        return code, self._capsys.readouterr().err


@pytest.fixture
def desk(database_url: str, capsys: pytest.CaptureFixture[str]) -> Desk:
    """A team with an admin and ticket #1 (customer 1), on each backend."""
    db = Database(database_url)
    system = Service(db, None)
    system.add_department("Support")
    system.add_agent("Ada Admin", "ada@desk.test", role="admin")
    system.create_ticket(
        subject="Invoice", customer_email="olga@example.com", body="Where?", department="Support"
    )
    db.dispose()
    return Desk(database_url, capsys)


def _one_line(err: str) -> str:
    assert "Traceback" not in err and "internal error" not in err, err
    assert err.count("\n") == 1, err
    return err.strip()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("tickets", "show", BEYOND_64_BITS), f"ticket #{BEYOND_64_BITS} does not exist"),
        (("tickets", "status", BEYOND_64_BITS, "open"), "does not exist"),
        (("tickets", "show", "0"), "ticket #0 does not exist"),
        (("tickets", "show", "-3"), "ticket #-3 does not exist"),
        (("sla", "show", BEYOND_64_BITS), "does not exist"),
        (("customers", "show", BEYOND_64_BITS), f"customer {BEYOND_64_BITS} does not exist"),
        (("customers", "edit", BEYOND_64_BITS, "--name", "X"), "does not exist"),
        (("customers", "merge", BEYOND_64_BITS, "1"), "does not exist"),
        (("templates", "render", "x", "--ticket", BEYOND_64_BITS), "does not exist"),
        (("templates", "render", str(2**40), "--ticket", "1"), f"template {2**40} does not"),
        (("oncall", "ack", BEYOND_64_BITS), "does not exist"),
        (
            ("tickets", "note", "1", "--body-file", "-", "--if-seen", BEYOND_64_BITS),
            f"message {BEYOND_64_BITS} does not exist",
        ),
    ],
)
def test_an_id_no_record_can_have_is_not_found(
    desk: Desk, argv: tuple[str, ...], message: str
) -> None:
    code, err = desk(*argv)
    assert code == 4, err
    assert message in _one_line(err)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("tickets", "status", "1", "open", "--if-version", BEYOND_64_BITS), "cannot be a version"),
        (("tickets", "status", "1", "open", "--if-version", "0"), "cannot be a version"),
        (("tickets", "status", "1", "open", "--if-version", str(2**31)), "cannot be a version"),
        (
            ("customers", "edit", "1", "--name", "X", "--if-version", BEYOND_64_BITS),
            "cannot be a version",
        ),
        (("tickets", "show", "12abc"), "'12abc' is not a whole number"),
        (("tickets", "list", "--view", "all_open", "--limit", "-1"), "-1 is negative"),
        (("tickets", "list", "--view", "all_open", "--offset", "-5"), "-5 is negative"),
        (("tickets", "list", "--view", "all_open", "--limit", BEYOND_64_BITS), "too large"),
        (("tickets", "search", "invoice", "--limit", "-1"), "-1 is negative"),
        (("oncall", "calendar", "nights", "--weeks", "0"), "--weeks must be from 1 to 104, not 0"),
        (("oncall", "calendar", "nights", "--weeks", "99999999"), "from 1 to 104, not 99999999"),
        ((*ACCOUNT, "--imap-port", "70000"), "a port must be from 1 to 65535, not 70000"),
        ((*ACCOUNT, "--smtp-port", "0"), "a port must be from 1 to 65535, not 0"),
    ],
)
def test_a_malformed_or_impossible_number_is_a_usage_error(
    desk: Desk, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    with pytest.raises(SystemExit) as exited:  # argparse's own exit, after its usage lines
        desk(*argv)
    assert exited.value.code == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith(f"desk {argv[0]} {argv[1]}: error: argument ") and message in last


def test_the_edges_of_the_ranges_still_work(desk: Desk) -> None:
    assert desk("tickets", "list", "--view", "all_open", "--limit", "0", "--offset", "0")[0] == 0
    code, err = desk("tickets", "show", str(2**63 - 1))  # the largest id a ticket could have
    assert code == 4 and "does not exist" in _one_line(err)
    code, err = desk("tickets", "status", "1", "pending", "--if-version", str(2**31 - 1))
    assert code == 3, err  # a real version that is not the ticket's: a conflict, as always


def test_a_body_with_nul_bytes_is_refused_alike_on_both_databases(
    desk: Desk, tmp_path: Path
) -> None:
    body = tmp_path / "body.txt"
    body.write_bytes(b"Refund issued.\x00 Thanks")
    for argv in (
        ("tickets", "reply", "1", "--body-file", str(body)),
        ("tickets", "note", "1", "--body-file", str(body)),
        (
            "tickets",
            "create",
            "--subject",
            "Call",
            "--customer-email",
            "x@example.com",
            "--body-file",
            str(body),
        ),
    ):
        code, err = desk(*argv)
        assert code == 2, err
        assert _one_line(err) == "desk: the body contains NUL bytes"
    db = Database(desk.url)
    try:
        detail = Queries(db, None).ticket(1)
        assert len(detail.messages) == 1  # nothing was added
        assert Queries(db, None).stats()["tickets_total"] == 1
        # The window goes through the same command, and gets the same refusal.
        with pytest.raises(InvalidInput, match="the body contains NUL bytes"):
            Service(db, 1).reply(1, "a\x00b")
    finally:
        db.dispose()
