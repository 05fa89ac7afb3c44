"""Routing rules in the store, on both databases: saved whole, validated, tried, applied."""

from __future__ import annotations

import pytest

from desk_app.core.enums import Priority
from desk_app.core.errors import InvalidInput
from desk_app.core.routing import AssignBy, Incoming, RoutingRule
from desk_app.store.journal import Journal
from desk_app.store.models import Ticket
from desk_app.store.routing_store import (
    FORMAT,
    apply_routing,
    export_rules,
    import_rules,
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
        assert (ticket.priority, ticket.tags) == ("high", "refund")
    reasons = {e.field: e.reason for e in audit_rows(db, ticket_id=tickets[0], action="route")}
    assert reasons["department"] == "rule 'Refunds': mentions '返金'"
    assert set(reasons) == {"department", "priority", "assignee"}


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
