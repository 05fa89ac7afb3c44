"""Escalation on SLA breach, carried out through the service layer, on both databases."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from desk_app.core.errors import InvalidInput
from desk_app.store import Database, Queries, Service
from desk_app.store.escalations import (
    NOTICE_ENTITY,
    EscalationCommands,
    overdue_targets,
)
from desk_app.store.models import AuditEvent, SlaEscalation
from desk_app.store.sla_store import export_rules, import_rules
from desk_app.store.sla_watch import lead_notices, tickets_to_watch


def rules_with(escalation: dict[str, Any] | None) -> dict[str, Any]:
    policy: dict[str, Any] = {
        "name": "Standard",
        "calendar": "24/7",
        "targets": [
            {"kind": "first_response", "minutes": 60, "business_hours": False},
            {"kind": "next_response", "minutes": 120, "business_hours": False},
            {"kind": "resolution", "minutes": 600, "business_hours": False},
        ],
    }
    if escalation is not None:
        policy["escalation"] = escalation
    return {
        "calendars": [{"name": "24/7", "timezone": "UTC", "hours": {"mon-sun": "00:00-24:00"}}],
        "policies": [policy],
    }


EVERYTHING = {"raise_priority": "one_step", "notify_leads": True, "move_to": "Billing"}


def new_ticket(db, clock, department: str = "Support", priority: str = "normal") -> int:
    result = Service(db, None, clock).create_ticket(
        subject="Printer on fire",
        customer_email="carol@example.com",
        body="Please help",
        department=department,
        priority=priority,
    )
    assert result.ticket_id is not None
    return result.ticket_id


def escalate_all(db, clock) -> list:
    commands = EscalationCommands(db, clock)
    done = [commands.escalate(target) for target in overdue_targets(db, clock())]
    return [d for d in done if d is not None]


def audit(db, ticket_id: int) -> list[AuditEvent]:
    with db.read() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.ticket_id == ticket_id).order_by(AuditEvent.id)
            )
        )


def test_a_breach_raises_moves_and_notifies_in_one_go(db, team, clock):
    import_rules(db, rules_with(EVERYTHING), team.admin, clock)
    ticket_id = new_ticket(db, clock)
    clock.advance(minutes=59)
    assert overdue_targets(db, clock()) == []
    clock.advance(minutes=2)
    [target] = overdue_targets(db, clock())
    assert (target.ticket_id, target.kind.value) == (ticket_id, "first_response")

    [done] = escalate_all(db, clock)
    assert done.actions["priority"] == ["normal", "high"]
    assert done.actions["department"] == ["Support", "Billing"]
    assert done.actions["notified"] == ["Lena Lead"]

    detail = Queries(db, None, clock).ticket(ticket_id)
    assert (detail.priority, detail.department) == ("high", "Billing")
    changes = {
        event.field: event
        for event in audit(db, ticket_id)
        if event.entity == "ticket" and event.field
    }
    for field in ("priority", "department", "escalation"):
        assert changes[field].reason == "SLA breach: first response"
        assert changes[field].actor_agent_id is None  # the system did it
    assert changes["escalation"].new_value == "leads notified: Lena Lead"
    with db.read() as session:
        row = session.scalars(select(SlaEscalation)).one()
    assert json.loads(row.actions)["priority"] == ["normal", "high"]
    assert row.due_at == target.due_at


def test_escalation_happens_once_per_breach(db, team, clock):
    import_rules(db, rules_with({"raise_priority": "one_step"}), team.admin, clock)
    ticket_id = new_ticket(db, clock)
    clock.advance(minutes=61)
    assert len(escalate_all(db, clock)) == 1
    clock.advance(minutes=5)
    assert overdue_targets(db, clock()) == []
    assert escalate_all(db, clock) == []
    assert Queries(db, None, clock).ticket(ticket_id).priority == "high"


def test_a_stale_target_is_not_escalated_twice_even_when_handed_over_again(db, team, clock):
    import_rules(db, rules_with({"raise_priority": "one_step"}), team.admin, clock)
    ticket_id = new_ticket(db, clock)
    clock.advance(minutes=61)
    [target] = overdue_targets(db, clock())
    commands = EscalationCommands(db, clock)
    assert commands.escalate(target) is not None
    assert commands.escalate(target) is None  # e.g. a second worker that read it earlier
    assert Queries(db, None, clock).ticket(ticket_id).priority == "high"


@pytest.mark.parametrize(
    ("escalation", "priority", "department", "notified"),
    [
        ({"raise_priority": "one_step"}, "high", "Support", None),
        ({"raise_priority": "urgent"}, "urgent", "Support", None),
        ({"move_to": "Billing"}, "normal", "Billing", None),
        ({"notify_leads": True}, "normal", "Support", ["Lena Lead"]),
    ],
)
def test_each_action_alone(db, team, clock, escalation, priority, department, notified):
    import_rules(db, rules_with(escalation), team.admin, clock)
    ticket_id = new_ticket(db, clock)
    clock.advance(minutes=61)
    [done] = escalate_all(db, clock)
    detail = Queries(db, None, clock).ticket(ticket_id)
    assert (detail.priority, detail.department) == (priority, department)
    assert done.actions.get("notified") == notified


def test_priority_is_never_lowered(db, team, clock):
    import_rules(db, rules_with({"raise_priority": "high"}), team.admin, clock)
    ticket_id = new_ticket(db, clock, priority="urgent")
    clock.advance(minutes=61)
    [done] = escalate_all(db, clock)
    assert "priority" not in done.actions
    assert Queries(db, None, clock).ticket(ticket_id).priority == "urgent"


def test_moving_clears_an_assignee_who_is_not_in_the_new_department(db, team, clock):
    import_rules(db, rules_with({"move_to": "Billing"}), team.admin, clock)
    ticket_id = new_ticket(db, clock)
    Service(db, team.lead, clock).assign(ticket_id, agent=team.anna)
    clock.advance(minutes=61)
    escalate_all(db, clock)
    detail = Queries(db, None, clock).ticket(ticket_id)
    assert (detail.department, detail.assignee) == ("Billing", None)


def test_a_target_met_in_time_or_a_solved_ticket_is_not_escalated(db, team, clock):
    import_rules(db, rules_with(EVERYTHING), team.admin, clock)
    answered = new_ticket(db, clock)
    solved = new_ticket(db, clock)
    clock.advance(minutes=30)
    Service(db, team.anna, clock).reply(answered, "On it")
    Service(db, team.anna, clock).set_status(solved, "solved")
    clock.advance(minutes=40)
    assert escalate_all(db, clock) == []


def test_a_new_next_response_clock_escalates_again(db, team, clock):
    import_rules(db, rules_with({"notify_leads": True}), team.admin, clock)
    ticket_id = new_ticket(db, clock)
    clock.advance(minutes=61)
    assert [d.kind.value for d in escalate_all(db, clock)] == ["first_response"]
    Service(db, team.anna, clock).reply(ticket_id, "Looking")
    Service(db, None, clock).add_inbound_message(ticket_id, "Still broken")
    clock.advance(minutes=121)
    assert [d.kind.value for d in escalate_all(db, clock)] == ["next_response"]


def test_breach_of_limits_which_targets_escalate(db, team, clock):
    import_rules(
        db,
        rules_with({"breach_of": ["resolution"], "notify_leads": True}),
        team.admin,
        clock,
    )
    new_ticket(db, clock)
    clock.advance(minutes=61)
    assert escalate_all(db, clock) == []
    clock.advance(minutes=600)
    assert [d.kind.value for d in escalate_all(db, clock)] == ["resolution"]


def test_without_leads_the_trail_says_so(db, team, clock):
    Service(db, None, clock).add_department("Night shift")
    import_rules(db, rules_with({"notify_leads": True}), team.admin, clock)
    ticket_id = new_ticket(db, clock, department="Night shift")
    clock.advance(minutes=61)
    [done] = escalate_all(db, clock)
    assert done.actions["notified"] == []
    trail = [e for e in audit(db, ticket_id) if e.field == "escalation"]
    assert trail[0].new_value == "no lead to notify"


def test_leads_read_their_notices(db, team, clock):
    import_rules(db, rules_with({"notify_leads": True}), team.admin, clock)
    ticket_id = new_ticket(db, clock)
    since = clock() - timedelta(days=1)
    clock.advance(minutes=61)
    escalate_all(db, clock)
    [notice] = lead_notices(db, team.lead, 0, since)
    assert (notice.ticket_id, notice.subject) == (ticket_id, "Printer on fire")
    assert notice.reason == "SLA breach: first response"
    assert lead_notices(db, team.lead, notice.id, since) == []
    assert lead_notices(db, team.anna, 0, since) == []  # not a lead
    with db.read() as session:
        kinds = set(session.scalars(select(AuditEvent.entity).where(AuditEvent.id == notice.id)))
    assert kinds == {NOTICE_ENTITY}


def test_escalation_survives_export_and_import(db, team, clock):
    import_rules(db, rules_with(EVERYTHING), team.admin, clock)
    exported = export_rules(db)
    assert exported["policies"][0]["escalation"] == {
        "breach_of": [],
        "raise_priority": "one_step",
        "notify_leads": True,
        "move_to": "Billing",
    }
    import_rules(db, exported, team.admin, clock)
    assert export_rules(db) == exported


def test_import_refuses_an_unknown_escalation_department(db, team, clock):
    with pytest.raises(InvalidInput, match="'Nowhere', which does not exist"):
        import_rules(db, rules_with({"move_to": "Nowhere"}), team.admin, clock)


def test_the_overdue_query_reads_the_due_time_index(sqlite_database_url, clock):
    """SQLite's plan of the statement as it really runs (bound parameters and all) starts from
    the partial index on sla_due_at and probes escalations by their unique key. SQLite uses a
    partial index only when it can prove the query implies the index's condition."""
    db = Database(sqlite_database_url)
    import_rules(db, rules_with({"breach_of": ["resolution"], "notify_leads": True}), None, clock)
    captured: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if "sla_escalations" in statement:
            captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        overdue_targets(db, clock())
        statement, parameters = captured[0]
        with db.engine.connect() as connection:
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plan = " ".join(str(row[-1]) for row in rows)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
        db.dispose()
    assert "ix_tickets_unsolved_sla_due" in plan
    assert "sla_escalations" in plan and "SCAN sla_escalations" not in plan


def test_the_watch_query_returns_tickets_once_their_warning_window_begins(db, team, clock):
    """The window's arithmetic runs in SQL, differently on each database: both must agree with
    core.countdown (amber at 25% of the target or 30 minutes left, whichever comes first)."""
    rules = rules_with(None)
    rules["policies"][0]["targets"] = [
        {"kind": "resolution", "minutes": 600, "business_hours": False}
    ]
    rules["policies"].insert(
        0,
        {
            "name": "Fast",
            "priorities": ["high"],
            "calendar": "24/7",
            "targets": [{"kind": "first_response", "minutes": 60, "business_hours": False}],
        },
    )
    import_rules(db, rules, team.admin, clock)
    long_one = new_ticket(db, clock)  # warning 150 minutes before its 600-minute due time
    short_one = new_ticket(db, clock, priority="high")  # warning 30 minutes before 60
    Service(db, team.lead, clock).assign(long_one, agent=team.anna)
    start = clock()

    def watched(minutes: float) -> set[int]:
        now = start + timedelta(minutes=minutes)
        found = tickets_to_watch(
            db,
            team.anna,
            now - timedelta(hours=2),
            now + timedelta(days=3),
            now - timedelta(minutes=10),
            now,
        )
        return {ticket.id for ticket in found}

    assert watched(29) == set()
    assert watched(30.5) == {short_one}  # unassigned in Anna's department counts too
    assert watched(39.5) == {short_one}
    assert watched(41) == set()  # amber for over 10 minutes: not news until it breaches
    assert watched(61) == {short_one}  # breached lately
    assert watched(449) == set()  # the short one breached over two hours before: not news
    assert watched(451) == {long_one}
    assert watched(470) == set()  # amber for 20 minutes already, due in over two hours
    later = start + timedelta(days=1)
    assert tickets_to_watch(db, team.boris, start, later, start, later) == []  # Billing only
