"""The question asked when a conversation grew while the agent was writing.

Shown under the composer, non-modal: the new message is already in the conversation above, the
agent's text is still in the composer, and nothing is sent until they choose.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QWidget

from desk_app.ui.plain import plain_label


class CollisionBar(QFrame):
    send_anyway = Signal(str, object)  # kind, status after (str | None)
    edit = Signal()
    discard = Signal(str)  # kind

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setProperty("level", "warning")
        self.label = plain_label()
        self.label.setWordWrap(True)
        self.send_button = QPushButton(self.tr("Send anyway"))
        self.edit_button = QPushButton(self.tr("Edit"))
        self.discard_button = QPushButton(self.tr("Discard"))
        self.send_button.clicked.connect(self._send)
        self.edit_button.clicked.connect(self._edit)
        self.discard_button.clicked.connect(self._discard)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        for button in (self.send_button, self.edit_button, self.discard_button):
            layout.addWidget(button)
        self._kind = ""
        self._status_after: str | None = None
        self.hide()

    def ask(self, kind: str, status_after: str | None, text: str) -> None:
        self._kind, self._status_after = kind, status_after
        self.label.setText(text)
        anyway = self.tr("Send anyway") if kind == "reply" else self.tr("Add anyway")
        self.send_button.setText(anyway)
        self.show()
        self.edit_button.setFocus()

    def _send(self) -> None:
        self.hide()
        self.send_anyway.emit(self._kind, self._status_after)

    def _edit(self) -> None:
        self.hide()
        self.edit.emit()

    def _discard(self) -> None:
        self.hide()
        self.discard.emit(self._kind)
