"""The message bridge: one place any widget posts a message for the agent to see, and tests
can listen to. Known errors and confirmations go here; bugs go to the crash reporter."""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import QObject, Signal


class Level(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class MessageBridge(QObject):
    posted = Signal(str, str)  # level, text

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.history: list[tuple[Level, str]] = []

    def info(self, text: str) -> None:
        self._post(Level.INFO, text)

    def warning(self, text: str) -> None:
        self._post(Level.WARNING, text)

    def error(self, text: str) -> None:
        self._post(Level.ERROR, text)

    def _post(self, level: Level, text: str) -> None:
        # Kept short: only the last few messages matter to a person or a test.
        self.history = [*self.history[-19:], (level, text)]
        self.posted.emit(level.value, text)
