"""The navigation pane: the standard views with live counts, plus search results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from desk_app.core.views import View, ViewKind
from desk_app.store.records import DepartmentRecord
from desk_app.ui.styles import PRIORITY_COLOURS, mix, muted_text

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
ONCALL_KEY = "oncall"  # not a view: opens the On call panel (ui/night_view.py)
HEADER_ROLE = Qt.ItemDataRole.UserRole + 1
COUNT_ROLE = Qt.ItemDataRole.UserRole + 2
KEY_ROLE = Qt.ItemDataRole.UserRole + 3


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


class NavigationModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self.entries: list[NavEntry] = []

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
        row = self.row_of(SEARCH_KEY)
        if row is not None:
            self.entries[row].count = count
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
        if self.entries[index.row()].is_header:
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

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
        if role == Qt.ItemDataRole.AccessibleTextRole:
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
        if not header and (selected or hovered):
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
        count_text = "" if count is None else f"{count:,}"
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
                colour = QColor(PRIORITY_COLOURS["urgent"])
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

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("navigation")
        self.nav = NavigationModel()
        self.setModel(self.nav)
        self.setItemDelegate(NavigationDelegate(self))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QListView.Shape.NoFrame)
        self.setMinimumWidth(170)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        selection = self.selectionModel()
        selection.currentRowChanged.connect(self._row_changed)

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.view_chosen.emit(str(current.data(KEY_ROLE)))

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
