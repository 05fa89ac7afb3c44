"""Bulk reassignment: many tickets move in one transaction, each with its own audit trail,
and the people who get the work hear about it once."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from desk_app.core.errors import InvalidInput, PermissionDenied
from desk_app.store import Queries
from desk_app.store.models import AuditEvent, ChangeLogEntry, Message, Ticket
from desk_app.store.notifications import NotificationStore
from tests.store.helpers import row_snapshot


def _support_tickets(system, count: int) -> list[int]:
    return [
        system.create_ticket(
            subject=f"Invoice {n}",
            customer_email=f"c{n % 25}@example.com",
            body="Where is my invoice?",
            department="Support",
        ).ticket_id
        for n in range(count)
    ]


def test_500_tickets_move_in_one_transaction_with_audit_rows(db, team, system, lena, clock):
    ids = _support_tickets(system, 500)
    with db.read() as session:
        seq_before = session.scalar(sa.select(sa.func.max(ChangeLogEntry.seq)))
    clock.advance(minutes=5)
    result = lena.assign_many(
        ids, department="Billing", reason="billing questions", note="Moved in bulk"
    )
    assert result.changed == sorted(ids) and result.unchanged == 0
    with db.read() as session:
        moved = session.scalars(sa.select(Ticket).where(Ticket.id.in_(ids))).all()
        assert {t.department_id for t in moved} == {team.billing}
        assert {t.version for t in moved} == {2}
        audit = session.execute(
            sa.select(AuditEvent.ticket_id, AuditEvent.new_value, AuditEvent.reason).where(
                AuditEvent.field == "department", AuditEvent.at == clock()
            )
        ).all()
        assert sorted(a.ticket_id for a in audit) == sorted(ids)
        assert {(a.new_value, a.reason) for a in audit} == {("Billing", "billing questions")}
        assert {a.actor_agent_id for a in session.scalars(
            sa.select(AuditEvent).where(AuditEvent.at == clock())
        )} == {team.lead}  # fmt: skip
        notes = session.scalar(
            sa.select(sa.func.count()).where(
                Message.direction == "note", Message.body_text == "Moved in bulk"
            )
        )
        assert notes == 500
        changes = session.scalars(
            sa.select(ChangeLogEntry.entity_id).where(
                ChangeLogEntry.seq > seq_before, ChangeLogEntry.entity == "ticket"
            )
        ).all()
        assert set(changes) == set(ids)
        # All written by one transaction: one commit, one transaction time for every row.
        assert {e.at for e in session.scalars(
            sa.select(ChangeLogEntry).where(ChangeLogEntry.seq > seq_before)
        )} == {clock()}  # fmt: skip
    # Boris (Billing) hears once about the lot, not 500 times.
    notices = NotificationStore(db).unread(team.boris)
    assert [n.text for n in notices] == [
        "500 tickets were assigned to your department by Lena Lead: billing questions"
    ]


def test_one_refused_ticket_moves_none(db, team, system, service_for):
    support = _support_tickets(system, 3)
    billing = system.create_ticket(
        subject="Other", customer_email="o@example.com", body="?", department="Billing"
    ).ticket_id
    anna = service_for(team.anna)
    before = row_snapshot(db)
    with pytest.raises(PermissionDenied, match="Billing"):
        anna.assign_many([*support, billing], agent="anna@desk.test")
    assert row_snapshot(db) == before


def test_bulk_move_to_an_agent_notifies_them_and_opens_the_tickets(db, team, system, lena, clock):
    ids = _support_tickets(system, 3)
    result = lena.assign_many(ids, agent="anna@desk.test")
    assert len(result.changed) == 3
    assert {Queries(db, None).ticket(i).status for i in ids} == {"open"}
    texts = [n.text for n in NotificationStore(db).unread(team.anna)]
    assert texts == ["3 tickets were assigned to you by Lena Lead"]
    # Moving them again to the same place changes nothing and tells nobody.
    again = lena.assign_many(ids, agent="anna@desk.test")
    assert again.changed == [] and again.unchanged == 3
    assert len(NotificationStore(db).unread(team.anna)) == 1


def test_single_assignment_notifies_the_new_assignee_not_the_actor(db, team, system, lena):
    (ticket_id,) = _support_tickets(system, 1)
    lena.assign(ticket_id, agent="anna@desk.test", reason="she knows them")
    notices = NotificationStore(db).unread(team.anna)
    assert [(n.kind, n.ticket_id) for n in notices] == [("assigned", ticket_id)]
    assert notices[0].text == (
        f"#{ticket_id} Invoice 0 was assigned to you by Lena Lead: she knows them"
    )
    lena.assign(ticket_id, agent="lena@desk.test")
    assert NotificationStore(db).unread(team.lead) == []
    NotificationStore(db).mark_read(team.anna, [notices[0].id])
    assert NotificationStore(db).unread(team.anna) == []


def test_bulk_needs_a_target_and_tickets(lena):
    with pytest.raises(InvalidInput, match="which department or agent"):
        lena.assign_many([1, 2])
    with pytest.raises(InvalidInput, match="no tickets"):
        lena.assign_many([], department="Billing")


def test_a_single_move_and_its_note_land_together_or_not_at_all(db, team, system, lena):
    (ticket_id,) = _support_tickets(system, 1)
    lena.assign(ticket_id, department="Billing", reason="invoice", note="Customer asked twice")
    detail = Queries(db, None).ticket(ticket_id)
    assert detail.department_id == team.billing and detail.version == 2
    assert [m.body_text for m in detail.messages if m.direction == "note"] == [
        "Customer asked twice"
    ]
    before = row_snapshot(db)
    with pytest.raises(InvalidInput, match="a reason is required"):
        lena.assign(ticket_id, department="Support", note="this note must not stay")
    assert row_snapshot(db) == before
