"""Assigning tickets to departments and agents, on both databases."""

from __future__ import annotations

import pytest

from desk_app.core.errors import InvalidInput, NotFound
from desk_app.store import Queries, Service
from tests.store.helpers import audit_rows, change_rows, row_snapshot


@pytest.fixture
def ticket_id(system) -> int:
    return system.create_ticket(
        subject="Card declined", customer_email="c@example.com", body="My card was declined"
    ).ticket_id


def _detail(db, ticket_id):
    return Queries(db, None).ticket(ticket_id)


def test_assign_department_and_agent_with_reason(db, team, lena, ticket_id, clock):
    clock.advance(minutes=5)
    result = lena.assign(
        ticket_id,
        department="Billing",
        agent="Boris@Desk.test",
        reason="payments",
        expected_version=1,
    )
    detail = _detail(db, ticket_id)
    assert (detail.department_id, detail.assignee_id) == (team.billing, team.boris)
    assert (detail.department, detail.assignee) == ("Billing", "Boris Sato")
    assert detail.status == "open"  # someone owns it now
    assert detail.version == result.version == 2
    assert detail.updated_at == clock()
    events = [e for e in audit_rows(db, ticket_id=ticket_id) if e.at == clock()]
    assert [(e.field, e.old_value, e.new_value) for e in events] == [
        ("department", None, "Billing"),
        ("assignee", None, "Boris Sato"),
        ("status", "new", "open"),
    ]
    assert all(e.actor_agent_id == team.lead for e in events)
    assert all(e.ticket_version == 2 for e in events)
    assert [e.reason for e in events[:2]] == ["payments", "payments"]
    assert change_rows(db)[-1].entity == "ticket"
    assert change_rows(db)[-1].actor_agent_id == team.lead


def test_assign_by_ids(db, team, lena, ticket_id):
    lena.assign(ticket_id, department=team.support, agent=team.anna)
    detail = _detail(db, ticket_id)
    assert (detail.department_id, detail.assignee_id) == (team.support, team.anna)


def test_assign_department_only_keeps_new_status(db, team, lena, ticket_id):
    lena.assign(ticket_id, department="Support")
    detail = _detail(db, ticket_id)
    assert (detail.department_id, detail.assignee_id, detail.status) == (team.support, None, "new")


def test_moving_department_clears_an_assignee_who_is_not_a_member(db, team, lena, ticket_id):
    lena.assign(ticket_id, department="Support", agent="anna@desk.test")
    lena.assign(ticket_id, department="Billing", reason="wrong queue")
    detail = _detail(db, ticket_id)
    assert (detail.department_id, detail.assignee_id) == (team.billing, None)
    last = [e for e in detail.audit if e.ticket_version == detail.version]
    assert [(e.field, e.old_value, e.new_value) for e in last] == [
        ("department", "Support", "Billing"),
        ("assignee", "Anna Ivanova", None),
    ]


def test_moving_department_keeps_an_assignee_who_is_a_member(db, team, lena, ticket_id):
    lena.assign(ticket_id, department="Support", agent="lena@desk.test")
    lena.assign(ticket_id, department="Billing", reason="billing question")
    detail = _detail(db, ticket_id)
    assert (detail.department_id, detail.assignee_id) == (team.billing, team.lead)


def test_agent_only_follows_the_agent_into_their_single_department(db, team, lena, ticket_id):
    lena.assign(ticket_id, department="Support")
    lena.assign(ticket_id, agent="boris@desk.test", reason="Boris knows this customer")
    detail = _detail(db, ticket_id)
    assert (detail.department_id, detail.assignee_id) == (team.billing, team.boris)


def test_agent_not_in_given_department_is_refused(db, team, lena, ticket_id):
    before = row_snapshot(db)
    with pytest.raises(InvalidInput, match="not a member"):
        lena.assign(ticket_id, department="Support", agent="boris@desk.test")
    assert row_snapshot(db) == before


def test_agent_only_with_ambiguous_departments_is_refused(db, team, service_for, ticket_id):
    system = service_for(None)
    system.add_department("Technical")
    tech = service_for(team.lead)
    tech.assign(ticket_id, department="Technical")
    before = row_snapshot(db)
    with pytest.raises(InvalidInput, match="choose a department"):
        tech.assign(ticket_id, agent="lena@desk.test")  # Lena is in Support and Billing
    assert row_snapshot(db) == before


def test_unassign(db, team, lena, ticket_id):
    lena.assign(ticket_id, department="Support", agent="anna@desk.test")
    lena.assign(ticket_id, unassign=True, reason="on leave")
    detail = _detail(db, ticket_id)
    assert (detail.department_id, detail.assignee_id) == (team.support, None)
    event = detail.audit[-1]
    assert (event.field, event.old_value, event.new_value, event.reason) == (
        "assignee",
        "Anna Ivanova",
        None,
        "on leave",
    )


def test_assign_without_target_is_refused(db, team, lena, ticket_id):
    with pytest.raises(InvalidInput):
        lena.assign(ticket_id)


def test_assign_to_same_assignment_changes_no_field(db, team, lena, ticket_id):
    lena.assign(ticket_id, department="Support", agent="anna@desk.test")
    events_before = len(audit_rows(db, ticket_id=ticket_id))
    lena.assign(ticket_id, department="Support", agent="anna@desk.test")
    assert len(audit_rows(db, ticket_id=ticket_id)) == events_before


@pytest.mark.parametrize(
    "kwargs",
    [
        {"agent": "ghost@desk.test"},
        {"agent": 9999},
        {"department": "Nowhere"},
        {"department": 9999},
        {"department": "Support", "agent": "ghost@desk.test"},
    ],
)
def test_assign_to_missing_agent_or_department_changes_nothing(db, team, lena, ticket_id, kwargs):
    before = row_snapshot(db)
    with pytest.raises(NotFound):
        lena.assign(ticket_id, **kwargs)
    assert row_snapshot(db) == before
    assert _detail(db, ticket_id).version == 1


def test_assign_missing_ticket(db, team, lena):
    with pytest.raises(NotFound, match="#5555"):
        lena.assign(5555, department="Support")


def test_assign_to_inactive_agent_is_refused(db, team, lena, ticket_id):
    import sqlalchemy as sa

    with db.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE agents SET is_active = :no WHERE id = :id"),
            {"no": False, "id": team.boris},
        )
    before = row_snapshot(db)
    with pytest.raises(InvalidInput, match="no longer active"):
        lena.assign(ticket_id, department="Billing", agent=team.boris)
    assert row_snapshot(db) == before


def test_assign_does_not_reopen_or_touch_other_tickets(db, team, system, lena, ticket_id):
    other = system.create_ticket(subject="Other", customer_email="o@example.com", body="x")
    lena.assign(ticket_id, department="Support", agent=team.anna)
    other_detail = _detail(db, other.ticket_id)
    assert (other_detail.version, other_detail.assignee_id) == (1, None)


def test_system_actor_assignments_are_audited_without_an_actor(db, team, ticket_id):
    Service(db, None).assign(ticket_id, department="Support")
    event = audit_rows(db, ticket_id=ticket_id)[-1]
    assert event.actor_agent_id is None
    assert _detail(db, ticket_id).audit[-1].actor is None
