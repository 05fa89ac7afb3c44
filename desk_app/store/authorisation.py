"""The bridge from stored agents and team settings to core.permissions.

Commands build the acting agent's Actor inside their own transaction, so a role or membership
changed a moment ago applies to the very next command; nothing is cached across commands.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desk_app.core.enums import Role
from desk_app.core.errors import NotFound
from desk_app.core.permissions import SYSTEM, Actor, Permission, TeamRules, decide, require
from desk_app.store.database import Database
from desk_app.store.models import Agent, AgentDepartment, Department, TeamSetting

# Team settings the permission rules read (JSON booleans in team_settings).
READ_OTHER_DEPARTMENTS = "agents_read_other_departments"
REASON_BETWEEN_DEPARTMENTS = "reason_required_between_departments"


def team_setting(session: Session, key: str) -> Any:
    """A team-wide setting's JSON value, or None when unset or unreadable."""
    row = session.get(TeamSetting, key)
    if row is None:
        return None
    try:
        return json.loads(row.value)
    except ValueError:
        return None


def load_actor(session: Session, agent_id: int | None) -> Actor:
    if agent_id is None:
        return SYSTEM
    row = session.execute(select(Agent.role, Agent.is_active).where(Agent.id == agent_id)).first()
    if row is None:
        raise NotFound(f"agent {agent_id} does not exist")
    departments = session.scalars(
        select(AgentDepartment.department_id).where(AgentDepartment.agent_id == agent_id)
    )
    return Actor(
        agent_id=agent_id,
        role=Role(row.role),
        department_ids=frozenset(departments),
        active=bool(row.is_active),
    )


def load_team_rules(session: Session) -> TeamRules:
    # Kept for the transaction: a bulk command asks once per ticket.
    cached = session.info.get("desk_team_rules")
    if cached is None:
        cached = session.info["desk_team_rules"] = _read_team_rules(session)
    return cached


def read_team_rules(db: Database) -> TeamRules:
    """The team's rules outside any command: the window uses them to ask for a reason before
    a move instead of letting the command fail for want of one."""
    with db.read() as session:
        return _read_team_rules(session)


def _read_team_rules(session: Session) -> TeamRules:
    defaults = TeamRules()
    read_others = team_setting(session, READ_OTHER_DEPARTMENTS)
    reason = team_setting(session, REASON_BETWEEN_DEPARTMENTS)
    return TeamRules(
        agents_read_other_departments=(
            defaults.agents_read_other_departments if read_others is None else bool(read_others)
        ),
        reason_required_between_departments=(
            defaults.reason_required_between_departments if reason is None else bool(reason)
        ),
    )


def require_on(
    session: Session,
    actor: Actor,
    permission: Permission,
    department_id: int | None = None,
    rules: TeamRules | None = None,
) -> None:
    """core.permissions.require, naming the department in the refusal."""
    rules = rules or TeamRules()
    if decide(actor, permission, department_id=department_id, rules=rules):
        return
    # Refused: only now is the department's name worth a query.
    name = session.scalar(select(Department.name).where(Department.id == department_id))
    require(actor, permission, department_id=department_id, department_name=name, rules=rules)
