"""Message strips that float over the bottom of the inbox instead of pushing it down.

A strip laid out above the list moved every row by its height the moment it appeared or went:
an agent aiming at one ticket clicked (or dragged, or bulk-moved) the one that slid under the
pointer. Here the strips stack in a child of the table, over the bottom of its viewport and
never over the column headers, and the table reserves that height as a bottom viewport margin
so its last row can still scroll into view above them. Showing or hiding a strip changes only
how much of the list shows at the bottom; what is under the pointer stays where it is.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect
from PySide6.QtWidgets import QVBoxLayout, QWidget

from desk_app.ui.banner import Banner
from desk_app.ui.inbox_view import InboxView

GAP = 4  # between the strips and the table's edges
# Below this height the inbox shows only a few rows (a small screen, the On call panel open):
# the strips go to one line each so they leave some of those rows uncovered.
COMPACT_BELOW_PX = 300


class InboxOverlay(QWidget):
    """A child of the inbox's column (the table hides when a view is empty; the strips must
    not), kept over the bottom of the table's viewport, or of the column when it is empty."""

    def __init__(self, column: QWidget, inbox: InboxView, strips: list[QWidget]) -> None:
        super().__init__(column)
        self.setObjectName("inboxOverlay")
        self.column = column
        self.inbox = inbox
        self.strips = list(strips)
        self._strips_layout = layout = QVBoxLayout(self)
        layout.setContentsMargins(GAP, GAP, GAP, GAP)
        layout.setSpacing(GAP)
        for strip in self.strips:
            layout.addWidget(strip)
            strip.installEventFilter(self)
        inbox.installEventFilter(self)
        column.installEventFilter(self)
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if watched in self.strips:
            # ShowToParent: a strip shown while the overlay is hidden gets no Show event;
            # LayoutRequest: its text changed and wraps to more or fewer lines.
            if kind in (
                QEvent.Type.ShowToParent,
                QEvent.Type.HideToParent,
                QEvent.Type.LayoutRequest,
            ):
                self.place()
        elif kind in (
            QEvent.Type.Resize,
            QEvent.Type.Move,
            QEvent.Type.ShowToParent,
            QEvent.Type.HideToParent,
        ):
            self.place()
        return False

    def place(self) -> None:
        """Size to the visible strips, sit on the bottom of the viewport, reserve the height."""
        visible = [s for s in self.strips if not s.isHidden()]
        if not visible:
            self.hide()
            self.inbox.set_bottom_margin(0)
            return
        table = not self.inbox.isHidden()
        if table:
            area = self.inbox.contentsRect().translated(self.inbox.pos())
            bar = self.inbox.verticalScrollBar()
            width = area.width() - (bar.width() if bar.isVisible() else 0)
        else:
            area = self.column.rect()
            width = area.width()
        for strip in visible:
            if isinstance(strip, Banner):
                strip.set_compact(area.height() < COMPACT_BELOW_PX)
        layout = self._strips_layout
        layout.activate()
        height = layout.heightForWidth(width) if layout.hasHeightForWidth() else -1
        if height < 0:
            height = layout.sizeHint().height()
        self.inbox.set_bottom_margin(height)
        if table:
            # Over the reserved margin: between the viewport's bottom and the frame (or the
            # horizontal scroll bar, which stays reachable below the strips).
            top = self.inbox.y() + self.inbox.viewport().geometry().bottom() + 1
        else:
            top = area.bottom() + 1 - height
        self.setGeometry(QRect(area.left(), top, width, height))
        self.show()
        self.raise_()
