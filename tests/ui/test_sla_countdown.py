"""SLA countdowns in the inbox and the ticket header: text, colour, and cheap ticking."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from desk_app.core.views import View, ViewKind
from desk_app.store import Database, Service
from desk_app.store.sla_store import import_rules
from desk_app.ui.context import DeskContext
from desk_app.ui.inbox_model import Column, InboxModel
from desk_app.ui.main_window import MainWindow
from desk_app.ui.styles import LIGHT_COLOURS
from tests.conftest import FakeClock, Team
from tests.ui.conftest import new_ticket, settle

RULES = {
    "calendars": [{"name": "24/7", "timezone": "UTC", "hours": {"mon-sun": "00:00-24:00"}}],
    "policies": [
        {
            "name": "Everyone",
            "calendar": "24/7",
            "targets": [
                {"kind": "first_response", "minutes": 120, "business_hours": False},
                {"kind": "resolution", "minutes": 600, "business_hours": False},
            ],
        }
    ],
}


def _sla_cell(model: InboxModel, ticket_id: int) -> tuple[str, str]:
    index = model.index(model.row_of(ticket_id), Column.SLA)
    colour = model.data(index, Qt.ItemDataRole.ForegroundRole)
    return model.data(index, Qt.ItemDataRole.DisplayRole), QColor(colour).name()


def test_inbox_shows_time_left_with_a_traffic_light(qtbot, db, clock, ctx, team):
    clock.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    import_rules(db, RULES, team.admin, clock)
    system, anna = Service(db, None, clock), Service(db, team.anna, clock)
    fresh = new_ticket(system, "Fresh", "a@example.com")
    clock.advance(minutes=100)
    near = new_ticket(system, "Another", "b@example.com")
    waiting = new_ticket(system, "Waiting", "c@example.com")
    anna.set_status(waiting, "pending")
    model = InboxModel(ctx)
    model.show_view(View(ViewKind.ALL_OPEN))
    qtbot.waitUntil(lambda: not model.is_loading and model.rowCount() == 3, timeout=5000)
    assert _sla_cell(model, fresh) == ("20m", LIGHT_COLOURS["amber"])
    assert _sla_cell(model, near) == ("2h", LIGHT_COLOURS["green"])
    assert _sla_cell(model, waiting) == ("‖ 2h", LIGHT_COLOURS["grey"])
    clock.advance(minutes=35)  # the countdown runs with the clock, without a reload
    model.tick()
    assert _sla_cell(model, fresh) == ("−15m", LIGHT_COLOURS["red"])


def test_a_tick_asks_only_for_the_rows_on_screen(qtbot, db, clock, ctx, team, open_window):
    clock.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    import_rules(db, RULES, team.admin, clock)
    system = Service(db, None, clock)
    for n in range(150):
        new_ticket(system, f"Ticket {n}", f"t{n}@example.com")
    window = open_window(ctx, view="all_open")
    model = window.model
    while model.canFetchMore():
        model.fetchMore()
        settle(qtbot, window)
    assert model.rowCount() == 150
    asked: list[int] = []
    original = model.data

    def counting(index, role=Qt.ItemDataRole.DisplayRole):
        if index.column() == Column.SLA and role == Qt.ItemDataRole.DisplayRole:
            asked.append(index.row())
        return original(index, role)

    model.data = counting  # type: ignore[method-assign]
    window.inbox.viewport().repaint()
    visible = len(set(asked))
    asked.clear()
    clock.advance(seconds=1)
    window._tick_countdowns()
    window.inbox.viewport().repaint()
    assert 0 < len(set(asked)) <= visible + 2 < 150


def test_header_shows_each_running_target_with_its_kind(qtbot, db, clock, ctx, team, open_window):
    clock.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    import_rules(db, RULES, team.admin, clock)
    ticket = new_ticket(Service(db, None, clock), "Header", "h@example.com")
    window = open_window(ctx, ticket=ticket)
    text = window.ticket_pane.header.sla.text()
    assert "First response 2h" in text and "Resolution 10h" in text
    clock.advance(minutes=3)
    window._tick_countdowns()
    assert "First response 1h 57m" in window.ticket_pane.header.sla.text()


def test_header_keeps_a_breach_after_the_ticket_moves(
    qtbot: QtBot,
    db: Database,
    clock: FakeClock,
    make_ctx: Callable[[int | None], DeskContext],
    team: Team,
    open_window: Callable[..., MainWindow],
) -> None:
    """Moved to a department whose policy gives more time, a breached first response still
    counts down into the negative: the customer has waited past the promise all the same."""

    def policy(department: str, minutes: int) -> dict[str, Any]:
        first = {"kind": "first_response", "minutes": minutes, "business_hours": False}
        return {"name": department, "departments": [department], "targets": [first]}

    rules = {"calendars": [], "policies": [policy("Support", 120), policy("Billing", 1200)]}
    clock.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    import_rules(db, rules, team.admin, clock)
    ticket = new_ticket(Service(db, None, clock), "Late", "l@example.com", department="Support")
    clock.advance(hours=3)  # Support's two hours ran out an hour ago
    window = open_window(make_ctx(team.lead), ticket=ticket)
    assert "First response −1h" in window.ticket_pane.header.sla.text()
    # What the reassignment dialog and a drop on a department call (ui/reassign*.py).
    Service(db, team.lead, clock).assign(ticket, department="Billing", reason="billing question")
    window.ticket_pane.reload()
    settle(qtbot, window)
    assert window.ticket_pane.header.sla.toolTip() == "SLA policy: Billing"
    assert "First response −1h" in window.ticket_pane.header.sla.text()
