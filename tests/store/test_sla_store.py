"""SLA due times stored on tickets and recomputed by every command, on both databases."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, update

from desk_app.core.errors import InvalidInput
from desk_app.core.views import View, ViewKind
from desk_app.store import Queries, Service
from desk_app.store.models import SlaTarget, Ticket
from desk_app.store.sla_store import (
    TICKET_COLUMNS,
    _apply,
    _computed,
    compliance_report,
    explain,
    export_rules,
    import_rules,
    recompute_all,
    recompute_ticket,
)
from tests.store.helpers import table_counts

TOKYO_RULES = {
    "calendars": [
        {
            "name": "Tokyo office",
            "timezone": "Asia/Tokyo",
            "hours": {"mon-fri": "09:00-18:00"},
            "holidays": ["2026-01-12"],
        }
    ],
    "policies": [
        {
            "name": "Urgent",
            "priorities": ["urgent"],
            "calendar": "Tokyo office",
            "targets": [
                {"kind": "first_response", "minutes": 30, "business_hours": False},
                {"kind": "resolution", "minutes": 240, "business_hours": False},
            ],
        },
        {
            "name": "Standard",
            "calendar": "Tokyo office",
            "targets": [
                {"kind": "first_response", "minutes": 120, "business_hours": True},
                {"kind": "next_response", "minutes": 240, "business_hours": True},
                {"kind": "resolution", "minutes": 1440, "business_hours": True},
            ],
        },
    ],
}


def jst(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC) - timedelta(hours=9)


@pytest.fixture
def rules(db, team, clock):
    import_rules(db, TOKYO_RULES, team.admin, clock)


def test_friday_evening_ticket_is_due_tuesday_after_a_monday_holiday(db, team, clock, rules):
    clock.now = jst(2026, 1, 9, 17, 55)  # Friday 17:55 in Tokyo
    created = Service(db, None, clock).create_ticket(
        subject="ログインできません", customer_email="t@example.jp", body="助けてください"
    )
    detail = Queries(db, None, clock).ticket(created.ticket_id)
    assert detail.first_response_due_at == jst(2026, 1, 13, 10, 55)  # Tuesday 10:55
    assert detail.sla_due_at == detail.first_response_due_at


def test_pending_time_is_added_back_and_replies_meet_targets(db, team, clock, rules):
    clock.now = jst(2026, 1, 14, 9, 0)  # Wednesday 09:00
    anna = Service(db, team.anna, clock)
    created = Service(db, None, clock).create_ticket(
        subject="Invoice", customer_email="c@example.com", body="Where is it?"
    )
    due = Queries(db, None, clock).ticket(created.ticket_id).resolution_due_at
    clock.advance(hours=1)
    anna.set_status(created.ticket_id, "pending")
    assert Queries(db, None, clock).ticket(created.ticket_id).sla_due_at is None  # paused
    clock.advance(hours=3)
    anna.set_status(created.ticket_id, "open")
    resumed = Queries(db, None, clock).ticket(created.ticket_id)
    assert resumed.resolution_due_at == due + timedelta(hours=3)
    anna.reply(created.ticket_id, "Here it is")
    after_reply = Queries(db, None, clock).ticket(created.ticket_id)
    assert after_reply.first_response_due_at is None  # met
    assert after_reply.sla_due_at == after_reply.resolution_due_at


def test_a_priority_change_rematches_the_policy(db, team, clock, rules):
    clock.now = jst(2026, 1, 14, 10, 0)
    anna = Service(db, team.anna, clock)
    created = Service(db, None, clock).create_ticket(
        subject="Outage", customer_email="o@example.com", body="Down!"
    )
    assert Queries(db, None, clock).ticket(created.ticket_id).first_response_due_at == jst(
        2026, 1, 14, 12, 0
    )
    anna.set_priority(created.ticket_id, "urgent")
    assert Queries(db, None, clock).ticket(created.ticket_id).first_response_due_at == jst(
        2026, 1, 14, 10, 30
    )
    assert explain(db, created.ticket_id, clock)["policy"] == "Urgent"


def test_due_soon_and_breached_views_follow_the_clock(db, team, clock, rules):
    clock.now = jst(2026, 1, 14, 10, 0)
    system = Service(db, None, clock)
    soon = system.create_ticket(subject="A", customer_email="a@example.com", body="a")
    clock.advance(hours=3)  # A's first response (due 12:00) is now breached
    later = system.create_ticket(subject="B", customer_email="b@example.com", body="b")
    clock.advance(minutes=10)  # B is due in 1 h 50 min: inside the two-hour window
    queries = Queries(db, team.anna, clock)
    assert [t.id for t in queries.view_page(View(ViewKind.BREACHED))] == [soon.ticket_id]
    assert [t.id for t in queries.view_page(View(ViewKind.DUE_SOON))] == [later.ticket_id]


def test_invalid_rules_change_nothing(db, team, clock, rules):
    broken = {
        "calendars": TOKYO_RULES["calendars"],
        "policies": [{"name": "X", "calendar": "Nowhere", "targets": []}],
    }
    with pytest.raises(InvalidInput):
        import_rules(db, broken, team.admin, clock)
    assert export_rules(db)["policies"][0]["name"] == "Urgent"


def test_export_then_import_round_trips(db, team, clock, rules):
    exported = export_rules(db)
    result = import_rules(db, exported, team.admin, clock)
    assert result["policies"] == 2 and export_rules(db) == exported


def test_compliance_report_counts_met_and_breached(db, team, clock, rules):
    clock.now = jst(2026, 1, 14, 9, 0)
    start = clock.now
    system, anna = Service(db, None, clock), Service(db, team.anna, clock)
    fast = system.create_ticket(
        subject="fast", customer_email="f@example.com", body="x", department="Support"
    )
    slow = system.create_ticket(
        subject="slow", customer_email="s@example.com", body="y", department="Support"
    )
    anna.assign(fast.ticket_id, agent="anna@desk.test")
    anna.reply(fast.ticket_id, "answered in time")
    clock.advance(hours=5)
    anna.reply(slow.ticket_id, "answered late")
    report = compliance_report(db, start, clock=clock)
    support = report["department"]["Support"]["first_response"]
    assert (support["met"], support["breached"], support["compliance"]) == (1, 1, 0.5)
    assert report["agent"]["Anna Ivanova"]["first_response"]["met"] == 1


def test_inbox_rows_carry_what_the_countdown_needs(db, team, clock, rules):
    clock.now = jst(2026, 1, 14, 9, 0)
    anna = Service(db, team.anna, clock)
    created = Service(db, None, clock).create_ticket(
        subject="Countdown", customer_email="c@example.com", body="tick"
    )
    row = Queries(db, None, clock).rows([created.ticket_id])[0]
    assert row.sla_started_at == clock.now and row.sla_due_at == jst(2026, 1, 14, 11, 0)
    clock.advance(minutes=30)
    anna.set_status(created.ticket_id, "pending")
    paused = Queries(db, None, clock).rows([created.ticket_id])[0]
    assert paused.sla_due_at is None
    assert paused.sla_paused_remaining_s == 90 * 60  # 90 of the 120 business minutes left


# --- the batched recompute agrees with the per-ticket one ----------------------------------

VARIED_RULES = {
    "calendars": [
        {
            "name": "Tokyo office",
            "timezone": "Asia/Tokyo",
            "hours": {"mon-fri": "09:00-12:00, 13:00-18:00"},
            "holidays": ["2026-11-03"],
            "country": "JP",
        },
        {
            # Split shifts across the night New York falls back (1 November 2026).
            "name": "New York",
            "timezone": "America/New_York",
            "hours": {"mon-fri": "00:00-02:30, 08:00-17:00", "sat": "10:00-14:00"},
        },
        {"name": "24/7", "timezone": "UTC", "hours": {"mon-sun": "00:00-24:00"}},
    ],
    "policies": [
        {
            "name": "Urgent",
            "priorities": ["urgent"],
            "calendar": "24/7",
            "targets": [
                {"kind": "first_response", "minutes": 45, "business_hours": False},
                {"kind": "resolution", "minutes": 300, "business_hours": False},
            ],
        },
        {
            "name": "Billing",
            "departments": ["Billing"],
            "calendar": "New York",
            "pause_statuses": ["on_hold"],
            "targets": [
                {"kind": "first_response", "minutes": 90, "business_hours": True},
                {"kind": "next_response", "minutes": 240, "business_hours": True},
                {"kind": "resolution", "minutes": 1500, "business_hours": True},
            ],
        },
        {
            # Phone and chat tickets outside Billing match no policy at all.
            "name": "E-mail",
            "channels": ["email"],
            "calendar": "Tokyo office",
            "targets": [
                {"kind": "first_response", "minutes": 120, "business_hours": True},
                {"kind": "next_response", "minutes": 480, "business_hours": True},
                {"kind": "resolution", "minutes": 2400, "business_hours": True},
            ],
        },
    ],
}


def _varied_tickets(db, team, clock) -> list[int]:
    """Forty tickets with random histories over three weeks: messages, replies, pauses,
    reopenings, priority and department changes, each recomputed by its command."""
    rng = random.Random(5)
    system, lead = Service(db, None, clock), Service(db, team.lead, clock)
    clock.now = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    ids = []
    for number in range(40):
        clock.advance(minutes=rng.randrange(5, 900))
        ids.append(
            system.create_ticket(
                subject=f"Case {number}",
                customer_email=f"c{number}@example.com",
                body="Hello" if rng.random() < 0.9 else "",
                department=rng.choice(["Support", "Billing", None]),
                priority=rng.choice(["low", "normal", "normal", "high", "urgent"]),
                channel=rng.choice(["email", "email", "phone", "chat"]),
            ).ticket_id
        )
        for _ in range(rng.randrange(0, 7)):
            clock.advance(minutes=rng.randrange(1, 2000))
            ticket_id = rng.choice(ids)
            action = rng.randrange(6)
            try:
                if action == 0:
                    system.add_inbound_message(ticket_id, "More details")
                elif action == 1:
                    lead.reply(ticket_id, "Looking into it")
                elif action == 2:
                    lead.set_status(ticket_id, rng.choice(["pending", "on_hold", "open"]))
                elif action == 3:
                    lead.set_status(ticket_id, "solved")
                elif action == 4:
                    lead.set_priority(ticket_id, rng.choice(["low", "high", "urgent"]))
                else:
                    lead.assign(ticket_id, department=rng.choice(["Support", "Billing"]))
            except InvalidInput:
                pass  # e.g. a reply to a ticket that is closed: not part of this test
    return ids


def _stored_sla(db) -> tuple[list[tuple], list[tuple]]:
    with db.read() as session:
        tickets = session.execute(
            select(Ticket.id, *(getattr(Ticket, c) for c in TICKET_COLUMNS)).order_by(Ticket.id)
        ).all()
        targets = session.execute(
            select(SlaTarget.__table__).order_by(SlaTarget.ticket_id, SlaTarget.kind)
        ).all()
    return [tuple(row) for row in tickets], [tuple(row) for row in targets]


def _scramble(db) -> None:
    """Stored values a recompute must put right: stale columns and missing targets."""
    with db.write() as session:
        session.execute(update(Ticket).where(Ticket.id % 2 == 0).values(sla_policy="stale"))
        session.execute(update(Ticket).where(Ticket.id % 3 == 0).values(sla_due_at=None))
        session.execute(delete(SlaTarget).where(SlaTarget.ticket_id % 5 == 0))


@pytest.mark.parametrize("workers", [1, 2])
def test_batched_recompute_stores_what_the_per_ticket_recompute_does(db, team, clock, workers):
    import_rules(db, VARIED_RULES, team.admin, clock)
    ids = _varied_tickets(db, team, clock)
    now = clock.advance(hours=30)
    with db.write() as session:
        for ticket in session.scalars(select(Ticket)):
            recompute_ticket(session, ticket, now)
    expected = _stored_sla(db)
    policies = {row[1] for row in expected[0]}
    assert {"Urgent", "Billing", "E-mail", None} <= policies  # every kind of match is covered
    assert {row[2] for row in expected[1]} >= {"running", "paused", "met", "breached"}

    _scramble(db)
    assert _stored_sla(db) != expected
    assert recompute_all(db, lambda: now, workers=workers, batch_size=7) == len(ids)
    assert _stored_sla(db) == expected

    # Nothing differs now, so a second run writes nothing, not even a change-log row.
    changes = table_counts(db)["change_log"]
    assert recompute_all(db, lambda: now, workers=workers, batch_size=7) == len(ids)
    assert table_counts(db)["change_log"] == changes and _stored_sla(db) == expected


def test_a_reply_during_a_recompute_is_not_overwritten(db, team, clock, rules):
    clock.now = jst(2026, 1, 14, 10, 0)
    ticket_id = (
        Service(db, None, clock)
        .create_ticket(subject="Race", customer_email="r@example.com", body="?")
        .ticket_id
    )
    with db.write() as session:
        session.execute(update(Ticket).where(Ticket.id == ticket_id).values(sla_policy="stale"))
    # A batch reads and computes the ticket (first response still running)...
    computed = _computed(db, (ticket_id, ticket_id), clock.now, False)
    assert ticket_id in computed.versions
    # ...an agent replies before the batch writes...
    clock.advance(minutes=20)
    Service(db, team.lead, clock).reply(ticket_id, "On it")
    _apply(db, computed, clock.now)
    # ...and the batch recomputes that ticket instead of writing its stale outcome.
    detail = Queries(db, None, clock).ticket(ticket_id)
    assert detail.sla_policy == "Standard"
    assert detail.first_response_due_at is None  # met by the reply


def test_an_agent_change_keeps_due_times_and_a_department_change_rematches(db, team, clock):
    import_rules(db, VARIED_RULES, team.admin, clock)
    clock.now = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 10:00 in Tokyo
    lead = Service(db, team.lead, clock)
    ticket_id = (
        Service(db, None, clock)
        .create_ticket(
            subject="Who?", customer_email="w@example.com", body="?", department="Support"
        )
        .ticket_id
    )
    lead.set_status(ticket_id, "open")
    before = Queries(db, None, clock).ticket(ticket_id)
    clock.advance(minutes=30)
    lead.assign(ticket_id, agent="anna@desk.test")
    after = Queries(db, None, clock).ticket(ticket_id)
    assert after.assignee_id == team.anna and after.version == before.version + 1
    assert (after.sla_policy, after.sla_due_at) == (before.sla_policy, before.sla_due_at)
    lead.assign(ticket_id, department="Billing", reason="a billing question")
    moved = Queries(db, None, clock).ticket(ticket_id)
    assert (before.sla_policy, moved.sla_policy) == ("E-mail", "Billing")
    assert moved.first_response_due_at != before.first_response_due_at


def test_policies_match_on_customer_tags_and_a_tag_change_recomputes(db, team, system, anna, clock):
    """A VIP policy applies to tagged customers only; tagging a customer moves their clocks."""
    from desk_app.store import sla_store

    document = {
        "calendars": [],
        "policies": [
            {
                "name": "VIP",
                "customer_tags": ["vip"],
                "targets": [{"kind": "first_response", "minutes": 30, "business_hours": False}],
            },
            {
                "name": "Standard",
                "targets": [{"kind": "first_response", "minutes": 240, "business_hours": False}],
            },
        ],
    }
    sla_store.import_rules(db, document, None, clock)
    created = system.create_ticket(subject="Hi", customer_email="v@example.com", body="hello")
    ticket = _ticket(db, created.ticket_id)
    assert ticket.sla_policy == "Standard"
    anna.edit_customer(created.customer_id, tags="VIP")
    ticket = _ticket(db, created.ticket_id)
    assert ticket.sla_policy == "VIP"
    assert ticket.first_response_due_at == clock() + timedelta(minutes=30)
    # The batch recompute agrees with the per-ticket one.
    sla_store.recompute_all(db, clock)
    assert _ticket(db, created.ticket_id).sla_policy == "VIP"


def _ticket(db, ticket_id: int) -> Ticket:
    with db.read() as session:
        return session.get_one(Ticket, ticket_id)
