"""The shortcut sheet lists every key the main window answers to (issue 16, item 10: it
omitted Ctrl+Shift+O and Ctrl+1–9)."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication

from desk_app.ui.main_window import MainWindow
from desk_app.ui.shortcuts import ShortcutSheet

NATIVE = QKeySequence.SequenceFormat.NativeText


def _window_keys(window: MainWindow) -> set[str]:
    """Every key sequence a QAction or QShortcut of the window (or its docks, menus and
    widgets) is bound to."""
    keys: set[str] = set()
    for action in window.findChildren(QAction):
        keys.update(s.toString(NATIVE) for s in action.shortcuts() if not s.isEmpty())
    for shortcut in window.findChildren(QShortcut):
        bound = shortcut.keys()
        keys.update(s.toString(NATIVE) for s in bound if not s.isEmpty())
    return keys


def _sheet(window: MainWindow) -> dict[str, str]:
    window.show_shortcuts()
    sheet = window.findChild(ShortcutSheet)
    assert sheet is not None
    table = sheet.table
    rows = {table.item(r, 1).text(): table.item(r, 0).text() for r in range(table.rowCount())}
    sheet.close()
    sheet.deleteLater()
    QApplication.processEvents()
    return rows


def _sheet_keys(rows: dict[str, str]) -> set[str]:
    return {key for keys in rows for key in keys.split(", ")}


def test_every_key_of_the_window_is_in_the_sheet(qtbot, ctx, open_window):
    window = open_window(ctx)
    rows = _sheet(window)
    keys = _window_keys(window)
    assert {"Ctrl+Shift+O", "Ctrl+B", "Ctrl+1", "Ctrl+2"} <= keys
    assert keys - _sheet_keys(rows) == set()
    assert rows[QKeySequence("Ctrl+Shift+O").toString(NATIVE)] == "On call"
    first_view = window.views_menu.actions()[0].text()
    assert rows[QKeySequence("Ctrl+1").toString(NATIVE)] == f"Show the view {first_view}"


def test_the_sheet_follows_the_views_when_they_are_rebuilt(qtbot, ctx, open_window):
    window = open_window(ctx)
    views = len([a for a in window.views_menu.actions() if a.shortcuts()])
    window.start()  # the views are read again (a department added, say)
    qtbot.waitUntil(window.is_settled, timeout=5000)
    rows = _sheet(window)
    view_rows = [label for label in rows.values() if label.startswith("Show the view ")]
    assert len(view_rows) == views  # each once, none left from before
    assert _window_keys(window) - _sheet_keys(rows) == set()
