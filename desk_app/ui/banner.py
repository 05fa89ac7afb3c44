"""An inline, non-modal message strip: conflicts, unreachable servers, confirmations."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QSizePolicy, QToolButton, QWidget

from desk_app.ui.plain import plain_label, tooltip

INFO_TIMEOUT_MS = 6000


class Banner(QFrame):
    dismissed = Signal()  # the agent closed it (not: it faded, or its action ran)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = plain_label()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action_button = QPushButton()
        self.action_button.setVisible(False)
        self.action_button.clicked.connect(self._run_action)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip(self.tr("Dismiss"))
        close.clicked.connect(self._dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action_button)
        layout.addWidget(close)
        self._action: Callable[[], None] | None = None
        self._text = ""
        self._compact = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def show_message(
        self,
        level: str,
        text: str,
        action: tuple[str, Callable[[], None]] | None = None,
        *,
        fades: bool | None = None,
    ) -> None:
        """fades: hide after a few seconds; by default only confirmations ("info") do."""
        self.setProperty("level", level)
        # Re-polish so the level's colours from the style sheet apply.
        self.style().unpolish(self)
        self.style().polish(self)
        self._text = text
        self._show_text()
        self._action = action[1] if action else None
        self.action_button.setText(action[0] if action else "")
        self.action_button.setVisible(action is not None)
        self.show()
        # Confirmations fade on their own; problems stay until dismissed or resolved.
        fade = level == "info" if fades is None else fades
        if fade:
            self._timer.start(INFO_TIMEOUT_MS)
        else:
            self._timer.stop()

    @property
    def text(self) -> str:
        """The whole message, also while a compact strip shows it cut to one line."""
        return self._text

    def set_compact(self, compact: bool) -> None:
        """One line, cut with "…" and whole in the tooltip: where there is little room (a short
        inbox), so strips cover as few rows as they can."""
        if compact == self._compact:
            return
        self._compact = compact
        self.label.setWordWrap(not compact)
        # Compact, the label takes the width it is given instead of asking for its text's.
        horizontal = QSizePolicy.Policy.Ignored if compact else QSizePolicy.Policy.Preferred
        self.label.setSizePolicy(horizontal, QSizePolicy.Policy.Preferred)
        self._show_text()

    def _show_text(self) -> None:
        if not self._compact:
            self.label.setText(self._text)
            self.label.setToolTip("")
            return
        line = " ".join(self._text.split())
        width = max(self.label.width(), 40)
        shown = self.label.fontMetrics().elidedText(line, Qt.TextElideMode.ElideRight, width)
        self.label.setText(shown)
        self.label.setToolTip(tooltip(self._text) if shown != line else "")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._compact:
            self._show_text()

    def _dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()

    def _run_action(self) -> None:
        action = self._action
        self.hide()
        if action is not None:
            action()
