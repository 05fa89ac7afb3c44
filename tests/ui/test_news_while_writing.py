"""No double answers: a reply that arrives while the agent writes is announced in the composer,
and Send asks Send anyway / Edit / Discard until the agent has shown it, even though the live
update has already drawn it. The colleague's reply comes from a second process: `desk tickets
reply` run as a real subprocess against the same SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtCore import Qt
from sqlalchemy import select

from desk_app.store import Service
from desk_app.store.models import AuditEvent, Message, OutboxItem
from tests.ui.conftest import new_ticket, settle


def _open(qtbot, window, ticket_id: int) -> None:
    window.open_ticket(ticket_id)
    qtbot.waitUntil(
        lambda: window.ticket_pane.detail is not None and window.ticket_pane.detail.id == ticket_id,
        timeout=5000,
    )
    settle(qtbot, window)


def _colleague_replies_from_another_process(url: str, ticket: int, body: str) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "desk_app",
            "tickets",
            "reply",
            str(ticket),
            "--body-file",
            "-",
            "--as",
            "lena@desk.test",
            "--database-url",
            url,
        ],
        input=body,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def _replies_by(db, agent_id: int) -> list[str]:
    with db.read() as session:
        rows = session.scalars(
            select(Message)
            .where(Message.direction == "outbound", Message.author_agent_id == agent_id)
            .order_by(Message.id)
        )
        return [m.body_text for m in rows]


def _queued(db) -> int:
    with db.read() as session:
        return len(session.scalars(select(OutboxItem)).all())


def _start_typing_then_colleague_answers(qtbot, db, clock, ctx, open_window, url: str):
    ticket = new_ticket(Service(db, None, clock), "Refund please", "ivan@example.com")
    window = open_window(ctx, view="all_open", ticket=ticket)
    _open(qtbot, window, ticket)
    pane = window.ticket_pane
    qtbot.keyClicks(pane.composer.editor, "I will refund you")
    _colleague_replies_from_another_process(url, ticket, "Refund issued today.")
    # The live update draws the colleague's reply while the agent is still writing.
    qtbot.waitUntil(
        lambda: "Refund issued today." in pane.conversation.toPlainText(), timeout=10000
    )
    settle(qtbot, window)
    return window, ticket


def _ctrl_enter(qtbot, window) -> None:
    editor = window.ticket_pane.composer.editor
    qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, window)


def _asked_after_colleague_answers(qtbot, db, clock, ctx, open_window, url: str):
    """The agent presses Ctrl+Enter after a colleague answered: the window asks first."""
    window, ticket = _start_typing_then_colleague_answers(qtbot, db, clock, ctx, open_window, url)
    _ctrl_enter(qtbot, window)
    assert window.ticket_pane.asking
    return window, ticket


def test_a_reply_drawn_by_the_live_update_is_announced_and_ctrl_enter_asks(
    qtbot, db, clock, ctx, team, open_window, sqlite_database_url
):
    window, _ticket = _start_typing_then_colleague_answers(
        qtbot, db, clock, ctx, open_window, sqlite_database_url
    )
    pane = window.ticket_pane
    composer = pane.composer
    assert composer.news_bar.isVisible()
    assert composer.news_label.text() == "1 new message while you were writing —"
    assert composer.show_new_button.isVisible()

    _ctrl_enter(qtbot, window)
    assert pane.asking
    assert "1 new message arrived while you were writing" in pane.collision.label.text()
    assert [b.text() for b in (pane.collision.send_button, pane.collision.edit_button)] == [
        "Send anyway",
        "Edit",
    ]
    assert _replies_by(db, team.anna) == []
    assert _queued(db) == 1  # only the colleague's reply
    assert composer.text() == "I will refund you"

    # The Send button and "Send and set Pending" ask the same question, and queue nothing.
    pane.collision.hide()
    qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert pane.asking and _replies_by(db, team.anna) == [] and _queued(db) == 1
    pane.collision.hide()
    send_and = composer._status_button.menu().actions()
    assert send_and[0].text() == "Send and set Pending"
    send_and[0].trigger()
    settle(qtbot, window)
    assert pane.asking and _replies_by(db, team.anna) == [] and _queued(db) == 1

    qtbot.mouseClick(pane.collision.edit_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert not pane.asking
    assert composer.text() == "I will refund you"
    assert _replies_by(db, team.anna) == [] and _queued(db) == 1


def test_send_anyway_sends_and_the_service_records_the_choice(
    qtbot, db, clock, ctx, team, open_window, sqlite_database_url
):
    window, ticket = _start_typing_then_colleague_answers(
        qtbot, db, clock, ctx, open_window, sqlite_database_url
    )
    pane = window.ticket_pane
    pane.composer._status_button.menu().actions()[0].trigger()  # Send and set Pending
    settle(qtbot, window)
    assert pane.asking
    news = pane.new_message_ids()
    assert len(news) == 1

    qtbot.mouseClick(pane.collision.send_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    qtbot.waitUntil(lambda: _replies_by(db, team.anna) == ["I will refund you"], timeout=5000)
    assert _queued(db) == 2
    assert not pane.asking
    assert pane.composer.text() == ""
    with db.read() as session:
        choice = session.scalars(
            select(AuditEvent).where(
                AuditEvent.ticket_id == ticket, AuditEvent.action == "sent_anyway"
            )
        ).one()
    assert choice.actor_agent_id == team.anna
    assert choice.reason == f"sent after being told of new message #{news[0]}"
    assert ctx.queries.ticket(ticket).status == "pending"  # the "Send and…" choice kept


def test_show_scrolls_to_the_news_and_then_send_goes_without_asking(
    qtbot, db, clock, ctx, team, open_window, sqlite_database_url
):
    window, _ticket = _start_typing_then_colleague_answers(
        qtbot, db, clock, ctx, open_window, sqlite_database_url
    )
    pane = window.ticket_pane
    news = pane.new_message_ids()
    qtbot.mouseClick(pane.composer.show_new_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert pane.conversation.highlighted_messages == set(news)
    assert not pane.composer.news_bar.isVisible()

    _ctrl_enter(qtbot, window)
    assert not pane.asking
    qtbot.waitUntil(lambda: _replies_by(db, team.anna) == ["I will refund you"], timeout=5000)
    with db.read() as session:
        choices = select(AuditEvent).where(AuditEvent.action == "sent_anyway")
        assert session.scalars(choices).all() == []


def test_discard_after_the_question_throws_the_draft_away_without_a_second_question(
    qtbot, db, clock, ctx, team, open_window, sqlite_database_url
):
    window, ticket = _asked_after_colleague_answers(
        qtbot, db, clock, ctx, open_window, sqlite_database_url
    )
    pane = window.ticket_pane
    qtbot.mouseClick(pane.collision.discard_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert not pane.asking
    assert pane.composer.text() == ""
    assert not pane.composer.news_bar.isVisible()
    assert _replies_by(db, team.anna) == [] and _queued(db) == 1
    assert ctx.queries.drafts(ticket) == []
    assert ctx.local_drafts.start_of(ticket, team.anna, "reply") is None


def test_a_saved_draft_keeps_where_it_began_across_a_ticket_switch(
    qtbot, db, clock, ctx, team, open_window, sqlite_database_url
):
    system = Service(db, None, clock)
    ticket = new_ticket(system, "Refund please", "ivan@example.com")
    other = new_ticket(system, "Another question", "olga@example.com")
    window = open_window(ctx, view="all_open", ticket=ticket)
    _open(qtbot, window, ticket)
    pane = window.ticket_pane
    qtbot.keyClicks(pane.composer.editor, "I will refund you")
    _open(qtbot, window, other)  # the draft is saved on the way out
    _colleague_replies_from_another_process(sqlite_database_url, ticket, "Refund issued today.")

    # Back on the ticket, the whole conversation is on screen, the colleague's reply included;
    # but the draft began before it, so it is still news.
    _open(qtbot, window, ticket)
    assert pane.composer.text() == "I will refund you"
    assert "Refund issued today." in pane.conversation.toPlainText()
    assert pane.composer.news_bar.isVisible()
    _ctrl_enter(qtbot, window)
    assert pane.asking
    assert _replies_by(db, team.anna) == [] and _queued(db) == 1


def test_news_arriving_after_the_question_asks_again(
    qtbot, db, clock, ctx, team, open_window, sqlite_database_url
):
    window, ticket = _asked_after_colleague_answers(
        qtbot, db, clock, ctx, open_window, sqlite_database_url
    )
    pane = window.ticket_pane
    Service(db, None, clock).add_inbound_message(ticket, "Actually, cancel the order")
    qtbot.waitUntil(lambda: "cancel the order" in pane.conversation.toPlainText(), timeout=10000)
    settle(qtbot, window)
    assert pane.composer.news_label.text() == "2 new messages while you were writing —"
    qtbot.mouseClick(pane.collision.send_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    # Sent anyway past the first; the customer's newer message stops it and asks again.
    assert pane.asking
    assert "1 new message arrived" in pane.collision.label.text()
    assert _replies_by(db, team.anna) == [] and _queued(db) == 1


def test_show_while_the_question_is_open_answers_it(
    qtbot, db, clock, ctx, team, open_window, sqlite_database_url
):
    window, _ticket = _asked_after_colleague_answers(
        qtbot, db, clock, ctx, open_window, sqlite_database_url
    )
    pane = window.ticket_pane
    qtbot.mouseClick(pane.composer.show_new_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert not pane.asking
    assert _replies_by(db, team.anna) == [] and _queued(db) == 1
    _ctrl_enter(qtbot, window)
    qtbot.waitUntil(lambda: _replies_by(db, team.anna) == ["I will refund you"], timeout=5000)


def test_a_live_reload_overtaking_the_opening_load_still_restores_the_draft(
    qtbot, db, clock, ctx, team, open_window
):
    system = Service(db, None, clock)
    ticket = new_ticket(system, "Refund please", "ivan@example.com")
    other = new_ticket(system, "Another question", "olga@example.com")
    window = open_window(ctx, view="all_open", ticket=ticket)
    _open(qtbot, window, ticket)
    pane = window.ticket_pane
    qtbot.keyClicks(pane.composer.editor, "I will refund you")
    _open(qtbot, window, other)
    # Back to the ticket, and a live change to it arrives before the opening load has: the
    # reload replaces the load, and must bring the draft (and where it began) with it.
    pane.open_ticket(ticket)
    pane.reload()
    settle(qtbot, window)
    assert pane.detail is not None and pane.detail.id == ticket
    assert pane.composer.text() == "I will refund you"
