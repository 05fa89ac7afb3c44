"""A reply the mail server refused says so in the conversation, with a Retry link that queues
it again through the service layer (who may work the ticket; audited)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QUrl

from desk_app.store import Queries, Service
from desk_app.store.mail_store import MailStore
from tests.store.helpers import loopback_account
from tests.ui.conftest import new_ticket, settle

# These set up their own mail accounts (or check what happens without one).
pytestmark = pytest.mark.no_mail_account


def test_a_failed_reply_can_be_retried_from_the_conversation(
    qtbot, db, team, clock, ctx, open_window
):
    loopback_account(db, department="Support", clock=clock)
    store = MailStore(db, None, clock)
    system = Service(db, None, clock)
    ticket = new_ticket(system, "Parcel", "olga@example.ru", department="Support")
    reply = Service(db, team.anna, clock).reply(ticket, "It left today.")
    store.mark_failed(store.claim_outgoing()[0].outbox_id, "550 <b>mailbox</b> unavailable")
    window = open_window(ctx, ticket=ticket)
    conversation = window.ticket_pane.conversation
    qtbot.waitUntil(lambda: "550 <b>mailbox</b> unavailable" in conversation.toPlainText())
    assert f'href="desk://retry/{reply.message_id}"' in conversation.toHtml()
    # What a click on the link does (QTextBrowser's anchorClicked).
    conversation.anchorClicked.emit(QUrl(f"desk://retry/{reply.message_id}"))
    settle(qtbot, window)
    qtbot.waitUntil(lambda: "550" not in conversation.toPlainText())
    detail = Queries(db, None).ticket(ticket)
    assert (detail.messages[-1].delivery_state, detail.messages[-1].delivery_error) == (
        "queued",
        None,
    )
    assert [m.message_row_id for m in store.claim_outgoing()] == [reply.message_id]
    assert "desk://retry/" not in conversation.toHtml()
