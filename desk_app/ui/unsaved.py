"""One question for every editor that would lose an edit: Save, Discard or Cancel.

Editors keep their own idea of "dirty" and their own (asynchronous) save; this module only asks
and turns the answer into what the caller does next, so the three editors behave alike.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget


class Answer(Enum):
    SAVE = "save"
    DISCARD = "discard"
    CANCEL = "cancel"


def ask_about_unsaved(parent: QWidget, what: str) -> Answer:
    """Ask, modally, what to do with unsaved changes to `what` (already translated)."""
    box = QMessageBox(parent)
    box.setObjectName("unsavedChanges")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(QCoreApplication.translate("Unsaved", "Unsaved changes"))
    box.setText(
        QCoreApplication.translate("Unsaved", "Save your changes to %1?").replace("%1", what)
    )
    box.setInformativeText(
        QCoreApplication.translate("Unsaved", "If you don't save them, they are lost.")
    )
    box.setStandardButtons(
        QMessageBox.StandardButton.Save
        | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel
    )
    # Enter must not throw work away: the default is Save, and Esc means Cancel.
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    box.setEscapeButton(QMessageBox.StandardButton.Cancel)
    clicked = box.exec()
    if clicked == QMessageBox.StandardButton.Save:
        return Answer.SAVE
    if clicked == QMessageBox.StandardButton.Discard:
        return Answer.DISCARD
    return Answer.CANCEL


def guard(
    parent: QWidget,
    what: str,
    *,
    dirty: bool,
    save: Callable[[Callable[[], None]], None],
    proceed: Callable[[], None],
    stay: Callable[[], None] | None = None,
) -> None:
    """Run `proceed` now if nothing would be lost; otherwise ask first.

    Save calls `save(proceed)`: the editor runs `proceed` only once its save has succeeded, so
    a failed save leaves the edit and the selection where they were. Cancel runs `stay` (to put
    back a selection that already moved) and nothing else.
    """
    if not dirty:
        proceed()
        return
    answer = ask_about_unsaved(parent, what)
    if answer is Answer.DISCARD:
        proceed()
    elif answer is Answer.SAVE:
        if stay is not None:
            stay()  # until the save is through, the edited item stays the chosen one
        save(proceed)
    elif stay is not None:
        stay()
