"""The template picker in the real window: keyboard flow, fuzzy ranking, insertion at the cursor,
input forms, placeholder highlighting and the send block."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from sqlalchemy import select

from desk_app.store import Service
from desk_app.store.models import Customer, Message, TemplateUse, Ticket
from desk_app.store.template_store import COMPANY_NAME, TemplateFields, TemplateStore
from tests.ui.conftest import new_ticket, settle


def _library(db, clock, team) -> dict[str, int]:
    lena = TemplateStore(db, team.lead, clock)
    TemplateStore(db, None, clock).set_team_setting(COMPANY_NAME, "Acme")
    made = {
        "refund": lena.create(
            TemplateFields(
                "Refund issued",
                "Hello {{ customer.first_name }},\nWe refunded order {{ input.order }}.",
                shortcut="refund",
                tags="billing money",
            )
        ),
        "refund_ja": lena.create(
            TemplateFields(
                "返金のご案内",
                "{{ customer.name }}様\n返金しました。",
                language="ja",
                tags="refund",
            )
        ),
        "reset": lena.create(
            TemplateFields(
                "Password reset",
                "Hi {{ customer.first_name | default('there') }}, reset it here. "
                "{{ company.name }}",
                shortcut="reset",
            )
        ),
        "delay": lena.create(
            TemplateFields("Shipping delay", "Your parcel is late; a refund is possible.")
        ),
    }
    return {key: record.id for key, record in made.items()}


def _window_on_ticket(qtbot, db, clock, ctx, team, open_window, *, name: str, language=None):
    ticket = new_ticket(
        Service(db, None, clock),
        "Where is my money?",
        "cust@example.com",
        customer_name=name,
        department="Support",
    )
    if language:
        with db.write() as session:
            customer_id = session.get_one(Ticket, ticket).customer_id
            session.get_one(Customer, customer_id).language = language
    window = open_window(ctx, view="all_open", ticket=ticket)
    qtbot.waitUntil(lambda: window.ticket_pane.detail is not None, timeout=3000)
    settle(qtbot, window)
    return window, ticket


def _open_picker(qtbot, window, *, by_slash: bool = False):
    composer = window.ticket_pane.composer
    composer.editor.setFocus()
    if by_slash:
        qtbot.keyClick(composer.editor, "/")
    else:
        window.window_actions["insert_template"].trigger()
    picker = composer.picker
    qtbot.waitUntil(picker.isVisible, timeout=3000)
    settle(qtbot, window)
    return composer, picker


def _titles(picker) -> list[str]:
    return [row.title for row in picker.model.rows]


def test_keyboard_flow_ranking_preview_and_insertion(qtbot, db, clock, ctx, team, open_window):
    ids = _library(db, clock, team)
    window, ticket = _window_on_ticket(qtbot, db, clock, ctx, team, open_window, name="Maria Lopez")
    composer = window.ticket_pane.composer
    composer.editor.setPlainText("Thanks for waiting.\n")
    composer.editor.moveCursor(composer.editor.textCursor().MoveOperation.End)
    composer, picker = _open_picker(qtbot, window)
    assert picker.search.hasFocus() or picker.search.text() == ""
    qtbot.keyClicks(picker.search, "refund")
    # Shortcut match first, tag match next, body-only match last.
    assert _titles(picker) == ["Refund issued", "返金のご案内", "Shipping delay"]
    qtbot.waitUntil(lambda: "Hello Maria," in picker.preview.toPlainText(), timeout=2000)
    qtbot.keyClick(picker.search, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: "Maria Lopez様" in picker.preview.toPlainText(), timeout=2000)
    qtbot.keyClick(picker.search, Qt.Key.Key_Up)
    qtbot.keyClick(picker.search, Qt.Key.Key_Return)
    # The template asks for an order number: a small form, Enter inserts.
    field = picker.form.fields["order"]
    qtbot.keyClicks(field, "A-77")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert not picker.isVisible()
    assert composer.text() == "Thanks for waiting.\nHello Maria,\nWe refunded order A-77."
    assert composer.template_ids("reply") == [ids["refund"]]
    assert composer.unresolved() == []

    # Sent with the reply: the use is recorded in the same transaction as the message.
    composer.send()
    settle(qtbot, window)
    qtbot.waitUntil(lambda: composer.text() == "", timeout=3000)
    with db.read() as session:
        use = session.scalars(select(TemplateUse)).one()
        message = session.get_one(Message, use.message_id)
    assert (use.template_id, use.ticket_id, use.agent_id) == (ids["refund"], ticket, team.anna)
    assert message.body_text.endswith("We refunded order A-77.")
    assert composer.template_ids("reply") == []


def test_customers_language_and_favourites_come_first(qtbot, db, clock, ctx, team, open_window):
    ids = _library(db, clock, team)
    TemplateStore(db, team.anna, clock).toggle_favourite(ids["delay"])
    window, _ticket = _window_on_ticket(
        qtbot, db, clock, ctx, team, open_window, name="山田 花子", language="ja"
    )
    _composer, picker = _open_picker(qtbot, window)
    assert _titles(picker)[:2] == ["返金のご案内", "Shipping delay"]
    qtbot.keyClicks(picker.search, "refund")
    assert _titles(picker)[0] == "返金のご案内"
    # Ctrl+D toggles a favourite from the keyboard, stored for this agent only.
    qtbot.keyClick(picker.search, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, window)
    favourites = [t.id for t in TemplateStore(db, team.anna, clock).templates() if t.favourite]
    assert sorted(favourites) == sorted([ids["delay"], ids["refund_ja"]])
    qtbot.keyClick(picker.search, Qt.Key.Key_Escape)
    assert not picker.isVisible()


def test_slash_at_line_start_opens_and_escape_gives_the_text_back(
    qtbot, db, clock, ctx, team, open_window
):
    _library(db, clock, team)
    window, _ticket = _window_on_ticket(qtbot, db, clock, ctx, team, open_window, name="Ann Lee")
    composer = window.ticket_pane.composer
    composer.editor.setFocus()
    qtbot.keyClicks(composer.editor, "a/b ")  # not at a line start: just text
    assert not composer.picker.isVisible()
    qtbot.keyClick(composer.editor, Qt.Key.Key_Return)
    composer, picker = _open_picker(qtbot, window, by_slash=True)
    qtbot.keyClicks(picker.search, "usr")
    qtbot.keyClick(picker.search, Qt.Key.Key_Escape)
    assert not picker.isVisible()
    assert composer.text() == "a/b \n/usr"  # nothing typed is lost
    qtbot.keyClick(composer.editor, Qt.Key.Key_Return)
    composer, picker = _open_picker(qtbot, window, by_slash=True)
    qtbot.keyClicks(picker.search, "reset")
    qtbot.keyClick(picker.search, Qt.Key.Key_Enter)
    assert composer.text() == "a/b \n/usr\nHi Ann, reset it here. Acme"


def test_unresolved_placeholders_are_highlighted_and_block_sending(
    qtbot, db, clock, ctx, team, open_window
):
    ids = _library(db, clock, team)
    # No name known: the e-mail address is all the customer gave.
    window, ticket = _window_on_ticket(qtbot, db, clock, ctx, team, open_window, name="")
    composer, picker = _open_picker(qtbot, window)
    qtbot.keyClicks(picker.search, "/refund")
    qtbot.keyClick(picker.search, Qt.Key.Key_Return)
    qtbot.keyClick(picker.form.fields["order"], Qt.Key.Key_Return)  # left empty
    assert composer.text() == "Hello ⟦customer.first_name⟧,\nWe refunded order ⟦input.order⟧."
    assert composer.unresolved() == ["customer.first_name", "input.order"]
    # The first placeholder is selected, ready to be typed over, and highlighted.
    assert composer.editor.textCursor().selectedText() == "⟦customer.first_name⟧"
    block = composer.editor.document().firstBlock()
    formats = block.layout().formats()
    assert any(f.start == 6 and f.length == len("⟦customer.first_name⟧") for f in formats)

    composer.send()
    settle(qtbot, window)
    assert composer.placeholder_bar.isVisible()
    assert "customer.first_name, input.order" in composer.placeholder_label.text()
    with db.read() as session:
        assert session.scalars(select(Message).where(Message.direction == "outbound")).all() == []

    # Typing over one placeholder: the bar follows what is left.
    qtbot.keyClicks(composer.editor, "Sam")
    assert composer.unresolved() == ["input.order"]
    assert "1 placeholder still needs a value: input.order" in composer.placeholder_label.text()

    # Accepting the fallbacks explicitly sends without the markers.
    qtbot.mouseClick(composer.send_anyway_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    qtbot.waitUntil(lambda: composer.text() == "", timeout=3000)
    with db.read() as session:
        sent = session.scalars(select(Message).where(Message.direction == "outbound")).one()
        uses = session.scalars(select(TemplateUse)).all()
    assert sent.body_text == "Hello Sam,\nWe refunded order."
    assert [(u.template_id, u.ticket_id) for u in uses] == [(ids["refund"], ticket)]


def test_picker_renders_without_clipping(qtbot, db, clock, ctx, team, open_window, tmp_path):
    _library(db, clock, team)
    window, _ticket = _window_on_ticket(
        qtbot, db, clock, ctx, team, open_window, name="Maria Lopez"
    )
    _composer, picker = _open_picker(qtbot, window)
    qtbot.keyClicks(picker.search, "re")
    target = Path(tmp_path) / "picker.png"
    assert picker.grab().save(str(target))
    assert target.stat().st_size > 0
    # Every row's text fits the list's width and the hint line is fully shown.
    assert picker.results.width() >= 260
    status = picker.status
    assert status.isVisible() and status.height() >= status.heightForWidth(status.width())
    assert picker.results.sizeHintForRow(0) >= picker.fontMetrics().height() + 8
