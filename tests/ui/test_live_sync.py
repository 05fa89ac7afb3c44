"""Two desktops on one SQLite database: what one does appears in the other without a refresh,
and the other keeps its selection, its composer text and its place in the conversation."""

from __future__ import annotations

import threading
from datetime import UTC

import pytest

from desk_app.store import Database, Queries, Service
from desk_app.ui.context import DeskContext
from desk_app.ui.messages import MessageBridge
from desk_app.ui.tasks import TaskRunner
from tests.ui.conftest import new_ticket, settle


@pytest.fixture
def other_desktop(sqlite_database_url, clock, team):
    """A context with its own Database object (own engine and connections), as a colleague's
    desktop has; signed in as the lead."""
    database = Database(sqlite_database_url)
    queries = Queries(database, team.lead, clock)
    runner = TaskRunner()
    ctx = DeskContext(
        queries=queries,
        service=Service(database, team.lead, clock),
        runner=runner,
        messages=MessageBridge(),
        agent=next(a for a in queries.agents() if a.id == team.lead),
        time_zone=UTC,
        clock=clock,
    )
    yield ctx
    runner.shutdown()
    database.dispose()


def _open(qtbot, window, ticket_id: int) -> None:
    window.open_ticket(ticket_id)
    qtbot.waitUntil(
        lambda: window.ticket_pane.detail is not None and window.ticket_pane.detail.id == ticket_id,
        timeout=3000,
    )
    settle(qtbot, window)


def _row_status(window, ticket_id: int) -> str | None:
    row = window.model.row_of(ticket_id)
    record = None if row is None else window.model.ticket_row(row)
    return None if record is None else record.status


def _live(window) -> bool:
    status = window.live.status
    return status is not None and status.state.value == "live"


def test_a_status_change_and_a_reply_appear_on_the_other_desktop(
    qtbot, db, clock, team, ctx, other_desktop, open_window
):
    system = Service(db, None, clock)
    first = new_ticket(system, "Printer on fire", "p@example.com", department="Support")
    second = new_ticket(system, "Lost password", "l@example.com", department="Support")
    anna = open_window(ctx, view="all_open")
    lead = open_window(other_desktop, view="all_open")
    qtbot.waitUntil(lambda: _live(anna) and _live(lead), timeout=5000)
    _open(qtbot, anna, first)
    _open(qtbot, anna, second)  # Anna reads the second ticket and starts a reply
    anna.ticket_pane.composer.editor.setPlainText("Half-written answer")
    selected = anna.inbox.selected_ticket_ids()
    assert selected == [second]

    # The lead sets the status of the open ticket in their own window.
    _open(qtbot, lead, second)
    lead.ticket_pane.change_field("status", "pending")
    qtbot.waitUntil(lambda: _row_status(anna, second) == "pending", timeout=3000)
    qtbot.waitUntil(
        lambda: anna.ticket_pane.detail is not None and anna.ticket_pane.detail.status == "pending",
        timeout=3000,
    )
    assert anna.inbox.selected_ticket_ids() == selected
    assert anna.ticket_pane.composer.text() == "Half-written answer"

    # ...and replies to it.
    lead.ticket_pane.composer.editor.setPlainText("We are on it.")
    lead.ticket_pane.composer.send()
    qtbot.waitUntil(
        lambda: (
            anna.ticket_pane.detail is not None
            and any(
                "We are on it." in (m.body_text or "") for m in anna.ticket_pane.detail.messages
            )
        ),
        timeout=3000,
    )
    settle(qtbot, anna)
    assert anna.inbox.selected_ticket_ids() == selected
    assert anna.ticket_pane.ticket_id == second
    assert anna.ticket_pane.composer.text() == "Half-written answer"

    # A change to a ticket that is not open only repaints its row.
    Service(db, team.lead, clock).set_priority(first, "urgent")
    qtbot.waitUntil(
        lambda: anna.model.ticket_row(anna.model.row_of(first)).priority == "urgent",
        timeout=3000,
    )
    assert anna.ticket_pane.ticket_id == second


def test_counts_follow_changes_made_elsewhere(qtbot, db, clock, team, ctx, open_window):
    system = Service(db, None, clock)
    ticket = new_ticket(system, "Refund", "r@example.com", department="Support")
    window = open_window(ctx, view="all_open")
    qtbot.waitUntil(lambda: _live(window), timeout=5000)
    nav = window.navigation.nav
    from desk_app.ui.navigation import COUNT_ROLE

    def count(key: str) -> object:
        return nav.index(nav.row_of(key)).data(COUNT_ROLE)

    assert count("pending") == 0
    Service(db, team.lead, clock).set_status(ticket, "pending")
    qtbot.waitUntil(lambda: count("pending") == 1, timeout=3000)


def test_the_status_bar_names_the_database_and_says_live(qtbot, ctx, open_window, db):
    window = open_window(ctx)
    qtbot.waitUntil(lambda: window.sync_labels.state.text().startswith("live"), timeout=5000)
    path = db.url.split("///", 1)[1]
    assert window.sync_labels.database.text() == f"Embedded database {path}"
    assert window.sync_labels.database.isVisible()


def test_closing_the_window_stops_the_listener(qtbot, ctx, open_window):
    window = open_window(ctx)
    qtbot.waitUntil(lambda: window.live.listener is not None, timeout=5000)
    listener = window.live.listener
    window.close()
    assert not listener.running
    assert not any(t.name == "desk-sync" for t in threading.enumerate())


def test_a_live_reload_keeps_the_reading_position(qtbot, db, clock, team, ctx, open_window):
    system = Service(db, None, clock)
    ticket = new_ticket(system, "Long thread", "long@example.com", department="Support")
    lead = Service(db, team.lead, clock)
    for n in range(12):
        lead.add_note(ticket, f"Note {n}\n" + "line\n" * 8)
    window = open_window(ctx, view="all_open")
    _open(qtbot, window, ticket)
    bar = window.ticket_pane.conversation.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 200, timeout=3000)
    bar.setValue(100)
    window.ticket_pane.composer.editor.setPlainText("Still typing")
    lead.set_priority(ticket, "high")
    qtbot.waitUntil(lambda: window.ticket_pane.detail.priority == "high", timeout=3000)
    qtbot.wait(50)
    assert bar.value() == 100
    assert window.ticket_pane.composer.text() == "Still typing"


def test_a_ticket_created_elsewhere_joins_the_list_without_moving_what_is_on_screen(
    qtbot, db, clock, team, ctx, other_desktop, open_window
):
    system = Service(db, None, clock)
    ids = []
    for n in range(40):
        clock.advance(minutes=1)
        ids.append(new_ticket(system, f"Ticket {n:02d}", f"c{n}@example.com"))
    anna = open_window(ctx, view="all_open")
    qtbot.waitUntil(lambda: _live(anna), timeout=5000)
    inbox, model = anna.inbox, anna.model
    # Anna has scrolled down a little and works on a ticket further down the list.
    _open(qtbot, anna, ids[20])
    bar = inbox.verticalScrollBar()
    bar.setValue(5 * inbox.verticalHeader().defaultSectionSize() + 7)
    top_ticket = model.ticket_id(inbox.rowAt(0))
    top_offset = inbox.rowViewportPosition(inbox.rowAt(0))
    rows = model.rowCount()

    # The mail worker (or a colleague) creates a ticket: it joins "All open" at the top.
    clock.advance(minutes=1)
    created = new_ticket(Service(db, team.lead, clock), "Brand new", "new@example.com")
    qtbot.waitUntil(lambda: model.row_of(created) == 0, timeout=5000)
    settle(qtbot, anna)
    assert model.rowCount() == rows + 1
    assert anna.inbox.selected_ticket_ids() == [ids[20]]
    assert anna.ticket_pane.ticket_id == ids[20]
    # What Anna was looking at has not moved.
    assert model.ticket_id(inbox.rowAt(0)) == top_ticket
    assert inbox.rowViewportPosition(inbox.rowAt(0)) == top_offset

    # A colleague solves a ticket above the screen: it leaves, the screen still does not move.
    Service(db, team.lead, clock).set_status(ids[39], "solved")
    qtbot.waitUntil(lambda: model.row_of(ids[39]) is None, timeout=5000)
    settle(qtbot, anna)
    assert model.rowCount() == rows
    assert model.ticket_id(inbox.rowAt(0)) == top_ticket
    assert inbox.rowViewportPosition(inbox.rowAt(0)) == top_offset
    assert anna.inbox.selected_ticket_ids() == [ids[20]]

    # The ticket Anna has selected is solved elsewhere: it stays under her cursor, marked solved.
    Service(db, team.lead, clock).set_status(ids[20], "solved")
    qtbot.waitUntil(lambda: _row_status(anna, ids[20]) == "solved", timeout=5000)
    assert anna.inbox.selected_ticket_ids() == [ids[20]]


def test_a_new_ticket_appears_at_the_top_when_the_list_is_at_the_top(
    qtbot, db, clock, team, ctx, open_window
):
    system = Service(db, None, clock)
    first = new_ticket(system, "Older", "o@example.com")
    window = open_window(ctx, view="all_open")
    qtbot.waitUntil(lambda: _live(window), timeout=5000)
    clock.advance(minutes=1)
    created = new_ticket(system, "Just arrived", "j@example.com")
    qtbot.waitUntil(lambda: window.model.row_of(created) == 0, timeout=5000)
    assert window.inbox.verticalScrollBar().value() == 0
    assert window.inbox.rowAt(0) == 0
    assert window.model.row_of(first) == 1
