"""Answer the real Save / Discard / Cancel box the editors show (see desk_app/ui/unsaved.py)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox


def answer_unsaved(button: QMessageBox.StandardButton, asked: list[str]) -> None:
    """Click `button` in the unsaved-changes box as soon as it is open, noting its text."""

    def click() -> None:
        boxes = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.objectName() == "unsavedChanges" and w.isVisible()
        ]
        if not boxes:
            QTimer.singleShot(10, click)  # not open yet
            return
        [box] = boxes
        assert box.isModal()
        asked.append(box.text())
        box.button(button).click()

    QTimer.singleShot(0, click)


SAVE = QMessageBox.StandardButton.Save
DISCARD = QMessageBox.StandardButton.Discard
CANCEL = QMessageBox.StandardButton.Cancel

# The offscreen platform warns when a message box sizes itself; nothing to fix in the app.
offscreen_box = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints\(\)")
