"""Notifications: what an agent (or everyone in a department) should notice now.

Written inside the transaction of the change that causes them (a ticket moved to someone, a
page while on call), so a notice never exists for a change that rolled back. Each one is a
change-log row ("notification"), which wakes every desktop; a desktop shows the unread ones
addressed to its agent or to one of its agent's departments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from desk_app.core.clock import Clock, utc_now
from desk_app.store.database import Database
from desk_app.store.journal import Journal
from desk_app.store.models import AgentDepartment, Notification

ENTITY = "notification"


@dataclass(frozen=True)
class NotificationRecord:
    id: int
    kind: str
    text: str
    ticket_id: int | None
    agent_id: int | None
    department_id: int | None
    created_at: datetime


_NOTICES = cast(sa.Table, Notification.__table__)
_INSERT_NOTICE = sa.insert(_NOTICES).returning(_NOTICES.c.id)


def notify(
    session: Session,
    journal: Journal,
    *,
    kind: str,
    text: str,
    ticket_id: int | None = None,
    agent_id: int | None = None,
    department_id: int | None = None,
) -> None:
    """Record a notice for one agent, or for a department when agent_id is None."""
    if agent_id is not None and agent_id == journal.actor_id:
        return  # nobody needs telling about what they just did themselves
    department_id = None if agent_id is not None else department_id
    if journal.notice(
        ENTITY,
        agent_id=agent_id,
        department_id=department_id,
        ticket_id=ticket_id,
        kind=kind,
        text=text,
    ):
        return  # PostgreSQL: written with the command's change-log rows, in one statement
    # A Core INSERT on the session's connection, not an ORM add and flush (nor session.execute,
    # which autoflushes): flushing here would write the command's pending ticket changes in an
    # UPDATE of their own, and the command's finish another one for its version.
    values = {
        "agent_id": agent_id,
        "department_id": department_id,
        "ticket_id": ticket_id,
        "kind": kind,
        "text": text,
        "created_at": journal.at,
        "read_at": None,
    }
    notice_id = session.connection().execute(_INSERT_NOTICE, values).scalar_one()
    journal.changed(ENTITY, notice_id, "insert")


class NotificationStore:
    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock

    def unread(self, agent_id: int, *, since: datetime | None = None) -> list[NotificationRecord]:
        """Unread notices for this agent: their own, and their departments' from `since` on
        (a department notice has no per-agent read mark; the desktop remembers `since`)."""
        with self.db.read() as session:
            departments = sa.select(AgentDepartment.department_id).where(
                AgentDepartment.agent_id == agent_id
            )
            mine = sa.and_(Notification.agent_id == agent_id, Notification.read_at.is_(None))
            theirs: sa.ColumnElement[bool] = Notification.department_id.in_(departments)
            if since is not None:
                theirs = sa.and_(theirs, Notification.created_at > since)
            rows = session.scalars(
                sa.select(Notification)
                .where(sa.or_(mine, theirs))
                .order_by(Notification.created_at, Notification.id)
                .limit(200)
            ).all()
            return [
                NotificationRecord(
                    id=row.id,
                    kind=row.kind,
                    text=row.text,
                    ticket_id=row.ticket_id,
                    agent_id=row.agent_id,
                    department_id=row.department_id,
                    created_at=row.created_at,
                )
                for row in rows
            ]

    def mark_read(self, agent_id: int, ids: list[int]) -> None:
        if not ids:
            return
        with self.db.write() as session:
            session.execute(
                sa.update(Notification)
                .where(
                    Notification.id.in_(ids),
                    Notification.agent_id == agent_id,
                    Notification.read_at.is_(None),
                )
                .values(read_at=self.clock())
            )
