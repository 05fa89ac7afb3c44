"""Every command of the window as a QAction with its key, placed in the menus. The shortcut
sheet is generated from these same actions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu


@dataclass
class WindowActions:
    """The window's one table of commands: the menus, the keys and the shortcut sheet all
    come from it, so the sheet cannot miss a key the window answers to."""

    all: list[QAction] = field(default_factory=list)
    by_name: dict[str, QAction] = field(default_factory=dict)
    # How the sheet names an action whose menu text alone would not say what it does
    # ("Mine" in Go → Views is "Show the view Mine").
    sheet_labels: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> QAction:
        return self.by_name[name]

    def register(self, name: str, action: QAction, sheet_label: str | None = None) -> QAction:
        """Add an action made elsewhere (a dock's toggle, a view's entry), replacing any of
        the same name."""
        action.setObjectName(name)
        self.forget(name)
        self.all.append(action)
        self.by_name[name] = action
        if sheet_label is not None:
            self.sheet_labels[name] = sheet_label
        return action

    def forget(self, name: str) -> None:
        action = self.by_name.pop(name, None)
        if action is not None:
            self.all.remove(action)
        self.sheet_labels.pop(name, None)

    def sheet_rows(self) -> list[tuple[str, QAction]]:
        """(name as the sheet shows it, action) for every action that has a key."""
        return [
            (self.sheet_labels.get(action.objectName(), action.text().replace("&", "")), action)
            for action in self.all
            if action.shortcuts()
        ]


def add_action(
    actions: WindowActions,
    window: QMainWindow,
    menu: QMenu,
    name: str,
    text: str,
    handler: Callable[[], object],
    keys: tuple[str, ...] = (),
    *,
    context: Qt.ShortcutContext = Qt.ShortcutContext.WindowShortcut,
) -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    if keys:
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(context)
    action.triggered.connect(lambda _checked=False: handler())
    menu.addAction(action)
    if context == Qt.ShortcutContext.WindowShortcut:
        window.addAction(action)
    actions.all.append(action)
    actions.by_name[name] = action
    return action
