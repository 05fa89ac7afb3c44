"""The night board: unacknowledged pages first, then urgent, breached, nearly due, and the
longest waits, each ticket once, across every department."""

from __future__ import annotations

from datetime import timedelta

import pytest

from desk_app.store import Service
from desk_app.store.night_board import night_board
from desk_app.store.paging_store import PagingStore
from tests.conftest import FakeClock
from tests.worker.oncall_setup import FRIDAY_EVENING, nights_rotation, tokyo_office


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(FRIDAY_EVENING)


def new(db, clock, subject: str, **options) -> int:
    result = Service(db, None, clock).create_ticket(
        subject=subject, customer_email="olga@example.ru", body="Help", **options
    )
    assert result.ticket_id is not None
    return result.ticket_id


def test_pages_first_then_urgent_breached_due_soon_and_waiting(db, team, clock):
    tokyo_office(db, team.admin, clock)
    nights_rotation(db, clock, (team.anna, team.boris))
    clock.advance(minutes=10)
    paged = new(db, clock, "Outage", priority="urgent", department="Billing")
    urgent = new(db, clock, "Also urgent", priority="urgent")
    waiting = new(db, clock, "Where is my parcel", department="Support")
    assert PagingStore(db, clock).open_page(paged) is not None
    # Urgent tickets are due within the hour on the 24/7 clock; by Tuesday 09:30 both breached
    # and the ordinary one is due at 10:00.
    clock.now = FRIDAY_EVENING + timedelta(days=3, hours=14)
    board = night_board(db, clock())
    assert [(item.kind, item.ticket_id) for item in board] == [
        ("page", paged),
        ("urgent", urgent),
        ("due_soon", waiting),
    ]
    assert board[0].why(clock()) == "Page not acknowledged: Anna Ivanova"  # not e-mailed yet
    assert board[0].department == "Billing"
    assert len(PagingStore(db, clock).claim_due_mails()) == 1  # as the worker does
    [page] = [i for i in night_board(db, clock()) if i.kind == "page"]
    assert page.why(clock()) == "Page not acknowledged: Anna Ivanova (e-mailed 1×)"
    assert board[2].why(clock()) == "Due in 30m"
    PagingStore(db, clock).acknowledge(paged, team.anna)
    Service(db, None, clock).set_priority(urgent, "normal")
    # Acknowledged, the page leaves the top. No longer urgent, the other ticket's live deadline
    # is the office's (10:00), but its urgent first response was missed: that breach is a fact
    # a priority change does not undo, so it stays breached until answered.
    kinds = {item.ticket_id: item.kind for item in night_board(db, clock())}
    assert kinds == {paged: "urgent", urgent: "breached", waiting: "due_soon"}
    clock.advance(hours=1)
    breached = next(i for i in night_board(db, clock()) if i.ticket_id == waiting)
    assert breached.why(clock()) == "Breached 30m ago"


def test_an_empty_night(db, team, clock):
    assert night_board(db, clock()) == []
