"""The inbox table: one delegate paints the priority marker, the two-line subject with the last
message's snippet, the channel icon and the status pill. Rows all have one fixed height so the
view never measures 100k rows."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractItemModel,
    QByteArray,
    QEvent,
    QItemSelectionModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QDrag,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QPainter,
    QPalette,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from desk_app.core.enums import Status
from desk_app.store.records import TicketRow
from desk_app.ui.inbox_columns import columns_to_hide
from desk_app.ui.inbox_model import ROW_ROLE, Column, InboxModel
from desk_app.ui.plurals import english_plural
from desk_app.ui.styles import (
    PRIORITY_BARS,
    accent,
    icon,
    item_text_colour,
    mix,
    muted_text,
    paint_priority_bars,
    priority_ink,
)
from desk_app.ui.ticket_mime import tickets_mime

# Wide enough for what each column shows ("−10h 34m" in bold, "On hold" in its pill, "1d 4h
# ago"); longer names elide. The subject stretches over the rest (ui/inbox_columns.py).
DEFAULT_WIDTHS: dict[Column, int] = {
    Column.SLA: 80,
    Column.PRIORITY: 22,
    Column.SUBJECT: 300,
    Column.CUSTOMER: 120,
    Column.CHANNEL: 28,
    Column.DEPARTMENT: 96,
    Column.ASSIGNEE: 108,
    Column.STATUS: 82,
    Column.UPDATED: 84,
}

# However short the window (the On call panel open at 1024x700), the list keeps this many rows
# in view: the window's splitters and docks give up room before the inbox does.
MINIMUM_VISIBLE_ROWS = 3
UNREAD_GUTTER = 16
ROW_PADDING = 3
SNIPPET_SCALE = 0.92  # the snippet is quieter than the subject: smaller and muted


def snippet_font(font: QFont) -> QFont:
    smaller = QFont(font)
    smaller.setBold(False)
    smaller.setPointSizeF(font.pointSizeF() * SNIPPET_SCALE)
    return smaller


def row_height(font: QFont) -> int:
    """Subject line plus snippet line and a little air: compact enough that a 1440x900 window
    shows about ten tickets above the conversation."""
    return QFontMetrics(font).height() + QFontMetrics(snippet_font(font)).height() + 2 * ROW_PADDING


STATUS_TINTS: dict[str, str] = {
    Status.NEW: "#1a73e8",
    Status.OPEN: "#00897b",
    Status.PENDING: "#8e24aa",
    Status.ON_HOLD: "#8d96a0",
    Status.SOLVED: "#1e8e3e",
    Status.CLOSED: "#5f6368",
}

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class SubjectFonts:
    """The fonts of the two-line subject cell and their metrics, made once per base font
    instead of once per painted cell."""

    title: QFont
    title_metrics: QFontMetrics
    unread: QFont
    unread_metrics: QFontMetrics
    snippet: QFont
    snippet_metrics: QFontMetrics

    @classmethod
    def of(cls, base: QFont) -> SubjectFonts:
        title, unread = QFont(base), QFont(base)
        title.setBold(False)
        unread.setBold(True)
        snippet = snippet_font(base)
        return cls(
            title,
            QFontMetrics(title),
            unread,
            QFontMetrics(unread),
            snippet,
            QFontMetrics(snippet),
        )


class InboxDelegate(QStyledItemDelegate):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fonts: dict[str, SubjectFonts] = {}
        self._tints = {status: QColor(tint) for status, tint in STATUS_TINTS.items()}

    def _subject_fonts(self, base: QFont) -> SubjectFonts:
        key = base.key()
        fonts = self._fonts.get(key)
        if fonts is None:
            fonts = self._fonts[key] = SubjectFonts.of(base)
        return fonts

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        row = index.data(ROW_ROLE)
        column = Column(index.column())
        if not isinstance(row, TicketRow) or column not in (
            Column.PRIORITY,
            Column.SUBJECT,
            Column.CHANNEL,
            Column.STATUS,
        ):
            super().paint(painter, option, index)
            return
        # Let the style draw selection and hover backgrounds, then draw our content on top.
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        if column == Column.PRIORITY:
            self._paint_priority(painter, opt, row, selected)
        elif column == Column.SUBJECT:
            self._paint_subject(painter, opt, row, selected)
        elif column == Column.CHANNEL:
            active = bool(opt.state & QStyle.StateFlag.State_Active)
            tint = (
                item_text_colour(opt.palette, True, active) if selected else muted_text(opt.palette)
            )
            channel_icon = icon(f"channel-{row.channel}", tint)
            side = min(18, opt.rect.height() - 4)
            target = QRect(0, 0, side, side)
            target.moveCenter(opt.rect.center())
            channel_icon.paint(painter, target)
        else:
            self._paint_status(painter, opt, row)
        painter.restore()

    def _paint_priority(
        self, painter: QPainter, opt: QStyleOptionViewItem, row: TicketRow, selected: bool
    ) -> None:
        """Four rising bars, as many filled as the priority is high (low 1 … urgent 4)."""
        active = bool(opt.state & QStyle.StateFlag.State_Active)
        ink = priority_ink(opt.palette, selected, active)
        empty = mix(opt.palette.color(QPalette.ColorRole.Base), ink, 0.25)
        filled = PRIORITY_BARS.get(row.priority, 0)
        tallest = min(14, opt.rect.height() - 10)
        paint_priority_bars(painter, opt.rect.center(), tallest, filled, ink, empty)

    def _paint_subject(
        self, painter: QPainter, opt: QStyleOptionViewItem, row: TicketRow, selected: bool
    ) -> None:
        palette = opt.palette
        active = bool(opt.state & QStyle.StateFlag.State_Active)
        text_colour = item_text_colour(palette, selected, active)
        # A gutter for the unread dot on every row, so subjects line up whether or not it shows.
        inner = opt.rect.adjusted(UNREAD_GUTTER, ROW_PADDING, -6, -ROW_PADDING)
        fonts = self._subject_fonts(opt.font)
        title_font = fonts.unread if row.unread else fonts.title
        title_metrics = fonts.unread_metrics if row.unread else fonts.title_metrics
        line = title_metrics.height()
        if row.unread:
            self._paint_unread_dot(painter, opt, inner.top() + line // 2, selected, active)
        painter.setFont(title_font)
        painter.setPen(text_colour)
        title = title_metrics.elidedText(row.subject, Qt.TextElideMode.ElideRight, inner.width())
        painter.drawText(
            QRect(inner.left(), inner.top(), inner.width(), line),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            title,
        )
        small = fonts.snippet
        painter.setFont(small)
        snippet_colour = (
            mix(text_colour, palette.color(QPalette.ColorRole.Highlight), 0.3)
            if selected
            else muted_text(palette)
        )
        painter.setPen(snippet_colour)
        snippet = " ".join(row.preview.split())
        snippet = fonts.snippet_metrics.elidedText(
            snippet, Qt.TextElideMode.ElideRight, inner.width()
        )
        painter.drawText(
            QRect(inner.left(), inner.top() + line, inner.width(), inner.height() - line),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            snippet,
        )

    def _paint_unread_dot(
        self,
        painter: QPainter,
        opt: QStyleOptionViewItem,
        centre_y: int,
        selected: bool,
        active: bool,
    ) -> None:
        colour = item_text_colour(opt.palette, True, active) if selected else accent(opt.palette)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        radius = 3.5
        painter.drawEllipse(
            QPointF(opt.rect.left() + UNREAD_GUTTER / 2, centre_y + 0.5), radius, radius
        )

    def _paint_status(self, painter: QPainter, opt: QStyleOptionViewItem, row: TicketRow) -> None:
        text = str(opt.index.data()) if opt.index.isValid() else row.status
        tint = self._tints.get(row.status) or QColor("#8d96a0")
        metrics = QFontMetrics(opt.font)
        pill = QRect(0, 0, metrics.horizontalAdvance(text) + 14, metrics.height() + 4)
        pill.moveCenter(opt.rect.center())
        pill.moveLeft(opt.rect.left() + 6)
        base = opt.palette.color(QPalette.ColorRole.Base)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(mix(base, tint, 0.18))
        painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
        painter.setPen(mix(tint, opt.palette.color(QPalette.ColorRole.Text), 0.35))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(hint.width(), row_height(option.font))


class InboxView(QTableView):
    """Emits the ticket under the cursor; Enter (or a double click) asks to work on it."""

    current_ticket_changed = Signal(object)  # int | None
    ticket_activated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inbox")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setSortingEnabled(False)  # the header click is handled, sorting runs in SQL
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setItemDelegate(InboxDelegate(self))
        # The SLA column repaints every second: Qt's own delegate draws its text and colour
        # without a call into Python per cell.
        self.setItemDelegateForColumn(Column.SLA, QStyledItemDelegate(self))
        self.setMouseTracking(True)
        # Selected rows drag onto a department in the navigation pane; right click offers the
        # same moves as a menu (ui/reassign.py builds both the menu and the moves).
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        vertical = self.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(row_height(self.font()))
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setSortIndicatorShown(True)
        # No arrow until the agent sorts: each view has its own default order.
        header.setSortIndicator(-1, Qt.SortOrder.DescendingOrder)
        header.setSectionsClickable(True)
        header.setSectionsMovable(True)
        header.setStretchLastSection(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setMinimumSectionSize(24)
        header.sortIndicatorChanged.connect(self._sort_requested)
        # Each column's width as last set (by default, by the agent, or a saved layout), kept
        # while the column gives way on a narrow list so it comes back at that width.
        self._widths: dict[Column, int] = dict(DEFAULT_WIDTHS)
        header.sectionResized.connect(self._section_resized)
        self.doubleClicked.connect(self._activate)
        self._top_row = -1  # the first visible row just before rows are inserted or removed
        self._bottom_margin = 0  # reserved under the rows for the strips over them
        self._shrink_to: int | None = None  # a smaller margin waiting for the pointer to go

    def minimumSizeHint(self) -> QSize:
        rows = MINIMUM_VISIBLE_ROWS * self.verticalHeader().defaultSectionSize()
        header = self.horizontalHeader().sizeHint().height()
        height = header + rows + 2 * self.frameWidth()
        return QSize(super().minimumSizeHint().width(), height)

    def _fit_priority_column(self) -> None:
        """Narrow and fixed, but wide enough for its header's word (in any language) and the
        sort arrow: the bars alone would not say what they measure."""
        model = self.model()
        if model is None:
            return
        header = self.horizontalHeader()
        title = str(model.headerData(Column.PRIORITY, Qt.Orientation.Horizontal) or "")
        # The word and the header's margins; sorted by priority, the arrow takes the word's
        # end (the tooltip says it whole) rather than every row giving up 15 px for it.
        needed = header.fontMetrics().horizontalAdvance(title) + 16
        header.setSectionResizeMode(Column.PRIORITY, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(Column.PRIORITY, max(DEFAULT_WIDTHS[Column.PRIORITY], needed))

    def restore_header(self, state: QByteArray) -> bool:
        """The agent's saved column order and widths; a layout saved when the priority column
        was a headerless 22 px sliver must not squeeze its header back out."""
        header = self.horizontalHeader()
        restored = header.restoreState(state)
        for column in Column:
            if not header.isSectionHidden(column) and header.sectionSize(column) > 0:
                self._widths[column] = header.sectionSize(column)
        self._fit_priority_column()
        self._fit_columns()
        return restored

    # --- columns that fit the width (ui/inbox_columns.py) ---------------------------------

    def _section_resized(self, section: int, _old: int, new: int) -> None:
        if new > 0 and not self.horizontalHeader().isSectionHidden(section):
            self._widths[Column(section)] = new

    def _fit_columns(self) -> None:
        header = self.horizontalHeader()
        if self.model() is None or header.count() != len(Column):
            return
        hidden = columns_to_hide(self.viewport().width(), self._widths)
        for column in Column:
            if column is not Column.SUBJECT and header.isSectionHidden(column) != (
                column in hidden
            ):
                header.setSectionHidden(column, column in hidden)

    def hidden_columns(self) -> set[Column]:
        """The columns giving way to a narrow list (tests, screenshots)."""
        header = self.horizontalHeader()
        return {column for column in Column if header.isSectionHidden(column)}

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_columns()

    # --- room for the message strips over the bottom (ui/inbox_overlay.py) ---------------

    def set_bottom_margin(self, height: int) -> None:
        """Reserve height pixels under the rows. Growing only shortens the visible list at the
        bottom; shrinking while scrolled to the end would pull every row down, so with the
        pointer over the list it waits until the pointer leaves."""
        bar = self.verticalScrollBar()
        pulled = bar.value() > bar.maximum() - (self._bottom_margin - height)
        if height < self._bottom_margin and self.underMouse() and pulled:
            self._shrink_to = height
            return
        self._shrink_to = None
        if height != self._bottom_margin:
            self._bottom_margin = height
            self.updateGeometries()

    @property
    def bottom_margin(self) -> int:
        return self._bottom_margin

    def updateGeometries(self) -> None:
        super().updateGeometries()
        # QTableView sets the viewport margins for its headers here; keep ours at the bottom.
        # (Called from QTableView's constructor, before __init__ has set the margin.)
        wanted = getattr(self, "_bottom_margin", 0)
        margins = self.viewportMargins()
        if margins.bottom() != wanted:
            margins.setBottom(wanted)
            self.setViewportMargins(margins)

    def leaveEvent(self, event: QEvent) -> None:
        super().leaveEvent(event)
        if self._shrink_to is not None:
            self.set_bottom_margin(self._shrink_to)

    def setModel(self, model: QAbstractItemModel | None) -> None:
        super().setModel(model)
        if isinstance(model, InboxModel):
            model.pinned = self.selected_ticket_ids
            model.rowsAboutToBeInserted.connect(self._remember_top_row)
            model.rowsAboutToBeRemoved.connect(self._remember_top_row)
            model.rowsInserted.connect(self._rows_inserted)
            model.rowsRemoved.connect(self._rows_removed)
        header = self.horizontalHeader()
        for column, width in DEFAULT_WIDTHS.items():
            header.resizeSection(column, width)
        header.setSectionResizeMode(Column.SUBJECT, QHeaderView.ResizeMode.Stretch)
        for column in (Column.PRIORITY, Column.CHANNEL):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
        self._fit_priority_column()
        self._fit_columns()
        selection = self.selectionModel()
        if selection is not None:
            selection.currentRowChanged.connect(self._current_changed)

    # --- keeping the scroll position when rows come and go above it ----------------------
    # With per-pixel scrolling the scroll bar keeps its value, so a row inserted above the
    # first visible one would push everything on screen down a line (and a removed one pull
    # it up). Live changes must not move what the agent is reading: the value is shifted by
    # the rows that came or went above. At the very top a new ticket simply appears there.

    def _remember_top_row(self, _parent: QModelIndex, _first: int, _last: int) -> None:
        self._top_row = self.rowAt(0)

    def _shift_scroll(self, first: int, count: int) -> None:
        top, self._top_row = self._top_row, -1
        bar = self.verticalScrollBar()
        if top < 0 or first > top or bar.value() == 0:
            return
        self.updateGeometries()  # the new range, so the shifted value is not clamped
        bar.setValue(bar.value() + count * self.verticalHeader().defaultSectionSize())

    def _rows_inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        self._shift_scroll(first, last - first + 1)

    def _rows_removed(self, _parent: QModelIndex, first: int, last: int) -> None:
        top = self._top_row
        # Only the removed rows above the first visible one moved it.
        above = min(last, top - 1) - first + 1 if top >= 0 else 0
        if above > 0:
            self._shift_scroll(first, -above)
        self._top_row = -1

    def inbox(self) -> InboxModel:
        model = self.model()
        assert isinstance(model, InboxModel)
        return model

    def _sort_requested(self, column: int, order: Qt.SortOrder) -> None:
        if isinstance(self.model(), InboxModel):
            self.inbox().sort(column, order)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        ticket_id = self.inbox().ticket_id(current.row()) if current.isValid() else None
        self.current_ticket_changed.emit(ticket_id)

    def _activate(self, index: QModelIndex) -> None:
        ticket_id = self.inbox().ticket_id(index.row())
        if ticket_id is not None:
            self.ticket_activated.emit(ticket_id)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._activate(self.currentIndex())
            return
        super().keyPressEvent(event)

    def move_cursor(self, step: int) -> None:
        """j/k and the menu's Next/Previous: move the cursor one ticket, selecting only it."""
        model = self.inbox()
        if model.rowCount() == 0:
            return
        current = self.currentIndex().row()
        target = 0 if current < 0 else max(0, min(model.rowCount() - 1, current + step))
        self.select_row(target)

    def select_row(self, row: int) -> None:
        index = self.inbox().index(row, Column.SUBJECT)
        selection = self.selectionModel()
        if selection is None:
            return
        selection.setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.scrollTo(index)

    def startDrag(self, supportedActions: Qt.DropAction) -> None:
        """Drag the selected tickets' ids, never the rows: QAbstractItemView's own drag would
        remove the rows from the model after a move, which only the change feed may do."""
        ids = self.selected_ticket_ids()
        if not ids:
            return
        drag = QDrag(self)
        drag.setMimeData(tickets_mime(ids))
        drag.setPixmap(self._drag_label(len(ids)))
        drag.exec(Qt.DropAction.MoveAction)

    def _drag_label(self, count: int) -> QPixmap:
        """What follows the pointer: how many tickets are on the move."""
        text = english_plural(self.tr("%n ticket(s)", "", count), count)
        metrics = QFontMetrics(self.font())
        ratio = self.devicePixelRatioF()
        size = QSize(metrics.horizontalAdvance(text) + 20, metrics.height() + 10)
        pixmap = QPixmap(size * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = accent(self.palette())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(QRect(0, 0, size.width(), size.height()), 8, 8)
        painter.setPen(self.palette().color(QPalette.ColorRole.HighlightedText))
        painter.setFont(self.font())
        painter.drawText(
            QRect(0, 0, size.width(), size.height()), Qt.AlignmentFlag.AlignCenter, text
        )
        painter.end()
        return pixmap

    def drag_data(self) -> QMimeData:
        """What a drag of the current selection carries (startDrag; tests)."""
        return tickets_mime(self.selected_ticket_ids())

    def selected_ticket_ids(self) -> list[int]:
        selection = self.selectionModel()
        if selection is None:
            return []
        rows = sorted(index.row() for index in selection.selectedRows())
        return [i for i in (self.inbox().ticket_id(r) for r in rows) if i is not None]
