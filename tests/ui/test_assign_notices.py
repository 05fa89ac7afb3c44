"""Assignment notices in the window: a colleague's move on another desktop reaches the new
assignee (or their department) through the change feed, as a strip with Open and dismiss."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton

from desk_app.store import Database, Service
from desk_app.store.models import Notification
from tests.ui.conftest import new_ticket, settle


@pytest.fixture
def lead_elsewhere(sqlite_database_url, clock, team):
    """The lead's Service on a Database object of its own, as on a colleague's desktop."""
    database = Database(sqlite_database_url)
    yield Service(database, team.lead, clock)
    database.dispose()


def _live(qtbot, window) -> None:
    qtbot.waitUntil(
        lambda: window.live.status is not None and window.live.status.state.value == "live",
        timeout=5000,
    )


def _read_at(db, ticket_id: int):
    with db.read() as session:
        return session.scalar(
            sa.select(Notification.read_at).where(Notification.ticket_id == ticket_id)
        )


def test_the_assignee_sees_the_notice_live_and_open_shows_the_ticket(
    qtbot, db, clock, make_ctx, team, open_window, lead_elsewhere
):
    system = Service(db, None, clock)
    first = new_ticket(system, "Password reset", "p@example.com", department="Support")
    moved = new_ticket(system, "Refund for order 5521", "r@example.com", department="Support")
    window = open_window(make_ctx(team.anna), view="all_open", ticket=first)
    _live(qtbot, window)
    strip = window.notices.strip
    assert not strip.isVisible()

    clock.advance(minutes=1)
    lead_elsewhere.assign(moved, agent=team.anna, reason="you know this customer")
    qtbot.waitUntil(strip.isVisible, timeout=5000)
    assert strip.text == (
        f"#{moved} Refund for order 5521 was assigned to you by Lena Lead: you know this customer"
    )
    assert strip.action_button.text() == "Open"
    # A notice waits for the agent: it does not fade like a confirmation.
    qtbot.wait(50)
    assert strip.isVisible()

    qtbot.mouseClick(strip.action_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.ticket_pane.ticket_id == moved, timeout=3000)
    settle(qtbot, window)
    assert not strip.isVisible()
    assert _read_at(db, moved) is not None  # read: it will not come back


def test_department_notices_show_to_members_and_stay_dismissed(
    qtbot, db, clock, make_ctx, team, open_window, lead_elsewhere
):
    system = Service(db, None, clock)
    wrong = new_ticket(system, "Wrong queue", "w@example.com", department="Billing")
    bulk = [
        new_ticket(system, f"Invoice {n}", f"i{n}@example.com", department="Billing")
        for n in range(3)
    ]
    window = open_window(make_ctx(team.anna), view="all_open")
    _live(qtbot, window)
    strip = window.notices.strip

    clock.advance(minutes=1)
    lead_elsewhere.assign(wrong, department="Support", reason="a login problem")
    qtbot.waitUntil(strip.isVisible, timeout=5000)
    assert strip.text == (
        f"#{wrong} Wrong queue was assigned to your department by Lena Lead: a login problem"
    )
    with qtbot.waitSignal(window.notices.shown, timeout=5000):
        clock.advance(minutes=1)
        lead_elsewhere.assign_many(bulk, department="Support", reason="Support answers these")
    qtbot.waitUntil(lambda: "and 1 more" in strip.text, timeout=5000)
    assert strip.text.startswith("3 tickets were assigned to your department by Lena Lead")
    # Open on a bulk notice shows the department the tickets went to; the older one remains.
    qtbot.mouseClick(strip.action_button, Qt.MouseButton.LeftButton)
    assert window.current_view_key == f"department:{team.support}"
    assert strip.isVisible() and strip.text.startswith(f"#{wrong} Wrong queue")
    dismiss = next(b for b in strip.findChildren(QToolButton) if b.toolTip() == "Dismiss")
    qtbot.mouseClick(dismiss, Qt.MouseButton.LeftButton)
    assert not strip.isVisible()
    settle(qtbot, window)
    window.close()

    # A department notice has no read mark of its own: this desktop remembers it was seen.
    again = open_window(make_ctx(team.anna), view="all_open")
    settle(qtbot, again)
    assert not again.notices.strip.isVisible()
    assert again.notices.notices == []


def test_nobody_is_told_about_their_own_move(
    qtbot, db, clock, make_ctx, team, open_window, lead_elsewhere
):
    ticket = new_ticket(Service(db, None, clock), "Mine now", "m@example.com", department="Billing")
    window = open_window(make_ctx(team.lead), view="all_open")
    _live(qtbot, window)
    clock.advance(minutes=1)
    # Into a department the lead belongs to: Support is told, the lead is not.
    with qtbot.waitSignal(window.live.notices_due, timeout=5000):
        lead_elsewhere.assign(ticket, department="Support", reason="login")
    settle(qtbot, window)
    assert not window.notices.strip.isVisible()
