"""The inbox table model: ticket ids for every loaded row, row data in a bounded cache.

Sorting happens in SQL (Page.sort); a QSortFilterProxyModel over 100k rows would take seconds.
fetchMore only asks the task runner for the next page and returns at once; the rows arrive with
beginInsertRows when the worker is done, so scrolling never waits for the database.

Only ids are kept for every row (scrolling to the end of 100k tickets keeps 100k ints); the
rows' text lives in an LRU cache of ROW_CACHE rows. A row evicted and scrolled back into view
paints blank for a moment while its page of PAGE_SIZE rows is read again, by id, in one query.

Changes made elsewhere (live sync, the ticket pane) go through refresh_tickets: rows still in
the view repaint in place; tickets that joined the view are inserted at their sorted place if
that place is within the rows loaded so far; rows that left the view are removed, except those
the agent has selected (a line vanishing under the cursor is worse than a stale one). Those reads
run on the task runner's refresh lane, one at a time: tickets that change while one runs are
gathered and read together after it, so a burst of changes costs a few reads, and pages and
searches the agent asks for never wait behind them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont

from desk_app.core.views import Page, SortKey, View
from desk_app.store.queries import Queries
from desk_app.store.records import TicketRow
from desk_app.ui.coalesce import OneInFlight
from desk_app.ui.context import DeskContext
from desk_app.ui.formatting import Countdown, countdown, relative_time
from desk_app.ui.plain import tooltip
from desk_app.ui.row_order import RowOrder
from desk_app.ui.styles import LIGHT_COLOURS, STATUS_LABELS

PAGE_SIZE = 100
# How long a search's text must stay before its matches are counted (the rows do not wait).
COUNT_DELAY_MS = 300
# Rows whose data is kept: many screens' worth, a few MB, however far the agent scrolled.
ROW_CACHE = 20 * PAGE_SIZE
# Finding where a new ticket goes among the loaded rows: the database orders this many loaded
# rows and the new ticket at a time, so 100k loaded rows take three small queries.
PLACEMENT_PROBES = 64

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
    Column.PRIORITY: "Priority",
    Column.SUBJECT: "Subject",
    Column.CUSTOMER: "Customer",
    Column.CHANNEL: "",
    Column.DEPARTMENT: "Department",
    Column.ASSIGNEE: "Assignee",
    Column.STATUS: "Status",
    Column.UPDATED: "Updated",
}
HEADER_TIPS: dict[Column, str] = {
    Column.PRIORITY: "Priority: one bar low, two normal, three high, four urgent",
    Column.CHANNEL: "Channel",
}

SORT_KEYS: dict[Column, SortKey] = {
    Column.SLA: SortKey.DUE,
    Column.PRIORITY: SortKey.PRIORITY,
    Column.SUBJECT: SortKey.SUBJECT,
    Column.STATUS: SortKey.STATUS,
    Column.UPDATED: SortKey.UPDATED,
}

Loader = Callable[[Page], list[TicketRow]]


@dataclass(frozen=True)
class ViewChanges:
    """What changed tickets mean for the open view, worked out on the worker thread."""

    rows: list[TicketRow]  # fresh data for the changed tickets loaded or joining
    left: set[int]  # loaded tickets that no longer belong to the view
    # Tickets that joined the view, each with the loaded ticket it goes before (None: after
    # the last loaded row).
    joined: list[tuple[int, int | None]]


def view_changes(
    queries: Queries,
    view: View,
    page: Page,
    loaded: list[int],
    changed: list[int],
    *,
    complete: bool,
) -> ViewChanges:
    """Which changed tickets joined or left `view`, and where joiners go among `loaded` (a
    snapshot of the model's ids). A joiner whose place is after the last loaded row is left
    to fetchMore unless the list is `complete`."""
    loaded_set = set(loaded)
    members = queries.in_view(view, changed)
    left = {i for i in changed if i in loaded_set and i not in members}
    joined: list[tuple[int, int | None]] = []
    for ticket_id in sorted(members - loaded_set):
        place = _place(queries, view, page, loaded, ticket_id)
        if place < len(loaded):
            joined.append((ticket_id, loaded[place]))
        elif complete:
            joined.append((ticket_id, None))
    # Rows that left are read too: the selected ones stay, showing their new state.
    wanted = [i for i in changed if i in loaded_set]
    wanted += [ticket_id for ticket_id, _anchor in joined]
    return ViewChanges(queries.rows(wanted) if wanted else [], left, joined)


def _place(queries: Queries, view: View, page: Page, loaded: list[int], ticket_id: int) -> int:
    """The position among `loaded` where `ticket_id` sorts: a search that narrows the range by
    asking the database to order a few evenly spread loaded rows together with the ticket.
    Rows updated in place may be out of order; the search then settles near them, which is as
    good as any place."""
    low, high = 0, len(loaded)
    while low < high:
        step = max(1, (high - low) // PLACEMENT_PROBES)
        probes = list(range(low, high, step))
        ordered = queries.view_order(view, page, [ticket_id, *(loaded[i] for i in probes)])
        before = ordered.index(ticket_id) if ticket_id in ordered else len(ordered)
        if step == 1:
            return low + before
        # Between the last probe that sorts before the ticket and the first one after it.
        low = probes[before - 1] + 1 if before > 0 else low
        high = probes[before] if before < len(probes) else high
    return low


class _Current:
    """The model's current generation, shared with the tasks it queues (see InboxModel)."""

    __slots__ = ("generation",)

    def __init__(self) -> None:
        self.generation = 0


class InboxModel(QAbstractTableModel):
    loaded = Signal()  # a page arrived (tests and the screenshot wait for it)
    # How many tickets the search matches: None when a search starts (being counted), then
    # the count, which a query of its own finds after the first page is on screen.
    search_total = Signal(object)

    def __init__(self, ctx: DeskContext) -> None:
        super().__init__()
        self._ctx = ctx
        # The loaded rows' ids in order, looked up by position and by id (see row_order).
        self._ids = RowOrder()
        self._cache: OrderedDict[int, TicketRow] = OrderedDict()
        # Evicted rows scrolled back into view, waiting for (or in) one query by id.
        self._wanted: set[int] = set()
        self._in_flight: set[int] = set()
        self._refetch = QTimer(self)
        self._refetch.setSingleShot(True)
        self._refetch.setInterval(0)
        self._refetch.timeout.connect(self._fetch_wanted)
        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(COUNT_DELAY_MS)
        self._count_timer.timeout.connect(self._count_search)
        # Rows that left the view but stay because the agent has them selected.
        self._stale: set[int] = set()
        # Changed tickets not yet read, and the one read of changed tickets in flight.
        self._changed: dict[int, None] = {}
        self._refresh = OneInFlight(self._read_changes)
        # Whether the agent still wants results for this search text (the window: it is what
        # the search box says). A page for text typed past is not shown; the search for the
        # new text is on its way, and drawing the old one would only hold up the typing.
        self.search_current: Callable[[str], bool] = lambda _text: True
        # The selected tickets, which refresh_tickets keeps even when they left the view (the
        # inbox view provides it; a bare model has no selection).
        self.pinned: Callable[[], Iterable[int]] = lambda: ()
        # Countdowns worked out this tick, with the row they were worked out for.
        self._countdowns: dict[int, tuple[TicketRow, Countdown | None]] = {}
        # Colleagues on tickets (presence): ticket id -> (short mark, sentence for the tooltip).
        self._presence: dict[int, tuple[str, str]] = {}
        # One font and one colour per kind, made once: data() is called per cell and role.
        self._bold = QFont()
        self._bold.setBold(True)
        self._light_colours = {light: QColor(colour) for light, colour in LIGHT_COLOURS.items()}
        self._loader: Loader | None = None
        self._paged = True
        self._exhausted = True
        self._loading = False
        # Bumped on every reset so a page that arrives for an older view is thrown away.
        self._generation = 0
        # The generation again, for work on the database threads to check: a plain object, so
        # a task never holds the model. A task that held it could drop the last reference on
        # its thread, and a QObject (with its timers) deleted off the GUI thread crashes Qt.
        self._current = _Current()
        self.view: View | None = None
        self.search_text: str | None = None
        self.sort_key: SortKey | None = None
        self.descending = True

    # --- what to show -----------------------------------------------------------------------

    def show_view(self, view: View) -> None:
        self._count_timer.stop()
        self.view, self.search_text = view, None
        queries = self._ctx.queries
        self._start(lambda page: queries.view_page(view, page), paged=True)

    def show_search(self, text: str) -> None:
        """Search results page by page, newest matches first; the total comes separately, so
        the first page never waits for every match to be counted."""
        self.view, self.search_text = None, text
        queries = self._ctx.queries
        # Where the next page starts: only the worker reads and writes it, one page at a time.
        next_before: list[int | None] = [None]

        def load(page: Page) -> list[TicketRow]:
            before = None if page.offset == 0 else next_before[0]
            rows: list[TicketRow] = []
            # Fill the page even when some matches are in departments the agent cannot read:
            # a short page is how the model knows the results ended.
            while len(rows) < PAGE_SIZE:
                found = queries.search_page(text, PAGE_SIZE - len(rows), before)
                rows.extend(found.rows)
                before = next_before[0] = found.next_before
                if before is None:
                    break
            return rows

        self._start(load, paged=True)
        self.search_total.emit(None)
        # Counted once the first page is on screen and the text has stayed: counting every
        # match of a word half typed ("re", "in") would hold the worker while the agent types.
        self._count_timer.start()

    def _count_search(self) -> None:
        text, generation, queries = self.search_text, self._generation, self._ctx.queries
        current = self._current
        if text is None:
            return
        if self._loading:
            self._count_timer.start()  # after the first page, never ahead of it
            return
        self._ctx.runner.run(
            lambda: queries.search_count(text) if generation == current.generation else 0,
            lambda total: self._counted(generation, total),
        )

    def _counted(self, generation: int, total: int) -> None:
        if generation == self._generation:
            self.search_total.emit(total)

    def reload(self) -> None:
        if self.search_text is not None:
            self.show_search(self.search_text)  # counted again too
        elif self._loader is not None:
            self._start(self._loader, paged=self._paged)

    def _start(self, loader: Loader, *, paged: bool) -> None:
        self.beginResetModel()
        self._generation += 1
        self._current.generation = self._generation
        self._ids.clear()
        self._cache.clear()
        self._countdowns.clear()
        self._wanted.clear()
        self._in_flight.clear()
        self._stale.clear()
        self._changed.clear()  # the new first page is read after those changes
        self._loader, self._paged = loader, paged
        self._exhausted, self._loading = False, False
        self.endResetModel()
        self._request_page()

    def _page(self) -> Page:
        return Page(
            limit=PAGE_SIZE,
            # Offset paging (sort orders without a keyset) counts rows still in the view.
            offset=len(self._ids) - len(self._stale),
            sort=self.sort_key,
            descending=self.descending,
            after_id=self._ids[-1] if self._ids else None,
        )

    def _request_page(self) -> None:
        if self._loader is None or self._loading or self._exhausted:
            return
        self._loading = True
        generation, loader, page = self._generation, self._loader, self._page()
        current = self._current
        self._ctx.runner.run(
            # A page for a view or search already left (typed past) is not read at all.
            lambda: loader(page) if generation == current.generation else [],
            lambda rows: self._page_arrived(generation, rows),
            lambda error: self._page_failed(generation, error),
        )

    def _page_arrived(self, generation: int, rows: list[TicketRow]) -> None:
        if generation != self._generation:
            return
        self._loading = False
        if self.search_text is not None and not self.search_current(self.search_text):
            self._exhausted = True
            return
        # A ticket that joined the view live may come again with its page.
        fresh = [row for row in rows if self.row_of(row.id) is None]
        self._exhausted = not self._paged or len(rows) < PAGE_SIZE
        if fresh:
            first = len(self._ids)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            self._ids.extend(row.id for row in fresh)
            self._store(fresh)
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

    @property
    def count_due(self) -> bool:
        """A search's total is about to be counted (its text has not stayed long enough)."""
        return self._count_timer.isActive()

    # --- the row cache ----------------------------------------------------------------------

    def _store(self, rows: Iterable[TicketRow]) -> None:
        cache = self._cache
        for row in rows:
            cache[row.id] = row
            cache.move_to_end(row.id)
        while len(cache) > ROW_CACHE:
            evicted, _row = cache.popitem(last=False)
            self._countdowns.pop(evicted, None)

    def _row(self, position: int) -> TicketRow | None:
        """The row at `position`, or None while it is being read again (then it is asked for,
        with the rest of its page, in one query)."""
        ticket_id = self._ids[position]
        row = self._cache.get(ticket_id)
        if row is not None:
            self._cache.move_to_end(ticket_id)
            return row
        if ticket_id not in self._in_flight and ticket_id not in self._wanted:
            start = position - position % PAGE_SIZE
            for block_id in self._ids.slice(start, start + PAGE_SIZE):
                if block_id in self._cache:
                    # Its neighbours are coming back: keep the page whole in the cache.
                    self._cache.move_to_end(block_id)
                elif block_id not in self._in_flight:
                    self._wanted.add(block_id)
            self._refetch.start()
        return None

    def _fetch_wanted(self) -> None:
        wanted = [i for i in self._wanted if self.row_of(i) is not None]
        self._wanted.clear()
        if not wanted:
            return
        self._in_flight.update(wanted)
        generation, queries = self._generation, self._ctx.queries
        self._ctx.runner.run(
            lambda: queries.rows(wanted),
            lambda rows: self._refetched(generation, wanted, rows),
            lambda error: self._refetch_failed(generation, wanted, error),
        )

    def _refetched(self, generation: int, asked: list[int], rows: list[TicketRow]) -> None:
        if generation != self._generation:
            return
        self._in_flight.difference_update(asked)
        present = [row for row in rows if self.row_of(row.id) is not None]
        self._store(present)
        self._repaint(row.id for row in present)
        # A ticket that no longer exists (merged away) would otherwise be asked for forever.
        self._remove(set(asked) - {row.id for row in rows})

    def _refetch_failed(self, generation: int, asked: list[int], error: BaseException) -> None:
        if generation == self._generation:
            self._in_flight.difference_update(asked)
        self._ctx.runner.report(error)

    def _repaint(self, ticket_ids: Iterable[int]) -> None:
        """dataChanged for these tickets' rows, one signal per run of neighbouring rows."""
        positions = sorted(p for p in map(self.row_of, ticket_ids) if p is not None)
        last_column = self.columnCount() - 1
        run_start = previous = None
        for position in [*positions, None]:
            if previous is not None and (position is None or position != previous + 1):
                assert run_start is not None
                self.dataChanged.emit(self.index(run_start, 0), self.index(previous, last_column))
                run_start = None
            if run_start is None:
                run_start = position
            previous = position

    # --- lazy paging ------------------------------------------------------------------------

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted and not self._loading

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not parent.isValid():
            self._request_page()

    # --- changes made elsewhere -------------------------------------------------------------

    def refresh_tickets(self, ticket_ids: Sequence[int]) -> None:
        """These tickets changed (here or on another desktop): repaint those still in the view
        where they are, insert those that joined it, remove those that left it. Selection and
        scroll position survive (QItemSelectionModel follows inserted and removed rows)."""
        if not ticket_ids or self._loader is None:
            return
        self._changed.update(dict.fromkeys(ticket_ids))
        self._refresh.ask()

    def _read_changes(self) -> None:
        """One read of every ticket changed since the last one (OneInFlight starts it)."""
        changed, self._changed = list(self._changed), {}
        work = self._changes_reader(changed)
        if work is None:
            self._refresh.finished()
            return
        generation = self._generation

        def failed(error: BaseException) -> None:
            self._refresh.finished()
            self._ctx.runner.report(error)

        self._ctx.runner.refresh(work, lambda changes: self._read(generation, changes), failed)

    def _changes_reader(self, changed: list[int]) -> Callable[[], ViewChanges] | None:
        """The read that says what `changed` means for the rows shown; None: nothing to read."""
        queries, view = self._ctx.queries, self.view
        if self._loader is None or not changed:
            return None
        if view is None or not self._paged:
            # Search results are a fixed list: refresh the rows shown, nothing joins or leaves.
            shown = [i for i in changed if i in self._cache]
            return (lambda: ViewChanges(queries.rows(shown), set(), [])) if shown else None
        loaded, page, complete = self._ids.ids(), self._page(), self._exhausted
        return lambda: view_changes(queries, view, page, loaded, changed, complete=complete)

    def _read(self, generation: int, changes: ViewChanges) -> None:
        self._apply(generation, changes)
        self._refresh.finished()

    def _apply(self, generation: int, changes: ViewChanges) -> None:
        if generation != self._generation:
            return
        rows = {row.id: row for row in changes.rows}
        pinned = set(self.pinned())
        self._stale |= changes.left & pinned
        self._remove(changes.left - pinned)
        for ticket_id, anchor in changes.joined:
            row = rows.get(ticket_id)
            if row is None or self.row_of(ticket_id) is not None:
                continue  # gone meanwhile, or its page brought it already
            if anchor is None:
                position = len(self._ids) if self._exhausted else None
            else:
                position = self.row_of(anchor)
            if position is None:
                continue  # its neighbour left the list meanwhile: the next reload places it
            self.beginInsertRows(QModelIndex(), position, position)
            self._ids.insert(position, ticket_id)
            self._store([row])
            self.endInsertRows()
        refreshed = [row for row in changes.rows if self.row_of(row.id) is not None]
        for row in refreshed:
            self._countdowns.pop(row.id, None)
        # A kept row that came back into the view is an ordinary row again.
        self._stale -= {row.id for row in refreshed} - changes.left
        self._store(refreshed)
        self._repaint(row.id for row in refreshed)
        if changes.left or changes.joined:
            self.loaded.emit()  # the window shows or hides its "nothing here" line

    def _remove(self, ticket_ids: set[int]) -> None:
        positions = sorted((p for p in map(self.row_of, ticket_ids) if p is not None), reverse=True)
        for position in positions:
            ticket_id = self._ids[position]
            self.beginRemoveRows(QModelIndex(), position, position)
            self._ids.remove_at(position)
            self._cache.pop(ticket_id, None)
            self._countdowns.pop(ticket_id, None)
            self._stale.discard(ticket_id)
            self.endRemoveRows()

    def mark_read(self, ticket_id: int) -> None:
        """Drop the unread mark at once, before the store confirms; refresh_tickets brings the
        stored truth a moment later."""
        row = self._cache.get(ticket_id)
        if row is None or not row.unread:
            return
        self._cache[ticket_id] = replace(row, unread=False)
        self._repaint([ticket_id])

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
            row = self._cache.get(self._ids[position])
            if row is None:
                continue  # being read again; it is painted when it arrives
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

    def set_presence(self, marks: Mapping[int, Sequence[tuple[str, str]]]) -> None:
        """Who else is on the tickets just asked about: (name, activity) pairs per ticket, for
        the rows asked about; tickets not in `marks` had nobody. Repaints only what changed."""
        changed = set()
        for ticket_id in list(self._presence):
            if ticket_id not in marks:
                del self._presence[ticket_id]
                changed.add(ticket_id)
        for ticket_id, people in marks.items():
            mark = presence_mark(people)
            if self._presence.get(ticket_id) != mark:
                self._presence[ticket_id] = mark
                changed.add(ticket_id)
        if changed:
            self._repaint(changed)

    def row_of(self, ticket_id: int) -> int | None:
        return self._ids.position(ticket_id)

    def ticket_row(self, row: int) -> TicketRow | None:
        """The row's data if it is cached (rows far from the screen may not be)."""
        ticket_id = self.ticket_id(row)
        return self._cache.get(ticket_id) if ticket_id is not None else None

    @property
    def cached_rows(self) -> int:
        return len(self._cache)

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
        # The tables hold source strings; the words are translated as they are shown.
        if role == Qt.ItemDataRole.DisplayRole:
            return QCoreApplication.translate("InboxModel", HEADERS[column])
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = HEADER_TIPS.get(column, HEADERS[column])
            return QCoreApplication.translate("InboxModel", tip) if tip else None
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        # Draggable: selected tickets can be dropped on a department (InboxView.startDrag).
        return (
            Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
        )

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
        if role == TICKET_ID_ROLE:
            return self._ids[index.row()]
        row = self._row(index.row())
        if row is None:
            return None
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == ROW_ROLE:
            return row
        if role == PREVIEW_ROLE:
            return row.preview if column == Column.SUBJECT else None
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = self._tooltip(row, column)
            return None if tip is None else tooltip(tip)
        if role == UNREAD_ROLE:
            return row.unread
        if role == Qt.ItemDataRole.FontRole and row.unread and column == Column.SUBJECT:
            # The customer wrote since this agent last looked: it stands out, like unread mail.
            return self._bold
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
            return self._light_colours[shown.light]
        if shown.light in ("amber", "red"):
            return self._bold  # the two lights that ask for action stand out in shape too
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
                assignee = row.assignee or "Unassigned"
                mark = self._presence.get(row.id)
                return f"{assignee}  ·  {mark[0]}" if mark else assignee
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
            case Column.ASSIGNEE if row.id in self._presence:
                return self._presence[row.id][1]
        return None


def presence_mark(people: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """[("Anna Ivanova", "replying")] -> ("Anna ✎", "Anna Ivanova is replying"): first names in
    the cell, a pen for whoever is writing, the whole sentence in the tooltip."""
    short = ", ".join(
        f"{name.split()[0]}{' ✎' if activity == 'replying' else ''}" for name, activity in people
    )
    return short, "\n".join(f"{name} is {activity}" for name, activity in people)
