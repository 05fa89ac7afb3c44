"""`desk oncall` end to end: rotations, overrides, who is on call, the calendar, pages and
acknowledgements, the hand-off summary and the after-hours options."""

from __future__ import annotations

import json

import keyring
import keyring.core
import pytest

from desk_app.cli import main
from desk_app.mail.passwords import store_password
from desk_app.store import Database, Service
from desk_app.store.mail_store import MailStore
from desk_app.store.paging_store import PagingStore
from tests.conftest import FakeClock
from tests.mail import conftest as mail_fixtures
from tests.worker.oncall_setup import FRIDAY_EVENING, tokyo_office


def run(capsys, *argv: str):
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse refusing the command line
        code = exit_.code
    out = capsys.readouterr()
    return code, (json.loads(out.out) if out.out.strip() else None), out.err


def test_rotation_override_now_and_calendar(capsys, sqlite_database_url):
    url = ["--database-url", sqlite_database_url, "--json"]
    assert run(capsys, "departments", "add", "Support", *url)[0] == 0
    # Anna leads Support: rotations and other people's shifts are a lead's to change.
    for email, name, role in (
        ("anna@desk.test", "Anna", "lead"),
        ("kenji@desk.test", "Kenji", "agent"),
    ):
        added = run(
            capsys, "agents", "add", email, "--name", name, "--role", role,
            "--department", "Support", *url,
        )  # fmt: skip
        assert added[0] == 0
    code, saved, _ = run(
        capsys,
        "oncall", "set", "Nights",
        "--agents", "anna@desk.test,kenji@desk.test",
        "--handoff", "09:00", "--length", "weekly",
        "--time-zone", "Asia/Tokyo", "--starts-on", "2026-11-09",
        "--department", "Support",
        "--as", "anna@desk.test", *url,
    )  # fmt: skip
    assert code == 0 and saved["rotation"]["agent_ids"] == [1, 2]

    code, now, _ = run(capsys, "oncall", "now", "--department", "Support", *url)
    assert code == 0
    assert [entry["rotation"] for entry in now["on_call"]] == ["Nights"]

    code, _, _ = run(
        capsys,
        "oncall", "override", "Nights",
        "--agent", "kenji@desk.test",
        "--from", "2026-11-25T18:00:00+09:00", "--to", "2026-11-26T08:00:00+09:00",
        "--reason", "Anna at the dentist",
        "--as", "anna@desk.test", *url,
    )  # fmt: skip
    assert code == 0
    code, calendar, _ = run(
        capsys, "oncall", "calendar", "Nights", "--from", "2026-11-23T09:00:00+09:00",
        "--weeks", "1", *url,
    )  # fmt: skip
    assert code == 0
    assert [(s["agent"], s["override"]) for s in calendar["shifts"]] == [
        ("Anna", False),
        ("Kenji", True),
        ("Anna", False),
    ]
    assert calendar["shifts"][1]["reason"] == "Anna at the dentist"


def test_bad_input_exits_with_clear_codes(capsys, sqlite_database_url):
    url = ["--database-url", sqlite_database_url, "--json"]
    code, error, _ = run(capsys, "oncall", "now", "--department", "Nowhere", *url)
    assert code == 4 and "Nowhere" in error["message"]
    run(capsys, "agents", "add", "anna@desk.test", "--name", "Anna", *url)
    code, error, _ = run(
        capsys,
        "oncall", "set", "X", "--agents", "anna@desk.test", "--length", "hourly",
        "--starts-on", "2026-11-02", "--as", "anna@desk.test", *url,
    )  # fmt: skip
    assert code == 2  # argparse refuses the choice
    code, error, _ = run(
        capsys,
        "oncall", "set", "X", "--agents", "anna@desk.test", "--time-zone", "Mars/Base",
        "--starts-on", "2026-11-02", "--as", "anna@desk.test", *url,
    )  # fmt: skip
    assert code == 2 and "unknown time zone" in error["message"]


# --- pages, the hand-off and the after-hours options --------------------------------------------

smtp_server = mail_fixtures.smtp_server
smtp_server_factory = mail_fixtures.smtp_server_factory


@pytest.fixture
def night(capsys, sqlite_database_url):
    """Anna and Kenji on the Nights rotation (Kenji's week), Lena a lead, and an urgent ticket
    that paged Kenji on Friday evening."""
    url = ["--database-url", sqlite_database_url, "--json"]
    run(capsys, "departments", "add", "Support", *url)
    for email, name, role in (
        ("anna@desk.test", "Anna", "agent"),
        ("kenji@desk.test", "Kenji", "agent"),
        ("lena@desk.test", "Lena", "lead"),
    ):
        run(capsys, "agents", "add", email, "--name", name, "--role", role,
            "--department", "Support", *url)  # fmt: skip
    run(
        capsys,
        "oncall", "set", "Nights", "--agents", "anna@desk.test,kenji@desk.test",
        "--time-zone", "Asia/Tokyo", "--starts-on", "2026-11-09", "--as", "lena@desk.test", *url,
    )  # fmt: skip
    clock = FakeClock(FRIDAY_EVENING)
    db = Database(sqlite_database_url)
    tokyo_office(db, None, clock)
    ticket = Service(db, None, clock).create_ticket(
        subject="Site down", customer_email="olga@example.ru", body="x", priority="urgent"
    )
    assert PagingStore(db, clock).open_page(ticket.ticket_id or 0) is not None
    db.dispose()
    return url


def test_pages_are_listed_and_acknowledged(capsys, night):
    code, listed, _ = run(capsys, "oncall", "pages", *night)
    assert code == 0
    [page] = listed["pages"]
    assert (page["ticket_id"], page["agent"], page["reason"]) == (1, "Kenji", "priority urgent")
    code, acked, _ = run(capsys, "oncall", "ack", "1", "--as", "kenji@desk.test", *night)
    assert code == 0 and acked["page"]["acknowledged_by"] == "Kenji"
    assert run(capsys, "oncall", "pages", *night)[1] == {"pages": []}
    assert len(run(capsys, "oncall", "pages", "--all", *night)[1]["pages"]) == 1
    assert run(capsys, "oncall", "ack", "7", "--as", "kenji@desk.test", *night)[0] == 4
    assert run(capsys, "oncall", "ack", "1", *night)[0] == 2  # who is acknowledging?
    code, pager, _ = run(
        capsys, "oncall", "pager", "Kenji.Phone@example.net", "--as", "kenji@desk.test", *night
    )
    assert code == 0 and pager == {"pages_go_to": "kenji.phone@example.net"}
    code, pager, _ = run(capsys, "oncall", "pager", "", "--as", "kenji@desk.test", *night)
    assert pager == {"pages_go_to": "kenji@desk.test"}


def test_after_hours_options_are_shown_checked_and_set_by_leads(capsys, night):
    code, shown, _ = run(capsys, "oncall", "settings", *night)
    assert code == 0 and shown["settings"]["help_centre_url"]["value"] is None
    address = "https://help.example.com"
    code, shown, _ = run(
        capsys, "oncall", "settings", "help_centre_url", address, "--as", "lena@desk.test", *night
    )
    assert code == 0 and shown["settings"]["help_centre_url"]["value"] == address
    code, shown, _ = run(
        capsys, "oncall", "settings", "oncall.page_repeat_minutes", "5",
        "--as", "lena@desk.test", *night,
    )  # fmt: skip
    assert shown["settings"]["oncall.page_repeat_minutes"]["value"] == 5
    code, error, _ = run(
        capsys, "oncall", "settings", "oncall.page_repeat_minutes", "never",
        "--as", "lena@desk.test", *night,
    )  # fmt: skip
    assert code == 2 and "expected a number" in error["message"]
    code, _, _ = run(
        capsys, "oncall", "settings", "help_centre_url", address, "--as", "anna@desk.test", *night
    )
    assert code == 5  # agents do not change team settings


@pytest.fixture
def file_keyring(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    previous = keyring.get_keyring()
    keyring.core.init_backend()
    yield
    keyring.set_keyring(previous)


def test_handoff_shown_as_text_json_and_sent_by_mail(capsys, night, file_keyring, smtp_server):
    window = ["--since", "2026-11-20T18:00:00+09:00", "--until", "2026-11-24T09:00:00+09:00"]
    code, summary, _ = run(capsys, "oncall", "handoff", *window, *night)
    assert code == 0
    assert summary["totals"] == {"arrived": 1, "answered": 0, "still_open": 1, "pages": 1}
    assert [d["name"] for d in summary["departments"]] == ["No department"]
    # Without --json: the text a person reads, in the zone asked for.
    code = main(["oncall", "handoff", *window, "--time-zone", "Asia/Tokyo", *night[:2]])
    text = capsys.readouterr().out
    assert code == 0 and text.startswith("Hand-off Fri 20 Nov 18:00 – Tue 24 Nov 09:00")
    assert "#1 Site down (urgent, olga@example.ru, waiting" in text
    db = Database(night[1])
    MailStore(db, None).add_account(
        "support", address="support@desk.test", username="support", imap_host="127.0.0.1",
        smtp_host=smtp_server.host, smtp_port=smtp_server.port, security="none",
    )  # fmt: skip
    db.dispose()
    store_password("support", "secret")
    code, sent, _ = run(
        capsys, "oncall", "handoff", *window, "--send-to", "morning@desk.test",
        "--as", "anna@desk.test", *night,
    )  # fmt: skip
    assert code == 0 and sent["sent_to"] == "morning@desk.test"
    [mail] = smtp_server.wait_for_messages(1)
    assert mail.rcpt_tos == ("morning@desk.test",)
    assert str(mail.message["Subject"]).startswith("Hand-off Fri 20 Nov 09:00")  # Anna: UTC
    assert "Site down" in mail.message.get_body(("plain",)).get_content()
    assert mail.message["Auto-Submitted"] == "auto-generated"
    # A dead mail server: a clear "unavailable" (exit 6), nothing remembered as sent.
    smtp_server.stop()
    code, error, _ = run(
        capsys, "oncall", "handoff", *window, "--send-to", "morning@desk.test", *night
    )
    assert code == 6 and "unreachable" in error["message"]
