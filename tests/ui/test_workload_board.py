"""The workload board: figures against a known data set, drill-down into the main window's
inbox, live refresh from the change feed, and only for leads and admins."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt

from desk_app.core.views import NOBODY, View, ViewKind
from desk_app.store import Service
from desk_app.store.models import Ticket
from desk_app.store.workload import Load
from desk_app.ui.workload_board import (
    AGENTS,
    DEPARTMENTS,
    Column,
    WorkloadBoard,
    drill_down,
    open_workload_board,
)
from tests.ui.conftest import new_ticket, settle


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: DESK_SHOTS to look at them, else the test's own directory."""
    return Path(os.environ.get("DESK_SHOTS") or tmp_path)


def _due(db, ticket_id: int, delta: timedelta, clock) -> None:
    with db.write() as session:
        session.execute(
            sa.update(Ticket).where(Ticket.id == ticket_id).values(sla_due_at=clock() + delta)
        )


def known_data(db, team, clock) -> dict[str, int]:
    """Support: 2 open (one due soon, one from yesterday assigned to Anna) and one solved today;
    Billing: 3 open (one breached, assigned to Boris); one ticket without a department."""
    system, lead = Service(db, None, clock), Service(db, team.lead, clock)
    yesterday = clock() - timedelta(days=1)
    ids = {
        "old": new_ticket(
            system, "Old", "o@example.com", department="Support", created_at=yesterday
        ),
        "soon": new_ticket(system, "Soon", "s@example.com", department="Support"),
        "late": new_ticket(system, "Late", "l@example.com", department="Billing"),
        "b2": new_ticket(system, "B2", "b2@example.com", department="Billing"),
        "b3": new_ticket(system, "B3", "b3@example.com", department="Billing"),
        "nowhere": new_ticket(system, "Nowhere", "n@example.com"),
        "done": new_ticket(system, "Done", "d@example.com", department="Support"),
    }
    lead.assign(ids["old"], agent=team.anna)
    lead.assign(ids["late"], agent=team.boris)
    lead.set_status(ids["done"], "solved")
    _due(db, ids["soon"], timedelta(minutes=30), clock)
    _due(db, ids["late"], -timedelta(minutes=10), clock)
    return ids


def row_texts(board: WorkloadBoard, dimension: str) -> dict[str, list[str]]:
    model = board.models[dimension]
    return {
        model.index(row, 0).data(): [
            model.index(row, column).data() for column in range(1, model.columnCount())
        ]
        for row in range(model.rowCount())
    }


def open_board(qtbot, window) -> WorkloadBoard:
    board = open_workload_board(
        window.ctx,
        window,
        window.live.changed,
        lambda t: window.show_narrowed(t.view, t.description, t.ticket_id),
    )
    qtbot.waitUntil(lambda: board.loads_done >= 1, timeout=5000)
    return board


def click_cell(qtbot, board: WorkloadBoard, dimension: str, name: str, column: Column) -> None:
    board.tabs.setCurrentIndex(0 if dimension == DEPARTMENTS else 1)
    table = board.tables[dimension]
    model = board.models[dimension]
    row = next(r for r in range(model.rowCount()) if model.index(r, 0).data() == name)
    rect = table.visualRect(model.index(row, column))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_figures_per_department_and_agent(qtbot, db, team, clock, make_ctx, open_window, shots):
    ids = known_data(db, team, clock)
    window = open_window(make_ctx(team.lead), view="all_open")
    board = open_board(qtbot, window)
    departments = row_texts(board, DEPARTMENTS)
    # Columns: open, new today (solved ones too: they arrived today), due soon, breached.
    assert departments["Billing"] == ["3", "3", "0", "1", f"<1m · #{ids['late']}"]
    assert departments["Support"][:4] == ["2", "2", "1", "0"]
    # Support's longest wait: yesterday's ticket is Anna's, open, never answered.
    assert departments["Support"][4] == f"1d · #{ids['old']}"
    assert departments["No department"][:4] == ["1", "1", "0", "0"]
    agents = row_texts(board, AGENTS)
    assert agents["Unassigned"][:4] == ["4", "5", "1", "0"]
    assert agents["Anna Ivanova"][:4] == ["1", "0", "0", "0"]
    assert agents["Boris Sato"][:4] == ["1", "1", "0", "1"]
    assert agents["Ada Admin"] == ["0", "0", "0", "0", "—"]
    chart = board.charts[DEPARTMENTS]
    assert [load.name for load in chart.loads] == ["Billing", "Support", "No department"]
    board.grab().save(str(shots / "workload_board.png"))
    board.tabs.setCurrentIndex(1)
    board.grab().save(str(shots / "workload_board_agents.png"))


def test_clicking_a_cell_opens_the_matching_view(
    qtbot, db, team, clock, make_ctx, open_window, shots
):
    ids = known_data(db, team, clock)
    window = open_window(make_ctx(team.lead), view="mine")
    board = open_board(qtbot, window)

    click_cell(qtbot, board, DEPARTMENTS, "Billing", Column.BREACHED)
    settle(qtbot, window)
    assert window.model.view == View(ViewKind.BREACHED, only_department=team.billing)
    assert window.current_view_key == "breached"
    assert [window.model.ticket_id(r) for r in range(window.model.rowCount())] == [ids["late"]]
    assert window.banner.isVisible() and "Billing's breached tickets" in window.banner.text
    window.grab().save(str(shots / "workload_drill_down.png"))
    window.banner.action_button.click()  # "Show all"
    settle(qtbot, window)
    assert window.model.view == View(ViewKind.BREACHED) and not window.banner.isVisible()

    click_cell(qtbot, board, DEPARTMENTS, "Support", Column.OPEN)
    settle(qtbot, window)
    assert window.model.view == View(ViewKind.DEPARTMENT, team.support)
    assert window.current_view_key == f"department:{team.support}"

    click_cell(qtbot, board, AGENTS, "Boris Sato", Column.OPEN)
    settle(qtbot, window)
    assert window.model.view == View(ViewKind.ALL_OPEN, only_assignee=team.boris)
    assert window.model.rowCount() == 1

    click_cell(qtbot, board, DEPARTMENTS, "Support", Column.OLDEST)
    qtbot.waitUntil(lambda: window.ticket_pane.ticket_id == ids["old"], timeout=3000)
    settle(qtbot, window)
    assert window.inbox.selected_ticket_ids() == [ids["old"]]

    # A bar of the chart drills down the same way.
    board.tabs.setCurrentIndex(0)
    chart = board.charts[DEPARTMENTS]
    segment = next(s for s in chart._segments if s.key == "due_soon")
    qtbot.mouseClick(chart, Qt.MouseButton.LeftButton, pos=segment.rect.center())
    settle(qtbot, window)
    assert window.model.view == View(ViewKind.DUE_SOON, only_department=team.support)


def test_the_board_follows_changes_live(qtbot, db, team, clock, make_ctx, open_window):
    known_data(db, team, clock)
    window = open_window(make_ctx(team.lead), view="all_open")
    qtbot.waitUntil(lambda: window.live.status is not None, timeout=5000)
    board = open_board(qtbot, window)
    before = board.loads_done
    # A colleague (another process, in real life) files two new tickets into Billing.
    system = Service(db, None, clock)
    new_ticket(system, "Live one", "live1@example.com", department="Billing")
    new_ticket(system, "Live two", "live2@example.com", department="Billing")
    qtbot.waitUntil(lambda: row_texts(board, DEPARTMENTS)["Billing"][0] == "5", timeout=8000)
    # Both changes cost one refresh, not one each (the feed is followed at most once a second).
    assert board.loads_done - before == 1


def test_drill_down_targets():
    billing = Load(2, "Billing", open=3, breached=1, oldest_waiting_id=9)
    nobody = Load(None, "No department", open=1)
    anna = Load(5, "Anna Ivanova", open=2)
    unassigned = Load(None, "Unassigned", open=4)
    assert drill_down(DEPARTMENTS, billing, Column.NEW_TODAY, None).view == View(
        ViewKind.DEPARTMENT, 2
    )
    assert drill_down(DEPARTMENTS, nobody, Column.BREACHED, None).view == View(
        ViewKind.BREACHED, only_department=NOBODY
    )
    oldest = drill_down(DEPARTMENTS, billing, Column.OLDEST, None)
    assert (oldest.view, oldest.ticket_id) == (View(ViewKind.DEPARTMENT, 2), 9)
    assert drill_down(DEPARTMENTS, nobody, Column.OLDEST, None) is None
    assert drill_down(AGENTS, anna, Column.OPEN, 5).view == View(ViewKind.MINE)
    assert drill_down(AGENTS, anna, Column.DUE_SOON, 5).view == View(
        ViewKind.DUE_SOON, only_assignee=5
    )
    assert drill_down(AGENTS, unassigned, Column.OPEN, 5).view == View(ViewKind.UNASSIGNED)
    assert drill_down(AGENTS, unassigned, Column.BREACHED, 5).description == (
        "unassigned breached tickets"
    )


def test_agents_do_not_get_the_board(qtbot, db, team, clock, ctx, open_window):
    window = open_window(ctx)  # Anna, an agent
    actions = window.window_actions
    assert not actions["workload"].isVisible() and not actions["routing"].isVisible()
    # Even when opened anyway, the store refuses with the permission rules' reason.
    board = WorkloadBoard(ctx)
    qtbot.addWidget(board)
    board.show()
    board.load()
    qtbot.waitUntil(lambda: board.loads_done == 1, timeout=5000)
    assert board.status.text() == "not allowed: an agent may not see the workload board"
    assert board.models[DEPARTMENTS].rowCount() == 0
