"""The search box (Ctrl+K). Typing only restarts a short timer; the search itself runs on the
task runner when the agent pauses, so every keystroke is painted at once."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QWidget

from desk_app.ui.styles import icon, muted_text

# Short enough that results follow a pause in typing within the 150 ms the agent reads as
# "at once" (the first page takes tens of ms); searches for text typed past are skipped on the
# worker (InboxModel drops work for an older generation) and the total is counted separately.
SEARCH_DELAY_MS = 80
MIN_LENGTH = 2


class SearchBox(QLineEdit):
    search_requested = Signal(str)
    search_cleared = Signal()
    escape_pressed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("searchBox")
        self.setPlaceholderText(self.tr("Search tickets, customers, messages   Ctrl+K"))
        self.setClearButtonEnabled(True)
        self.addAction(
            icon("search", muted_text(self.palette())), QLineEdit.ActionPosition.LeadingPosition
        )
        self.setMinimumWidth(320)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self._fire)
        self.textChanged.connect(lambda _text: self._timer.start())
        self.returnPressed.connect(self._fire)
        self._last = ""

    def _fire(self) -> None:
        self._timer.stop()
        text = self.text().strip()
        if text == self._last:
            return
        self._last = text
        if len(text) >= MIN_LENGTH:
            self.search_requested.emit(text)
        elif not text:
            self.search_cleared.emit()

    def typed_past(self, text: str) -> bool:
        """The agent has typed on since searching for `text`: a search for what the box says
        now is about to start."""
        return self._timer.isActive() and self.text().strip() != text

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.escape_pressed.emit()
            return
        super().keyPressEvent(event)

    def focus_for_search(self) -> None:
        self.setFocus()
        self.selectAll()
