"""Routing rules in the store, on both databases: saved whole, validated, tried, applied."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from desk_app.core.enums import Priority
from desk_app.core.errors import ConflictError, InvalidInput
from desk_app.core.routing import AssignBy, Incoming, RoutingRule
from desk_app.store.journal import Journal
from desk_app.store.models import Agent, Ticket
from desk_app.store.notifications import NotificationStore
from desk_app.store.routing_store import (
    FORMAT,
    apply_routing,
    export_rules,
    import_rules,
    load_rules,
    load_snapshot,
    save_rules,
    try_rules,
)
from tests.store.helpers import audit_rows

RULES = [
    RoutingRule(
        "Refunds",
        keywords=("返金", "возврат", "refund"),
        department="Billing",
        priority=Priority.HIGH,
        tags=("refund",),
        assign_by=AssignBy.ROUND_ROBIN,
    ),
    RoutingRule("Everything else", department="Support"),
]


def _route(db, clock, ticket_id: int, incoming: Incoming, on_duty=None):
    with db.write() as session:
        ticket = session.get_one(Ticket, ticket_id)
        journal = Journal(session, None, clock())
        routed = apply_routing(session, journal, ticket, incoming, on_duty)
        journal.finish()
        return routed


def _new(system, subject: str) -> int:
    return system.create_ticket(
        subject=subject, customer_email=f"{abs(hash(subject))}@example.com", body=subject
    ).ticket_id


def test_rules_round_trip_and_import_validates_everything_first(db, team, clock):
    assert save_rules(db, RULES, team.lead, clock) == 2
    document = export_rules(db)
    assert document["format"] == FORMAT
    assert [r["name"] for r in document["rules"]] == ["Refunds", "Everything else"]
    bad = {
        "format": FORMAT,
        "rules": [RULES[1].to_dict(), {**RULES[0].to_dict(), "department": "Nope"}],
    }
    with pytest.raises(InvalidInput, match="department 'Nope' does not exist"):
        import_rules(db, bad, team.lead, clock)
    assert export_rules(db) == document  # nothing changed
    with pytest.raises(InvalidInput, match="unique"):
        import_rules(db, {"format": FORMAT, "rules": [RULES[1].to_dict()] * 2}, team.lead, clock)
    assert import_rules(db, document, team.lead, clock) == 2


def test_the_tester_says_which_rule_and_why(db, team, clock):
    save_rules(db, RULES, team.lead, clock)
    decision = try_rules(db, Incoming(subject="Хочу возврат денег"))
    assert decision.describe() == "rule 'Refunds': mentions 'возврат'"
    assert try_rules(db, Incoming(subject="Hello")).rule.name == "Everything else"


def test_applying_sets_department_priority_tags_and_a_fair_assignee(db, team, system, clock):
    save_rules(db, RULES, team.lead, clock)
    # Billing's members: Boris and the lead.
    tickets = [_new(system, f"返金 {n}") for n in range(4)]
    routed = [_route(db, clock, t, Incoming(subject=f"返金 {n}")) for n, t in enumerate(tickets)]
    assert {r.rule for r in routed} == {"Refunds"}
    assert {r.department_id for r in routed} == {team.billing}
    assignees = [r.assignee_id for r in routed]
    assert sorted(assignees) == sorted([team.boris, team.lead] * 2)
    assert assignees[0] != assignees[1] and assignees[1] != assignees[2]
    with db.read() as session:
        ticket = session.get_one(Ticket, tickets[0])
        assert (ticket.priority, ticket.tags, ticket.status) == ("high", "refund", "open")
    reasons = {e.field: e.reason for e in audit_rows(db, ticket_id=tickets[0], action="route")}
    assert reasons["department"] == "rule 'Refunds': mentions '返金'"
    assert set(reasons) == {"routing_rule", "department", "priority", "tags", "assignee", "status"}
    # The chosen agent hears about it (the lead and Boris each got two).
    notices = NotificationStore(db).unread(team.boris)
    assert len(notices) == 2 and all("by rule 'Refunds'" in n.text for n in notices)


def test_only_agents_on_duty_are_chosen_and_nobody_means_unassigned(db, team, system, clock):
    save_rules(db, RULES, team.lead, clock)
    first = _new(system, "refund please")
    assert _route(db, clock, first, Incoming(body="refund"), on_duty=[team.boris]).assignee_id == (
        team.boris
    )
    second = _new(system, "another refund")
    routed = _route(db, clock, second, Incoming(body="refund"), on_duty=[])
    assert routed.assignee_id is None and routed.department_id == team.billing


def test_least_loaded_goes_to_the_emptier_queue(db, team, system, lena, clock):
    rule = RoutingRule(
        "Billing", keywords=("invoice",), department="Billing", assign_by=AssignBy.LEAST_LOADED
    )
    save_rules(db, [rule], team.lead, clock)
    for n in range(2):
        lena.assign(_new(system, f"busy {n}"), department="Billing", agent=team.boris)
    ticket = _new(system, "invoice")
    assert _route(db, clock, ticket, Incoming(subject="invoice")).assignee_id == team.lead


def test_a_save_based_on_an_old_version_is_refused_naming_who_changed_it(db, team, clock):
    first = load_snapshot(db)
    assert (first.version, first.rules, first.changed_by) == (0, [], None)
    save_rules(db, RULES, team.lead, clock, expected_version=first.version)
    now = load_snapshot(db)
    assert (now.version, now.changed_by, now.changed_at) == (1, "Lena Lead", clock())
    assert [r.name for r in now.rules] == ["Refunds", "Everything else"]
    # A second editor still holding version 0 tries to save: nothing is overwritten.
    with pytest.raises(ConflictError, match=r"changed by Lena Lead at 2026-11-23 09:00 UTC"):
        save_rules(db, RULES[1:], team.admin, clock, expected_version=first.version)
    assert [r.name for r in load_snapshot(db).rules] == ["Refunds", "Everything else"]
    save_rules(db, RULES[1:], team.admin, clock, expected_version=1)
    assert (load_snapshot(db).version, load_snapshot(db).changed_by) == (2, "Ada Admin")


def test_the_rule_that_fired_is_recorded_even_when_it_changes_nothing(db, team, system, clock):
    save_rules(db, [RoutingRule("Support stays", department="Support")], team.lead, clock)
    ticket = system.create_ticket(
        subject="Hi", customer_email="x@example.com", body="hi", department="Support"
    ).ticket_id
    assert _route(db, clock, ticket, Incoming(subject="Hi")).rule == "Support stays"
    events = audit_rows(db, ticket_id=ticket, action="route")
    assert [(e.field, e.new_value, e.reason) for e in events] == [
        ("routing_rule", "Support stays", "rule 'Support stays': it matches everything")
    ]


def test_unavailable_agents_are_skipped_when_duty_is_asked(db, team, system, clock):
    save_rules(db, RULES, team.lead, clock)
    with db.write() as session:
        session.execute(sa.update(Agent).where(Agent.id == team.boris).values(available=False))
    tickets = [_new(system, f"refund {n}") for n in range(3)]
    routed = [_route(db, clock, t, Incoming(body="refund")) for t in tickets]
    assert [r.assignee_id for r in routed] == [team.lead] * 3


def test_parsed_rules_are_reused_until_the_stored_text_changes(db, team, clock):
    save_rules(db, RULES, team.lead, clock)
    with db.read() as session:
        first, again = load_rules(session), load_rules(session)
    assert first[0] is again[0]
    save_rules(db, [RULES[1]], team.lead, clock)
    with db.read() as session:
        assert [r.name for r in load_rules(session)] == ["Everything else"]
