"""SLA history is a fact: a breach stays recorded through moves, priority changes and rules
imports, with its policy and due time, and is met (never erased) when the agent answers. On
both databases."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from desk_app.core.views import View, ViewKind
from desk_app.store import Database, Queries, Service
from desk_app.store.escalations import EscalationCommands, overdue_targets
from desk_app.store.models import SlaEscalation
from desk_app.store.sla_store import compliance_report, explain, import_rules, recompute_all
from tests.conftest import FakeClock, Team

MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # London is on UTC in November


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def first_response(minutes: int) -> dict[str, Any]:
    return {"kind": "first_response", "minutes": minutes, "business_hours": True}


RULES: dict[str, Any] = {
    "calendars": [
        {"name": "London", "timezone": "Europe/London", "hours": {"mon-fri": "09:00-17:00"}}
    ],
    "policies": [
        {
            "name": "Low",
            "priorities": ["low"],
            "calendar": "London",
            "targets": [first_response(720)],
        },
        {
            "name": "Support",
            "departments": ["Support"],
            "calendar": "London",
            "targets": [
                first_response(120),
                {"kind": "resolution", "minutes": 2400, "business_hours": True},
            ],
        },
        {
            "name": "Billing",
            "departments": ["Billing"],
            "calendar": "London",
            "targets": [first_response(720)],
        },
        {
            "name": "Technical",
            "departments": ["Technical"],
            "calendar": "London",
            "targets": [first_response(240)],
        },
    ],
}


@pytest.fixture
def rules(db: Database, team: Team, clock: FakeClock) -> None:
    Service(db, team.admin, clock).add_department("Technical")
    import_rules(db, RULES, team.admin, clock)


def new_ticket(db: Database, clock: FakeClock, subject: str, email: str, department: str) -> int:
    created = Service(db, None, clock).create_ticket(
        subject=subject, customer_email=email, body="Hello?", department=department
    )
    assert created.ticket_id is not None
    return created.ticket_id


def breached_in_support(db: Database, clock: FakeClock) -> int:
    """A ticket opened in Support on Monday 09:00 (first response due 11:00), unanswered at
    13:30: breached two and a half hours ago."""
    clock.now = MONDAY_9
    ticket_id = new_ticket(db, clock, "Where is my order?", "carol@example.com", "Support")
    clock.now = at(23, 13, 30)
    return ticket_id


def snapshot(db: Database, clock: FakeClock, ticket_id: int) -> dict[str, Any]:
    """Everything a lead reads about the breach: the report, the Breached view and its count,
    `desk sla show`'s breaches, and what the ticket header shows for the first response."""
    queries = Queries(db, None, clock)
    breached = View(ViewKind.BREACHED)
    detail = queries.ticket(ticket_id)
    first = next(t for t in detail.sla_targets if t.kind == "first_response")
    shown = explain(db, ticket_id, clock)
    return {
        "report": compliance_report(db, at(1, 0), at(30, 0), clock),
        "breached_view": [row.id for row in queries.view_page(breached)],
        "breached_count": queries.view_count(breached),
        "sla_show_breaches": [(b["kind"], b["at"], b.get("policy")) for b in shown["breaches"]],
        # The header counts down to due_at while the target runs, into the negative once past.
        "header": (first.state in ("running", "breached") and first.met_at is None, first.due_at),
    }


EXPECTED_BREACH = ("first_response", at(23, 11).isoformat(), "Support")


def assert_breach_kept(before: dict[str, Any], after: dict[str, Any], ticket_id: int) -> None:
    assert after == before
    assert before["breached_view"] == [ticket_id] and before["breached_count"] == 1
    assert before["sla_show_breaches"] == [EXPECTED_BREACH]
    assert before["header"] == (True, at(23, 11))
    assert before["report"]["department"]["Support"]["first_response"]["breached"] == 1


def lead(db: Database, team: Team, clock: FakeClock) -> Service:
    return Service(db, team.lead, clock)


def escalation_moves_it(db: Database, team: Team, clock: FakeClock, ticket_id: int) -> None:
    """The worker's escalation moving the ticket to Billing: the one system move of an
    existing ticket (routing rules act only inside the transaction that creates a ticket)."""
    rules = copy.deepcopy(RULES)
    rules["policies"][1]["escalation"] = {"move_to": "Billing"}
    import_rules(db, rules, team.admin, clock)
    [target] = overdue_targets(db, clock())
    done = EscalationCommands(db, clock).escalate(target)
    assert done is not None and done.actions["department"] == ["Support", "Billing"]
    assert overdue_targets(db, clock()) == []  # moved, not escalated again


MOVES: dict[str, Callable[[Database, Team, FakeClock, int], object]] = {
    # The reassignment dialog (one ticket) and a drop on a department both call Service.assign
    # (ui/reassign_dialog.py ReassignDialog._submit's work(), ui/reassign.py
    # Reassigner.move_to_department's work()); several tickets go through assign_many.
    "assign": lambda db, team, clock, t: lead(db, team, clock).assign(
        t, department="Billing", reason="billing question"
    ),
    "assign_many": lambda db, team, clock, t: lead(db, team, clock).assign_many(
        [t], department="Billing", reason="billing question"
    ),
    "assign_to_stricter_policy": lambda db, team, clock, t: Service(db, team.admin, clock).assign(
        t, department="Technical", reason="technical"
    ),
    "department_without_policy": lambda db, team, clock, t: Service(db, team.admin, clock).assign(
        t, department="Nowhere", reason="elsewhere"
    ),
    "priority": lambda db, team, clock, t: lead(db, team, clock).set_priority(t, "low"),
    "escalation_move_to": escalation_moves_it,
}


@pytest.mark.parametrize("move", sorted(MOVES))
def test_moving_a_breached_ticket_keeps_its_breach(
    db: Database, team: Team, clock: FakeClock, rules: None, move: str
) -> None:
    if move == "department_without_policy":
        Service(db, team.admin, clock).add_department("Nowhere")  # no policy matches it
    ticket_id = breached_in_support(db, clock)
    before = snapshot(db, clock, ticket_id)
    MOVES[move](db, team, clock, ticket_id)
    after = snapshot(db, clock, ticket_id)
    if move == "assign_to_stricter_policy":
        # Technical's four hours, from the same start, were missed too: a second breach is
        # recorded and shown, the earlier one still sets the header, the target counts once.
        extra = ("first_response", at(23, 13).isoformat(), "Technical")
        assert after["sla_show_breaches"] == [EXPECTED_BREACH, extra]
        shown = explain(db, ticket_id, clock)["targets"][0]
        assert (shown["due_at"], shown["policy_due_at"]) == (
            at(23, 11).isoformat(),  # the earliest missed due time shows...
            at(23, 13).isoformat(),  # ...and Technical's own is there to read
        )
        after["sla_show_breaches"] = before["sla_show_breaches"]
    assert_breach_kept(before, after, ticket_id)


def test_a_breach_first_noticed_by_the_move_stays_with_the_department_that_missed_it(
    db: Database, team: Team, clock: FakeClock
) -> None:
    """One policy for every department: nothing recomputed the ticket since its due time, so
    the move is what records the breach, and it is Support's."""
    everyone = copy.deepcopy(RULES["policies"][1])
    everyone.update(name="Everyone", departments=[])
    import_rules(db, {"calendars": RULES["calendars"], "policies": [everyone]}, team.admin, clock)
    ticket_id = breached_in_support(db, clock)
    before = compliance_report(db, at(1, 0), at(30, 0), clock)
    lead(db, team, clock).assign(ticket_id, department="Billing", reason="billing question")
    assert compliance_report(db, at(1, 0), at(30, 0), clock) == before
    assert before["department"]["Support"]["first_response"]["breached"] == 1


def test_importing_other_rules_keeps_the_breach(
    db: Database, team: Team, clock: FakeClock, rules: None
) -> None:
    ticket_id = breached_in_support(db, clock)
    before = snapshot(db, clock, ticket_id)
    relaxed = copy.deepcopy(RULES)
    relaxed["policies"][1]["targets"][0]["minutes"] = 960  # Support: two days now
    result = import_rules(db, relaxed, team.admin, clock)
    assert result["tickets_recomputed"] == 1
    assert_breach_kept(before, snapshot(db, clock, ticket_id), ticket_id)
    # Support renamed away altogether: the ticket's new policy never breached, its old one did.
    renamed = copy.deepcopy(relaxed)
    renamed["policies"][1]["name"] = "Support desk"
    import_rules(db, renamed, team.admin, clock)
    after = snapshot(db, clock, ticket_id)
    assert explain(db, ticket_id, clock)["policy"] == "Support desk"
    assert_breach_kept(before, after, ticket_id)


def test_a_breach_found_by_the_rules_import_itself_is_recorded_under_the_old_policy(
    db: Database, team: Team, clock: FakeClock, rules: None
) -> None:
    """The ticket went past due with nothing recomputing it; the import that gives it a longer
    target must record the breach the stored target shows before replacing it."""
    ticket_id = breached_in_support(db, clock)
    relaxed = copy.deepcopy(RULES)
    relaxed["policies"][1]["targets"][0]["minutes"] = 960
    import_rules(db, relaxed, team.admin, clock)
    assert snapshot(db, clock, ticket_id)["sla_show_breaches"] == [EXPECTED_BREACH]


def test_a_ticket_that_waited_ten_hours_is_late_under_a_four_hour_policy(
    db: Database, team: Team, clock: FakeClock, rules: None
) -> None:
    clock.now = MONDAY_9
    ticket_id = new_ticket(db, clock, "Invoice", "i@example.com", "Billing")
    clock.now = at(24, 11)  # ten business hours later: Billing's twelve are not up yet
    queries = Queries(db, None, clock)
    assert queries.view_count(View(ViewKind.BREACHED)) == 0
    Service(db, team.admin, clock).assign(ticket_id, department="Technical", reason="technical")
    detail = queries.ticket(ticket_id)
    # Four business hours from the customer's message, not from the move.
    assert (detail.sla_policy, detail.first_response_due_at) == ("Technical", at(23, 13))
    assert [row.id for row in queries.view_page(View(ViewKind.BREACHED))] == [ticket_id]
    shown = explain(db, ticket_id, clock)
    assert [(b["at"], b["policy"]) for b in shown["breaches"]] == [
        (at(23, 13).isoformat(), "Technical")
    ]
    first = next(t for t in shown["targets"] if t["kind"] == "first_response")
    assert first["due_at"] == first["policy_due_at"] == at(23, 13).isoformat()


def test_the_answer_meets_the_breach_and_the_report_still_counts_it(
    db: Database, team: Team, clock: FakeClock, rules: None
) -> None:
    ticket_id = breached_in_support(db, clock)
    lena = lead(db, team, clock)
    lena.assign(ticket_id, department="Billing", reason="billing question")
    before = compliance_report(db, at(1, 0), at(30, 0), clock)
    clock.now = at(23, 14)
    lena.reply(ticket_id, "Sorry for the wait")
    shown = explain(db, ticket_id, clock)
    assert [(b["policy"], b["at"], b["met_at"]) for b in shown["breaches"]] == [
        ("Support", at(23, 11).isoformat(), at(23, 14).isoformat())
    ]
    queries = Queries(db, None, clock)
    assert queries.view_count(View(ViewKind.BREACHED)) == 0  # answered: no longer waiting
    assert compliance_report(db, at(1, 0), at(30, 0), clock) == before
    assert before["department"]["Support"]["first_response"] == {
        "met": 0,
        "breached": 1,
        "compliance": 0.0,
    }
    # Later recomputes (a rules import recomputes every ticket) keep it met and counted.
    recompute_all(db, clock)
    import_rules(db, RULES, team.admin, clock)
    assert compliance_report(db, at(1, 0), at(30, 0), clock) == before
    assert explain(db, ticket_id, clock)["breaches"] == shown["breaches"]


def test_recomputes_record_each_breach_once(
    db: Database, team: Team, clock: FakeClock, rules: None
) -> None:
    from desk_app.store.models import SlaBreach  # imported here: the module runs on old code too

    ticket_id = breached_in_support(db, clock)
    lena = lead(db, team, clock)
    for department in ("Billing", "Support", "Billing"):
        lena.assign(ticket_id, department=department, reason="back and forth")
        recompute_all(db, clock)
    recompute_all(db, clock, workers=1, batch_size=1)
    with db.read() as session:
        rows = session.execute(
            select(SlaBreach.kind, SlaBreach.due_at, SlaBreach.policy, SlaBreach.department_id)
        ).all()
    assert [tuple(row) for row in rows] == [("first_response", at(23, 11), "Support", team.support)]


def test_a_moved_breach_is_escalated_once(db: Database, team: Team, clock: FakeClock) -> None:
    """Escalation follows the ticket's current policy, once per target: the breach found by
    Support's escalation is not escalated again after the move, nor when a stricter policy
    finds the same unanswered first response late too."""
    Service(db, team.admin, clock).add_department("Technical")
    notify = {"notify_leads": True}
    rules = copy.deepcopy(RULES)
    for policy in rules["policies"][1:]:
        policy["escalation"] = notify
    import_rules(db, rules, team.admin, clock)
    ticket_id = breached_in_support(db, clock)
    commands = EscalationCommands(db, clock)
    assert [commands.escalate(t) for t in overdue_targets(db, clock())] != [None]
    lead(db, team, clock).assign(ticket_id, department="Billing", reason="billing question")
    assert overdue_targets(db, clock()) == []
    Service(db, team.admin, clock).assign(ticket_id, department="Technical", reason="technical")
    clock.advance(minutes=5)
    for target in overdue_targets(db, clock()):
        assert commands.escalate(target) is None
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(SlaEscalation)) == 1


def test_a_breach_escalated_under_a_longer_policy_is_not_escalated_again_under_a_shorter_one(
    db: Database, team: Team, clock: FakeClock
) -> None:
    """Billing's twelve hours missed and escalated; moved to Support, whose two hours were
    missed much earlier: the same unanswered first response, not a new breach to escalate."""
    rules = copy.deepcopy(RULES)
    for policy in rules["policies"][1:3]:
        policy["escalation"] = {"raise_priority": "one_step"}
    import_rules(db, rules, team.admin, clock)
    clock.now = MONDAY_9
    ticket_id = new_ticket(db, clock, "Refund", "r@example.com", "Billing")
    clock.now = at(24, 14)  # Billing's first response was due Tuesday 13:00
    commands = EscalationCommands(db, clock)
    [target] = overdue_targets(db, clock())
    assert target.due_at == at(24, 13) and commands.escalate(target) is not None
    lead(db, team, clock).assign(ticket_id, department="Support", reason="wrong queue")
    shown = explain(db, ticket_id, clock)
    assert [(b["policy"], b["at"]) for b in shown["breaches"]] == [
        ("Support", at(23, 11).isoformat()),
        ("Billing", at(24, 13).isoformat()),
    ]
    for target in overdue_targets(db, clock()):
        assert commands.escalate(target) is None
    assert Queries(db, None, clock).ticket(ticket_id).priority == "high"  # raised once


def test_a_breach_not_yet_escalated_is_escalated_after_the_move(
    db: Database, team: Team, clock: FakeClock
) -> None:
    """Moved before the worker came round: the breach is still overdue under the new policy's
    escalation, and escalated once."""
    rules = copy.deepcopy(RULES)
    rules["policies"][2]["escalation"] = {"notify_leads": True}  # Billing escalates
    import_rules(db, rules, team.admin, clock)
    ticket_id = breached_in_support(db, clock)
    lead(db, team, clock).assign(ticket_id, department="Billing", reason="billing question")
    [target] = overdue_targets(db, clock())
    assert (target.ticket_id, target.due_at) == (ticket_id, at(23, 11))
    assert EscalationCommands(db, clock).escalate(target) is not None
    assert overdue_targets(db, clock()) == []


def test_the_migration_records_the_breaches_sla_targets_hold(
    db: Database, team: Team, clock: FakeClock, rules: None
) -> None:
    """A database from before the history: its breached targets (still open, or met late)
    become breach rows under the ticket's policy."""
    from alembic import command

    from desk_app.store.models import SlaBreach

    open_one = breached_in_support(db, clock)
    answered = breached_in_support(db, clock)
    lena = lead(db, team, clock)
    lena.set_status(open_one, "open")  # recomputed: stored as breached
    lena.reply(answered, "Sorry for the wait")  # met late

    config = db.alembic_config()

    def alembic(action: Callable[..., None], revision: str) -> None:
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            action(config, revision)

    alembic(command.downgrade, "0009")
    alembic(command.upgrade, "head")
    with db.read() as session:
        rows = session.execute(
            select(
                SlaBreach.ticket_id,
                SlaBreach.kind,
                SlaBreach.started_at,
                SlaBreach.due_at,
                SlaBreach.policy,
                SlaBreach.met_at,
                SlaBreach.department_id,
            ).order_by(SlaBreach.ticket_id)
        ).all()
    assert [tuple(row) for row in rows] == [
        (open_one, "first_response", MONDAY_9, at(23, 11), "Support", None, team.support),
        (answered, "first_response", MONDAY_9, at(23, 11), "Support", at(23, 13, 30), team.support),
    ]
    # And the recompute after it finds nothing new to add.
    recompute_all(db, clock)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(SlaBreach)) == 2
