"""Light or dark: follow the system, unless DESK_THEME says otherwise.

DESK_THEME=dark or DESK_THEME=light forces a Fusion palette (screenshots, tests, and desktops
whose platform theme gets it wrong); anything else leaves the platform's palette alone. Colours
that Desk bakes into its style sheet are worked out again whenever the palette changes, so
switching the desktop to dark mode while Desk runs repaints it correctly.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from desk_app.ui.styles import style_sheet

THEME_VARIABLE = "DESK_THEME"

Role = QPalette.ColorRole
Group = QPalette.ColorGroup

DARK: dict[Role, str] = {
    Role.Window: "#1f2023",
    Role.WindowText: "#e6e7e9",
    Role.Base: "#18191b",
    Role.AlternateBase: "#232427",
    Role.Text: "#e6e7e9",
    Role.Button: "#2a2b2f",
    Role.ButtonText: "#e6e7e9",
    Role.BrightText: "#ffffff",
    Role.Highlight: "#3b78d8",
    Role.HighlightedText: "#ffffff",
    Role.Link: "#8ab4f8",
    Role.LinkVisited: "#c58af9",
    Role.PlaceholderText: "#8f949a",
    Role.ToolTipBase: "#2a2b2f",
    Role.ToolTipText: "#e6e7e9",
    Role.Light: "#3a3b40",
    Role.Midlight: "#313236",
    Role.Mid: "#2a2b2f",
    Role.Dark: "#141517",
    Role.Shadow: "#000000",
}
DARK_DISABLED = "#6f737a"
DARK_INACTIVE_HIGHLIGHT = "#2d4f80"

LIGHT: dict[Role, str] = {
    Role.Window: "#f6f7f9",
    Role.WindowText: "#1f2328",
    Role.Base: "#ffffff",
    Role.AlternateBase: "#f3f4f6",
    Role.Text: "#1f2328",
    Role.Button: "#eef0f3",
    Role.ButtonText: "#1f2328",
    Role.BrightText: "#ffffff",
    Role.Highlight: "#2f6fd0",
    Role.HighlightedText: "#ffffff",
    Role.Link: "#1a5fc0",
    Role.LinkVisited: "#7b3fb8",
    Role.PlaceholderText: "#6b7178",
    Role.ToolTipBase: "#ffffff",
    Role.ToolTipText: "#1f2328",
    Role.Light: "#ffffff",
    Role.Midlight: "#e9ebee",
    Role.Mid: "#c9cdd3",
    Role.Dark: "#a0a6ad",
    Role.Shadow: "#5f6368",
}
LIGHT_DISABLED = "#9aa0a6"
LIGHT_INACTIVE_HIGHLIGHT = "#d3e1f6"


def forced_theme() -> str | None:
    choice = os.environ.get(THEME_VARIABLE, "").strip().lower()
    return choice if choice in ("dark", "light") else None


def palette_for(theme: str) -> QPalette:
    dark = theme == "dark"
    palette = QPalette()
    for role, colour in (DARK if dark else LIGHT).items():
        palette.setColor(role, QColor(colour))
    disabled = QColor(DARK_DISABLED if dark else LIGHT_DISABLED)
    for role in (Role.Text, Role.WindowText, Role.ButtonText, Role.PlaceholderText):
        palette.setColor(Group.Disabled, role, disabled)
    # An unfocused list keeps a quieter selection, with text that still reads on it.
    inactive = QColor(DARK_INACTIVE_HIGHLIGHT if dark else LIGHT_INACTIVE_HIGHLIGHT)
    palette.setColor(Group.Inactive, Role.Highlight, inactive)
    palette.setColor(
        Group.Inactive, Role.HighlightedText, QColor("#ffffff" if dark else LIGHT[Role.Text])
    )
    return palette


class _PaletteFollower(QObject):
    """Re-derives the style sheet when the application palette changes (system theme switch)."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._app = app
        app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._app and event.type() == QEvent.Type.ApplicationPaletteChange:
            self._app.setStyleSheet(style_sheet(self._app.palette()))
        return False


def apply_theme(app: QApplication) -> str:
    """Set the palette and style sheet; returns "dark", "light" or "system"."""
    theme = forced_theme()
    if theme is not None:
        app.setStyle("Fusion")
        app.setPalette(palette_for(theme))
    app.setStyleSheet(style_sheet(app.palette()))
    if app.findChild(_PaletteFollower) is None:
        _PaletteFollower(app)
    return theme or "system"
