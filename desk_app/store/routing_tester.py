"""What the routing rules tester needs from the database: a recent ticket, or a pasted e-mail,
turned into the Incoming that routing looks at (with the sender's customer tags, which a rule
may match on). Deciding stays in core.routing, so the editor can test rules it has not saved.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from desk_app.core.enums import Channel, Direction, IdentityKind
from desk_app.core.errors import InvalidInput, NotFound
from desk_app.core.identities import normalise_email
from desk_app.core.routing import Incoming
from desk_app.core.tags import tag_set
from desk_app.store.customer_commands import first_email
from desk_app.store.database import Database
from desk_app.store.models import (
    Customer,
    CustomerIdentity,
    MailAccount,
    Message,
    Ticket,
)
from desk_app.store.routing_store import ROUTED_BODY_CHARS


@dataclass(frozen=True)
class TicketChoice:
    id: int
    subject: str


def recent_tickets(db: Database, limit: int = 30) -> list[TicketChoice]:
    """The newest tickets, for the tester's picker."""
    with db.read() as session:
        rows = session.execute(
            select(Ticket.id, Ticket.subject).order_by(Ticket.created_at.desc()).limit(limit)
        ).all()
        return [TicketChoice(ticket_id, subject) for ticket_id, subject in rows]


def incoming_for_ticket(db: Database, ticket_id: int) -> Incoming:
    """The ticket as routing saw it when it arrived: its first customer message."""
    with db.read() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise NotFound(f"ticket #{ticket_id} does not exist")
        body = session.scalar(
            select(Message.body_text)
            .where(Message.ticket_id == ticket_id, Message.direction == Direction.INBOUND.value)
            .order_by(Message.created_at, Message.id)
            .limit(1)
        )
        account = select(MailAccount.address).where(MailAccount.id == ticket.mail_account_id)
        recipient = session.scalar(account) if ticket.mail_account_id is not None else None
        tags = session.scalar(select(Customer.tags).where(Customer.id == ticket.customer_id))
        return Incoming(
            recipient=recipient or "",
            sender=session.scalar(first_email(ticket.customer_id)) or "",
            subject=ticket.subject,
            body=(body or "")[:ROUTED_BODY_CHARS],
            channel=Channel(ticket.channel),
            customer_tags=tag_set(tags),
        )


def incoming_for_mail(
    db: Database, *, recipient: str, sender: str, subject: str, body: str
) -> Incoming:
    """A pasted e-mail, with the tags of the customer it comes from (if we know them)."""
    tags = None
    try:
        address = normalise_email(sender)
    except InvalidInput:
        address = None  # a sender rule may still match the text as written; tags cannot
    if address is not None:
        with db.read() as session:
            tags = session.scalar(
                select(Customer.tags)
                .join(CustomerIdentity, CustomerIdentity.customer_id == Customer.id)
                .where(
                    CustomerIdentity.kind == IdentityKind.EMAIL.value,
                    CustomerIdentity.value == address,
                )
            )
    return Incoming(
        recipient=recipient,
        sender=sender,
        subject=subject,
        body=body[:ROUTED_BODY_CHARS],
        channel=Channel.EMAIL,
        customer_tags=tag_set(tags),
    )
