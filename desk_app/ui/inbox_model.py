"""The inbox table model: ticket ids plus a row cache, filled a page at a time off the GUI thread.

Sorting happens in SQL (Page.sort); a QSortFilterProxyModel over 100k rows would take seconds.
fetchMore only asks the task runner for the next page and returns at once; the rows arrive with
beginInsertRows when the worker is done, so scrolling never waits for the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont

from desk_app.core.views import Page, SortKey, View
from desk_app.store.records import TicketRow
from desk_app.ui.context import DeskContext
from desk_app.ui.formatting import Countdown, countdown, relative_time
from desk_app.ui.styles import LIGHT_COLOURS, STATUS_LABELS

PAGE_SIZE = 100
SEARCH_LIMIT = 200

Index = QModelIndex | QPersistentModelIndex

# Roles the delegates read: the whole row, and the last message snippet for the subject line.
ROW_ROLE = Qt.ItemDataRole.UserRole + 1
PREVIEW_ROLE = Qt.ItemDataRole.UserRole + 2
TICKET_ID_ROLE = Qt.ItemDataRole.UserRole + 3
UNREAD_ROLE = Qt.ItemDataRole.UserRole + 4


class Column(IntEnum):
    SLA = 0
    PRIORITY = 1
    SUBJECT = 2
    CUSTOMER = 3
    CHANNEL = 4
    DEPARTMENT = 5
    ASSIGNEE = 6
    STATUS = 7
    UPDATED = 8


HEADERS: dict[Column, str] = {
    Column.SLA: "SLA",
    Column.PRIORITY: "",
    Column.SUBJECT: "Subject",
    Column.CUSTOMER: "Customer",
    Column.CHANNEL: "",
    Column.DEPARTMENT: "Department",
    Column.ASSIGNEE: "Assignee",
    Column.STATUS: "Status",
    Column.UPDATED: "Updated",
}
HEADER_TIPS: dict[Column, str] = {Column.PRIORITY: "Priority", Column.CHANNEL: "Channel"}

SORT_KEYS: dict[Column, SortKey] = {
    Column.SLA: SortKey.DUE,
    Column.PRIORITY: SortKey.PRIORITY,
    Column.SUBJECT: SortKey.SUBJECT,
    Column.STATUS: SortKey.STATUS,
    Column.UPDATED: SortKey.UPDATED,
}

Loader = Callable[[Page], list[TicketRow]]


class InboxModel(QAbstractTableModel):
    loaded = Signal()  # a page arrived (tests and the screenshot wait for it)

    def __init__(self, ctx: DeskContext) -> None:
        super().__init__()
        self._ctx = ctx
        self._ids: list[int] = []
        self._rows: dict[int, TicketRow] = {}
        # Countdowns worked out this tick, with the row they were worked out for.
        self._countdowns: dict[int, tuple[TicketRow, Countdown | None]] = {}
        self._loader: Loader | None = None
        self._paged = True
        self._exhausted = True
        self._loading = False
        # Bumped on every reset so a page that arrives for an older view is thrown away.
        self._generation = 0
        self.view: View | None = None
        self.search_text: str | None = None
        self.sort_key: SortKey | None = None
        self.descending = True

    # --- what to show -----------------------------------------------------------------------

    def show_view(self, view: View) -> None:
        self.view, self.search_text = view, None
        queries = self._ctx.queries
        self._start(lambda page: queries.view_page(view, page), paged=True)

    def show_search(self, text: str) -> None:
        self.view, self.search_text = None, text
        queries = self._ctx.queries
        self._start(lambda _page: queries.search(text, SEARCH_LIMIT), paged=False)

    def reload(self) -> None:
        if self._loader is not None:
            self._start(self._loader, paged=self._paged)

    def _start(self, loader: Loader, *, paged: bool) -> None:
        self.beginResetModel()
        self._generation += 1
        self._ids, self._rows = [], {}
        self._loader, self._paged = loader, paged
        self._exhausted, self._loading = False, False
        self.endResetModel()
        self._request_page()

    def _request_page(self) -> None:
        if self._loader is None or self._loading or self._exhausted:
            return
        self._loading = True
        generation, loader = self._generation, self._loader
        page = Page(
            limit=PAGE_SIZE,
            offset=len(self._ids),
            sort=self.sort_key,
            descending=self.descending,
            after_id=self._ids[-1] if self._ids else None,
        )
        self._ctx.runner.run(
            lambda: loader(page),
            lambda rows: self._page_arrived(generation, rows),
            lambda error: self._page_failed(generation, error),
        )

    def _page_arrived(self, generation: int, rows: list[TicketRow]) -> None:
        if generation != self._generation:
            return
        self._loading = False
        fresh = [row for row in rows if row.id not in self._rows]
        self._exhausted = not self._paged or len(rows) < PAGE_SIZE
        if fresh:
            first = len(self._ids)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            self._ids.extend(row.id for row in fresh)
            self._rows.update((row.id, row) for row in fresh)
            self.endInsertRows()
        self.loaded.emit()

    def _page_failed(self, generation: int, error: BaseException) -> None:
        if generation == self._generation:
            # Leave the rows we have and stop paging; a retry (reload) starts over.
            self._loading, self._exhausted = False, True
        self._ctx.runner.report(error)

    @property
    def is_loading(self) -> bool:
        return self._loading

    # --- lazy paging ------------------------------------------------------------------------

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted and not self._loading

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not parent.isValid():
            self._request_page()

    # --- in-place refresh -------------------------------------------------------------------

    def refresh_tickets(self, ticket_ids: Sequence[int]) -> None:
        """Re-read rows that changed elsewhere and repaint them where they are, so selection and
        scroll position survive. Rows that no longer match the view stay until the next reload:
        a line vanishing under the agent's cursor is worse than a slightly stale list."""
        shown = [i for i in dict.fromkeys(ticket_ids) if i in self._rows]
        if not shown:
            return
        generation, queries = self._generation, self._ctx.queries
        self._ctx.runner.run(
            lambda: queries.rows(shown), lambda rows: self._rows_arrived(generation, rows)
        )

    def _rows_arrived(self, generation: int, rows: list[TicketRow]) -> None:
        if generation != self._generation:
            return
        last = self.columnCount() - 1
        for row in rows:
            if row.id not in self._rows:
                continue
            self._rows[row.id] = row
            position = self._ids.index(row.id)
            self.dataChanged.emit(self.index(position, 0), self.index(position, last))

    def mark_read(self, ticket_id: int) -> None:
        """Drop the unread mark at once, before the store confirms; refresh_tickets brings the
        stored truth a moment later."""
        row = self._rows.get(ticket_id)
        if row is None or not row.unread:
            return
        self._rows[ticket_id] = replace(row, unread=False)
        position = self._ids.index(ticket_id)
        self.dataChanged.emit(self.index(position, 0), self.index(position, self.columnCount() - 1))

    def tick(self, first: int = 0, last: int | None = None, *, ages: bool = False) -> None:
        """SLA countdowns age: repaint the SLA cells of rows first..last (the rows on screen),
        and with `ages` the relative 'updated' times too (they change once a minute)."""
        if not self._ids:
            return
        last = len(self._ids) - 1 if last is None else min(last, len(self._ids) - 1)
        first = max(0, min(first, last))
        roles = [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole]
        # Countdowns read in minutes, so most seconds no cell changes and nothing is repainted.
        for position in range(first, last + 1):
            row = self._rows[self._ids[position]]
            before = self._countdowns.pop(row.id, None)
            if before is None or before[0] is not row or self._countdown(row) != before[1]:
                index = self.index(position, Column.SLA)
                self.dataChanged.emit(index, index, roles)
        if ages:
            self.dataChanged.emit(
                self.index(first, Column.UPDATED), self.index(last, Column.UPDATED), roles
            )

    def _countdown(self, row: TicketRow) -> Countdown | None:
        # Qt asks for several roles per cell; work each countdown out once per tick (and again
        # when the row itself was refreshed).
        cached = self._countdowns.get(row.id)
        if cached is not None and cached[0] is row:
            return cached[1]
        shown = countdown(
            row.sla_due_at, row.sla_started_at, row.sla_paused_remaining_s, self._ctx.now()
        )
        self._countdowns[row.id] = (row, shown)
        return shown

    # --- lookups ----------------------------------------------------------------------------

    def ticket_id(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, ticket_id: int) -> int | None:
        try:
            return self._ids.index(ticket_id)
        except ValueError:
            return None

    def ticket_row(self, row: int) -> TicketRow | None:
        ticket_id = self.ticket_id(row)
        return self._rows.get(ticket_id) if ticket_id is not None else None

    # --- QAbstractTableModel ----------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        column = Column(section)
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS.get(column, HEADERS[column])
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = SORT_KEYS.get(Column(column)) if 0 <= column < len(Column) else None
        if key is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if (key, descending) == (self.sort_key, self.descending):
            return
        self.sort_key, self.descending = key, descending
        self.reload()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        row = self._rows[self._ids[index.row()]]
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == ROW_ROLE:
            return row
        if role == TICKET_ID_ROLE:
            return row.id
        if role == PREVIEW_ROLE:
            return row.preview if column == Column.SUBJECT else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == UNREAD_ROLE:
            return row.unread
        if role == Qt.ItemDataRole.FontRole and row.unread and column == Column.SUBJECT:
            # The customer wrote since this agent last looked: it stands out, like unread mail.
            font = QFont()
            font.setBold(True)
            return font
        if column == Column.SLA and role in (
            Qt.ItemDataRole.ForegroundRole,
            Qt.ItemDataRole.FontRole,
        ):
            return self._sla_style(row, role)
        return None

    def _sla_style(self, row: TicketRow, role: int) -> QColor | QFont | None:
        shown = self._countdown(row)
        if shown is None:
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor(LIGHT_COLOURS[shown.light])
        if shown.light in ("amber", "red"):
            font = QFont()
            font.setBold(True)  # the two lights that ask for action stand out in shape too
            return font
        return None

    def _display(self, row: TicketRow, column: Column) -> str | None:
        now = self._ctx.now()
        match column:
            case Column.SLA:
                shown = self._countdown(row)
                return shown.text if shown else ""
            case Column.PRIORITY:
                return row.priority.capitalize()
            case Column.SUBJECT:
                return row.subject
            case Column.CUSTOMER:
                return row.customer
            case Column.CHANNEL:
                return row.channel.capitalize()
            case Column.DEPARTMENT:
                return row.department or "—"
            case Column.ASSIGNEE:
                return row.assignee or "Unassigned"
            case Column.STATUS:
                return STATUS_LABELS.get(row.status, row.status)
            case Column.UPDATED:
                return relative_time(row.updated_at, now)
        return None

    def _tooltip(self, row: TicketRow, column: Column) -> str | None:
        match column:
            case Column.SUBJECT:
                return f"#{row.id} {row.subject}\n{row.preview}"
            case Column.CUSTOMER:
                return row.customer_email or row.customer
            case Column.PRIORITY:
                return f"{row.priority.capitalize()} priority"
            case Column.CHANNEL:
                return row.channel.capitalize()
            case Column.UPDATED:
                return row.updated_at.isoformat(" ", "minutes")
        return None
