"""Issue 16 item 5: a reply with nowhere to go says so while it is written, and Send keeps it
as a draft instead of queueing it to sit "Queued" until the worker fails it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from desk_app.store import Service
from desk_app.store.models import Draft, Message, OutboxItem
from tests.ui.conftest import new_ticket, settle

BODY = "Your parcel left the warehouse this morning."


def _open(qtbot, window, ticket_id: int) -> None:
    window.open_ticket(ticket_id)
    qtbot.waitUntil(
        lambda: window.ticket_pane.detail is not None and window.ticket_pane.detail.id == ticket_id,
        timeout=5000,
    )
    settle(qtbot, window)


def _outbound(db) -> list[str]:
    with db.read() as session:
        return list(
            session.scalars(select(Message.body_text).where(Message.direction == "outbound"))
        )


def _outbox(db) -> int:
    with db.read() as session:
        return len(session.scalars(select(OutboxItem.id)).all())


def _draft(db, ticket_id: int) -> str | None:
    with db.read() as session:
        return session.scalar(
            select(Draft.body).where(Draft.ticket_id == ticket_id, Draft.kind == "reply")
        )


@pytest.mark.no_mail_account
def test_no_mail_account_is_said_before_send_and_the_reply_is_kept(
    qtbot, db, team, clock, ctx, open_window, tmp_path: Path
):
    ticket = new_ticket(Service(db, None, clock), "Parcel", "olga@example.ru", department="Support")
    window = open_window(ctx)
    _open(qtbot, window, ticket)
    composer = window.ticket_pane.composer
    warning = composer.route_label
    assert composer.kind == "reply"
    assert warning.isVisible()
    assert warning.text().startswith("No mail account can send replies")
    assert "“desk account add”" in warning.text() and "`" not in warning.text()
    assert warning.wordWrap()
    # Above the editor, inside the composer.
    assert warning.geometry().bottom() < composer.editor.geometry().top()
    # A note stays inside Desk: no warning while writing one.
    window.compose("note")
    assert not warning.isVisible()
    window.compose("reply")
    assert warning.isVisible()

    composer.editor.setPlainText(BODY)
    composer.send_button.click()
    settle(qtbot, window)
    # Nothing queued, nothing lost: the text stays in the composer and is saved as the draft.
    assert _outbound(db) == [] and _outbox(db) == 0
    assert composer.text() == BODY
    assert composer.draft_state.text() == "Kept as a draft"
    qtbot.waitUntil(lambda: _draft(db, ticket) == BODY, timeout=5000)
    banner = window.ticket_pane.banner
    assert banner.isVisible()
    assert banner.text.startswith("Not sent: No mail account can send replies")
    assert banner.text.endswith("The reply is kept as a draft.")
    window.ticket_pane.grab().save(str(tmp_path / "no-route.png"))


def test_a_customer_without_an_address_is_said_before_send(
    qtbot, db, team, clock, ctx, open_window
):
    created = Service(db, None, clock).create_ticket(
        subject="Call back",
        customer_phone="+81 3 1234 5678",
        channel="phone",
        body="Please call",
        department="Support",
    )
    window = open_window(ctx)
    _open(qtbot, window, created.ticket_id)
    warning = window.ticket_pane.composer.route_label
    assert warning.isVisible()
    assert warning.text() == (
        "The customer has no e-mail address: add one in the customer's details."
    )


def test_a_ticket_that_can_send_shows_no_warning_and_sends(
    qtbot, db, team, clock, ctx, open_window
):
    ticket = new_ticket(Service(db, None, clock), "Parcel", "olga@example.ru", department="Support")
    window = open_window(ctx)
    _open(qtbot, window, ticket)
    composer = window.ticket_pane.composer
    assert window.ticket_pane.detail.reply_route is None
    assert not composer.route_label.isVisible() and composer.reply_warning == ""
    composer.editor.setPlainText(BODY)
    composer.send_button.click()
    qtbot.waitUntil(lambda: _outbound(db) == [BODY], timeout=5000)
    assert _outbox(db) == 1
