"""The conversation shows what could not be read of an e-mail (issue 14 item 8: an
unreadable sender's address), as plain text."""

from __future__ import annotations

import dataclasses
from datetime import UTC

import pytest

from desk_app.store import Queries
from desk_app.store.mail_store import InboundMail, MailStore
from desk_app.ui.conversation import ConversationView
from tests.store.helpers import loopback_account

# These set up their own mail accounts (or check what happens without one).
pytestmark = pytest.mark.no_mail_account


def test_an_unreadable_sender_is_announced_on_the_message(qtbot, db, team, clock):
    store = MailStore(db, None, clock)
    account = loopback_account(db, clock=clock)
    header = "<b>Boss</b> <img src=x> (no address)"
    mail = InboundMail(
        raw=b"raw",
        message_id="<w1@example.ru>",
        in_reply_to=None,
        references=(),
        subject="Hello",
        from_name="",
        from_address=None,
        date=None,
        text="Please call me.",
        html=None,
        warnings=(f"the sender's address could not be read (From: {header})",),
        from_header=header,
    )
    ticket = store.ingest(account, "INBOX", 1, 1, mail).ticket_id
    view = ConversationView()
    qtbot.addWidget(view)
    detail = Queries(db, None).ticket(ticket)
    view.show_ticket(detail, UTC, clock())
    text = view.toPlainText()
    assert f"⚠ the sender's address could not be read (From: {header})" in text
    assert "Please call me." in text
    # Only one image in the document would mean the header's <img> was interpreted.
    assert "<img src=x>" not in view.toHtml()
    plain = dataclasses.replace(detail.messages[0], warnings=[])
    view.show_ticket(dataclasses.replace(detail, messages=[plain]), UTC, clock())
    assert "⚠" not in view.toPlainText()
    qtbot.wait(10)  # the view scrolls on the next turn of the event loop
