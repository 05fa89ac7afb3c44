"""A long thread opens folded: its newest messages, and one line for the earlier ones that
shows them all. The fold stays put while new messages arrive."""

from __future__ import annotations

from datetime import UTC

from PySide6.QtCore import QUrl

from desk_app.store import Queries, Service
from desk_app.ui.conversation import FOLD_FROM, SHOWN_NEWEST, ConversationView
from tests.ui.conftest import new_ticket


def _thread(db, clock, messages: int) -> int:  # type: ignore[no-untyped-def]
    system = Service(db, None, clock)
    ticket = new_ticket(system, "Long case", "long@example.com", body="Message number 0.")
    for n in range(1, messages):
        clock.advance(minutes=1)
        system.add_inbound_message(ticket, f"Message number {n}.")
    return ticket


def test_a_long_thread_shows_its_newest_messages_and_a_line_for_the_rest(qtbot, db, clock):
    ticket = _thread(db, clock, 40)
    queries = Queries(db, None, clock)
    view = ConversationView()
    qtbot.addWidget(view)
    view.show_ticket(queries.ticket(ticket), UTC, clock())
    text = view.toPlainText()
    assert view.folded_messages == 40 - SHOWN_NEWEST
    assert "30 earlier messages · Show them" in text
    assert "Message number 39." in text and "Message number 30." in text
    assert "Message number 29." not in text and "Message number 0." not in text

    # A new message arrives while the agent reads: the fold does not move.
    clock.advance(minutes=1)
    Service(db, None, clock).add_inbound_message(ticket, "Message number 40.")
    view.show_ticket(queries.ticket(ticket), UTC, clock())
    assert view.folded_messages == 30
    assert "Message number 40." in view.toPlainText()

    view.anchorClicked.emit(QUrl("desk://earlier"))
    text = view.toPlainText()
    assert view.folded_messages == 0 and "earlier message" not in text
    assert all(f"Message number {n}." in text for n in range(41))


def test_a_thread_below_the_fold_shows_every_message(qtbot, db, clock):
    ticket = _thread(db, clock, FOLD_FROM - 1)
    view = ConversationView()
    qtbot.addWidget(view)
    view.show_ticket(Queries(db, None, clock).ticket(ticket), UTC, clock())
    assert view.folded_messages == 0
    assert all(f"Message number {n}." in view.toPlainText() for n in range(FOLD_FROM - 1))


def test_highlighting_a_folded_message_unfolds_the_thread(qtbot, db, clock):
    ticket = _thread(db, clock, 20)
    detail = Queries(db, None, clock).ticket(ticket)
    view = ConversationView()
    qtbot.addWidget(view)
    view.show_ticket(detail, UTC, clock())
    assert view.folded_messages == 10
    view.highlight_messages([detail.messages[2].id])
    assert view.folded_messages == 0 and "Message number 2." in view.toPlainText()
