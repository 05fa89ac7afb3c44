"""Bugs, as opposed to known errors: write the traceback to a log file in the user's log
directory and tell the agent where it is, instead of showing a bare traceback or dying."""

from __future__ import annotations

import logging
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from desk_app.config import paths

log = logging.getLogger("desk.crash")


def write_crash_log(error: BaseException) -> Path | None:
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    log.error("unexpected error\n%s", text)
    folder = paths().logs
    try:
        folder.mkdir(parents=True, exist_ok=True)
        file = folder / f"crash-{datetime.now(UTC):%Y%m%d-%H%M%S-%f}.log"
        file.write_text(text, encoding="utf-8")
    except OSError:
        return None
    return file


class CrashReporter:
    """Shows one non-modal dialog per bug; work in other windows and dialogs carries on."""

    def __init__(self, parent: QWidget | None = None, *, show_dialog: bool = True) -> None:
        self._parent = parent
        self._show_dialog = show_dialog
        self.reports: list[tuple[BaseException, Path | None]] = []

    def report(self, error: object) -> None:
        if not isinstance(error, BaseException):
            error = RuntimeError(str(error))
        file = write_crash_log(error)
        self.reports.append((error, file))
        if not self._show_dialog:
            return
        box = QMessageBox(self._parent)
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle("Desk hit a bug")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(
            "Something went wrong inside Desk. Your work is saved; you can keep going, but "
            "please send the log file to whoever looks after Desk."
        )
        box.setInformativeText(f"Log file: {file}" if file else "The log could not be written.")
        box.setDetailedText(
            "".join(traceback.format_exception(type(error), error, error.__traceback__))
        )
        box.open()

    def install_excepthook(self) -> None:
        """Exceptions in slots on the GUI thread reach sys.excepthook; route them here."""

        def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
            if issubclass(kind, KeyboardInterrupt):
                sys.__excepthook__(kind, value, tb)
                return
            self.report(value.with_traceback(tb))

        sys.excepthook = hook
