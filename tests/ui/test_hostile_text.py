"""Hostile text stays text: every string from a customer or a mail is shown as plain text.

The window is built on a ticket whose subject, customer name, address, attachment file name,
message, note and preview are hostile (HTML tags, a local image, a link, an entity, a bidi
override); the ticket is opened, a lead's assignment notice, an SLA alert, the hand-off
summary, the on-call panel, the workload board and the SLA report are brought up. Then every
label, button, tooltip, window title, message box, text view and item view in every window is
read as Qt would show it: wherever a hostile value appears, its markup must appear literally,
never interpreted (and never double-escaped)."""

from __future__ import annotations

import re

from PySide6 import QtGui
from PySide6.QtCore import QByteArray, QModelIndex, Qt, QUrl
from PySide6.QtGui import QImage, QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QLabel,
    QListWidget,
    QTextEdit,
    QWidget,
)

from desk_app.store import NewAttachment, Service
from desk_app.store.sla_store import import_rules
from desk_app.store.template_store import TemplateFields, TemplateStore
from desk_app.ui import window_menus
from desk_app.ui.template_manager import open_template_manager
from tests.store.test_escalations import rules_with
from tests.ui.conftest import settle

SUBJECT = "<b>PWNED-SUBJECT</b><img src=file:///etc/passwd> &lt;3 Password expired \u202efdp.exe"
NAME = "<i>PWNED-NAME</i> <a href='https://evil.example/'>Support</a>"
EMAIL = "x<b>PWNED-MAIL</b>@evil.example"
FILENAME = "<b>PWNED-FILE</b><img src=file:///etc/hosts>.pdf"
BODY = "<b>PWNED-BODY</b> &lt;3 <img src=file:///etc/passwd> call +1 555 0100"
NOTE = "<b>PWNED-NOTE</b> &amp; <a href='file:///etc/passwd'>see</a>"

# Each hostile value's token, and the markup that must be seen literally wherever it appears.
LITERALS = {
    "pwned-subject": "<b>pwned-subject</b><img src=file:///etc/passwd> &lt;3",
    "pwned-name": "<i>pwned-name</i> <a href='https://evil.example/'>",
    "pwned-mail": "x<b>pwned-mail</b>@evil.example",
    "pwned-file": "<b>pwned-file</b><img src=file:///etc/hosts>",
    "pwned-body": "<b>pwned-body</b> &lt;3",
    "pwned-note": "<b>pwned-note</b> &amp;",
}


def _shown(text: str, text_format: Qt.TextFormat) -> tuple[bool, str]:
    """Whether Qt reads this text as markup, and what the reader then sees."""
    rich = text_format in (Qt.TextFormat.RichText, Qt.TextFormat.MarkdownText) or (
        text_format == Qt.TextFormat.AutoText and QtGui.Qt.mightBeRichText(text)
    )
    if not rich:
        return False, text
    document = QTextDocument()
    if text_format == Qt.TextFormat.MarkdownText:
        document.setMarkdown(text)
    else:
        document.setHtml(text)
    return True, document.toPlainText()


def _problems_in(where: str, text: str, text_format: Qt.TextFormat) -> list[str]:
    if not text:
        return []
    rich, shown = _shown(text, text_format)
    found = []
    for token, literal in LITERALS.items():
        if token not in text.lower() and token not in shown.lower():
            continue
        # Compare without the invisible marks Desk may add to keep a bidi override in its place.
        visible = re.sub("[\u2066-\u2069]", "", shown).lower()
        if literal not in visible:
            how = "rich text" if rich else "plain text"
            found.append(f"{where} ({how}) shows {shown!r} for {literal!r}")
    return found


def _tooltip(where: str, tip: str) -> list[str]:
    # Tooltips are always rich-text-detected.
    return _problems_in(f"{where} tooltip", tip, Qt.TextFormat.AutoText)


def _item_view(where: str, view: QAbstractItemView) -> list[str]:
    model = view.model()
    if model is None:
        return []
    found = []
    try:
        columns = model.columnCount(QModelIndex())
    except TypeError:  # list models keep columnCount private: one column
        columns = 1
    for row in range(min(model.rowCount(QModelIndex()), 200)):
        for column in range(columns):
            tip = model.data(model.index(row, column), Qt.ItemDataRole.ToolTipRole)
            if isinstance(tip, str):
                found += _tooltip(f"{where} row {row} column {column}", tip)
    return found


def _text_view(where: str, view: QTextEdit) -> list[str]:
    document = view.document()
    found = []
    for token, literal in LITERALS.items():
        plain = view.toPlainText().lower()
        if token in plain and literal not in re.sub("[\u2066-\u2069]", "", plain):
            found.append(f"{where} shows {view.toPlainText()!r} for {literal!r}")
    for path in ("file:///etc/passwd", "file:///etc/hosts"):
        # What the document got for it: a file's bytes mean Qt read it from the disk.
        loaded = document.resource(QTextDocument.ResourceType.ImageResource.value, QUrl(path))
        if isinstance(loaded, QByteArray) and loaded.size() > 0:
            found.append(f"{where} loaded {path}")
        if isinstance(loaded, QImage) and loaded.width() > 1:
            found.append(f"{where} drew {path}")
    return found


def hostile_text_problems() -> list[str]:
    """Every place in every open window where customer text is read as markup."""
    found: list[str] = []
    for widget in QApplication.allWidgets():
        where = f"{type(widget).__name__} {widget.objectName()!r}"
        if widget.isWindow():
            found += _problems_in(f"{where} title", widget.windowTitle(), Qt.TextFormat.PlainText)
        found += _tooltip(where, widget.toolTip())
        for action in widget.actions():
            found += _tooltip(f"{where} action {action.text()!r}", action.toolTip())
        if isinstance(widget, QLabel):
            found += _problems_in(where, widget.text(), widget.textFormat())
        elif isinstance(widget, QAbstractButton):
            found += _problems_in(where, widget.text(), Qt.TextFormat.PlainText)
        elif isinstance(widget, QTextEdit):
            found += _text_view(where, widget)
        if isinstance(widget, QAbstractItemView):
            found += _item_view(where, widget)
    return found


def _hostile_ticket(db, clock, team) -> int:
    system = Service(db, None, clock)
    result = system.create_ticket(
        subject=SUBJECT,
        customer_email=EMAIL,
        customer_name=NAME,
        department="Support",
        body=BODY,
        attachments=[NewAttachment(FILENAME, "application/pdf", b"%PDF-1.7\n")],
    )
    assert result.ticket_id is not None
    Service(db, team.lead, clock).add_note(result.ticket_id, NOTE)
    return result.ticket_id


def _open_everything(qtbot, window, ticket: int) -> None:
    window.open_ticket(ticket)
    qtbot.waitUntil(
        lambda: window.ticket_pane.detail is not None and window.ticket_pane.detail.id == ticket,
        timeout=5000,
    )
    settle(qtbot, window)


def test_hostile_customer_text_is_never_read_as_markup(
    qtbot, db, clock, make_ctx, team, open_window
):
    import_rules(db, rules_with(None), team.admin, clock)
    ticket = _hostile_ticket(db, clock, team)
    # An earlier ticket of the same customer fills the sidebar's history.
    Service(db, None, clock).create_ticket(
        subject=SUBJECT + " (earlier)",
        customer_email=EMAIL,
        customer_name=NAME,
        department="Support",
        body=BODY,
    )
    window = open_window(make_ctx(team.lead), view="all_open", ticket=ticket)
    qtbot.waitUntil(
        lambda: window.live.status is not None and window.live.status.state.value == "live",
        timeout=5000,
    )
    _open_everything(qtbot, window, ticket)
    pane = window.ticket_pane
    assert "pwned-subject" in pane.header.subject.text().lower()
    # A right-to-left override in the customer's words stays inside them: isolated, it cannot
    # reverse the app's own text that follows ("· opened 09:00", "#1 · Open · email").
    assert f"\u2068{NAME}\u2069" in pane.header.meta.text()
    history = window.findChild(QListWidget, "customerTickets")
    qtbot.waitUntil(lambda: history.count() == 2, timeout=5000)
    for row in range(history.count()):
        first_line = history.item(row).text().split("\n")[0]
        assert first_line.startswith("\u2068") and first_line.endswith("\u2069"), first_line

    # A notice that the ticket was assigned to the lead, with the subject in it.
    Service(db, team.admin, clock).assign(ticket, agent=team.lead, reason=NAME)
    qtbot.waitUntil(window.notices.strip.isVisible, timeout=5000)
    settle(qtbot, window)

    # An SLA alert for it: its first response is overdue.
    clock.advance(minutes=61)
    window.sla_alerts.refresh()
    qtbot.waitUntil(lambda: bool(window.sla_alerts.shown_alerts), timeout=5000)
    settle(qtbot, window)

    # A reply under way when the customer writes again: the news strip and the question.
    composer = pane.composer
    qtbot.keyClicks(composer.editor, "We are on it")
    Service(db, None, clock).add_inbound_message(ticket, BODY)
    qtbot.waitUntil(lambda: composer.news_bar.isVisible(), timeout=5000)
    composer.send()
    settle(qtbot, window)
    assert pane.asking

    # A template filled with the customer's details, previewed against the ticket.
    TemplateStore(db, team.lead, clock).create(
        TemplateFields("Greeting", "Hello {{ customer.name }}, about {{ ticket.subject }}")
    )
    manager = open_template_manager(window.ctx, window, ticket)
    qtbot.waitUntil(lambda: manager.title_edit.text() == "Greeting", timeout=5000)
    manager.preview_button.click()
    qtbot.waitUntil(lambda: "PWNED-NAME" in manager.preview_text.toPlainText(), timeout=5000)
    assert NAME in manager.preview_text.toPlainText()  # a plain text view: as written

    # The on-call panel, the hand-off summary, the workload board and the SLA report.
    window.oncall.show_panel()
    from desk_app.ui.handoff_dialog import open_handoff

    handoff = open_handoff(window.ctx, window)
    qtbot.waitUntil(lambda: handoff.summary is not None, timeout=5000)
    window_menus._workload_board(window)
    window_menus._sla_report(window)
    settle(qtbot, window)
    qtbot.wait(200)
    settle(qtbot, window)
    assert "pwned-subject" in handoff.text.toPlainText().lower()

    # The customer's text reached the widgets under test...
    shown = " ".join(w.text().lower() for w in QApplication.allWidgets() if isinstance(w, QLabel))
    for token in ("pwned-subject", "pwned-name", "pwned-mail"):
        assert token in shown, token
    # ...and nowhere is it read as markup.
    assert hostile_text_problems() == []


def test_the_conversation_never_loads_local_files(qtbot, db, clock, ctx, team, open_window):
    system = Service(db, None, clock)
    ticket = _hostile_ticket(db, clock, team)
    # Mail HTML is sanitised on the way in; this arrives unsanitised, as if it slipped through.
    system.add_inbound_message(
        ticket,
        "see picture",
        body_html='<p>Look <img src="file:///etc/passwd"> <img src="/etc/hosts"></p>',
    )
    window = open_window(ctx, view="all_open", ticket=ticket)
    _open_everything(qtbot, window, ticket)
    conversation = window.ticket_pane.conversation
    for name in ("file:///etc/passwd", "/etc/hosts", "file:///etc/hosts"):
        url = QUrl(name)
        refused = conversation.loadResource(QTextDocument.ResourceType.ImageResource.value, url)
        assert isinstance(refused, QImage) and refused.size().width() == 1
    assert _text_view("conversation", conversation) == []


def test_the_walker_catches_rich_text(qtbot):
    """The check itself: a label showing a hostile subject as rich text is caught."""
    host = QWidget()
    qtbot.addWidget(host)
    label = QLabel(SUBJECT, host)
    label.setObjectName("probe")
    assert any("'probe'" in p for p in hostile_text_problems())
    label.setTextFormat(Qt.TextFormat.PlainText)
    assert not any("'probe'" in p for p in hostile_text_problems())
    label.setTextFormat(Qt.TextFormat.AutoText)
    label.setText(SUBJECT.replace("<", "&lt;"))  # double-escaped: shows "&lt;b>"
    label.setTextFormat(Qt.TextFormat.PlainText)
    assert any("'probe'" in p for p in hostile_text_problems())
