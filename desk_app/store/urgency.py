"""Whether a ticket is urgent, why, and since when; and whether that calls for a page now
(became urgent while its office was closed, and the office is still closed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desk_app.core.after_hours import URGENT_TAG, AfterHoursSettings, urgency_reasons
from desk_app.core.enums import Direction, Priority
from desk_app.store.after_hours_store import ticket_calendar
from desk_app.store.models import AuditEvent, Message, Ticket
from desk_app.store.sla_store import load_rules


@dataclass(frozen=True)
class Urgency:
    reasons: tuple[str, ...]
    since: datetime  # when the ticket became urgent (the latest reason's moment)


def urgency(session: Session, ticket: Ticket, settings: AfterHoursSettings) -> Urgency | None:
    """Whether the ticket is urgent, why, and since when: a priority set to urgent counts from
    that change, a tag from routing (which tags new tickets) from creation, a keyword from the
    message that contains it. None: not urgent."""
    latest = latest_inbound(session, ticket.id)
    moments: list[datetime] = []
    reasons: list[str] = []
    if ticket.priority == Priority.URGENT.value:
        raised = session.scalar(
            select(func.max(AuditEvent.at)).where(
                AuditEvent.ticket_id == ticket.id,
                AuditEvent.field == "priority",
                AuditEvent.new_value == Priority.URGENT.value,
            )
        )
        reasons.append("priority urgent")
        moments.append(raised or ticket.created_at)
    if URGENT_TAG in (ticket.tags or "").split():
        reasons.append("tagged urgent")
        moments.append(ticket.created_at)
    if settings.urgent_keywords:
        in_subject = urgency_reasons("", "", ticket.subject, settings.urgent_keywords)
        if in_subject:
            reasons += in_subject
            moments.append(ticket.created_at)
        if latest is not None:
            in_text = urgency_reasons("", "", latest.body_text, settings.urgent_keywords)
            if in_text:
                reasons += [r for r in in_text if r not in reasons]
                moments.append(latest.created_at)
    if not reasons:
        return None
    return Urgency(tuple(reasons), max(moments))


def page_due(
    session: Session, ticket: Ticket, settings: AfterHoursSettings, now: datetime
) -> Urgency | None:
    """The urgency to page for, or None: a ticket pages when it became urgent while the office
    was closed, not too long ago, and the office is still closed (once it opens, the day team
    sees it in the queue)."""
    found = urgency(session, ticket, settings)
    if found is None or now - found.since > settings.max_age:
        return None
    calendar = ticket_calendar(session, load_rules(session), ticket)
    if calendar is None or calendar.is_open(found.since) or calendar.is_open(now):
        return None
    return found


def latest_inbound(session: Session, ticket_id: int) -> Message | None:
    return session.scalars(
        select(Message)
        .where(Message.ticket_id == ticket_id, Message.direction == Direction.INBOUND.value)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    ).first()
