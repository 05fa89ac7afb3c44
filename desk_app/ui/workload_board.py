"""The workload board for leads: per department and per agent, what is open, new today, due
soon and breached, and who has waited longest; as a table and a bar chart.

A click on a cell (or a bar) asks the main window for the matching inbox view: Billing's
breached tickets, Anna's open ones, the oldest waiting ticket itself. The figures come from
store.workload on the task runner, which refuses anyone but leads and admins; they refresh
from the change feed at most once a second, and every minute for what the clock alone moves
(a ticket turning from due soon to breached).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
    QTimer,
    Signal,
    SignalInstance,
)
from PySide6.QtGui import QCloseEvent, QColor, QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desk_app.core.countdown import format_remaining
from desk_app.core.errors import DeskError
from desk_app.core.views import NOBODY, View, ViewKind
from desk_app.store.workload import Board, Load, Workload
from desk_app.sync.summary import ChangeSummary
from desk_app.ui.context import DeskContext
from desk_app.ui.plain import plain_label, tooltip
from desk_app.ui.styles import LIGHT_COLOURS
from desk_app.ui.window_sizing import fitted_size, pin_minimum_size
from desk_app.ui.workload_chart import WorkloadChart

Index = QModelIndex | QPersistentModelIndex
# The change feed may deliver many batches a second; the board follows at most once a second.
LIVE_REFRESH_MS = 1_000
CLOCK_REFRESH_MS = 60_000
DEPARTMENTS, AGENTS = "department", "agent"
# The names and figures come first; the chart keeps at least this and scrolls sideways.
CHART_LEAST = 260


class Column(IntEnum):
    NAME = 0
    OPEN = 1
    NEW_TODAY = 2
    DUE_SOON = 3
    BREACHED = 4
    OLDEST = 5


HEADERS = ("Name", "Open", "New today", "Due soon", "Breached", "Oldest waiting")
# The chart's segments drill down as the table's columns do.
SEGMENT_COLUMNS = {"breached": Column.BREACHED, "due_soon": Column.DUE_SOON, "open": Column.OPEN}


@dataclass(frozen=True)
class DrillDown:
    """What a click on the board opens: a (narrowed) view, and maybe one ticket in it."""

    view: View
    description: str  # "Billing's breached tickets", for the window's note
    ticket_id: int | None = None


def drill_down(dimension: str, load: Load, column: Column, me: int | None) -> DrillDown | None:
    """The inbox view behind one cell of the board."""
    if column is Column.OLDEST:
        if load.oldest_waiting_id is None:
            return None
        opened = drill_down(dimension, load, Column.OPEN, me)
        assert opened is not None
        return DrillDown(opened.view, opened.description, load.oldest_waiting_id)
    kind = {Column.DUE_SOON: ViewKind.DUE_SOON, Column.BREACHED: ViewKind.BREACHED}.get(
        column, ViewKind.ALL_OPEN
    )
    what = {ViewKind.DUE_SOON: "tickets due soon", ViewKind.BREACHED: "breached tickets"}.get(
        kind, "open tickets"
    )
    if dimension == DEPARTMENTS:
        if kind is ViewKind.ALL_OPEN and load.key is not None:
            return DrillDown(View(ViewKind.DEPARTMENT, load.key), f"{load.name}'s {what}")
        if load.key is None:
            return DrillDown(View(kind, only_department=NOBODY), f"{what} without a department")
        return DrillDown(View(kind, only_department=load.key), f"{load.name}'s {what}")
    if kind is ViewKind.ALL_OPEN and load.key is None:
        return DrillDown(View(ViewKind.UNASSIGNED), f"unassigned {what}")
    if kind is ViewKind.ALL_OPEN and load.key == me:
        return DrillDown(View(ViewKind.MINE), f"your {what}")
    if load.key is None:
        return DrillDown(View(kind, only_assignee=NOBODY), f"unassigned {what}")
    return DrillDown(View(kind, only_assignee=load.key), f"{load.name}'s {what}")


class WorkloadModel(QAbstractTableModel):
    def __init__(self, dimension: str) -> None:
        super().__init__()
        self.dimension = dimension
        self.loads: list[Load] = []
        self.now: datetime | None = None

    def set_loads(self, loads: list[Load], now: datetime) -> None:
        self.beginResetModel()
        self.loads, self.now = list(loads), now
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.loads)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.loads):
            return None
        load, column = self.loads[index.row()], Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(load, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column is not Column.NAME:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column is Column.BREACHED and load.breached:
                return QColor(LIGHT_COLOURS["red"])
            if column is Column.DUE_SOON and load.due_soon:
                return QColor(LIGHT_COLOURS["amber"])
        if role == Qt.ItemDataRole.ToolTipRole:
            target = drill_down(self.dimension, load, column, None)
            # The name whole, for a name longer than its column can show.
            name = f"{load.name}\n" if column is Column.NAME else ""
            if target is not None:
                ticket = f" (ticket #{target.ticket_id})" if target.ticket_id else ""
                return tooltip(f"{name}Open {target.description}{ticket}")
            return tooltip(load.name) if name else None
        return None

    def _text(self, load: Load, column: Column) -> str:
        if column is Column.NAME:
            return load.name
        if column is Column.OLDEST:
            waited = load.waiting_for(self.now) if self.now else None
            if waited is None or load.oldest_waiting_id is None:
                return "—"
            since = format_remaining(waited) if waited >= timedelta(minutes=1) else "<1m"
            return f"{since} · #{load.oldest_waiting_id}"
        value = {
            Column.OPEN: load.open,
            Column.NEW_TODAY: load.new_today,
            Column.DUE_SOON: load.due_soon,
            Column.BREACHED: load.breached,
        }[column]
        return str(value)


class WorkloadBoard(QDialog):
    view_requested = Signal(object)  # DrillDown
    loaded = Signal()

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(self.tr("Workload"))
        self.setObjectName("workloadBoard")
        self.board: Board | None = None
        self.loads_done = 0  # for tests and screenshots: how many loads have arrived
        self._loading = False
        self._again = False
        self.models = {DEPARTMENTS: WorkloadModel(DEPARTMENTS), AGENTS: WorkloadModel(AGENTS)}
        self.tables: dict[str, QTableView] = {}
        self._splitters: dict[str, QSplitter] = {}
        self.charts: dict[str, WorkloadChart] = {}
        self.tabs = QTabWidget()
        self.tabs.addTab(self._tab(DEPARTMENTS), "By department")
        self.tabs.addTab(self._tab(AGENTS), "By agent")

        self.status = plain_label("Loading…")
        self.status.setObjectName("muted")
        self.refresh_button = QPushButton(self.tr("Refresh"))
        self.refresh_button.clicked.connect(self.load)
        top = QHBoxLayout()
        hint = plain_label("Click a figure or a bar to open those tickets in the inbox.")
        hint.setObjectName("muted")
        top.addWidget(hint, 1)
        top.addWidget(self.status)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        screen = parent.screen() if parent is not None else QGuiApplication.primaryScreen()
        size = QSize(1120, 560)
        self.resize(fitted_size(size, screen.availableGeometry()) if screen else size)
        pin_minimum_size(self, 760, 380)

        self._live = QTimer(self)
        self._live.setSingleShot(True)
        self._live.setInterval(LIVE_REFRESH_MS)
        self._live.timeout.connect(self.load)
        self._clock = QTimer(self)
        self._clock.setInterval(CLOCK_REFRESH_MS)
        self._clock.timeout.connect(self.load)

    def _tab(self, dimension: str) -> QWidget:
        table = QTableView()
        table.setObjectName(f"workloadTable:{dimension}")
        table.setModel(self.models[dimension])
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.setMouseTracking(True)
        header = table.horizontalHeader()
        # Names as wide as the longest one (fit_tables); the figures as wide as their header
        # words or their values, whichever is wider; the last column takes what is left.
        header.setSectionResizeMode(Column.NAME, QHeaderView.ResizeMode.Interactive)
        for column in list(Column)[1:]:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        table.clicked.connect(lambda index, d=dimension: self.cell_clicked(d, index))
        table.activated.connect(lambda index, d=dimension: self.cell_clicked(d, index))
        chart = WorkloadChart()
        chart.segment_clicked.connect(
            lambda row, key, d=dimension: self.open_cell(d, row, SEGMENT_COLUMNS[key])
        )
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(chart)
        scroll.setAlignment(Qt.AlignmentFlag.AlignTop)
        # The bars shrink with the pane; only below the chart's minimum (the table beside it
        # took the room its names need) does it scroll sideways instead of cutting figures off.
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(table)
        splitter.addWidget(scroll)
        splitter.setSizes([560, 540])
        self.tables[dimension], self.charts[dimension] = table, chart
        self._splitters[dimension] = splitter
        return splitter

    def fit_tables(self) -> None:
        """Give each table the width its names and figures need, leaving the chart at least
        CHART_LEAST (it scrolls sideways below its own minimum); a name longer than that
        elides, and its tooltip shows it whole. Measured on the tab pages: the hidden page's
        splitter has no width of its own yet."""
        total = self.tabs.currentWidget().width()
        for dimension, table in self.tables.items():
            header = table.horizontalHeader()
            name = max(table.sizeHintForColumn(Column.NAME), header.sectionSizeHint(Column.NAME))
            figures = sum(
                max(table.sizeHintForColumn(c), header.sectionSizeHint(c)) for c in list(Column)[1:]
            )
            frame = 2 * table.frameWidth() + table.verticalScrollBar().sizeHint().width()
            splitter = self._splitters[dimension]
            room = total - splitter.handleWidth()
            width = min(name + figures + frame, room - CHART_LEAST)
            splitter.setSizes([width, room - width])
            table.setColumnWidth(Column.NAME, max(min(name, width - figures - frame), 60))

    # --- loading ----------------------------------------------------------------------------

    def load(self) -> None:
        if self._loading:
            self._again = True  # the running load may predate the change that asked
            return
        self._loading = True
        workload = Workload(
            self.ctx.queries.db, self.ctx.clock, self.ctx.agent.id if self.ctx.agent else None
        )
        zone = self.ctx.time_zone
        # A re-read (live, at most once a second): on the refresh lane, never in front of what
        # the agent opens in the main window.
        self.ctx.runner.refresh(lambda: workload.board(zone), self.show_board, self._failed)

    def show_board(self, board: Board) -> None:
        self.board = board
        for dimension, loads in ((DEPARTMENTS, board.departments), (AGENTS, board.agents)):
            self.models[dimension].set_loads(loads, board.at)
            self.charts[dimension].set_loads(loads)
        if self.loads_done == 0:  # later loads leave the lead's own splitter where it is
            self.fit_tables()
        at = board.at.astimezone(self.ctx.time_zone)
        self.status.setText(f"Updated {at:%H:%M:%S}")
        self._finished()

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, DeskError):  # PermissionDenied: its reason is the message
            self.status.setText(str(error))
        else:
            self.ctx.runner.report(error)
        self._finished()

    def _finished(self) -> None:
        self._loading = False
        self.loads_done += 1
        self.loaded.emit()
        if self._again:
            self._again = False
            self._live.start()

    def changes_arrived(self, summary: ChangeSummary) -> None:
        """From the window's change feed: refresh soon, at most once a second."""
        if not self.isVisible() or not (summary.ticket_ids or summary.people or summary.counts):
            return
        if not self._live.isActive():
            self._live.start()

    # --- drilling down ----------------------------------------------------------------------

    def cell_clicked(self, dimension: str, index: QModelIndex) -> None:
        if index.isValid():
            self.open_cell(dimension, index.row(), Column(index.column()))

    def open_cell(self, dimension: str, row: int, column: Column) -> None:
        loads = self.models[dimension].loads
        if not 0 <= row < len(loads):
            return
        me = self.ctx.agent.id if self.ctx.agent else None
        target = drill_down(dimension, loads[row], column, me)
        if target is not None:
            self.view_requested.emit(target)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._clock.start()

    def closeEvent(self, event: QCloseEvent) -> None:
        # Kept for the next opening, but idle meanwhile: no queries for a board nobody sees.
        self._live.stop()
        self._clock.stop()
        super().closeEvent(event)


def open_workload_board(
    ctx: DeskContext,
    parent: QWidget,
    changes: SignalInstance,
    show: Callable[[DrillDown], None],
) -> WorkloadBoard:
    """Open (or bring back) the window's board: non-modal, beside the inbox it drives.

    changes: the window's change feed (LiveSync.changed); show: opens a drill-down."""
    board = parent.findChild(WorkloadBoard)
    if board is None:
        board = WorkloadBoard(ctx, parent)
        changes.connect(board.changes_arrived)
        board.view_requested.connect(show)
    elif board.isVisible():
        board.raise_()  # open behind the window: bring it forward rather than a second one
    board.show()
    board.activateWindow()
    board.load()
    return board
