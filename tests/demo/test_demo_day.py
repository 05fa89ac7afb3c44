"""The seeded demo looks like a team having a normal day, whatever day and hour it is seeded:
most open tickets within their SLA targets, a handful due soon, a few breached in the last hours
(not months), waits of minutes to days, activity in the team's office hours."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from desk_app.core.countdown import Light, traffic_light
from desk_app.core.enums import UNSOLVED_STATUSES, Status
from desk_app.core.views import DUE_SOON_WINDOW
from desk_app.demo.generate import demo_tickets
from desk_app.demo.pacing import SlaPacer
from desk_app.demo.seed import seed_demo
from desk_app.demo.sla_rules import DEMO_SLA
from desk_app.store import Database
from desk_app.store.models import Notification, Page, Ticket
from desk_app.store.sla_store import parse_rules

LONDON = ZoneInfo("Europe/London")
# Seeding "now" at: a Monday morning before the office opens, a Monday mid-morning, a
# Wednesday afternoon, a Friday evening, a Sunday, and a Tuesday night (UTC instants).
CLOCKS = {
    "monday-0700": datetime(2026, 11, 23, 7, 0, tzinfo=UTC),
    "monday-1015": datetime(2026, 11, 23, 10, 15, tzinfo=UTC),
    "wednesday-1540": datetime(2026, 11, 25, 15, 40, tzinfo=UTC),
    "friday-1930": datetime(2026, 11, 27, 19, 30, tzinfo=UTC),
    "sunday-1300": datetime(2026, 11, 29, 13, 0, tzinfo=UTC),
    "tuesday-2330": datetime(2026, 12, 1, 23, 30, tzinfo=UTC),
}
TICKETS = 600


@dataclass(frozen=True)
class OpenTicket:
    status: Status
    created_at: datetime
    due_at: datetime | None
    started_at: datetime | None
    paused_remaining_s: int | None


PAGES: dict[datetime, int] = {}
NOTICES: dict[datetime, list[str]] = {}


def seeded(url: str, now: datetime) -> list[OpenTicket]:
    db = Database(url)
    try:
        db.ensure_schema(upgrade=True, create=True)
        seed_demo(db, TICKETS, clock=lambda: now)
        with db.read() as session:
            rows = session.execute(
                select(
                    Ticket.status,
                    Ticket.created_at,
                    Ticket.sla_due_at,
                    Ticket.sla_started_at,
                    Ticket.sla_paused_remaining_s,
                ).where(Ticket.status.in_([s.value for s in UNSOLVED_STATUSES]))
            ).all()
            NOTICES[now] = list(
                session.scalars(
                    select(Notification.text).where(
                        Notification.kind == "assigned", Notification.read_at.is_(None)
                    )
                )
            )
            PAGES[now] = len(
                session.scalars(select(Page.id).where(Page.acknowledged_at.is_(None))).all()
            )
    finally:
        db.dispose()
    return [OpenTicket(Status(row[0]), *row[1:]) for row in rows]


_SEEDED: dict[str, list[OpenTicket]] = {}


def seeded_at(
    name: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[datetime, list[OpenTicket]]:
    """Each clock is seeded once per test run, whichever test asks first."""
    now = CLOCKS[name]
    if name not in _SEEDED:
        url = f"sqlite:///{tmp_path_factory.mktemp('demo-day') / 'demo.sqlite3'}"
        _SEEDED[name] = seeded(url, now)
    return now, _SEEDED[name]


@pytest.fixture(params=sorted(CLOCKS))
def day(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[datetime, list[OpenTicket]]:
    return seeded_at(request.param, tmp_path_factory)


def lights(now: datetime, tickets: list[OpenTicket]) -> Counter[Light]:
    return Counter(
        traffic_light(t.due_at, t.started_at, now, t.paused_remaining_s is not None)
        for t in tickets
    )


def test_most_open_tickets_are_within_their_targets(
    day: tuple[datetime, list[OpenTicket]],
) -> None:
    now, tickets = day
    running = [t for t in tickets if t.due_at is not None]
    assert len(tickets) > 250 and len(running) > 150
    counted = lights(now, running)
    assert counted[Light.GREEN] >= 0.7 * len(running), counted
    breached = [t for t in running if t.due_at is not None and t.due_at < now]
    assert len(breached) <= max(3, 0.02 * len(running))


def test_a_handful_are_due_soon_and_a_few_just_breached(
    day: tuple[datetime, list[OpenTicket]],
) -> None:
    now, tickets = day
    running = [t for t in tickets if t.due_at is not None]
    counted = lights(now, running)
    assert 1 <= counted[Light.AMBER] <= 0.2 * len(running), counted
    due_soon = [t for t in running if t.due_at and now <= t.due_at < now + DUE_SOON_WINDOW]
    assert len(due_soon) <= 0.2 * len(running)
    for ticket in running:
        assert ticket.due_at is not None
        assert now - ticket.due_at < timedelta(days=2), "a breach older than two days"


def test_the_whole_demo_shows_each_light(day: tuple[datetime, list[OpenTicket]]) -> None:
    """Over a week of clocks every colour shows up at least once: due soon at every clock
    (above), and a fresh breach on most (one clock may have none)."""
    now, tickets = day
    counted = lights(now, tickets)
    assert counted[Light.GREEN] and counted[Light.AMBER] and counted[Light.GREY]


def test_paused_tickets_wait_minutes_to_days_with_time_left(
    day: tuple[datetime, list[OpenTicket]],
) -> None:
    now, tickets = day
    paused = [t for t in tickets if t.paused_remaining_s is not None]
    assert len(paused) >= 30
    assert all(t.paused_remaining_s and t.paused_remaining_s > 0 for t in paused)
    ages = sorted(now - t.created_at for t in paused)
    # Agents pause tickets at work: on a Monday before the office opens, the latest were
    # paused on Friday.
    assert ages[0] < timedelta(days=3) and ages[-1] < timedelta(days=30)
    assert ages[len(ages) // 2] > timedelta(days=1)  # waiting minutes to days


def test_open_tickets_are_minutes_to_days_old(day: tuple[datetime, list[OpenTicket]]) -> None:
    now, tickets = day
    running = sorted(now - t.created_at for t in tickets if t.due_at is not None)
    assert running[0] < timedelta(hours=3)
    assert running[-1] < timedelta(days=14)
    assert running[len(running) // 2] > timedelta(hours=3)


def test_most_clocks_show_a_fresh_breach(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A business-hours clock cannot breach while the office is closed, so a Sunday may have
    no fresh breach; most days do."""
    with_breach = 0
    for name in sorted(CLOCKS):
        now, tickets = seeded_at(name, tmp_path_factory)
        with_breach += any(t.due_at is not None and t.due_at < now for t in tickets)
    assert with_breach >= len(CLOCKS) // 2


def test_agents_answer_in_office_hours_of_their_calendar() -> None:
    """London-calendar tickets' replies fall in London office hours (their clocks run only
    then); the activity is spread over the day rather than bunched at one moment."""
    now = CLOCKS["wednesday-1540"]
    rules = parse_rules(DEMO_SLA)
    pacer = SlaPacer(rules.policies, dict(rules.calendars), now)
    hours: Counter[int] = Counter()
    for ticket in demo_tickets(TICKETS, now, timing=pacer):
        if ticket.status not in UNSOLVED_STATUSES or ticket.priority.value in ("urgent", "high"):
            continue
        if ticket.department not in ("Support", "Billing"):
            continue
        for message in ticket.messages:
            if message.direction.value == "outbound":
                local = message.at.astimezone(LONDON)
                hours[local.hour] += 1
                assert local.weekday() < 5
                assert (8, 30) <= (local.hour, local.minute) <= (17, 30), local
    assert len(hours) >= 6, hours  # spread over the working day


def test_seeding_is_deterministic_and_ticket_numbers_follow_creation(tmp_path: Path) -> None:
    now = CLOCKS["monday-1015"]
    first = seeded(f"sqlite:///{tmp_path / 'a.sqlite3'}", now)
    second = seeded(f"sqlite:///{tmp_path / 'b.sqlite3'}", now)
    assert first == second
    db = Database(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    try:
        with db.read() as session:
            created = list(session.scalars(select(Ticket.created_at).order_by(Ticket.id)))
    finally:
        db.dispose()
    assert created == sorted(created)


def test_urgent_tickets_after_hours_page_the_person_on_call(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """At night (both offices closed) the On call panel has a page or two to act on; the
    person on call acknowledged the earlier ones."""
    seeded_at("tuesday-2330", tmp_path_factory)
    assert 1 <= PAGES[CLOCKS["tuesday-2330"]] <= 2


def test_paced_threads_stay_in_order_before_now() -> None:
    """Whatever the clock, holidays included (28 December 2026 is a UK bank holiday), each
    paced ticket's messages and events are in order, distinct and not after now."""
    rules = parse_rules(DEMO_SLA)
    clocks = [*CLOCKS.values(), datetime(2026, 12, 28, 10, 0, tzinfo=UTC)]
    for now in clocks:
        pacer = SlaPacer(rules.policies, dict(rules.calendars), now)
        for ticket in demo_tickets(300, now, seed=3, timing=pacer):
            times = [m.at for m in ticket.messages]
            assert times[0] == ticket.created_at
            assert times == sorted(times) and len(set(times)) == len(times)
            assert times[-1] <= now
            assert all(ticket.created_at <= e.at <= now for e in ticket.events)


def test_the_demo_agent_opens_on_a_fresh_assignment_notice(
    day: tuple[datetime, list[OpenTicket]],
) -> None:
    now, _tickets = day
    (notice,) = NOTICES[now]
    assert "assigned to you by Анна Кузнецова: Rebalancing the queue" in notice
