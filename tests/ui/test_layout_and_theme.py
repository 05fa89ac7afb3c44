from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from desk_app.store import Service
from desk_app.ui.styles import is_dark, style_sheet
from desk_app.ui.theme import apply_theme, forced_theme, palette_for
from tests.ui.conftest import new_ticket, settle


def test_default_layout_shows_about_ten_inbox_rows_and_a_usable_composer(
    qtbot, db, clock, ctx, open_window
):
    system = Service(db, None, clock)
    for n in range(15):
        clock.advance(minutes=1)
        new_ticket(system, f"Question {n}", f"q{n}@example.com")
    window = open_window(ctx, view="all_open")
    window.resize(1440, 900)
    window.apply_default_split()
    settle(qtbot, window)
    rows = window.inbox.viewport().height() / window.inbox.verticalHeader().defaultSectionSize()
    assert rows >= 9
    share = window.work_splitter.sizes()[0] / sum(window.work_splitter.sizes())
    assert 0.4 <= share <= 0.55
    editor = window.ticket_pane.composer.editor
    assert editor.isVisible() and editor.height() >= 60
    assert window.ticket_pane.conversation.height() >= 150


def test_dark_theme_can_be_forced(qapp, monkeypatch):
    monkeypatch.setenv("DESK_THEME", "dark")
    assert forced_theme() == "dark"
    monkeypatch.setenv("DESK_THEME", "sepia")
    assert forced_theme() is None
    dark = palette_for("dark")
    assert is_dark(dark) and not is_dark(palette_for("light"))
    text, base = dark.color(QPalette.ColorRole.Text), dark.color(QPalette.ColorRole.Base)
    assert text.lightness() - base.lightness() > 150  # readable contrast
    # The banner colours follow the theme instead of staying light pastel.
    assert "#4a1c21" in style_sheet(dark) and "#fde7e9" in style_sheet(palette_for("light"))


def test_conversation_follows_a_palette_change(qtbot, db, clock, ctx, open_window, monkeypatch):
    ticket = new_ticket(Service(db, None, clock), "Colours", "c@example.com")
    window = open_window(ctx, view="all_open", ticket=ticket)
    conversation = window.ticket_pane.conversation
    before = conversation.toHtml()
    app = QApplication.instance()
    old_palette, old_sheet, old_style = app.palette(), app.styleSheet(), app.style().name()
    monkeypatch.setenv("DESK_THEME", "dark")
    try:
        assert apply_theme(app) == "dark"
        qtbot.waitUntil(lambda: conversation.toHtml() != before, timeout=3000)
        assert is_dark(conversation.palette())
    finally:
        app.setStyle(old_style)
        app.setPalette(old_palette)
        app.setStyleSheet(old_sheet)
