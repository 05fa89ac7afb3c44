"""SLA due times stored on tickets and recomputed by every command, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desk_app.core.errors import InvalidInput
from desk_app.core.views import View, ViewKind
from desk_app.store import Queries, Service
from desk_app.store.sla_store import compliance_report, explain, export_rules, import_rules

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
