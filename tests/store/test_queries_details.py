"""Ticket detail, customer history, people and statistics, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from desk_app.core.errors import NotFound
from desk_app.store import NewAttachment, Queries


def test_ticket_detail_has_messages_in_order_and_the_audit_trail(db, team, service_for, clock):
    system = service_for(None)
    anna = service_for(team.anna)
    lena = service_for(team.lead)
    start = clock()
    created = system.create_ticket(
        subject="Невозможно войти",
        customer_email="olga@example.ru",
        customer_name="Ольга",
        body="Не могу войти в аккаунт",
        message_id="<q1@example.ru>",
        department="Support",
        attachments=[NewAttachment("screen.png", "image/png", b"\x89PNG....")],
    )
    clock.advance(minutes=5)
    lena.assign(created.ticket_id, agent="anna@desk.test", reason="login issues")
    clock.advance(minutes=5)
    anna.add_note(created.ticket_id, "checking the logs")
    clock.advance(minutes=5)
    anna.reply(created.ticket_id, "Попробуйте сбросить пароль")
    clock.advance(minutes=5)
    # Mail that arrives late but was written earlier sorts by when it was written.
    system.add_inbound_message(
        created.ticket_id, "Written before the note", created_at=start + timedelta(minutes=7)
    )
    clock.advance(minutes=5)
    anna.set_status(created.ticket_id, "solved", reason="password reset")

    detail = Queries(db, team.anna).ticket(created.ticket_id)
    assert detail.subject == "Невозможно войти"
    assert (detail.status, detail.department, detail.assignee) == (
        "solved",
        "Support",
        "Anna Ivanova",
    )
    assert detail.customer.name == "Ольга"
    assert detail.customer.emails == ["olga@example.ru"]
    assert detail.created_at == start
    assert detail.first_response_at == start + timedelta(minutes=15)
    assert detail.solved_at == clock()
    assert detail.version == 6

    assert [(m.direction, m.author, m.body_text) for m in detail.messages] == [
        ("inbound", "Ольга", "Не могу войти в аккаунт"),
        ("inbound", "Ольга", "Written before the note"),
        ("note", "Anna Ivanova", "checking the logs"),
        ("outbound", "Anna Ivanova", "Попробуйте сбросить пароль"),
    ]
    created_times = [m.created_at for m in detail.messages]
    assert created_times == sorted(created_times)
    first, _, _, reply = detail.messages
    assert first.message_id == "<q1@example.ru>"
    assert [(a.filename, a.content_type, a.size) for a in first.attachments] == [
        ("screen.png", "image/png", 8)
    ]
    assert reply.in_reply_to == "<q1@example.ru>"
    assert reply.delivery_state == "queued"
    assert reply.subject == "Re: Невозможно войти"

    trail = [(e.action, e.field, e.old_value, e.new_value, e.actor) for e in detail.audit]
    assert trail == [
        ("create", None, None, "Невозможно войти", None),
        ("inbound", None, None, None, None),
        ("update", "assignee", None, "Anna Ivanova", "Lena Lead"),
        ("update", "status", "new", "open", "Lena Lead"),
        ("note", None, None, None, "Anna Ivanova"),
        ("outbound", None, None, None, "Anna Ivanova"),
        ("inbound", None, None, None, None),
        ("update", "status", "open", "solved", "Anna Ivanova"),
    ]
    assert [e.ticket_version for e in detail.audit] == [1, 1, 2, 2, 3, 4, 5, 6]
    assert detail.audit[2].reason == "login issues"
    assert detail.audit[-1].reason == "password reset"
    assert [e.id for e in detail.audit] == sorted(e.id for e in detail.audit)


def test_customer_message_author_falls_back_to_email(db, team, service_for):
    created = service_for(None).create_ticket(
        subject="x", customer_email="anon@example.com", body="hello"
    )
    detail = Queries(db, None).ticket(created.ticket_id)
    assert detail.messages[0].author == "anon@example.com"


def test_missing_ticket_and_customer(db, team):
    queries = Queries(db, team.anna)
    with pytest.raises(NotFound, match="#31337"):
        queries.ticket(31337)
    with pytest.raises(NotFound):
        queries.customer(31337)


def test_customer_tickets_across_two_channels(db, team, service_for, clock):
    system = service_for(None)
    by_mail = system.create_ticket(
        subject="Mail",
        customer_email="kenji@example.jp",
        customer_phone="+81 90-1234-5678",
        customer_name="Kenji",
        body="mail",
    )
    clock.advance(minutes=1)
    by_phone = system.create_ticket(
        subject="Phone", customer_phone="+819012345678", channel="phone", body="call"
    )
    clock.advance(minutes=1)
    other = system.create_ticket(subject="Other", customer_email="x@example.com", body="x")
    assert by_phone.customer_id == by_mail.customer_id != other.customer_id

    queries = Queries(db, team.anna)
    rows = queries.customer_tickets(by_mail.customer_id)
    assert [(r.id, r.channel) for r in rows] == [
        (by_phone.ticket_id, "phone"),
        (by_mail.ticket_id, "email"),
    ]
    assert {r.customer for r in rows} == {"Kenji"}
    assert {r.customer_email for r in rows} == {"kenji@example.jp"}
    assert queries.customer_tickets(by_mail.customer_id, limit=1)[0].id == by_phone.ticket_id
    # Updating the older ticket brings it to the top.
    clock.advance(minutes=1)
    service_for(team.anna).add_note(by_mail.ticket_id, "follow-up")
    assert queries.customer_tickets(by_mail.customer_id)[0].id == by_mail.ticket_id
    assert queries.customer(by_mail.customer_id).phones == ["+819012345678"]
    assert queries.customer_tickets(999_999) == []


def test_people_queries(db, team):
    queries = Queries(db, team.anna)
    agents = queries.agents()
    assert [a.display_name for a in agents] == [
        "Ada Admin",
        "Anna Ivanova",
        "Boris Sato",
        "Lena Lead",
    ]
    lena = queries.agent_by_email("LENA@desk.test")
    assert (lena.id, lena.role, lena.departments, lena.is_active) == (
        team.lead,
        "lead",
        ["Billing", "Support"],
        True,
    )
    with pytest.raises(NotFound):
        queries.agent_by_email("nobody@desk.test")
    assert [a.id for a in queries.department_members(team.support)] == [team.anna, team.lead]
    assert [a.id for a in queries.department_members(team.billing)] == [team.boris, team.lead]
    assert [(d.id, d.name) for d in queries.departments()] == [
        (team.billing, "Billing"),
        (team.support, "Support"),
    ]


def test_stats(db, team, service_for):
    system = service_for(None)
    anna = service_for(team.anna)
    empty = Queries(db, None).stats()
    assert empty["tickets_total"] == 0
    assert set(empty["tickets"].values()) == {0}
    assert (empty["messages"], empty["customers"], empty["agents"], empty["departments"]) == (
        0,
        0,
        4,
        2,
    )

    a = system.create_ticket(subject="a", customer_email="a@example.com", body="1")
    b = system.create_ticket(subject="b", customer_email="b@example.com", body="2")
    c = system.create_ticket(subject="c", customer_email="a@example.com")
    anna.reply(a.ticket_id, "answer")
    anna.add_note(b.ticket_id, "note")
    anna.set_status(b.ticket_id, "pending")
    anna.set_status(c.ticket_id, "closed")
    stats = Queries(db, None).stats()
    assert stats["tickets"] == {
        "new": 0,
        "open": 1,
        "pending": 1,
        "on_hold": 0,
        "solved": 0,
        "closed": 1,
    }
    assert stats["tickets_total"] == 3
    assert stats["messages"] == 4
    assert stats["customers"] == 2
    anna.merge_customers(b.customer_id, a.customer_id)
    assert Queries(db, None).stats()["customers"] == 1


def test_unread_follows_customer_messages_and_the_viewers_reads(db, team, clock):
    from desk_app.store import Queries, Service

    system = Service(db, None, clock)
    anna = Service(db, team.anna, clock)
    created = system.create_ticket(
        subject="Where is my parcel?", customer_email="p@example.com", body="Still waiting."
    )
    as_anna, as_boris = Queries(db, team.anna, clock), Queries(db, team.boris, clock)
    assert as_anna.rows([created.ticket_id])[0].unread
    clock.advance(minutes=1)
    anna.mark_read(created.ticket_id)
    assert not as_anna.rows([created.ticket_id])[0].unread
    assert as_boris.rows([created.ticket_id])[0].unread  # reads are per agent
    clock.advance(minutes=1)
    anna.reply(created.ticket_id, "On its way.")
    assert not as_anna.rows([created.ticket_id])[0].unread  # our own reply is not news
    clock.advance(minutes=1)
    system.add_inbound_message(created.ticket_id, "Thanks, and one more thing...")
    assert as_anna.rows([created.ticket_id])[0].unread


def test_marked_read_up_to_what_was_shown_a_later_customer_message_stays_unread(db, team, clock):
    from desk_app.core.enums import Direction
    from desk_app.store import Queries, Service

    system = Service(db, None, clock)
    anna = Service(db, team.anna, clock)
    created = system.create_ticket(
        subject="Where is my parcel?", customer_email="p@example.com", body="Still waiting."
    )
    as_anna = Queries(db, team.anna, clock)
    shown = as_anna.ticket(created.ticket_id)  # what Anna's window showed
    clock.advance(minutes=1)
    system.add_inbound_message(created.ticket_id, "Hello? Anyone?")  # after that load
    clock.advance(minutes=1)
    seen = max(m.created_at for m in shown.messages if m.direction == Direction.INBOUND)
    anna.mark_read(created.ticket_id, seen_until=seen)
    assert as_anna.rows([created.ticket_id])[0].unread  # she has not seen the second message
    anna.mark_read(
        created.ticket_id, seen_until=as_anna.ticket(created.ticket_id).messages[-1].created_at
    )
    assert not as_anna.rows([created.ticket_id])[0].unread
