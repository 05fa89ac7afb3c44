"""Ticket commands on both databases: what each stores, and the audit and change-log rows it
writes in its own transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from desk_app.core.errors import InvalidInput, NotFound
from desk_app.store import NewAttachment, Queries
from desk_app.store.models import Attachment, Customer, Message, OutboxItem, Ticket
from tests.store.helpers import audit_rows, change_rows, max_seq, row_snapshot


def _ticket(db, ticket_id: int) -> Ticket:
    with db.read() as session:
        return session.get_one(Ticket, ticket_id)


def _messages(db, ticket_id: int) -> list[Message]:
    with db.read() as session:
        return list(
            session.scalars(
                sa.select(Message).where(Message.ticket_id == ticket_id).order_by(Message.id)
            )
        )


# --- create_ticket ---------------------------------------------------------------------------


def test_create_ticket_with_new_customer_stores_everything(db, team, system, clock):
    result = system.create_ticket(
        subject="  Invoice\nmissing  ",
        customer_email="Ivan.Petrov@Example.COM",
        customer_name=" Ivan Petrov ",
        body="Hello, where is my invoice?",
        department="Billing",
        priority="high",
        channel="email",
        message_id="<m1@example.com>",
        attachments=[NewAttachment("scan.pdf", "application/pdf", b"%PDF-1.4 data")],
    )
    ticket = _ticket(db, result.ticket_id)
    assert ticket.subject == "Invoice missing"  # one line: no header injection on the way out
    assert ticket.status == "new"
    assert ticket.priority == "high"
    assert ticket.channel == "email"
    assert ticket.department_id == team.billing
    assert ticket.assignee_id is None
    assert ticket.version == result.version == 1
    assert ticket.created_at == ticket.updated_at == clock()
    assert ticket.message_count == 1
    assert ticket.preview == "Hello, where is my invoice?"
    assert ticket.last_customer_message_at == clock()
    assert ticket.first_response_at is None

    customer = Queries(db, None).customer(result.customer_id)
    assert customer.name == "Ivan Petrov"
    assert customer.emails == ["ivan.petrov@example.com"]

    [message] = _messages(db, result.ticket_id)
    assert message.id == result.message_id
    assert message.direction == "inbound"
    assert message.author_customer_id == result.customer_id
    assert message.message_id == "<m1@example.com>"
    with db.read() as session:
        [attachment] = session.scalars(sa.select(Attachment))
        assert attachment.message_id == message.id
        assert attachment.size == len(b"%PDF-1.4 data")
        assert attachment.content == b"%PDF-1.4 data"

    # The customer, the ticket and the message each get an audit event and a change-log row.
    assert {(e.entity, e.action) for e in audit_rows(db)} >= {
        ("customer", "create"),
        ("ticket", "create"),
        ("message", "inbound"),
    }
    changes = [(c.entity, c.op) for c in change_rows(db)]
    for expected in [("customer", "insert"), ("ticket", "insert"), ("message", "insert")]:
        assert expected in changes
    assert result.change_seq == max_seq(db)


def test_create_ticket_without_body_has_no_message(db, team, system):
    result = system.create_ticket(subject="Call me", customer_phone="+44 20 7946 0958")
    assert result.message_id is None
    ticket = _ticket(db, result.ticket_id)
    assert ticket.message_count == 0
    assert _messages(db, result.ticket_id) == []
    assert Queries(db, None).customer(result.customer_id).phones == ["+442079460958"]


def test_create_ticket_reuses_existing_customer_by_email(db, team, system):
    first = system.create_ticket(
        subject="One", customer_email="ivan@example.com", customer_name="Ivan"
    )
    second = system.create_ticket(
        subject="Two", customer_email=" <IVAN@EXAMPLE.com> ", customer_name="Someone Else"
    )
    assert second.customer_id == first.customer_id
    with db.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 1
        # The existing name is kept: an incoming display name does not rename a known customer.
        assert session.get_one(Customer, first.customer_id).name == "Ivan"
    creates = [e for e in audit_rows(db, entity="customer") if e.action == "create"]
    assert len(creates) == 1


def test_create_ticket_reuses_existing_customer_by_phone(db, team, system):
    first = system.create_ticket(subject="One", customer_phone="+81 3-1234-5678")
    second = system.create_ticket(subject="Two", customer_phone="+81312345678", channel="phone")
    assert second.customer_id == first.customer_id


def test_create_ticket_fills_missing_name_of_existing_customer(db, team, system):
    first = system.create_ticket(subject="One", customer_email="nameless@example.com")
    system.create_ticket(
        subject="Two", customer_email="nameless@example.com", customer_name="Named Now"
    )
    assert Queries(db, None).customer(first.customer_id).name == "Named Now"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"subject": "   ", "customer_email": "a@example.com"}, "subject"),
        ({"subject": "Hi"}, "e-mail address or phone"),
        ({"subject": "Hi", "customer_email": "not an address"}, "e-mail"),
        ({"subject": "Hi", "customer_email": "a@example.com", "priority": "sky-high"}, "priority"),
        ({"subject": "Hi", "customer_email": "a@example.com", "channel": "pigeon"}, "channel"),
    ],
)
def test_create_ticket_refuses_bad_input_and_writes_nothing(db, team, system, kwargs, message):
    before = row_snapshot(db)
    with pytest.raises(InvalidInput, match=message):
        system.create_ticket(**kwargs)
    assert row_snapshot(db) == before


def test_create_ticket_in_missing_department_writes_nothing(db, team, system):
    before = row_snapshot(db)
    with pytest.raises(NotFound):
        system.create_ticket(
            subject="Hi", customer_email="new@example.com", department="Nowhere", body="x"
        )
    assert row_snapshot(db) == before


# --- add_inbound_message ---------------------------------------------------------------------


def test_inbound_message_appends_and_bumps_version(db, team, system, clock):
    created = system.create_ticket(subject="Printer", customer_email="c@example.com", body="a")
    clock.advance(minutes=10)
    result = system.add_inbound_message(
        created.ticket_id,
        "> quoted\nIt still does not print",
        message_id="<m2@example.com>",
        in_reply_to="<m1@example.com>",
        references="<m1@example.com>",
    )
    ticket = _ticket(db, created.ticket_id)
    assert result.version == ticket.version == 2
    assert ticket.message_count == 2
    assert ticket.updated_at == clock()
    assert ticket.last_customer_message_at == clock()
    assert ticket.preview == "It still does not print"
    assert ticket.status == "new"
    message = _messages(db, created.ticket_id)[-1]
    assert message.id == result.message_id
    assert (message.message_id, message.in_reply_to, message.references) == (
        "<m2@example.com>",
        "<m1@example.com>",
        "<m1@example.com>",
    )
    assert [e.action for e in audit_rows(db, ticket_id=created.ticket_id)][-1] == "inbound"
    assert change_rows(db)[-1].entity == "ticket"
    assert {(c.entity, c.op) for c in change_rows(db) if c.seq > created.change_seq} == {
        ("message", "insert"),
        ("ticket", "update"),
    }


@pytest.mark.parametrize("status", ["solved", "pending"])
def test_inbound_message_reopens_waiting_ticket(db, team, system, anna, clock, status):
    created = system.create_ticket(subject="Help", customer_email="c@example.com", body="a")
    anna.set_status(created.ticket_id, status)
    clock.advance(hours=1)
    system.add_inbound_message(created.ticket_id, "Not fixed, sorry")
    ticket = _ticket(db, created.ticket_id)
    assert ticket.status == "open"
    assert ticket.solved_at is None
    reopen = audit_rows(db, ticket_id=created.ticket_id, field="status")[-1]
    assert (reopen.old_value, reopen.new_value, reopen.reason) == (
        status,
        "open",
        "customer replied",
    )
    assert reopen.actor_agent_id is None


def test_inbound_message_to_closed_ticket_is_refused(db, team, system, anna):
    created = system.create_ticket(subject="Help", customer_email="c@example.com", body="a")
    anna.set_status(created.ticket_id, "closed")
    before = row_snapshot(db)
    with pytest.raises(InvalidInput, match="closed"):
        system.add_inbound_message(created.ticket_id, "hello again")
    assert row_snapshot(db) == before


def test_inbound_message_to_missing_ticket_is_not_found(db, team, system):
    with pytest.raises(NotFound):
        system.add_inbound_message(424242, "hello")


def test_inbound_empty_message_is_refused(db, team, system):
    created = system.create_ticket(subject="Help", customer_email="c@example.com", body="a")
    before = row_snapshot(db)
    with pytest.raises(InvalidInput):
        system.add_inbound_message(created.ticket_id, "  \n ")
    assert row_snapshot(db) == before


# --- reply -----------------------------------------------------------------------------------


def test_reply_queues_outbound_message_threaded_to_inbound(db, team, system, anna, clock):
    created = system.create_ticket(
        subject="Wi-Fi drops",
        customer_email="c@example.com",
        body="It drops every hour",
        message_id="<in1@example.com>",
    )
    anna.save_draft(created.ticket_id, "reply", "half-written answer")
    clock.advance(minutes=7)
    result = anna.reply(created.ticket_id, "Please restart the router.", expected_version=1)

    ticket = _ticket(db, created.ticket_id)
    assert ticket.status == "open"
    assert ticket.first_response_at == clock()
    assert ticket.version == result.version == 2
    assert ticket.message_count == 2
    assert ticket.preview == "Please restart the router."

    message = _messages(db, created.ticket_id)[-1]
    assert message.id == result.message_id
    assert message.direction == "outbound"
    assert message.author_agent_id == team.anna
    assert message.subject == "Re: Wi-Fi drops"
    assert message.message_id and message.message_id.startswith("<")
    assert message.message_id.endswith("@desk.test>")
    assert message.in_reply_to == "<in1@example.com>"
    assert message.references == "<in1@example.com>"
    assert message.delivery_state == "queued"

    with db.read() as session:
        [outbox] = session.scalars(sa.select(OutboxItem))
    assert outbox.message_id == message.id
    assert outbox.state == "queued"
    assert outbox.attempts == 0
    assert outbox.next_attempt_at == clock()

    # The reply consumed the draft.
    assert Queries(db, team.anna).drafts(created.ticket_id) == []

    events = audit_rows(db, ticket_id=created.ticket_id)
    status_event = next(e for e in events if e.field == "status")
    assert (status_event.old_value, status_event.new_value) == ("new", "open")
    assert any(e.action == "outbound" and e.actor_agent_id == team.anna for e in events)
    assert all(e.ticket_version == 2 for e in events if e.at == clock())
    later = {(c.entity, c.op) for c in change_rows(db) if c.seq > created.change_seq}
    assert later == {("message", "insert"), ("ticket", "update")}


def test_reply_chains_references_to_last_inbound_with_message_id(db, team, system, anna, clock):
    created = system.create_ticket(
        subject="Re: Order 77", customer_email="c@example.com", body="a", message_id="<a@x>"
    )
    clock.advance(minutes=1)
    first = anna.reply(created.ticket_id, "first answer")
    first_id = _messages(db, created.ticket_id)[-1].message_id
    clock.advance(minutes=1)
    system.add_inbound_message(
        created.ticket_id,
        "thanks, but...",
        message_id="<b@x>",
        in_reply_to=first_id,
        references=f"<a@x> {first_id}",
    )
    clock.advance(minutes=1)
    # A phone call logged without a Message-ID must not break the chain.
    system.add_inbound_message(created.ticket_id, "called in about it")
    clock.advance(minutes=1)
    anna.add_note(created.ticket_id, "internal: customer is upset")
    clock.advance(minutes=1)
    second = anna.reply(created.ticket_id, "second answer")
    message = _messages(db, created.ticket_id)[-1]
    assert message.id == second.message_id != first.message_id
    assert message.subject == "Re: Order 77"  # no "Re: Re:"
    assert message.in_reply_to == "<b@x>"
    assert message.references == f"<a@x> {first_id} <b@x>"
    # first_response_at keeps the first reply's time.
    assert _ticket(db, created.ticket_id).first_response_at == clock() - timedelta(minutes=4)


def test_second_reply_in_a_row_still_answers_the_customer_message(db, team, system, anna, clock):
    created = system.create_ticket(
        subject="Order", customer_email="c@example.com", body="a", message_id="<a@x>"
    )
    anna.reply(created.ticket_id, "first answer")
    clock.advance(minutes=1)
    anna.reply(created.ticket_id, "and one more thing")
    message = _messages(db, created.ticket_id)[-1]
    assert message.in_reply_to == "<a@x>"
    assert "<a@x>" in (message.references or "")


def test_reply_without_any_message_id_has_no_threading_headers(db, team, system, anna):
    created = system.create_ticket(
        subject="Phone", customer_phone="+442079460958", channel="phone", body="called"
    )
    anna.reply(created.ticket_id, "we called back")
    message = _messages(db, created.ticket_id)[-1]
    assert message.in_reply_to is None
    assert message.references is None
    assert message.message_id


def test_reply_with_status_after(db, team, system, anna, clock):
    created = system.create_ticket(subject="Q", customer_email="c@example.com", body="a")
    anna.reply(created.ticket_id, "done", status_after="solved")
    ticket = _ticket(db, created.ticket_id)
    assert ticket.status == "solved"
    assert ticket.solved_at == clock()


def test_reply_needs_an_actor_and_an_open_ticket(db, team, system, anna):
    created = system.create_ticket(subject="Q", customer_email="c@example.com", body="a")
    before = row_snapshot(db)
    with pytest.raises(InvalidInput, match="acting agent"):
        system.reply(created.ticket_id, "hi")
    with pytest.raises(InvalidInput, match="empty"):
        anna.reply(created.ticket_id, "   ")
    with pytest.raises(NotFound):
        anna.reply(999_999, "hi")
    assert row_snapshot(db) == before
    anna.set_status(created.ticket_id, "closed")
    before = row_snapshot(db)
    with pytest.raises(InvalidInput, match="closed"):
        anna.reply(created.ticket_id, "hi")
    assert row_snapshot(db) == before


# --- notes -----------------------------------------------------------------------------------


def test_add_note_is_internal_and_not_sent(db, team, system, anna, clock):
    created = system.create_ticket(subject="Q", customer_email="c@example.com", body="a")
    anna.save_draft(created.ticket_id, "note", "draft note")
    anna.save_draft(created.ticket_id, "reply", "draft reply")
    clock.advance(minutes=3)
    result = anna.add_note(created.ticket_id, "Customer is a VIP", expected_version=1)
    ticket = _ticket(db, created.ticket_id)
    assert ticket.version == result.version == 2
    assert ticket.status == "new"  # a note is not a response
    assert ticket.first_response_at is None
    message = _messages(db, created.ticket_id)[-1]
    assert (message.direction, message.author_agent_id, message.message_id) == (
        "note",
        team.anna,
        None,
    )
    assert message.delivery_state is None
    with db.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(OutboxItem)) == 0
    assert [d.kind for d in Queries(db, team.anna).drafts(created.ticket_id)] == ["reply"]
    assert audit_rows(db, ticket_id=created.ticket_id)[-1].action == "note"
    assert {(c.entity, c.op) for c in change_rows(db) if c.seq > created.change_seq} == {
        ("message", "insert"),
        ("ticket", "update"),
    }


def test_add_note_needs_an_actor(db, team, system):
    created = system.create_ticket(subject="Q", customer_email="c@example.com", body="a")
    with pytest.raises(InvalidInput):
        system.add_note(created.ticket_id, "hi")


# --- status and priority ---------------------------------------------------------------------


def test_set_status_solved_sets_solved_at_and_reopen_clears_it(db, team, system, anna, clock):
    created = system.create_ticket(subject="Q", customer_email="c@example.com", body="a")
    clock.advance(hours=2)
    solved = anna.set_status(created.ticket_id, "solved", reason="fixed", expected_version=1)
    ticket = _ticket(db, created.ticket_id)
    assert ticket.status == "solved"
    assert ticket.solved_at == clock()
    assert solved.version == ticket.version == 2
    event = audit_rows(db, ticket_id=created.ticket_id, field="status")[-1]
    assert (event.old_value, event.new_value, event.reason, event.actor_agent_id) == (
        "new",
        "solved",
        "fixed",
        team.anna,
    )
    assert event.ticket_version == 2

    clock.advance(hours=1)
    anna.set_status(created.ticket_id, "open")
    ticket = _ticket(db, created.ticket_id)
    assert ticket.status == "open"
    assert ticket.solved_at is None


def test_set_status_closed_keeps_solved_time(db, team, system, anna, clock):
    created = system.create_ticket(subject="Q", customer_email="c@example.com", body="a")
    anna.set_status(created.ticket_id, "solved")
    solved_at = clock()
    clock.advance(days=3)
    anna.set_status(created.ticket_id, "closed")
    assert _ticket(db, created.ticket_id).solved_at == solved_at


def test_set_status_to_same_value_changes_nothing(db, team, system, anna):
    created = system.create_ticket(subject="Q", customer_email="c@example.com", body="a")
    before = row_snapshot(db)
    result = anna.set_status(created.ticket_id, "new")
    assert result.version == 1
    assert row_snapshot(db) == before


def test_set_status_refuses_unknown_status(db, team, system, anna):
    created = system.create_ticket(subject="Q", customer_email="c@example.com", body="a")
    before = row_snapshot(db)
    with pytest.raises(InvalidInput, match="status"):
        anna.set_status(created.ticket_id, "done-ish")
    assert row_snapshot(db) == before


def test_set_priority(db, team, system, anna, clock):
    created = system.create_ticket(subject="Q", customer_email="c@example.com", body="a")
    clock.advance(minutes=1)
    result = anna.set_priority(created.ticket_id, "urgent", expected_version=1)
    ticket = _ticket(db, created.ticket_id)
    assert (ticket.priority, ticket.version, result.version) == ("urgent", 2, 2)
    assert ticket.updated_at == clock()
    event = audit_rows(db, ticket_id=created.ticket_id, field="priority")[-1]
    assert (event.old_value, event.new_value, event.ticket_version) == ("normal", "urgent", 2)
    assert change_rows(db)[-1].entity == "ticket"
    assert change_rows(db)[-1].op == "update"
    assert change_rows(db)[-1].actor_agent_id == team.anna
    # Same priority again: no new version, no new rows.
    before = row_snapshot(db)
    assert anna.set_priority(created.ticket_id, "urgent").version == 2
    assert row_snapshot(db) == before
    with pytest.raises(InvalidInput):
        anna.set_priority(created.ticket_id, "meh")
    assert row_snapshot(db) == before


# --- drafts ----------------------------------------------------------------------------------


def test_drafts_are_saved_per_agent_and_kind(db, team, system, anna, lena, clock):
    created = system.create_ticket(subject="Q", customer_email="c@example.com", body="a")
    anna.save_draft(created.ticket_id, "reply", "first words")
    clock.advance(minutes=1)
    anna.save_draft(created.ticket_id, "reply", "first words, then more")
    lena.save_draft(created.ticket_id, "reply", "lena's own")
    anna_drafts = Queries(db, team.anna).drafts(created.ticket_id)
    assert [(d.kind, d.body, d.updated_at) for d in anna_drafts] == [
        ("reply", "first words, then more", clock())
    ]
    assert [d.body for d in Queries(db, team.lead).drafts(created.ticket_id)] == ["lena's own"]
    assert Queries(db, None).drafts(created.ticket_id) == []

    anna.discard_draft(created.ticket_id, "reply")
    assert Queries(db, team.anna).drafts(created.ticket_id) == []
    assert len(Queries(db, team.lead).drafts(created.ticket_id)) == 1


def test_saving_an_empty_draft_removes_it(db, team, system, anna):
    created = system.create_ticket(subject="Q", customer_email="c@example.com", body="a")
    anna.save_draft(created.ticket_id, "note", "something")
    anna.save_draft(created.ticket_id, "note", "   ")
    assert Queries(db, team.anna).drafts(created.ticket_id) == []


def test_draft_errors(db, team, system, anna):
    created = system.create_ticket(subject="Q", customer_email="c@example.com", body="a")
    with pytest.raises(NotFound):
        anna.save_draft(987_654, "reply", "text")
    with pytest.raises(InvalidInput):
        anna.save_draft(created.ticket_id, "letter", "text")
    with pytest.raises(InvalidInput):
        system.save_draft(created.ticket_id, "reply", "text")
    assert Queries(db, team.anna).drafts(created.ticket_id) == []
