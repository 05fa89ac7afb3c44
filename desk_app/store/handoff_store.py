"""The hand-off summary's figures: what arrived in a window, what was answered in it, and what
of it is still open, per department, plus the pages of the night. Four reads over indexed
columns (creation time, message time, the unsolved index, page creation)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, literal_column, or_, select
from sqlalchemy.orm import Session

from desk_app.core.enums import Direction
from desk_app.core.errors import InvalidInput
from desk_app.core.handoff import (
    DEFAULT_WINDOW,
    NO_DEPARTMENT,
    DepartmentHandoff,
    HandoffSummary,
    HandoffTicket,
    PageLine,
)
from desk_app.store.customer_commands import first_email
from desk_app.store.database import Database
from desk_app.store.models import (
    UNSOLVED_SQL,
    Agent,
    Customer,
    Department,
    Message,
    Page,
    Ticket,
)
from desk_app.store.oncall_settings import last_handoff_at

# Enough for any night of a small team; the summary is for reading, not an export.
MAX_PER_LIST = 2_000
_UNSOLVED_SQL: ColumnElement[bool] = literal_column(UNSOLVED_SQL, type_=None)


def default_since(db: Database, now: datetime) -> datetime:
    """Since the last hand-off that was sent, when that was within the usual window's reach
    (two windows: a skipped morning still covers the weekend's Friday night); else the last
    DEFAULT_WINDOW (14 hours)."""
    last = last_handoff_at(db)
    if last is not None and now - 2 * DEFAULT_WINDOW <= last < now:
        return last
    return now - DEFAULT_WINDOW


def handoff_summary(db: Database, since: datetime, until: datetime) -> HandoffSummary:
    if until <= since:
        raise InvalidInput("the hand-off window must end after it starts")
    with db.read() as session:
        arrived = _tickets(session, Ticket.created_at >= since, Ticket.created_at < until)
        answered_ids = session.scalars(
            select(Message.ticket_id)
            .where(
                Message.direction == Direction.OUTBOUND.value,
                Message.auto_kind.is_(None),
                Message.created_at >= since,
                Message.created_at < until,
            )
            .distinct()
            .limit(MAX_PER_LIST)
        ).all()
        answered = _tickets(session, Ticket.id.in_(answered_ids)) if answered_ids else []
        still_open = _tickets(
            session,
            _UNSOLVED_SQL,
            or_(
                (Ticket.created_at >= since) & (Ticket.created_at < until),
                (Ticket.last_customer_message_at >= since)
                & (Ticket.last_customer_message_at < until),
            ),
            waiting=True,
        )
        pages = _pages(session, since, until)
    departments: dict[str, dict[str, list[HandoffTicket]]] = defaultdict(
        lambda: {"arrived": [], "answered": [], "still_open": []}
    )
    for part, rows in (("arrived", arrived), ("answered", answered), ("still_open", still_open)):
        for department, ticket in rows:
            departments[department][part].append(ticket)
    order = sorted(departments, key=lambda name: (name == NO_DEPARTMENT, name.casefold()))
    return HandoffSummary(
        since=since,
        until=until,
        departments=tuple(
            DepartmentHandoff(
                name,
                tuple(departments[name]["arrived"]),
                tuple(departments[name]["answered"]),
                # The longest-waiting first: what the morning shift should pick up first.
                tuple(
                    sorted(
                        departments[name]["still_open"],
                        key=lambda t: (t.waiting_since is None, t.waiting_since or t.created_at),
                    )
                ),
            )
            for name in order
        ),
        pages=tuple(pages),
    )


def _tickets(
    session: Session, *conditions: object, waiting: bool = False
) -> list[tuple[str, HandoffTicket]]:
    email = first_email(Ticket.__table__.c.customer_id).scalar_subquery()
    rows = session.execute(
        select(
            Ticket.id,
            Ticket.subject,
            Ticket.priority,
            Ticket.status,
            Ticket.created_at,
            Ticket.last_customer_message_at,
            Department.name,
            Agent.display_name,
            Customer.name,
            email,
        )
        .join(Customer, Customer.id == Ticket.customer_id)
        .outerjoin(Department, Department.id == Ticket.department_id)
        .outerjoin(Agent, Agent.id == Ticket.assignee_id)
        .where(*conditions)  # type: ignore[arg-type]
        .order_by(Ticket.created_at, Ticket.id)
        .limit(MAX_PER_LIST)
    ).all()
    replied = _last_replies(session, [row[0] for row in rows]) if waiting else {}
    result = []
    for (
        ticket_id,
        subject,
        priority,
        status,
        created,
        last_in,
        department,
        agent,
        name,
        addr,
    ) in rows:
        last_out = replied.get(ticket_id)
        waiting_since = (
            last_in
            if waiting and last_in is not None and (last_out is None or last_out < last_in)
            else None
        )
        result.append(
            (
                department or NO_DEPARTMENT,
                HandoffTicket(
                    id=ticket_id,
                    subject=subject,
                    priority=priority,
                    status=status,
                    customer=name or addr or "unknown",
                    created_at=created,
                    assignee=agent,
                    waiting_since=waiting_since,
                ),
            )
        )
    return result


def _last_replies(session: Session, ticket_ids: list[int]) -> dict[int, datetime]:
    """When a person last answered each ticket (automatic acknowledgements do not count)."""
    if not ticket_ids:
        return {}
    rows = session.execute(
        select(Message.ticket_id, func.max(Message.created_at))
        .where(
            Message.ticket_id.in_(ticket_ids),
            Message.direction == Direction.OUTBOUND.value,
            Message.auto_kind.is_(None),
        )
        .group_by(Message.ticket_id)
    ).all()
    # max() of a DateTime column comes back as text on SQLite: read it through the column type.
    return {ticket_id: _as_datetime(value) for ticket_id, value in rows if value is not None}


def _as_datetime(value: object) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def _pages(session: Session, since: datetime, until: datetime) -> list[PageLine]:
    paged = Agent.__table__.alias("paged")
    acknowledger = Agent.__table__.alias("acknowledger")
    rows = session.execute(
        select(
            Page.ticket_id,
            Ticket.subject,
            paged.c.display_name,
            Page.created_at,
            acknowledger.c.display_name,
            Page.acknowledged_at,
            Page.step,
        )
        .join(Ticket, Ticket.id == Page.ticket_id)
        .outerjoin(paged, paged.c.id == Page.agent_id)
        .outerjoin(acknowledger, acknowledger.c.id == Page.acknowledged_by_id)
        .where(Page.created_at >= since, Page.created_at < until)
        .order_by(Page.created_at)
    ).all()
    return [
        PageLine(ticket_id, subject, who or "nobody", created, by, at, step)
        for ticket_id, subject, who, created, by, at, step in rows
    ]
