"""Colours, fonts, icons and the style sheet. Everything derives from the system palette so the
window follows light and dark mode; only the SLA traffic light and the priority ink are fixed,
because they carry meaning agents learn once."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QPoint, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFontDatabase, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

from desk_app.core.enums import DeliveryState, Priority, Status

ICONS = Path(__file__).resolve().parents[2] / "resources" / "icons"

# Priority in the inbox: bars like a signal-strength meter, in ink of its own (indigo), so it
# never reads as the SLA traffic light beside it; red, amber and green mean time only.
PRIORITY_BARS: dict[str, int] = {
    Priority.LOW: 1,
    Priority.NORMAL: 2,
    Priority.HIGH: 3,
    Priority.URGENT: 4,
}
PRIORITY_INK = {"light": "#4f46c8", "dark": "#a5a8ff"}


def priority_ink(palette: QPalette, selected: bool = False, active: bool = True) -> QColor:
    """The filled bars' colour; on a selected row the selection's text colour, which the
    style made readable on the highlight (indigo would vanish into a blue one)."""
    if selected:
        return item_text_colour(palette, True, active)
    return QColor(PRIORITY_INK["dark" if is_dark(palette) else "light"])


PRIORITY_GLYPH_WIDTH = 15  # four 3 px bars, 1 px apart


def paint_priority_bars(
    painter: QPainter, centre: QPoint, tallest: int, filled: int, ink: QColor, empty: QColor
) -> None:
    """Four rising bars centred on `centre`, the first `filled` in ink (low 1 … urgent 4)."""
    left = centre.x() - PRIORITY_GLYPH_WIDTH // 2
    bottom = centre.y() + tallest // 2
    painter.setPen(Qt.PenStyle.NoPen)
    for bar in range(4):
        height = round(tallest * (bar + 1) / 4)
        painter.setBrush(ink if bar < filled else empty)
        painter.drawRect(QRect(left + bar * 4, bottom - height + 1, 3, height))


def priority_icon(priority: str, palette: QPalette) -> QIcon:
    """The inbox's priority bars as an icon, for lists and combo boxes outside the inbox."""
    side = 16
    ratio = 2.0  # drawn at twice the size so it stays sharp on high-density screens
    pixmap = QPixmap(round(side * ratio), round(side * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    ink = priority_ink(palette)
    empty = mix(palette.color(QPalette.ColorRole.Base), ink, 0.25)
    painter = QPainter(pixmap)
    filled = PRIORITY_BARS[priority]
    paint_priority_bars(painter, QPoint(side // 2, side // 2), 12, filled, ink, empty)
    painter.end()
    return QIcon(pixmap)


# The SLA traffic light; readable on light and dark backgrounds alike.
LIGHT_COLOURS: dict[str, str] = {
    "green": "#1e8e3e",
    "amber": "#e37400",
    "red": "#d93025",
    "grey": "#8d96a0",
}
# Alarms outside the SLA light (a refused drop, unacknowledged pages, a failed delivery) use the
# same red and amber, so red always means "act now" and amber "look soon".
ALERT_RED = LIGHT_COLOURS["red"]
ALERT_AMBER = LIGHT_COLOURS["amber"]

STATUS_LABELS: dict[str, str] = {
    Status.NEW: "New",
    Status.OPEN: "Open",
    Status.PENDING: "Pending",
    Status.ON_HOLD: "On hold",
    Status.SOLVED: "Solved",
    Status.CLOSED: "Closed",
}

# Each language by its own name, as a customer's language is shown to agents.
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "ja": "日本語", "ru": "Русский"}

DELIVERY_LABELS: dict[str, str] = {
    DeliveryState.QUEUED: "Queued",
    DeliveryState.SENDING: "Sending…",
    DeliveryState.SENT: "Sent",
    DeliveryState.FAILED: "Failed",
}

# Fallbacks for scripts the system UI font may lack. Qt walks this list per glyph, so a
# missing family costs nothing; the first installed one wins.
CJK_CYRILLIC_FALLBACKS = (
    "Noto Sans",
    "Noto Sans CJK JP",
    "Noto Sans JP",
    "Source Han Sans JP",
    "Yu Gothic UI",
    "Meiryo UI",
    "Hiragino Sans",
    "Microsoft YaHei UI",
    "WenQuanYi Micro Hei",
    "DejaVu Sans",
)


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def mix(base: QColor, tint: QColor, amount: float) -> QColor:
    return QColor(
        round(base.red() + (tint.red() - base.red()) * amount),
        round(base.green() + (tint.green() - base.green()) * amount),
        round(base.blue() + (tint.blue() - base.blue()) * amount),
    )


def item_text_colour(palette: QPalette, selected: bool, active: bool) -> QColor:
    """The text colour the style pairs with the background it just drew for an item; an
    unfocused view draws a pale selection that needs dark text, not highlighted-text."""
    group = QPalette.ColorGroup.Active if active else QPalette.ColorGroup.Inactive
    role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
    return palette.color(group, role)


def accent(palette: QPalette) -> QColor:
    """The highlight colour, nudged towards the text colour when it would vanish into the
    background (some dark palettes use a very dark highlight)."""
    colour = palette.color(QPalette.ColorRole.Highlight)
    base = palette.color(QPalette.ColorRole.Base)
    if abs(colour.lightness() - base.lightness()) < 60:
        return mix(colour, palette.color(QPalette.ColorRole.Text), 0.4)
    return colour


def muted_text(palette: QPalette) -> QColor:
    return mix(palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Base), 0.45)


def message_colours(palette: QPalette) -> dict[str, QColor]:
    """Card backgrounds per message direction: customer plain, agent tinted with the accent,
    internal notes amber so nobody mistakes a note for something the customer saw."""
    base = palette.color(QPalette.ColorRole.Base)
    dark = is_dark(palette)
    return {
        "inbound": mix(base, palette.color(QPalette.ColorRole.Text), 0.04),
        "outbound": mix(base, palette.color(QPalette.ColorRole.Highlight), 0.16 if dark else 0.09),
        "note": mix(base, QColor("#f5b800"), 0.16 if dark else 0.2),
        "note_border": QColor("#c99700" if not dark else "#a07a00"),
        "border": mix(base, palette.color(QPalette.ColorRole.Text), 0.14),
    }


def configure_fonts(app: QApplication) -> list[str]:
    """Keep the platform's UI font and add fallbacks that cover Japanese and Cyrillic.
    Returns the fallbacks that are installed (none means the system's own fallback decides)."""
    installed = set(QFontDatabase.families())
    font = app.font()
    fallbacks = [f for f in CJK_CYRILLIC_FALLBACKS if f in installed and f != font.family()]
    font.setFamilies([font.family(), *fallbacks])
    if font.pointSizeF() < 9.5:
        font.setPointSizeF(10)
    app.setFont(font)
    return fallbacks


@cache
def _svg(name: str) -> bytes | None:
    file = ICONS / f"{name}.svg"
    try:
        return file.read_bytes()
    except OSError:
        return None


def icon(name: str, colour: QColor | None = None, size: int = 32) -> QIcon:
    """A line icon from resources/icons drawn in the palette's text colour; an empty icon when
    the resource is missing, so a broken install degrades to text instead of failing."""
    tint = colour or QApplication.palette().color(QPalette.ColorRole.Text)
    # The inbox paints one per row on every repaint; render each tint and size once.
    return _tinted_icon(name, tint.name(), size)


@cache
def _tinted_icon(name: str, tint: str, size: int) -> QIcon:
    data = _svg(name)
    if data is None:
        return QIcon()
    renderer = QSvgRenderer(QByteArray(data.replace(b"currentColor", tint.encode())))
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return QIcon(pixmap)


def style_sheet(palette: QPalette) -> str:
    """Only spacing and a few accents; colours come from palette() so dark mode just works."""
    colours = message_colours(palette)
    border = colours["border"].name()
    muted = muted_text(palette).name()
    accent = palette.color(QPalette.ColorRole.Highlight).name()
    dark = is_dark(palette)
    error_bg, error_fg = ("#4a1c21", "#ffd7da") if dark else ("#fde7e9", "#7a1020")
    warning_bg, warning_fg = ("#453700", "#ffe8a3") if dark else ("#fff4ce", "#5c4300")
    return f"""
QListView#navigation {{ border: none; padding: 6px 4px; }}
QTableView#inbox {{ border: none; }}
QListWidget#customerTickets::item {{ padding: 5px 4px; border-bottom: 1px solid {border}; }}
QListWidget#customerTickets::item:selected {{ background: {accent};
    color: palette(highlighted-text); }}
QHeaderView::section {{ padding: 4px 6px; border: none; border-bottom: 1px solid {border}; }}
QFrame#ticketHeader {{ border-bottom: 1px solid {border}; }}
QLabel#ticketSubject {{ font-size: 15pt; font-weight: 600; }}
QLabel#muted, QLabel#fieldLabel {{ color: {muted}; }}
QLabel#sectionTitle {{ color: {muted}; font-weight: 600; }}
QLabel#customerName {{ font-size: 13pt; font-weight: 600; }}
QFrame#banner {{ border-radius: 6px; padding: 2px; }}
QFrame#banner[level="error"] {{ background: {error_bg}; color: {error_fg}; }}
QFrame#banner[level="warning"], QFrame#banner[level="offline"] {{ background: {warning_bg};
    color: {warning_fg}; }}
QFrame#banner[level="offline"] {{ border: 1px solid {warning_fg}; }}
QLabel#presence {{ padding: 3px 12px; color: {warning_fg}; background: {warning_bg};
    font-weight: 600; }}
QFrame#banner[level="info"], QFrame#banner[level="narrowed"] {{
    background: {colours["outbound"].name()}; }}
QFrame#banner QLabel {{ color: inherit; }}
QFrame#composer {{ border-top: 1px solid {border}; }}
QFrame#newsBar {{ background: {warning_bg}; border-radius: 4px; }}
QLabel#newsLabel {{ color: {warning_fg}; font-weight: 600; }}
QPushButton#showNew {{ padding: 2px 14px; }}
QToolButton#modeButton, QToolButton#noteMode {{ padding: 3px 10px;
    border: 1px solid {border}; border-radius: 4px; }}
QToolButton#modeButton:checked {{ background: {accent}; color: palette(highlighted-text);
    border-color: {accent}; }}
QToolButton#sendMore {{ padding: 4px 10px; }}
QToolButton#sendMore::menu-indicator {{ image: none; width: 0px; }}
QToolButton#noteMode:checked {{ background: {colours["note"].name()}; color: palette(text);
    border-color: {colours["note_border"].name()}; }}
QPushButton#primary {{ background: {accent}; color: palette(highlighted-text); border: none;
    border-radius: 4px; padding: 5px 16px; font-weight: 600; }}
QPushButton#primary:disabled {{ background: {border}; }}
QLineEdit#searchBox {{ padding: 4px 8px; border-radius: 6px; border: 1px solid {border}; }}
"""


# Inline validation messages in forms and dialogs.
ERROR_STYLE = "color: #c62828;"
