"""The inbox preview shows the customer conversation, never an internal note, on every path
that adds a message: the service, mail ingest and the bulk loader."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from desk_app.core.enums import Channel, Direction, Priority, Status
from desk_app.demo.generate import DEPARTMENTS, demo_agents
from desk_app.store import Queries
from desk_app.store.bulk import BulkLoader
from desk_app.store.mail_store import InboundMail, MailStore
from desk_app.store.models import Ticket
from desk_app.store.seeds import SeedCustomer, SeedMessage, SeedTicket


def _preview(db, ticket_id: int) -> str:
    with db.read() as session:
        return session.get_one(Ticket, ticket_id).preview


def _listed_preview(db, team, ticket_id: int) -> str:
    """What the inbox row shows."""
    return Queries(db, team.anna).rows([ticket_id])[0].preview


def test_a_note_never_becomes_the_preview(db, team, system, anna, clock):
    created = system.create_ticket(
        subject="Refund", customer_email="c@example.com", body="Where is my refund?"
    )
    clock.advance(minutes=5)
    anna.add_note(created.ticket_id, "Finance says Tuesday; do not promise a date.")
    assert _preview(db, created.ticket_id) == "Where is my refund?"
    assert _listed_preview(db, team, created.ticket_id) == "Where is my refund?"
    clock.advance(minutes=5)
    anna.reply(created.ticket_id, "Your refund is on its way.")
    clock.advance(minutes=5)
    anna.add_note(created.ticket_id, "Replied; watch for the bank's answer.")
    assert _preview(db, created.ticket_id) == "Your refund is on its way."


def test_a_late_customer_message_older_than_a_note_becomes_the_preview(
    db, team, system, anna, clock
):
    created = system.create_ticket(subject="Printer", customer_email="c@example.com", body="first")
    written = clock.advance(minutes=5)
    clock.advance(minutes=5)
    anna.add_note(created.ticket_id, "internal words")
    # Mail written before the note, stored after it: only notes came later, so it shows.
    system.add_inbound_message(created.ticket_id, "It still jams", created_at=written)
    assert _preview(db, created.ticket_id) == "It still jams"
    # One written even earlier does not push a later conversation message out.
    system.add_inbound_message(
        created.ticket_id, "older words", created_at=written - timedelta(minutes=1)
    )
    assert _preview(db, created.ticket_id) == "It still jams"


def _mail(n: int, *, in_reply_to: str | None = None, date: datetime | None = None) -> InboundMail:
    return InboundMail(
        raw=f"raw {n}".encode(),
        message_id=f"<m{n}@example.ru>",
        in_reply_to=in_reply_to,
        references=(),
        subject="Order 77 missing",
        from_name="Ольга",
        from_address="olga@example.ru",
        date=date,
        text=f"customer message {n}",
        html=None,
    )


def test_ingested_mail_keeps_the_preview_on_the_conversation(db, team, anna, clock):
    store = MailStore(db, None, clock)
    account = store.add_account(
        "support",
        address="support@desk.test",
        username="support",
        imap_host="127.0.0.1",
        smtp_host="127.0.0.1",
        security="none",
        department="Support",
    )
    first = store.ingest(account, "INBOX", 7, 101, _mail(1))
    written = clock.advance(minutes=5)
    clock.advance(minutes=5)
    anna.add_note(first.ticket_id, "internal words")
    assert _preview(db, first.ticket_id) == "customer message 1"
    clock.advance(minutes=5)
    # Dated before the note (it sat in a queue): still the newest conversation message.
    reply = store.ingest(
        account, "INBOX", 7, 102, _mail(2, in_reply_to="<m1@example.ru>", date=written)
    )
    assert reply.ticket_id == first.ticket_id
    assert _preview(db, first.ticket_id) == "customer message 2"


def test_bulk_loaded_notes_are_not_the_preview(db):
    at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    agent = demo_agents()[0]
    seed = SeedTicket(
        subject="Invoice",
        customer=SeedCustomer("Ivan", email="ivan@example.com"),
        status=Status.OPEN,
        priority=Priority.NORMAL,
        channel=Channel.EMAIL,
        created_at=at,
        department=DEPARTMENTS[0],
        messages=(
            SeedMessage(Direction.INBOUND, "Where is the invoice?", at),
            SeedMessage(
                Direction.NOTE, "Billing run failed", at + timedelta(minutes=3), agent.email
            ),
        ),
    )
    loader = BulkLoader(db, clock=lambda: at + timedelta(hours=1))
    loader.ensure_team(DEPARTMENTS, demo_agents())
    loader.load([seed])
    assert _preview(db, 1) == "Where is the invoice?"
