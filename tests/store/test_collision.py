"""Collision detection: a reply or note is refused when the conversation grew unseen."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from desk_app.core.errors import CollisionError, ConflictError
from desk_app.store.models import Message, OutboxItem


def _count(db, model) -> int:
    with db.read() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def opened(system, team):
    """A ticket as Anna saw it: its newest message id."""
    result = system.create_ticket(
        subject="Refund",
        customer_email="ivan@example.com",
        body="Please refund",
        department="Support",
    )
    return result.ticket_id, result.message_id


def test_reply_is_refused_when_a_colleague_replied_since(db, anna, lena, opened):
    ticket, seen = opened
    lena.reply(ticket, "Refund issued.", seen_message_id=seen)
    before = _count(db, Message), _count(db, OutboxItem)

    with pytest.raises(CollisionError) as caught:
        anna.reply(ticket, "I will refund you.", seen_message_id=seen)
    assert "Lena Lead replied" in str(caught.value)
    assert "Nothing was sent" in str(caught.value)
    assert len(caught.value.new_message_ids) == 1
    assert isinstance(caught.value, ConflictError)  # exit code 3 in the CLI
    assert (_count(db, Message), _count(db, OutboxItem)) == before


def test_note_is_refused_when_the_customer_wrote_again(db, anna, system, opened):
    ticket, seen = opened
    system.add_inbound_message(ticket, "Also, the second item?")
    with pytest.raises(CollisionError, match="the customer wrote a new message"):
        anna.add_note(ticket, "Check the warehouse", seen_message_id=seen)


def test_send_anyway_after_seeing_the_new_message(db, anna, lena, opened):
    ticket, seen = opened
    newer = lena.add_note(ticket, "I am on it", seen_message_id=seen).message_id
    with pytest.raises(CollisionError) as caught:
        anna.reply(ticket, "Hello", seen_message_id=seen)
    assert caught.value.new_message_ids == (newer,)
    # The agent read it and chose "send anyway": they have now seen the newest message.
    result = anna.reply(ticket, "Hello", seen_message_id=newer)
    assert result.message_id is not None


def test_no_collision_when_nothing_new_or_no_check_asked(anna, opened):
    ticket, seen = opened
    assert anna.add_note(ticket, "First", seen_message_id=seen).message_id
    assert anna.reply(ticket, "No check asked").message_id


def test_sending_anyway_is_recorded_in_the_audit_trail(db, anna, lena, opened):
    from desk_app.store.models import AuditEvent

    ticket, seen = opened
    colleague = lena.reply(ticket, "Refund issued.", seen_message_id=seen).message_id
    # The agent was told of the colleague's reply and chose to answer past it.
    sent = anna.reply(
        ticket, "I will refund you.", seen_message_id=colleague, sent_despite=[colleague]
    )
    with db.read() as session:
        choices = session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "sent_anyway")
        ).all()
    assert [(c.entity_id, c.ticket_id, c.reason) for c in choices] == [
        (sent.message_id, ticket, f"sent after being told of new message #{colleague}")
    ]
    # An ordinary reply records no such choice.
    anna.reply(ticket, "One more thing.", seen_message_id=sent.message_id)
    with db.read() as session:
        assert (
            len(
                session.scalars(
                    sa.select(AuditEvent).where(AuditEvent.action == "sent_anyway")
                ).all()
            )
            == 1
        )
