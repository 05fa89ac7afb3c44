"""The "On call" panel: what matters now across every department, so the person on call can
triage in minutes; and "who is on call" in the status bar.

The list comes from store.night_board (unacknowledged pages first, then urgent, breached, nearly
due and the longest waits). Keys: A acknowledges the selected page, Enter opens the ticket. The
window's own A (assign) and Enter (open from the inbox) are window shortcuts; the list claims
those keys while it has focus (ShortcutOverride), so they do what the list says.

A new page addressed to the signed-in agent also shows as a message strip the moment the
desktop learns of it (every minute, and whenever the change feed reports ticket changes).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QMainWindow,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desk_app.store.night_board import NightItem, night_board
from desk_app.store.notifications import NotificationRecord, NotificationStore
from desk_app.store.oncall_store import OnCallNow, OncallStore
from desk_app.store.paging_store import NOTIFICATION_KIND, PageRecord, PagingStore
from desk_app.ui.actions import WindowActions
from desk_app.ui.coalesce import OneInFlight
from desk_app.ui.context import DeskContext
from desk_app.ui.plain import plain_label, tooltip
from desk_app.ui.plurals import english_plural
from desk_app.ui.styles import ALERT_AMBER, ALERT_RED, priority_ink

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Why", "Ticket", "Subject", "Department", "Customer")
REFRESH_MS = 60_000
KIND_COLOURS = {
    "page": ALERT_RED,
    "breached": ALERT_RED,
    "due_soon": ALERT_AMBER,
}
TICKET_ROLE = Qt.ItemDataRole.UserRole + 1
SUBJECT_COLUMN = 2
STARTING_WIDTHS = (150, 64, 320, 100, 140)
# The most of the list's width each column may take when fitted to its text; the subject
# stretches over the rest. "Why" may take half: it is long only for an unacknowledged page
# ("Page not acknowledged: Anna Ivanova (e-mailed 2×)"), the row the person on call needs first.
FITTED_SHARES = {0: 0.5, 1: 0.1, 3: 0.14, 4: 0.18}


def header_width(table: QTableView, column: int) -> int:
    """What the header's own word needs in `column`."""
    return table.horizontalHeader().sectionSizeHint(column)


class NightModel(QAbstractTableModel):
    """The few rows of the night board (at most a hundred): reset as a whole on each refresh."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.items: list[NightItem] = []
        self.now: datetime | None = None

    def set_items(self, items: list[NightItem], now: datetime) -> None:
        self.beginResetModel()
        self.items, self.now = items, now
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section] if 0 <= section < len(COLUMNS) else None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.items):
            return None
        item = self.items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(item, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            # The whole text, however narrow the column: subjects and names are customers'
            # words, shown as plain text.
            return tooltip(self._text(item, index.column()))
        if role == TICKET_ROLE:
            return item.ticket_id
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 0:
            if item.kind == "urgent":  # a priority, not a clock: the inbox's priority ink
                return priority_ink(QGuiApplication.palette())
            colour = KIND_COLOURS.get(item.kind)
            return QColor(colour) if colour else None
        if role == Qt.ItemDataRole.FontRole and item.kind == "page":
            font = QFont()
            font.setBold(True)
            return font
        return None

    def _text(self, item: NightItem, column: int) -> str:
        if column == 0:
            return item.why(self.now) if self.now else item.kind
        if column == 1:
            return f"#{item.ticket_id}"
        if column == 2:
            return item.subject
        if column == 3:
            return item.department or "—"
        return item.customer

    def ticket_id(self, row: int) -> int | None:
        return self.items[row].ticket_id if 0 <= row < len(self.items) else None

    def row_of(self, ticket_id: int) -> int | None:
        return next((i for i, item in enumerate(self.items) if item.ticket_id == ticket_id), None)


class NightTable(QTableView):
    acknowledge_requested = Signal(int)
    open_requested = Signal(int)
    _KEYS = (Qt.Key.Key_A, Qt.Key.Key_Return, Qt.Key.Key_Enter)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("nightTable")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        self.setWordWrap(False)
        self.doubleClicked.connect(lambda index: self._emit(self.open_requested, index.row()))
        self._fitting = False
        self._sized_by_agent: set[int] = set()

    def setModel(self, model: Any) -> None:
        super().setModel(model)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        for column, width in enumerate(STARTING_WIDTHS):
            self.setColumnWidth(column, width)
        header.setSectionResizeMode(SUBJECT_COLUMN, QHeaderView.ResizeMode.Stretch)
        # Connected after the starting widths: only a resize by the agent marks a column.
        header.sectionResized.connect(self._section_resized)
        if model is not None:
            model.modelReset.connect(self.fit_columns)

    def fit_columns(self) -> None:
        """Size the columns to what they now hold ("Page not acknowledged: Anna Ivanova
        (e-mailed 2×)"), each up to a share of the width so the subject keeps room, leaving
        alone those the agent sized. What still does not fit is in the cell's tooltip."""
        room = self.viewport().width()
        self._fitting = True
        try:
            for column, share in FITTED_SHARES.items():
                if column in self._sized_by_agent:
                    continue
                needed = max(self.sizeHintForColumn(column), header_width(self, column))
                self.setColumnWidth(column, min(needed, round(room * share)))
        finally:
            self._fitting = False

    def _section_resized(self, column: int, _old: int, _new: int) -> None:
        if not self._fitting and column in FITTED_SHARES:
            self._sized_by_agent.add(column)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_columns()

    def event(self, event: QEvent) -> bool:
        # Claim A and Enter before the window's shortcuts see them (see the module docstring).
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            plain = event.modifiers() in (
                Qt.KeyboardModifier.NoModifier,
                Qt.KeyboardModifier.KeypadModifier,
            )
            if plain and event.key() in self._KEYS:
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        row = self.currentIndex().row()
        if event.key() == Qt.Key.Key_A and not event.modifiers():
            self._emit(self.acknowledge_requested, row)
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._emit(self.open_requested, row)
        else:
            super().keyPressEvent(event)

    def _emit(self, signal: Any, row: int) -> None:
        model = self.model()
        ticket_id = model.ticket_id(row) if isinstance(model, NightModel) else None
        if ticket_id is not None:
            signal.emit(ticket_id)


class NightView(QWidget):
    """The list and its buttons. `open_ticket` shows a ticket in the window's ticket pane."""

    acknowledged = Signal(int)  # ticket id
    loaded = Signal()

    def __init__(
        self, ctx: DeskContext, open_ticket: Callable[[int], None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("nightView")
        self._open_ticket = open_ticket
        self.model = NightModel(self)
        self.table = NightTable()
        self.table.setModel(self.model)
        self.table.acknowledge_requested.connect(self.acknowledge)
        self.table.open_requested.connect(open_ticket)
        self.status = plain_label("")
        self.status.setObjectName("muted")
        self.ack_button = QPushButton(self.tr("Acknowledge (A)"))
        self.ack_button.clicked.connect(self._acknowledge_current)
        open_button = QPushButton(self.tr("Open (Enter)"))
        open_button.clicked.connect(self._open_current)
        self.handoff_button = QPushButton(self.tr("Hand-off summary…"))
        self.handoff_button.clicked.connect(
            lambda: _open_handoff(ctx, self.window(), self._open_ticket)
        )
        self.calendar_button = QPushButton(self.tr("On-call calendar…"))
        self.calendar_button.clicked.connect(lambda: _open_calendar(ctx, self.window()))
        # The buttons sit beside the list, two by two, not in a row under it: in a 700 px
        # window every pixel of the panel's height is a row of the list or of the inbox.
        buttons = QGridLayout()
        buttons.setSpacing(4)
        buttons.addWidget(self.ack_button, 0, 0)
        buttons.addWidget(open_button, 0, 1)
        buttons.addWidget(self.handoff_button, 1, 0)
        buttons.addWidget(self.calendar_button, 1, 1)
        side = QVBoxLayout()
        side.setSpacing(4)
        side.addWidget(self.status)
        side.addLayout(buttons)
        side.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 4)
        layout.addWidget(self.table, 1)
        layout.addLayout(side)
        self._loading = False
        self._refresh_again = False
        self._acknowledged_row: int | None = None

    def refresh(self) -> None:
        if self._loading:
            # The board being read may predate what asked for this (an acknowledgement): read
            # it once more when that read is in.
            self._refresh_again = True
            return
        self._loading, self._refresh_again = True, False
        db, now = self.ctx.queries.db, self.ctx.now()

        def done(items: list[NightItem]) -> None:
            self._loading = False
            if self._refresh_again:
                self.refresh()
                return
            self._show(items, now)

        def failed(error: BaseException) -> None:
            self._loading = False
            self.ctx.runner.report(error)

        self.ctx.runner.refresh(lambda: night_board(db, now), done, failed)

    def _show(self, items: list[NightItem], now: datetime) -> None:
        current = self.model.ticket_id(self.table.currentIndex().row())
        self.model.set_items(items, now)
        if self._acknowledged_row is not None:
            # After A, the next page waits where the acknowledged one was (pages come first):
            # the selection must not follow the acknowledged ticket down the list.
            row = next_page_row(items, self._acknowledged_row)
            self._acknowledged_row = None
        else:
            row = self.model.row_of(current) if current is not None else None
        if row is None and items:
            row = 0
        if row is not None:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))
        pages = sum(1 for item in items if item.kind == "page")
        self.status.setText(
            english_plural(self.tr("%n page(s) not acknowledged", "", pages), pages)
            + " · "
            + self.tr("%1 to look at").replace("%1", str(len(items)))
            if pages
            else self.tr("%1 to look at").replace("%1", str(len(items)))
            if items
            else "Nothing needs you now."
        )
        self.loaded.emit()

    def acknowledge(self, ticket_id: int) -> None:
        agent = self.ctx.agent
        row = self.model.row_of(ticket_id)
        if row is None or self.model.items[row].kind != "page":
            self.ctx.messages.info(f"Ticket #{ticket_id} has no page to acknowledge.")
            return
        if agent is None:
            self.ctx.messages.warning("Sign in to acknowledge pages.")
            return
        paging = PagingStore(self.ctx.queries.db, self.ctx.clock)

        def done(page: PageRecord) -> None:
            self.ctx.messages.info(f"Page for #{page.ticket_id} acknowledged.")
            self._acknowledged_row = row
            self.acknowledged.emit(page.ticket_id)
            self.refresh()

        self.ctx.runner.run(lambda: paging.acknowledge(ticket_id, agent.id), done)

    def _acknowledge_current(self) -> None:
        ticket_id = self.model.ticket_id(self.table.currentIndex().row())
        if ticket_id is not None:
            self.acknowledge(ticket_id)

    def _open_current(self) -> None:
        ticket_id = self.model.ticket_id(self.table.currentIndex().row())
        if ticket_id is not None:
            self._open_ticket(ticket_id)


def next_page_row(items: list[NightItem], acknowledged_row: int) -> int | None:
    """The row to select after acknowledging the page at acknowledged_row: the next page still
    open (now at or after that row), else the last one before it, else none."""
    pages = [row for row, item in enumerate(items) if item.kind == "page"]
    if not pages:
        return None
    return next((row for row in pages if row >= acknowledged_row), pages[-1])


def indicator_text(on_call: list[OnCallNow], pages: int) -> str:
    """The status bar's words: who is on call (a link to the calendar), and open pages."""
    if not on_call:
        who = "nobody (no rotation)"
    else:
        who = ", ".join(
            f"{html.escape(entry.agent_name)}"
            + (f" ({html.escape(entry.department)})" if entry.department else "")
            for entry in on_call
        )
    text = f'On call: <a href="calendar">{who}</a>'
    if pages:
        colour = ALERT_RED
        words = QCoreApplication.translate("OnCallPanel", "%n page(s) not acknowledged", "", pages)
        text += f' · <b style="color:{colour}">{english_plural(words, pages)}</b>'
    return text


class OnCallPanel(QObject):
    """Everything on-call in the main window: the dock with the night view, the status-bar
    indicator, the menu entries, and the page alert."""

    def __init__(
        self,
        ctx: DeskContext,
        window: QMainWindow,
        open_ticket: Callable[[int], None],
        set_count: Callable[[int | None], None] = lambda _count: None,
        actions: WindowActions | None = None,
    ) -> None:
        super().__init__(window)
        self._actions = actions if actions is not None else WindowActions()
        self.ctx = ctx
        self._window = window
        self._set_count = set_count
        self._open_ticket = open_ticket
        self.view = NightView(ctx, open_ticket)
        self.view.acknowledged.connect(lambda _ticket: self.refresh_indicator())
        self.dock = QDockWidget("On call", window)
        self.dock.setObjectName("oncallDock")
        self.dock.setWidget(self.view)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.dock.hide()
        self.dock.visibilityChanged.connect(self._visibility_changed)
        self.indicator = plain_label("On call: …")
        self.indicator.setObjectName("oncallIndicator")
        self.indicator.setTextFormat(Qt.TextFormat.RichText)
        self.indicator.linkActivated.connect(lambda _link: self.open_calendar())
        window.statusBar().addPermanentWidget(self.indicator)
        self._add_menu_entries()
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.tick)
        self._alerted: set[int] = set()  # notification ids already shown
        # The change feed calls `changed` for every batch of ticket changes: one read of each
        # kind at a time, asks meanwhile collapsing into one more (ui/coalesce.py).
        self._indicator_reads = OneInFlight(self._read_indicator)
        self._page_reads = OneInFlight(self._read_pages)
        self.on_call: list[OnCallNow] = []
        self.pages = 0

    def _add_menu_entries(self) -> None:
        menu = next(
            (
                action.menu()
                for action in self._window.menuBar().actions()
                if action.text() == "&View" and isinstance(action.menu(), QMenu)
            ),
            None,
        )
        # In the window's table of actions: the shortcut sheet lists Ctrl+Shift+O from it.
        toggle = self._actions.register("oncall", self.dock.toggleViewAction())
        toggle.setText("&On call")
        toggle.setShortcut(QKeySequence("Ctrl+Shift+O"))
        self.handoff_action = self._actions.register(
            "handoff", QAction("&Hand-off summary…", self._window)
        )
        self.handoff_action.triggered.connect(
            lambda: _open_handoff(self.ctx, self._window, self._open_ticket)
        )
        self.calendar_action = self._actions.register(
            "oncall_calendar", QAction(self.tr("On-call &calendar…"), self._window)
        )
        self.calendar_action.triggered.connect(self.open_calendar)
        self._window.addAction(toggle)
        if isinstance(menu, QMenu):
            menu.addSeparator()
            for action in (toggle, self.handoff_action, self.calendar_action):
                menu.addAction(action)

    def start(self) -> None:
        self._timer.start()
        self.tick()

    def stop(self) -> None:
        self._timer.stop()

    def tick(self) -> None:
        self.refresh_indicator()
        self.check_pages()
        if self.dock.isVisible():
            self.view.refresh()

    def changed(self, ticket_ids: set[int]) -> None:
        """The change feed saw ticket changes (a page writes one): refresh what shows them."""
        if ticket_ids:
            self.refresh_indicator()
            self.check_pages()
            if self.dock.isVisible():
                self.view.refresh()

    def show_panel(self) -> None:
        self.dock.show()
        self.dock.raise_()
        self.view.table.setFocus()
        self.view.refresh()

    def open_calendar(self) -> None:
        _open_calendar(self.ctx, self._window)

    def _visibility_changed(self, visible: bool) -> None:
        if visible:
            self.view.refresh()

    def refresh_indicator(self) -> None:
        self._indicator_reads.ask()

    def _read_indicator(self) -> None:
        db, clock = self.ctx.queries.db, self.ctx.clock

        def work() -> tuple[list[OnCallNow], int]:
            return OncallStore(db, None, clock).now(), len(PagingStore(db, clock).pages())

        def done(result: tuple[list[OnCallNow], int]) -> None:
            self._show_indicator(*result)
            self._indicator_reads.finished()

        def failed(error: BaseException) -> None:
            self._indicator_reads.finished()
            self.ctx.runner.report(error)

        self.ctx.runner.refresh(work, done, failed)

    def _show_indicator(self, on_call: list[OnCallNow], pages: int) -> None:
        self.on_call, self.pages = on_call, pages
        self.indicator.setText(indicator_text(on_call, pages))
        zone = self.ctx.time_zone
        self.indicator.setToolTip(
            tooltip(
                "\n".join(
                    f"{e.rotation}: {e.agent_name} until {e.until.astimezone(zone):%a %H:%M}"
                    + (f" (covering for {e.covering_for})" if e.covering_for else "")
                    for e in on_call
                )
                or "No on-call rotation is set up (desk oncall set)."
            )
        )
        self._set_count(pages or None)

    def check_pages(self) -> None:
        """New page notices for the signed-in agent become a message strip, once each."""
        if self.ctx.agent is not None:
            self._page_reads.ask()

    def _read_pages(self) -> None:
        agent = self.ctx.agent
        assert agent is not None  # check_pages asks only for a signed-in agent
        notices = NotificationStore(self.ctx.queries.db, self.ctx.clock)

        def done(unread: list[NotificationRecord]) -> None:
            self._alert(unread)
            self._page_reads.finished()

        def failed(error: BaseException) -> None:
            self._page_reads.finished()
            self.ctx.runner.report(error)

        self.ctx.runner.refresh(lambda: notices.unread(agent.id), done, failed)

    def _alert(self, unread: list[NotificationRecord]) -> None:
        fresh = [n for n in unread if n.kind == NOTIFICATION_KIND and n.id not in self._alerted]
        for notice in fresh:
            self._alerted.add(notice.id)
            self.ctx.messages.error(f"{notice.text} — open On call (Ctrl+Shift+O), press A")


# Both dialogs are imported when first opened, not with the window (start-up time).
def _open_handoff(ctx: DeskContext, parent: QWidget, open_ticket: Callable[[int], None]) -> None:
    from desk_app.ui.handoff_dialog import open_handoff

    open_handoff(ctx, parent, open_ticket)


def _open_calendar(ctx: DeskContext, parent: QWidget) -> None:
    from desk_app.ui.oncall_calendar import open_oncall_calendar

    open_oncall_calendar(ctx, parent)
