"""The navigation pane: the standard views with live counts, plus search results.

Department entries take drops of tickets dragged from the inbox (ui/ticket_mime.py): the target
under the pointer is highlighted, a target the agent may not move to is refused with the reason
as a tooltip, and an accepted drop goes through the model's dropMimeData, which hands the ids
and the department to whoever connected tickets_dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QCoreApplication,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QFontMetrics,
    QPainter,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
    QWidget,
)

from desk_app.core.views import View, ViewKind
from desk_app.store.records import DepartmentRecord
from desk_app.ui.styles import ALERT_RED, mix, muted_text
from desk_app.ui.styles import accent as accent_colour
from desk_app.ui.ticket_mime import TICKETS_MIME, ticket_ids_of

Index = QModelIndex | QPersistentModelIndex

LABELS: dict[ViewKind, str] = {
    ViewKind.MINE: "My open",
    ViewKind.UNASSIGNED: "Unassigned",
    ViewKind.ALL_OPEN: "All open",
    ViewKind.DUE_SOON: "Due soon",
    ViewKind.BREACHED: "Breached",
    ViewKind.PENDING: "Pending",
    ViewKind.SOLVED_RECENTLY: "Recently solved",
}
SEARCH_KEY = "search"
# The count of an entry whose total is still being worked out (a search being counted).
COUNTING = -1
ONCALL_KEY = "oncall"  # not a view: opens the On call panel (ui/night_view.py)
HEADER_ROLE = Qt.ItemDataRole.UserRole + 1
COUNT_ROLE = Qt.ItemDataRole.UserRole + 2
KEY_ROLE = Qt.ItemDataRole.UserRole + 3
DROP_ROLE = Qt.ItemDataRole.UserRole + 4  # "accept" or "refuse" while tickets are dragged over
# Says why tickets may not be dropped on a department (None: they may).
DropCheck = Callable[[list[int], int], str | None]


def view_key(view: View) -> str:
    """A stable text name for a view, for settings and the --view option."""
    if view.kind is ViewKind.DEPARTMENT:
        return f"department:{view.department_id}"
    return view.kind.value


@dataclass
class NavEntry:
    label: str
    key: str  # view_key, SEARCH_KEY, or "" for a section header
    view: View | None = None
    count: int | None = None

    @property
    def is_header(self) -> bool:
        return not self.key

    @property
    def department_id(self) -> int | None:
        """The department a drop here moves tickets to; None for the other entries."""
        if self.view is None or self.view.kind is not ViewKind.DEPARTMENT:
            return None
        return self.view.department_id


class NavigationModel(QAbstractListModel):
    tickets_dropped = Signal(list, int)  # ticket ids, department id

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[NavEntry] = []
        self._drop: tuple[int, str] | None = None  # (row, "accept" | "refuse") under a drag

    def set_views(self, views: list[View], departments: list[DepartmentRecord]) -> None:
        names = {d.id: d.name for d in departments}
        entries: list[NavEntry] = []
        department_views = [v for v in views if v.kind is ViewKind.DEPARTMENT]
        for view in views:
            if view.kind is ViewKind.DEPARTMENT:
                continue
            if view.kind is ViewKind.ALL_OPEN and department_views:
                entries.append(NavEntry("Departments", ""))
                entries.extend(
                    NavEntry(names.get(v.department_id or 0, "Department"), view_key(v), v)
                    for v in department_views
                )
                entries.append(NavEntry("Queues", ""))
            entries.append(NavEntry(LABELS.get(view.kind, view.kind.value), view_key(view), view))
        entries.append(NavEntry("On call", ONCALL_KEY))
        entries.append(NavEntry("Search results", SEARCH_KEY))
        self.beginResetModel()
        self.entries = entries
        self.endResetModel()

    def set_counts(self, counts: dict[View, int]) -> None:
        for row, entry in enumerate(self.entries):
            if entry.view is not None and entry.view in counts:
                entry.count = counts[entry.view]
                index = self.index(row)
                self.dataChanged.emit(index, index, [COUNT_ROLE])

    def set_search_count(self, count: int | None) -> None:
        """The search's total, or None while it is being counted (shown as "…")."""
        row = self.row_of(SEARCH_KEY)
        if row is not None:
            self.entries[row].count = COUNTING if count is None else count
            self.dataChanged.emit(self.index(row), self.index(row), [COUNT_ROLE])

    def set_key_count(self, key: str, count: int | None) -> None:
        row = self.row_of(key)
        if row is not None:
            self.entries[row].count = count
            self.dataChanged.emit(self.index(row), self.index(row), [COUNT_ROLE])

    def row_of(self, key: str) -> int | None:
        return next((i for i, e in enumerate(self.entries) if e.key == key), None)

    def views(self) -> list[View]:
        return [e.view for e in self.entries if e.view is not None]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        entry = self.entries[index.row()]
        if entry.is_header:
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if entry.department_id is not None:
            flags |= Qt.ItemFlag.ItemIsDropEnabled
        return flags

    # --- drops ------------------------------------------------------------------------------

    def mimeTypes(self) -> list[str]:
        return [TICKETS_MIME]

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def department_at(self, index: Index) -> int | None:
        if not index.isValid() or not 0 <= index.row() < len(self.entries):
            return None
        return self.entries[index.row()].department_id

    def canDropMimeData(
        self,
        data: QMimeData,
        action: Qt.DropAction,
        row: int,
        column: int,
        parent: Index,
    ) -> bool:
        # Only onto a department entry itself (parent), never between entries (row >= 0).
        return row < 0 and self.department_at(parent) is not None and bool(ticket_ids_of(data))

    def dropMimeData(
        self,
        data: QMimeData,
        action: Qt.DropAction,
        row: int,
        column: int,
        parent: Index,
    ) -> bool:
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        department = self.department_at(parent)
        assert department is not None
        self.tickets_dropped.emit(ticket_ids_of(data), department)
        return True

    def set_drop_target(self, row: int | None, state: str = "accept") -> None:
        """Highlight the entry under a drag (None: no entry)."""
        wanted = None if row is None else (row, state)
        if wanted == self._drop:
            return
        rows = [r for r in (self._drop[0] if self._drop else None, row) if r is not None]
        self._drop = wanted
        for changed in rows:
            index = self.index(changed)
            self.dataChanged.emit(index, index, [DROP_ROLE])

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.entries):
            return None
        entry = self.entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return entry.label
        if role == HEADER_ROLE:
            return entry.is_header
        if role == COUNT_ROLE:
            return entry.count
        if role == KEY_ROLE:
            return entry.key
        if role == DROP_ROLE:
            return self._drop[1] if self._drop and self._drop[0] == index.row() else None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            if entry.count == COUNTING:
                return QCoreApplication.translate("NavigationModel", "{0}, counting").format(
                    entry.label
                )
            return entry.label if entry.count is None else f"{entry.label}, {entry.count}"
        return None


class NavigationDelegate(QStyledItemDelegate):
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        label, count = opt.text, index.data(COUNT_ROLE)
        opt.text = ""
        header = bool(index.data(HEADER_ROLE))
        painter.save()
        palette = opt.palette
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        hovered = bool(opt.state & QStyle.StateFlag.State_MouseOver)
        drop = index.data(DROP_ROLE)
        if drop is not None:
            # The drop target: outlined in the accent colour, or in red where it would be
            # refused, so the agent sees before letting go what the drop will do.
            refused = QColor(ALERT_RED)
            colour = accent_colour(palette) if drop == "accept" else refused
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(colour, 2))
            painter.setBrush(mix(palette.color(QPalette.ColorRole.Base), colour, 0.18))
            painter.drawRoundedRect(opt.rect.adjusted(3, 2, -3, -2), 6, 6)
        elif not header and (selected or hovered):
            # A soft tint instead of the style's selection: the pane is a list of places, and
            # full-strength highlight would compete with the inbox's selected row.
            base = palette.color(QPalette.ColorRole.Base)
            accent = palette.color(QPalette.ColorRole.Highlight)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(mix(base, accent, 0.22 if selected else 0.08))
            painter.drawRoundedRect(opt.rect.adjusted(2, 1, -2, -1), 6, 6)
        text_colour = palette.color(QPalette.ColorRole.Text)
        inner = opt.rect.adjusted(10, 0, -10, 0)
        font = QFont(opt.font)
        font.setBold(selected)
        if header:
            font.setPointSizeF(font.pointSizeF() * 0.85)
            font.setBold(True)
            painter.setFont(font)
            painter.setPen(muted_text(palette))
            painter.drawText(
                inner.adjusted(0, 6, 0, 0),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                label.upper(),
            )
            painter.restore()
            return
        count_text = "" if count is None else "…" if count == COUNTING else f"{count:,}"
        key = index.data(KEY_ROLE)
        count_font = QFont(font)
        count_font.setBold(bool(count) and key in ("mine", "breached", "unassigned", ONCALL_KEY))
        count_width = QFontMetrics(count_font).horizontalAdvance(count_text) + 8
        painter.setFont(font)
        painter.setPen(text_colour)
        name = QFontMetrics(font).elidedText(
            label, Qt.TextElideMode.ElideRight, inner.width() - count_width
        )
        painter.drawText(inner, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        if count_text:
            colour = text_colour if selected else muted_text(palette)
            if key in ("breached", ONCALL_KEY) and count:
                colour = QColor(ALERT_RED)
            painter.setFont(count_font)
            painter.setPen(colour)
            painter.drawText(
                QRect(inner),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                count_text,
            )
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        height = QFontMetrics(option.font).height()
        if index.data(HEADER_ROLE):
            return QSize(160, height + 14)
        return QSize(160, height + 12)


class NavigationPane(QListView):
    view_chosen = Signal(str)  # a view_key or SEARCH_KEY
    tickets_dropped = Signal(list, int)  # ticket ids, department id: an accepted drop
    drop_refused = Signal(str)  # why tickets may not go where they are dragged

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("navigation")
        self.nav = NavigationModel()
        self.setModel(self.nav)
        self.setItemDelegate(NavigationDelegate(self))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setAcceptDrops(True)
        self.nav.tickets_dropped.connect(self.tickets_dropped)
        # Asked while tickets are dragged over a department; the window sets it (permissions).
        self.drop_check: DropCheck = lambda _ids, _department: None
        self._refused_shown: tuple[int, str] | None = None
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QListView.Shape.NoFrame)
        self.setMinimumWidth(170)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        selection = self.selectionModel()
        selection.currentRowChanged.connect(self._row_changed)

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.view_chosen.emit(str(current.data(KEY_ROLE)))

    # --- drops (see the module docstring) -----------------------------------------------------
    # Handled here rather than by QAbstractItemView's defaults: those accept by position alone
    # (between two entries, on the viewport), and know nothing of who may move what.

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if ticket_ids_of(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        point = event.position().toPoint()
        index = self.indexAt(point)
        ids = ticket_ids_of(event.mimeData())
        department = self.nav.department_at(index)
        if not ids or department is None:
            self.nav.set_drop_target(None)
            event.ignore()
            return
        refusal = self.drop_check(ids, department)
        self.nav.set_drop_target(index.row(), "refuse" if refusal else "accept")
        rect = self.visualRect(index)
        if refusal:
            # Ignored for this entry only: the pointer may still move on to one that takes it.
            event.ignore(rect)
            if self._refused_shown != (index.row(), refusal):
                self._refused_shown = (index.row(), refusal)
                where = self.viewport().mapToGlobal(point)
                QToolTip.showText(where, refusal, self.viewport(), rect)
                self.drop_refused.emit(refusal)
            return
        self._refused_shown = None
        QToolTip.hideText()
        event.acceptProposedAction()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._end_drag()
        event.accept()

    def dropEvent(self, event: QDropEvent) -> None:
        index = self.indexAt(event.position().toPoint())
        ids = ticket_ids_of(event.mimeData())
        department = self.nav.department_at(index)
        self._end_drag()
        refusal = self.drop_check(ids, department) if ids and department is not None else None
        if refusal:
            # A drop the move had already refused (a platform may still deliver it).
            self.drop_refused.emit(refusal)
            event.ignore()
            return
        if self.nav.dropMimeData(event.mimeData(), event.dropAction(), -1, -1, index):
            event.acceptProposedAction()
        else:
            event.ignore()

    def _end_drag(self) -> None:
        self.nav.set_drop_target(None)
        self._refused_shown = None
        QToolTip.hideText()

    def select_key(self, key: str) -> bool:
        """Highlight the entry without announcing it (the caller already shows that view)."""
        row = self.nav.row_of(key)
        if row is None:
            return False
        self.selectionModel().blockSignals(True)
        self.setCurrentIndex(self.nav.index(row))
        self.selectionModel().blockSignals(False)
        self.viewport().update()
        return True
