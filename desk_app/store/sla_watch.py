"""What a desktop alerts on: the few tickets of an agent about to turn amber or red, and the
escalation notices the worker left for a lead (see store.escalations). Queries only, each a range
of an index (the long one is for the desktop to run rarely: see ui.sla_alerts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, extract, func, literal_column, or_, select
from sqlalchemy.orm import Session

from desk_app.core.countdown import WARNING_FLOOR, WARNING_SHARE
from desk_app.store.database import Database
from desk_app.store.escalations import NOTICE_ENTITY
from desk_app.store.models import UNSOLVED_SQL, AgentDepartment, AuditEvent, Ticket

# The partial index's own condition as literal SQL (see store.escalations).
_UNSOLVED_SQL: ColumnElement[Any] = literal_column(UNSOLVED_SQL, type_=None)


# --- what a lead's desktop shows ------------------------------------------------------------


@dataclass(frozen=True)
class LeadNotice:
    id: int
    ticket_id: int
    subject: str
    reason: str
    at: datetime


def lead_notices(
    db: Database, agent_id: int, after_id: int, since: datetime, limit: int = 50
) -> list[LeadNotice]:
    """Escalation notices for this lead newer than ``after_id`` and ``since``, oldest first."""
    with db.read() as session:
        rows = session.execute(
            select(
                AuditEvent.id,
                AuditEvent.ticket_id,
                AuditEvent.new_value,
                AuditEvent.reason,
                AuditEvent.at,
            )
            .where(
                AuditEvent.entity == NOTICE_ENTITY,
                AuditEvent.entity_id == agent_id,
                AuditEvent.id > after_id,
                AuditEvent.at >= since,
            )
            .order_by(AuditEvent.id)
            .limit(limit)
        ).all()
    return [
        LeadNotice(row.id, row.ticket_id or 0, row.new_value or "", row.reason or "", row.at)
        for row in rows
    ]


# --- what an agent's desktop alerts on --------------------------------------------------------


@dataclass(frozen=True)
class WatchedTicket:
    id: int
    subject: str
    due_at: datetime
    started_at: datetime | None


def tickets_to_watch(
    db: Database,
    agent_id: int,
    due_since: datetime,
    due_until: datetime,
    warning_since: datetime,
    warning_by: datetime,
    limit: int = 200,
) -> list[WatchedTicket]:
    """The few tickets of this agent (assigned to them, or unassigned in their departments) a
    desktop may have to alert on soon: earliest due time between ``due_since`` and
    ``due_until`` and either due by ``warning_by`` (breached lately or about to be), or with a
    warning window (core.countdown: the last 25% of the target, or 30 minutes) that began
    between ``warning_since`` and ``warning_by``. Tickets amber for longer are not news.

    A range of the partial index on sla_due_at, with the window's arithmetic in SQL so only
    those few rows come back."""
    with db.read() as session:
        rows = session.execute(
            select(Ticket.id, Ticket.subject, Ticket.sla_due_at, Ticket.sla_started_at)
            .where(
                _UNSOLVED_SQL,
                Ticket.sla_due_at >= due_since,
                Ticket.sla_due_at <= due_until,
                or_(
                    Ticket.sla_due_at <= warning_by,
                    and_(
                        _warning_begun(session, warning_by),
                        ~_warning_begun(session, warning_since),
                    ),
                ),
                _watched_by(agent_id),
            )
            .order_by(Ticket.sla_due_at, Ticket.id)
            .limit(limit)
        ).all()
    return [WatchedTicket(row.id, row.subject, row.sla_due_at, row.sla_started_at) for row in rows]


def watched_again(db: Database, agent_id: int, ticket_ids: list[int]) -> list[WatchedTicket]:
    """These tickets as they are now, if they still have a running deadline and are still the
    agent's to watch (by primary key: for a desktop refreshing what it found earlier)."""
    if not ticket_ids:
        return []
    with db.read() as session:
        rows = session.execute(
            select(Ticket.id, Ticket.subject, Ticket.sla_due_at, Ticket.sla_started_at).where(
                Ticket.id.in_(ticket_ids),
                _UNSOLVED_SQL,
                Ticket.sla_due_at.is_not(None),
                _watched_by(agent_id),
            )
        ).all()
    return [WatchedTicket(row.id, row.subject, row.sla_due_at, row.sla_started_at) for row in rows]


def _watched_by(agent_id: int) -> ColumnElement[bool]:
    """Assigned to the agent, or unassigned in one of their departments."""
    departments = select(AgentDepartment.department_id).where(AgentDepartment.agent_id == agent_id)
    return or_(
        Ticket.assignee_id == agent_id,
        and_(Ticket.assignee_id.is_(None), Ticket.department_id.in_(departments)),
    )


def _warning_begun(session: Session, moment: datetime) -> ColumnElement[bool]:
    """countdown.warning_at(due, start) <= moment, in SQL: either at most WARNING_FLOOR is left
    at ``moment``, or (1 - share) * due + share * start <= moment, in each database's numbers
    for instants (SQLite: Julian days; PostgreSQL: epoch seconds)."""
    start = func.coalesce(Ticket.sla_started_at, Ticket.sla_due_at)
    due_n: ColumnElement[Any]
    start_n: ColumnElement[Any]
    if session.get_bind().dialect.name == "sqlite":
        due_n, start_n = func.julianday(Ticket.sla_due_at), func.julianday(start)
        moment_n = moment.timestamp() / 86_400 + 2_440_587.5
    else:
        due_n, start_n = extract("epoch", Ticket.sla_due_at), extract("epoch", start)
        moment_n = moment.timestamp()
    share = WARNING_SHARE
    return or_(
        Ticket.sla_due_at <= moment + WARNING_FLOOR,
        due_n * (1 - share) + start_n * share <= moment_n,
    )
