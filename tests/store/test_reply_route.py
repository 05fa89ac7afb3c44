"""Issue 16 item 5: can a reply on a ticket be sent, and if not why, asked before Send.

Each answer is checked against what the worker then does with such a reply (claim_outgoing),
so the warning and the sending cannot disagree."""

from __future__ import annotations

import pytest

from desk_app.core.errors import NotFound
from desk_app.core.reply_route import NoRoute, reply_route
from desk_app.store import Queries, Service
from desk_app.store.mail_store import MailStore
from tests.store.helpers import loopback_account
from tests.store.test_mail_store import unreadable


def _account(store: MailStore, name: str, department: str | None) -> int:
    return loopback_account(store.db, name, department=department)


def _email_ticket(system: Service, department: str = "Support") -> int:
    created = system.create_ticket(
        subject="Parcel lost",
        customer_email="olga@example.ru",
        body="Where?",
        department=department,
    )
    return created.ticket_id


def test_no_mail_account_at_all(db, team, clock):
    ticket_id = _email_ticket(Service(db, None, clock))
    queries = Queries(db, team.anna)
    assert queries.reply_route(ticket_id) is NoRoute.NO_ACCOUNT
    assert queries.ticket(ticket_id).reply_route is NoRoute.NO_ACCOUNT
    # What the worker would do with it: fail it for want of an account.
    Service(db, team.anna, clock).reply(ticket_id, "Hello")
    store = MailStore(db, None, clock)
    assert store.claim_outgoing() == []


def test_a_deactivated_account_sends_nothing(db, team, clock):
    store = MailStore(db, None, clock)
    _account(store, "support", "Support")
    ticket_id = _email_ticket(Service(db, None, clock))
    store.remove_account("support")
    assert Queries(db, team.anna).reply_route(ticket_id) is NoRoute.NO_ACCOUNT


def test_another_departments_account_still_sends(db, team, clock):
    """The worker falls back to the first active account: a department without its own is
    no reason to warn."""
    store = MailStore(db, None, clock)
    billing = _account(store, "billing", "Billing")
    ticket_id = _email_ticket(Service(db, None, clock), "Support")
    assert Queries(db, team.anna).reply_route(ticket_id) is None
    assert Queries(db, team.anna).ticket(ticket_id).reply_route is None
    Service(db, team.anna, clock).reply(ticket_id, "Hello")
    [mail] = store.claim_outgoing(account_ids=[billing])
    assert mail.account_id == billing and mail.to_address == "olga@example.ru"


def test_a_phone_customer_has_no_address(db, team, clock):
    store = MailStore(db, None, clock)
    _account(store, "support", "Support")
    created = Service(db, None, clock).create_ticket(
        subject="Call back", customer_phone="+81 3 1234 5678", channel="phone", department="Support"
    )
    assert Queries(db, team.anna).ticket(created.ticket_id).reply_route is NoRoute.NO_ADDRESS


def test_an_unreadable_sender(db, team, clock):
    store = MailStore(db, None, clock)
    account = _account(store, "support", "Support")
    ingested = store.ingest(account, "INBOX", 7, 1, unreadable(1, "Sales <sales at example>"))
    queries = Queries(db, team.anna)
    assert queries.ticket(ingested.ticket_id).reply_route is NoRoute.UNREADABLE_ADDRESS
    assert queries.reply_route(ingested.ticket_id) is NoRoute.UNREADABLE_ADDRESS


def test_an_unknown_ticket(db, team):
    with pytest.raises(NotFound):
        Queries(db, team.anna).reply_route(999_999)


@pytest.mark.parametrize(
    ("account", "email", "raw", "expected"),
    [
        (False, True, False, NoRoute.NO_ACCOUNT),
        (False, False, True, NoRoute.NO_ACCOUNT),
        (True, True, False, None),
        (True, True, True, None),
        (True, False, True, NoRoute.UNREADABLE_ADDRESS),
        (True, False, False, NoRoute.NO_ADDRESS),
    ],
)
def test_the_decision(account: bool, email: bool, raw: bool, expected: NoRoute | None) -> None:
    assert reply_route(has_account=account, has_email=email, unreadable_from=raw) is expected
