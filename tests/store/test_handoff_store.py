"""The hand-off summary from the database: a night's arrivals, answers, what is still open per
department, and its pages; the window starts where the last hand-off ended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from desk_app.core.errors import InvalidInput
from desk_app.core.handoff import DEFAULT_WINDOW
from desk_app.store import Service
from desk_app.store.handoff_store import default_since, handoff_summary
from desk_app.store.oncall_settings import remember_handoff
from desk_app.store.paging_store import PagingStore
from tests.conftest import FakeClock
from tests.worker.oncall_setup import nights_rotation, tokyo_office

SINCE = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # Monday 19:00 in Tokyo
UNTIL = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)  # Tuesday 09:00


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(SINCE - timedelta(hours=2))


def new(db, clock, subject: str, department: str = "Support", priority: str = "normal") -> int:
    result = Service(db, None, clock).create_ticket(
        subject=subject,
        customer_email=f"{subject.split()[0].lower()}@example.com",
        customer_name=subject.split()[0],
        body="Help",
        department=department,
        priority=priority,
    )
    assert result.ticket_id is not None
    return result.ticket_id


def test_what_arrived_was_answered_and_is_still_open_per_department(db, team, clock):
    tokyo_office(db, team.admin, clock)
    nights_rotation(db, clock, (team.anna, team.boris))
    before = new(db, clock, "Earlier question")
    clock.now = SINCE + timedelta(hours=1)
    answered = new(db, clock, "Answered question")
    waiting = new(db, clock, "Billing question", department="Billing")
    outage = new(db, clock, "Outage now", priority="urgent")
    clock.advance(minutes=30)
    Service(db, team.anna, clock).reply(answered, "Done.")
    Service(db, None, clock).add_inbound_message(before, "Any news?")
    assert PagingStore(db, clock).open_page(outage) is not None
    clock.now = UNTIL
    summary = handoff_summary(db, SINCE, UNTIL)
    assert [d.name for d in summary.departments] == ["Billing", "Support"]
    billing, support = summary.departments
    assert [t.id for t in billing.arrived] == [waiting]
    assert [t.id for t in support.arrived] == [answered, outage]
    assert [t.id for t in support.answered] == [answered]
    # Still open: what arrived or was written to in the night and is unsolved; the one who
    # waits longest first, and waiting is measured from the customer's last message.
    assert [t.id for t in support.still_open] == [outage, before, answered]
    earlier = next(t for t in support.still_open if t.id == before)
    assert earlier.waiting_since == SINCE + timedelta(hours=1, minutes=30)
    assert next(t for t in support.still_open if t.id == answered).waiting_since is None
    [page] = summary.pages
    assert (page.ticket_id, page.paged, page.acknowledged_at) == (
        outage,
        "Boris Sato",
        None,
    )  # his week
    assert (summary.arrived, summary.answered, summary.still_open) == (3, 1, 4)


def test_the_window_starts_at_the_last_hand_off(db, team, clock):
    now = UNTIL
    assert default_since(db, now) == now - DEFAULT_WINDOW
    remember_handoff(db, team.anna, now - timedelta(hours=20), clock)
    assert default_since(db, now) == now - timedelta(hours=20)
    # A hand-off long ago (a holiday fortnight) does not make a two-week summary.
    remember_handoff(db, team.anna, now - timedelta(days=14), clock)
    assert default_since(db, now) == now - DEFAULT_WINDOW
    with pytest.raises(InvalidInput):
        handoff_summary(db, now, now)
