"""The composer: a reply to the customer or an internal note, with drafts kept as you type.

Each mode keeps its own text, as the store keeps one draft per kind, so switching to a note to
jot something down never loses the half-written reply.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desk_app.core.enums import DraftKind, Status
from desk_app.ui.styles import STATUS_LABELS

DRAFT_DELAY_MS = 500
KINDS = (DraftKind.REPLY.value, DraftKind.NOTE.value)


class ComposerEdit(QPlainTextEdit):
    """Ctrl+Enter sends from inside the editor; Esc hands focus back to the list."""

    send_pressed = Signal()
    escape_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.send_pressed.emit()
            return
        if event.key() == Qt.Key.Key_Escape:
            self.escape_pressed.emit()
            return
        super().keyPressEvent(event)


class Composer(QFrame):
    send_requested = Signal(str, str, object)  # kind, body, status after (str | None)
    draft_changed = Signal(str, str)  # kind, body; already debounced
    escape_pressed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self._group = QButtonGroup(self)
        self._texts: dict[str, str] = dict.fromkeys(KINDS, "")
        self._dirty: set[str] = set()
        self._kind = DraftKind.REPLY.value
        self._customer = ""
        self._loading = False

        self.reply_button = self._mode_button("Reply", "modeButton", DraftKind.REPLY.value)
        self.note_button = self._mode_button("Internal note", "noteMode", DraftKind.NOTE.value)
        self.reply_button.setChecked(True)
        self.draft_state = QLabel("")
        self.draft_state.setObjectName("muted")
        self.editor = ComposerEdit()
        self.editor.setTabChangesFocus(True)
        self.editor.setMinimumHeight(64)
        self.editor.send_pressed.connect(self.send)
        self.editor.escape_pressed.connect(self.escape_pressed)
        self.editor.textChanged.connect(self._text_changed)
        self.send_button = QPushButton("Send")
        self.send_button.setObjectName("primary")
        self.send_button.setToolTip("Send (Ctrl+Enter)")
        self.send_button.clicked.connect(lambda: self.send())

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DRAFT_DELAY_MS)
        self._timer.timeout.connect(self.flush_draft)

        modes = QHBoxLayout()
        modes.setSpacing(6)
        modes.addWidget(self.reply_button)
        modes.addWidget(self.note_button)
        modes.addSpacing(8)
        modes.addWidget(self.draft_state)
        modes.addStretch(1)
        modes.addWidget(self.send_button)
        self._status_button = QToolButton()
        self._status_button.setObjectName("sendMore")
        self._status_button.setText("Send and… ▾")
        self._status_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._status_button.setMenu(self._send_menu())
        modes.addWidget(self._status_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 10)
        layout.setSpacing(6)
        layout.addLayout(modes)
        layout.addWidget(self.editor, 1)
        self._update_placeholder()

    def _mode_button(self, text: str, name: str, kind: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setObjectName(name)
        button.setCheckable(True)
        button.setAutoExclusive(True)
        button.clicked.connect(lambda: self.set_mode(kind))
        self._group.addButton(button)
        return button

    def _send_menu(self) -> QMenu:
        menu = QMenu(self)
        for status in (Status.PENDING, Status.SOLVED):
            action = menu.addAction(f"Send and set {STATUS_LABELS[status]}")
            action.triggered.connect(lambda _=False, s=status.value: self.send(status_after=s))
        return menu

    # --- state ------------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        return self._kind

    def text(self) -> str:
        return self.editor.toPlainText()

    def set_mode(self, kind: str) -> None:
        if kind == self._kind:
            self.editor.setFocus()
            return
        self._texts[self._kind] = self.editor.toPlainText()
        self._kind = kind
        (self.reply_button if kind == DraftKind.REPLY else self.note_button).setChecked(True)
        self._status_button.setEnabled(kind == DraftKind.REPLY)
        self.send_button.setText("Send" if kind == DraftKind.REPLY else "Add note")
        self._set_editor_text(self._texts[kind])
        self._update_placeholder()
        self.editor.setFocus()

    def load(self, customer: str, drafts: dict[str, str]) -> None:
        """Show another ticket's drafts. The caller flushes the previous ticket's draft first."""
        self._timer.stop()
        self._dirty.clear()
        self._customer = customer
        self._texts = {kind: drafts.get(kind, "") for kind in KINDS}
        # Open on the note if that is the only thing the agent had started.
        kind = DraftKind.NOTE.value if drafts.get("note") and not drafts.get("reply") else "reply"
        self._kind = kind
        (self.reply_button if kind == DraftKind.REPLY else self.note_button).setChecked(True)
        self.send_button.setText("Send" if kind == DraftKind.REPLY else "Add note")
        self._set_editor_text(self._texts[kind])
        self.draft_state.setText("Draft restored" if any(drafts.values()) else "")
        self._update_placeholder()

    def clear_sent(self, kind: str) -> None:
        self._texts[kind] = ""
        self._dirty.discard(kind)
        if kind == self._kind:
            self._set_editor_text("")
        self.draft_state.setText("")

    def _set_editor_text(self, text: str) -> None:
        self._loading = True
        try:
            self.editor.setPlainText(text)
            self.editor.moveCursor(self.editor.textCursor().MoveOperation.End)
        finally:
            self._loading = False

    def _update_placeholder(self) -> None:
        if self._kind == DraftKind.NOTE:
            self.editor.setPlaceholderText(
                "Internal note, only agents see it…  (Ctrl+Enter to add)"
            )
        else:
            who = self._customer or "the customer"
            self.editor.setPlaceholderText(f"Reply to {who}…  (Ctrl+Enter to send)")

    # --- drafts -----------------------------------------------------------------------------

    def _text_changed(self) -> None:
        if self._loading:
            return
        self._texts[self._kind] = self.editor.toPlainText()
        self._dirty.add(self._kind)
        self.draft_state.setText("Editing…")
        self._timer.start()

    def flush_draft(self) -> None:
        """Hand unsaved text to the owner now (debounce elapsed, ticket switch or close)."""
        self._timer.stop()
        for kind in sorted(self._dirty):
            self.draft_changed.emit(kind, self._texts[kind])
        if self._dirty:
            self.draft_state.setText("Draft saved")
        self._dirty.clear()

    def has_unsaved_draft(self) -> bool:
        return bool(self._dirty)

    # --- sending ----------------------------------------------------------------------------

    def send(self, status_after: str | None = None) -> None:
        body = self.editor.toPlainText()
        if not body.strip():
            self.draft_state.setText("Nothing to send")
            return
        # The service discards the stored draft with the send; don't race it with a save.
        self._timer.stop()
        self._dirty.discard(self._kind)
        after = status_after if self._kind == DraftKind.REPLY else None
        self.send_requested.emit(self._kind, body, after)

    def set_busy(self, busy: bool) -> None:
        self.send_button.setEnabled(not busy)
        self._status_button.setEnabled(not busy and self._kind == DraftKind.REPLY)
        if busy:
            self.draft_state.setText("Sending…")
