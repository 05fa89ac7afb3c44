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
    all: list[QAction] = field(default_factory=list)
    by_name: dict[str, QAction] = field(default_factory=dict)

    def __getitem__(self, name: str) -> QAction:
        return self.by_name[name]


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
