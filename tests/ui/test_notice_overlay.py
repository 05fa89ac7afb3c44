"""Messages over the inbox never move its rows: a strip that appears or goes while the agent
aims at a ticket must not slide another ticket under the pointer (issue 16, item 1)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from desk_app.store import Database, Service
from desk_app.ui.main_window import MainWindow
from tests.ui.conftest import new_ticket, settle


@pytest.fixture
def lead_elsewhere(sqlite_database_url, clock, team):
    """The lead's Service on a Database object of its own, as on a colleague's desktop."""
    database = Database(sqlite_database_url)
    yield Service(database, team.lead, clock)
    database.dispose()


def _row_top(window: MainWindow, row: int) -> QPoint:
    """Where the row is drawn, in window coordinates (what the pointer aims at)."""
    inbox = window.inbox
    rect = inbox.visualRect(inbox.model().index(row, 0))
    return inbox.viewport().mapTo(window, rect.topLeft())


def _laid_out(qtbot) -> None:
    QApplication.processEvents()
    qtbot.wait(30)  # layout requests are posted events
    QApplication.processEvents()


def test_a_banner_or_notice_appearing_and_going_does_not_move_the_rows(
    qtbot, db, clock, make_ctx, team, open_window, lead_elsewhere
):
    system = Service(db, None, clock)
    for n in range(30):
        new_ticket(system, f"Order question {n}", f"c{n}@example.com", department="Support")
    moved = new_ticket(system, "Refund", "r@example.com", department="Support")
    window = open_window(make_ctx(team.anna), view="all_open")
    qtbot.waitUntil(
        lambda: window.live.status is not None and window.live.status.state.value == "live",
        timeout=5000,
    )
    _laid_out(qtbot)
    row = 2
    before = _row_top(window, row)

    window.banner.show_message("error", "The server could not be reached.")
    _laid_out(qtbot)
    assert window.banner.isVisible()
    assert _row_top(window, row) == before
    window.banner.hide()
    _laid_out(qtbot)
    assert _row_top(window, row) == before

    clock.advance(minutes=1)
    lead_elsewhere.assign(moved, agent=team.anna, reason="you know this customer")
    strip = window.notices.strip
    qtbot.waitUntil(strip.isVisible, timeout=5000)
    settle(qtbot, window)
    _laid_out(qtbot)
    assert _row_top(window, row) == before
    # The strip sits over the bottom of the list, below the column headers.
    header = window.inbox.horizontalHeader()
    header_bottom = header.mapTo(window, QPoint(0, header.height())).y()
    assert strip.mapTo(window, QPoint(0, 0)).y() >= header_bottom

    strip.dismissed.emit()
    strip.hide()
    _laid_out(qtbot)
    assert _row_top(window, row) == before


def test_the_last_row_can_still_scroll_into_view_above_a_notice(
    qtbot, db, clock, make_ctx, team, open_window
):
    system = Service(db, None, clock)
    for n in range(40):
        new_ticket(system, f"Order question {n}", f"c{n}@example.com", department="Support")
    window = open_window(make_ctx(team.anna), view="all_open")
    window.banner.show_message("error", "The server could not be reached.", fades=False)
    _laid_out(qtbot)
    inbox = window.inbox
    last = inbox.model().rowCount() - 1
    inbox.scrollToBottom()
    _laid_out(qtbot)
    rect = inbox.visualRect(inbox.model().index(last, 0))
    bottom = inbox.viewport().mapTo(window, rect.bottomLeft()).y()
    banner_top = window.banner.mapTo(window, QPoint(0, 0)).y()
    assert window.banner.isVisible()
    assert bottom < banner_top  # the whole last row shows above the strip, none under it


def test_a_strip_going_while_scrolled_to_the_end_waits_for_the_pointer_to_leave(
    qtbot, db, clock, make_ctx, team, open_window
):
    """Scrolled to the end, the list's room growing back would pull every row down."""
    system = Service(db, None, clock)
    for n in range(40):
        new_ticket(system, f"Order question {n}", f"c{n}@example.com", department="Support")
    window = open_window(make_ctx(team.anna), view="all_open")
    window.banner.show_message("error", "The server could not be reached.", fades=False)
    _laid_out(qtbot)
    inbox = window.inbox
    inbox.scrollToBottom()
    _laid_out(qtbot)
    last = inbox.model().rowCount() - 1
    QTest.mouseMove(inbox.viewport(), QPoint(40, 20))
    qtbot.waitUntil(inbox.underMouse, timeout=2000)
    before = _row_top(window, last)

    window.banner.hide()
    _laid_out(qtbot)
    assert _row_top(window, last) == before  # held still under the pointer
    assert inbox.bottom_margin > 0

    QTest.mouseMove(window.navigation, QPoint(20, 20))
    qtbot.waitUntil(lambda: inbox.bottom_margin == 0, timeout=2000)
    _laid_out(qtbot)
    # Once the pointer has gone the list uses the room again (and may move).
    assert inbox.viewport().geometry().bottom() > inbox.height() - 10


LONG = "The server could not be reached: " + "ticket changes are kept and sent later. " * 4


def test_strips_over_a_short_inbox_take_one_line_each_with_the_whole_text_in_the_tooltip(
    qtbot, db, clock, ctx, open_window
):
    from desk_app.ui.inbox_overlay import COMPACT_BELOW_PX

    system = Service(db, None, clock)
    for n in range(10):
        new_ticket(system, f"Order question {n}", f"c{n}@example.com", department="Support")
    window = open_window(ctx, view="all_open")
    window.resize(1400, 1000)
    _laid_out(qtbot)
    window.banner.show_message("error", LONG)
    _laid_out(qtbot)
    line = window.banner.label.fontMetrics().height()
    assert window.inbox.height() >= COMPACT_BELOW_PX
    assert window.banner.label.text() == LONG and window.banner.label.wordWrap()

    window.work_splitter.setSizes([1, 10_000])  # as short as the inbox goes
    _laid_out(qtbot)
    assert window.inbox.height() < COMPACT_BELOW_PX
    label = window.banner.label
    assert not label.wordWrap() and label.height() < 2 * line
    assert label.text().endswith("…") and label.text() != LONG
    assert window.banner.text == LONG and LONG.strip() in label.toolTip()

    window.work_splitter.setSizes([10_000, 1])  # room again: wrapped, whole
    _laid_out(qtbot)
    assert window.inbox.height() >= COMPACT_BELOW_PX
    assert window.banner.label.text() == LONG and window.banner.label.toolTip() == ""
