"""The On call panel in the real window, offscreen: who is on call in the status bar, the page
alert, the night list with pages on top, A to acknowledge and Enter to open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desk_app.store import Service
from desk_app.store.night_board import NightItem
from desk_app.store.paging_store import PagingStore
from desk_app.ui.navigation import COUNT_ROLE, ONCALL_KEY
from desk_app.ui.night_view import NightModel, NightView, next_page_row
from desk_app.ui.window_sizing import pin_minimum_size
from tests.conftest import FakeClock
from tests.ui.conftest import new_ticket, settle
from tests.worker.oncall_setup import FRIDAY_EVENING, nights_rotation, tokyo_office


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(FRIDAY_EVENING + timedelta(minutes=10))


@pytest.fixture
def night(db, team, clock) -> dict[str, int]:
    """Friday night in Tokyo, Anna on call: one urgent ticket paged her, one customer waits."""
    tokyo_office(db, team.admin, clock)
    nights_rotation(db, clock, (team.anna, team.boris))
    system = Service(db, None, clock)
    waiting = new_ticket(system, "Where is my parcel", "p@example.com", department="Support")
    clock.advance(minutes=5)
    outage = new_ticket(
        system, "Checkout down", "c@example.com", department="Billing", priority="urgent"
    )
    assert PagingStore(db, clock).open_page(outage) is not None
    return {"waiting": waiting, "outage": outage}


def nav_count(window, key: str):
    nav = window.navigation.nav
    return nav.index(nav.row_of(key)).data(COUNT_ROLE)


def test_status_bar_alert_list_acknowledge_and_open(
    qtbot, db, team, clock, ctx, night, open_window
):
    window = open_window(ctx)
    panel = window.oncall
    qtbot.waitUntil(lambda: panel.pages == 1, timeout=5000)
    assert "Anna Ivanova" in panel.indicator.text()
    assert "1 page not acknowledged" in panel.indicator.text()
    assert nav_count(window, ONCALL_KEY) == 1
    # The page reached Anna's desktop as a message, once.
    qtbot.waitUntil(lambda: any("Checkout down" in text for _l, text in ctx.messages.history))
    panel.tick()
    settle(qtbot, window)
    assert sum("Checkout down" in text for _l, text in ctx.messages.history) == 1

    # Choosing "On call" in the navigation opens the panel beside the current view.
    nav = window.navigation
    with qtbot.waitSignal(panel.view.loaded, timeout=5000):
        nav.setCurrentIndex(nav.nav.index(nav.nav.row_of(ONCALL_KEY)))
    assert panel.dock.isVisible() and window.current_view_key == "mine"
    model: NightModel = panel.view.model
    assert [(i.kind, i.ticket_id) for i in model.items] == [
        ("page", night["outage"]),
        ("waiting", night["waiting"]),  # due on Tuesday: not soon, but waiting
    ]
    assert model.index(0, 0).data() == "Page not acknowledged: Anna Ivanova"

    table = panel.view.table
    table.setFocus()
    table.selectRow(0)
    with qtbot.waitSignal(panel.view.acknowledged, timeout=5000):
        qtbot.keyClick(table, Qt.Key.Key_A)
    # A acknowledged the page; the window's own A (assign) did not open its picker.
    assert QApplication.activePopupWidget() is None
    page = PagingStore(db, clock).page_for(night["outage"])
    assert page.acknowledged_by == "Anna Ivanova"
    qtbot.waitUntil(lambda: panel.pages == 0, timeout=5000)
    qtbot.waitUntil(lambda: model.items and model.items[0].kind != "page", timeout=5000)
    assert "page" not in panel.indicator.text()

    row = model.row_of(night["waiting"])
    assert row is not None
    table.selectRow(row)
    qtbot.keyClick(table, Qt.Key.Key_Return)
    settle(qtbot, window)
    assert window.ticket_pane.ticket_id == night["waiting"]


def test_a_on_a_row_without_a_page_says_so(qtbot, db, team, clock, ctx, night):
    opened: list[int] = []
    view = NightView(ctx, opened.append)
    qtbot.addWidget(view)
    pin_minimum_size(view, 900, 300)  # a top-level window here; see ui/window_sizing.py
    view.show()
    with qtbot.waitSignal(view.loaded, timeout=5000):
        view.refresh()
    row = view.model.row_of(night["waiting"])
    view.table.setFocus()
    view.table.selectRow(row)
    qtbot.keyClick(view.table, Qt.Key.Key_A)
    assert ctx.messages.history[-1][1] == f"Ticket #{night['waiting']} has no page to acknowledge."
    qtbot.keyClick(view.table, Qt.Key.Key_Enter)
    assert opened == [night["waiting"]]


def test_the_night_model_passes_the_model_tester(qtbot, qtmodeltester, ctx, night):
    view = NightView(ctx, lambda _id: None)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.loaded, timeout=5000):
        view.refresh()
    qtmodeltester.check(view.model)


def test_a_in_a_row_acknowledges_every_page_in_turn(qtbot, db, team, clock, ctx, night):
    """Issue 16 item 4: after A the selection moves to the next open page, not down the list
    with the acknowledged ticket; so A, A, A acknowledges three pages."""
    system = Service(db, None, clock)
    for name in ("Payments failing", "Login broken"):
        clock.advance(minutes=1)
        ticket = new_ticket(system, name, f"{name[:3]}@example.com", priority="urgent")
        assert PagingStore(db, clock).open_page(ticket) is not None
    view = NightView(ctx, lambda _id: None)
    qtbot.addWidget(view)
    pin_minimum_size(view, 900, 300)
    view.show()
    with qtbot.waitSignal(view.loaded, timeout=5000):
        view.refresh()
    assert [item.kind for item in view.model.items].count("page") == 3
    view.table.setFocus()
    view.table.selectRow(0)
    for left in (2, 1, 0):
        with qtbot.waitSignal(view.loaded, timeout=5000):
            qtbot.keyClick(view.table, Qt.Key.Key_A)
        assert [item.kind for item in view.model.items].count("page") == left
        selected = view.model.items[view.table.currentIndex().row()]
        assert selected.kind == ("page" if left else view.model.items[0].kind)
    assert not any("has no page" in text for _level, text in ctx.messages.history)


@pytest.mark.parametrize(
    ("kinds", "acknowledged_row", "expected"),
    [
        (["page", "page", "urgent"], 0, 0),  # the next page moved up into its place
        (["page", "page", "urgent"], 2, 1),  # it was the last: the one before it
        (["urgent", "waiting"], 0, None),  # none left
    ],
)
def test_next_page_row(kinds, acknowledged_row, expected):
    items = [
        NightItem(
            ticket_id=n,
            kind=kind,
            subject="",
            department=None,
            priority="normal",
            customer="",
            sla_due_at=None,
            waiting_since=None,
        )
        for n, kind in enumerate(kinds)
    ]
    assert next_page_row(items, acknowledged_row) == expected
