"""Issue 16 item 5: `desk tickets reply` on a ticket whose reply cannot be sent stores and
queues it (exit 0, nothing lost) but says on stderr why it cannot go and what to do."""

from __future__ import annotations

from desk_app.store import Database
from tests.cli.test_cli import desk, write
from tests.store.helpers import loopback_account

__all__ = ["desk"]


def _reply(desk, tmp_path, number: str) -> tuple[int, dict, str]:
    body = write(tmp_path, "reply.txt", "Your parcel left this morning.")
    return desk("tickets", "reply", number, "--body-file", body, "--as", "anna@desk.test")


def _create(desk, *contact: str) -> str:
    code, created, _ = desk(
        "tickets", "create", "--subject", "Parcel", *contact, "--department", "Support"
    )
    assert code == 0
    return str(created["ticket_id"])


def test_a_reply_with_no_mail_account_warns_but_is_kept(desk, tmp_path):
    number = _create(desk, "--customer-email", "olga@example.ru")
    code, result, stderr = _reply(desk, tmp_path, number)
    assert code == 0 and result["message_id"] is not None
    assert stderr.startswith("desk: warning: reply queued, but it cannot be sent: no mail account")
    assert "desk account add" in stderr and f"desk tickets retry {number}" in stderr
    assert len(stderr.strip().splitlines()) == 1
    code, shown, _ = desk("tickets", "show", number)
    assert [m["body_text"] for m in shown["messages"] if m["direction"] == "outbound"] == [
        "Your parcel left this morning."
    ]


def test_a_reply_that_can_be_sent_says_nothing(desk, tmp_path, database_url):
    database = Database(database_url)
    try:
        loopback_account(database)
    finally:
        database.dispose()
    number = _create(desk, "--customer-email", "olga@example.ru")
    code, _, stderr = _reply(desk, tmp_path, number)
    assert code == 0 and stderr == ""
    phone = _create(desk, "--customer-phone", "+81 3 1234 5678")
    code, _, stderr = _reply(desk, tmp_path, phone)
    assert code == 0 and "the customer has no e-mail address" in stderr
