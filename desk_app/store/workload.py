"""The workload board's figures: per department and per agent, how much is open, how much
arrived today, what is due soon or breached, and who has waited longest.

Two grouped queries, whatever the size of the team: one over unsolved tickets (the partial
index every inbox view uses), one over today's arrivals (the created_at index). The board
refreshes them on every change, so they must stay cheap at 100,000 tickets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from sqlalchemy import ColumnElement, SQLColumnExpression, case, func, literal_column, select
from sqlalchemy.orm import Session

from desk_app.core.clock import Clock, utc_now
from desk_app.core.permissions import Permission, require
from desk_app.core.views import DUE_SOON_WINDOW
from desk_app.store.authorisation import load_actor
from desk_app.store.database import Database
from desk_app.store.models import UNSOLVED_SQL, Agent, Department, Ticket

_UNSOLVED: ColumnElement[bool] = literal_column(UNSOLVED_SQL, type_=None)
# Waiting on us: a customer wrote and nobody has answered or parked the ticket yet.
_WAITING = Ticket.status.in_(("new", "open"))


@dataclass(frozen=True)
class Load:
    """The figures of one department or one agent (key None: nobody / no department)."""

    key: int | None
    name: str
    open: int = 0
    new_today: int = 0
    due_soon: int = 0
    breached: int = 0
    oldest_waiting_id: int | None = None
    oldest_waiting_since: datetime | None = None

    def waiting_for(self, now: datetime) -> timedelta | None:
        since = self.oldest_waiting_since
        return None if since is None else now - since


@dataclass(frozen=True)
class Board:
    at: datetime
    departments: list[Load] = field(default_factory=list)
    agents: list[Load] = field(default_factory=list)


class Workload:
    """viewer_id: who asks; the board is for leads and admins (None: the system, scripts)."""

    def __init__(self, db: Database, clock: Clock = utc_now, viewer_id: int | None = None) -> None:
        self.db = db
        self.clock = clock
        self.viewer_id = viewer_id

    def board(self, time_zone: tzinfo) -> Board:
        """'Today' is the viewer's calendar day, in their time zone."""
        now = self.clock()
        local = now.astimezone(time_zone)
        today = local.replace(hour=0, minute=0, second=0, microsecond=0)
        with self.db.read() as session:
            # Checked in the reading transaction: a role changed a moment ago applies now.
            require(load_actor(session, self.viewer_id), Permission.VIEW_BOARD)
            departments = dict(session.execute(select(Department.id, Department.name)).all())
            agents = dict(
                session.execute(select(Agent.id, Agent.display_name).where(Agent.is_active)).all()
            )
            by_department = self._grouped(session, Ticket.department_id, now, today)
            by_agent = self._grouped(session, Ticket.assignee_id, now, today)
        return Board(
            at=now,
            departments=_loads(by_department, departments, "No department"),
            agents=_loads(by_agent, agents, "Unassigned"),
        )

    def _grouped(
        self,
        session: Session,
        column: SQLColumnExpression[int | None],
        now: datetime,
        today: datetime,
    ) -> dict[int | None, dict[str, object]]:
        soon = now + DUE_SOON_WINDOW
        unsolved = session.execute(
            select(
                column,
                func.count(),
                func.sum(case((Ticket.sla_due_at.between(now, soon), 1), else_=0)),
                func.sum(case((Ticket.sla_due_at < now, 1), else_=0)),
                func.min(case((_WAITING, Ticket.last_customer_message_at), else_=None)),
            )
            .where(_UNSOLVED)
            .group_by(column)
        ).all()
        figures: dict[int | None, dict[str, object]] = {}
        for key, count, due_soon, breached, oldest in unsolved:
            figures[key] = {
                "open": int(count),
                "due_soon": int(due_soon or 0),
                "breached": int(breached or 0),
                "oldest_waiting_since": _aware(oldest),
            }
        arrived = session.execute(
            select(column, func.count()).where(Ticket.created_at >= today).group_by(column)
        ).all()
        for key, count in arrived:
            figures.setdefault(key, {})["new_today"] = int(count)
        # The ticket behind each oldest wait, for the board's click-through: one more query for
        # all groups together.
        waits = {
            key: since for key, f in figures.items() if (since := f.get("oldest_waiting_since"))
        }
        if waits:
            rows = session.execute(
                select(column, Ticket.id, Ticket.last_customer_message_at)
                .where(_UNSOLVED, _WAITING)
                .where(Ticket.last_customer_message_at.in_(list(waits.values())))
                .order_by(Ticket.id)
            ).all()
            for key, ticket_id, since in rows:
                if key in waits and _aware(since) == waits[key]:
                    figures[key].setdefault("oldest_waiting_id", ticket_id)
        return figures


def _loads(
    figures: dict[int | None, dict[str, object]], names: dict[int, str], nobody: str
) -> list[Load]:
    """Every department or active agent, with zeros where they have nothing, most open first."""
    keys: list[int | None] = list(names)
    if None in figures:
        keys.append(None)
    loads = [
        Load(key, names.get(key, nobody) if key is not None else nobody, **figures.get(key, {}))  # type: ignore[arg-type]
        for key in keys
        if key is None or key in names
    ]
    return sorted(loads, key=lambda load: (-load.open, load.name))


def _aware(value: object) -> datetime | None:
    """MIN() keeps the column's type on both databases; this only guards the time zone."""
    if value is None:
        return None
    assert isinstance(value, datetime), value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
