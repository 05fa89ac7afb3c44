"""Ticket numbers in the hand-off summary are links: clicking one, or activating it from the
keyboard, opens that ticket in the main window (issue 16, item 10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QTextBrowser

from desk_app.core.handoff import ticket_link
from desk_app.store import Service
from desk_app.ui.handoff_dialog import HandoffDialog
from tests.conftest import FakeClock
from tests.ui.conftest import new_ticket

MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MORNING - timedelta(hours=6))


def _anchor_cursor(browser: QTextBrowser, href: str) -> QTextCursor:
    block = browser.document().begin()
    while block.isValid():
        fragments = block.begin()
        while not fragments.atEnd():
            fragment = fragments.fragment()
            if fragment.charFormat().anchorHref() == href:
                cursor = QTextCursor(browser.document())
                cursor.setPosition(fragment.position() + 1)
                return cursor
            fragments += 1
        block = block.next()
    raise AssertionError(f"no link to {href} in {browser.toMarkdown()!r}")


def _anchor_point(browser: QTextBrowser, href: str) -> QPoint:
    return browser.cursorRect(_anchor_cursor(browser, href)).center()


def test_a_ticket_number_in_the_handoff_opens_the_ticket(qtbot, db, clock, ctx, open_window):
    system = Service(db, None, clock)
    parcel = new_ticket(system, "Parcel lost", "p@example.com", department="Support")
    invoice = new_ticket(system, "Invoice copy", "i@example.com", department="Billing")
    clock.now = MORNING
    window = open_window(ctx)
    window.oncall.handoff_action.trigger()
    dialog = window.findChild(HandoffDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.summary is not None, timeout=5000)
    assert window.ticket_pane.ticket_id != invoice

    browser = dialog.text
    qtbot.mouseClick(
        browser.viewport(),
        Qt.MouseButton.LeftButton,
        pos=_anchor_point(browser, ticket_link(invoice)),
    )
    qtbot.waitUntil(lambda: window.ticket_pane.ticket_id == invoice, timeout=5000)

    # From the keyboard: Tab walks the links, Enter opens the one it is on.
    browser.setFocus()
    for _ in range(10):
        qtbot.keyClick(browser, Qt.Key.Key_Tab)
        if browser.textCursor().charFormat().anchorHref() == ticket_link(parcel):
            break
    qtbot.keyClick(browser, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.ticket_pane.ticket_id == parcel, timeout=5000)
