"""The inbox's preview line: the customer conversation, never an internal note.

A ticket's `preview` column holds the start of its latest customer message or public reply
(an agent's answer, an after-hours acknowledgement). Every path that adds a message (the
service, mail ingest, the bulk loader) goes through here, so none can let a note through."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from desk_app.core.enums import Direction
from desk_app.core.text import preview_of
from desk_app.store.models import Message, Ticket


def shows_in_preview(direction: Direction) -> bool:
    """Whether a message of this kind is part of the conversation the preview shows."""
    return direction is not Direction.NOTE


def preview_after_message(
    session: Session, ticket: Ticket, direction: Direction, at: datetime, body: str
) -> None:
    """Update the preview for a message just added at `at`. Call it before the ticket's
    last_message_at takes the message's time: a message older than the newest one (mail that
    arrives late) still becomes the preview when everything after it is a note."""
    if not shows_in_preview(direction):
        return
    if ticket.last_message_at is not None and at < ticket.last_message_at:
        later = exists().where(
            Message.ticket_id == ticket.id,
            Message.direction != Direction.NOTE.value,
            Message.created_at > at,
        )
        if session.execute(select(later)).scalar():
            return
    ticket.preview = preview_of(body)
