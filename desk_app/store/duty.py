"""Who is on duty in a department, and how much each agent has open.

One definition, used by routing (an assignee is chosen only among members on duty) and by the
reassignment dialog (which shows each agent's load and whether they are working now):

- an active member of the department who has not switched themselves away (agents.available);
- and, when the department works to a business calendar, only while it is open, unless the
  agent is on call for the department right now (its own rotation, else the team-wide one).

The department's calendar is the one of the SLA policy a normal e-mail ticket of the department
gets: the hours the team has promised customers are the hours it is staffed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, bindparam, func, literal_column, select
from sqlalchemy.orm import Session

from desk_app.core.calendar import BusinessCalendar
from desk_app.core.clock import Clock, utc_now
from desk_app.core.enums import Channel, Priority
from desk_app.core.sla import TicketFacts, match_policy
from desk_app.store import sla_store
from desk_app.store.database import Database
from desk_app.store.models import UNSOLVED_SQL, Agent, AgentDepartment, Department, Ticket
from desk_app.store.oncall_store import on_call_ids

# Repeats the partial index's WHERE text, as the inbox views do (see models.UNSOLVED_SQL).
_UNSOLVED: ColumnElement[bool] = literal_column(UNSOLVED_SQL, type_=None)
# Built once: routing asks this for every new ticket it assigns, in the ingest's transaction.
_MEMBERS = (
    select(Agent.id, Agent.display_name, Agent.available, Department.name)
    .join(AgentDepartment, AgentDepartment.agent_id == Agent.id)
    .join(Department, Department.id == AgentDepartment.department_id)
    .where(AgentDepartment.department_id == bindparam("department_id"), Agent.is_active)
)


class DutyState(StrEnum):
    ON_DUTY = "on duty"
    ON_CALL = "on call"  # outside the department's hours, but covering them
    AWAY = "away"  # switched themselves unavailable
    OFF_HOURS = "outside hours"


@dataclass(frozen=True)
class AgentDuty:
    agent_id: int
    name: str
    open_load: int
    state: DutyState

    @property
    def on_duty(self) -> bool:
        return self.state in (DutyState.ON_DUTY, DutyState.ON_CALL)


def on_duty_agents(session: Session, department_id: int, now: datetime) -> set[int]:
    """The members of the department working now (see the module's description)."""
    return set(on_duty_names(session, department_id, now))


def on_duty_names(session: Session, department_id: int, now: datetime) -> dict[int, str]:
    """The same, with their names (routing writes the name into the ticket's timeline)."""
    found = _duty(session, department_id, now, with_loads=False)
    return {a.agent_id: a.name for a in found if a.on_duty}


def open_loads(session: Session, agent_ids: Collection[int]) -> dict[int, int]:
    """Unsolved tickets assigned to each of these agents (0 for those with none)."""
    if not agent_ids:
        return {}
    counted = session.execute(
        select(Ticket.assignee_id, func.count())
        .where(_UNSOLVED, Ticket.assignee_id.in_(list(agent_ids)))
        .group_by(Ticket.assignee_id)
    ).all()
    loads = dict.fromkeys(agent_ids, 0)
    loads.update({agent_id: int(count) for agent_id, count in counted if agent_id is not None})
    return loads


def department_calendar(session: Session, department_name: str) -> BusinessCalendar | None:
    """The business calendar the department works to; None: it has no hours (always on)."""
    rules = sla_store.load_rules(session)
    facts = TicketFacts(department=department_name, priority=Priority.NORMAL, channel=Channel.EMAIL)
    policy = match_policy(rules.policies, facts)
    if policy is None or policy.calendar is None:
        return None
    return rules.calendars.get(policy.calendar)


def department_duty(db: Database, department_id: int, clock: Clock = utc_now) -> list[AgentDuty]:
    """Every active member with their open load and duty state, on duty first, then by load:
    what the reassignment dialog lists."""
    with db.read() as session:
        found = _duty(session, department_id, clock(), with_loads=True)
    return sorted(found, key=lambda a: (not a.on_duty, a.open_load, a.name))


def _duty(
    session: Session, department_id: int, now: datetime, *, with_loads: bool
) -> list[AgentDuty]:
    members = session.execute(_MEMBERS, {"department_id": department_id}).all()
    if not members:
        return []
    name = members[0].name
    calendar = department_calendar(session, name)
    # On call matters only outside the hours; the rotation is not read otherwise.
    closed = calendar is not None and not calendar.is_open(now)
    covering = on_call_ids(session, name, now) if closed else set()
    loads = open_loads(session, [m.id for m in members]) if with_loads else {}
    result = []
    for agent_id, display_name, available, _department in members:
        if not available:
            state = DutyState.AWAY
        elif not closed:
            state = DutyState.ON_DUTY
        elif agent_id in covering:
            state = DutyState.ON_CALL
        else:
            state = DutyState.OFF_HOURS
        result.append(AgentDuty(agent_id, display_name, loads.get(agent_id, 0), state))
    return result
