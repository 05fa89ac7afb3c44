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
from desk_app.core.errors import NotFound, PermissionDenied
from desk_app.core.permissions import (
    SYSTEM,
    Actor,
    Permission,
    TeamRules,
    anonymous_change,
    decide,
    require,
)
from desk_app.store.database import Database
from desk_app.store.models import Agent, AgentDepartment, Department, TeamSetting

# Team settings the permission rules read (JSON booleans in team_settings).
READ_OTHER_DEPARTMENTS = "agents_read_other_departments"
REASON_BETWEEN_DEPARTMENTS = "reason_required_between_departments"
RULE_KEYS = (READ_OTHER_DEPARTMENTS, REASON_BETWEEN_DEPARTMENTS)
# Where a transaction keeps what it read of these (session.info): a bulk command asks once
# per ticket, and store.move_context reads both with the rest of what a move needs.
ACTOR_CACHE = "desk_actor"
TEAM_RULES_CACHE = "desk_team_rules"


def team_setting(session: Session, key: str) -> Any:
    """A team-wide setting's JSON value, or None when unset or unreadable."""
    return team_settings(session, key)[key]


def team_settings(session: Session, *keys: str) -> dict[str, Any]:
    """Several team-wide settings in one round trip (None for unset or unreadable ones)."""
    rows = session.execute(
        select(TeamSetting.key, TeamSetting.value).where(TeamSetting.key.in_(keys))
    )
    stored = {key: value for key, value in rows}
    return {key: json_or_none(stored.get(key)) for key in keys}


def json_or_none(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def load_actor(session: Session, agent_id: int | None) -> Actor:
    if agent_id is None:
        return SYSTEM
    # One round trip: the agent with a row per department (or one with none).
    rows = session.execute(
        select(Agent.role, Agent.is_active, Agent.display_name, AgentDepartment.department_id)
        .outerjoin(AgentDepartment, AgentDepartment.agent_id == Agent.id)
        .where(Agent.id == agent_id)
    ).all()
    if not rows:
        raise NotFound(f"agent {agent_id} does not exist")
    first = rows[0]
    return Actor(
        agent_id=agent_id,
        role=Role(first.role),
        department_ids=frozenset(r.department_id for r in rows if r.department_id is not None),
        active=bool(first.is_active),
        name=first.display_name,
    )


def load_team_rules(session: Session) -> TeamRules:
    cached = session.info.get(TEAM_RULES_CACHE)
    if cached is None:
        cached = session.info[TEAM_RULES_CACHE] = _read_team_rules(session)
    return cached


def read_team_rules(db: Database) -> TeamRules:
    """The team's rules outside any command: the window uses them to ask for a reason before
    a move instead of letting the command fail for want of one."""
    with db.read() as session:
        return _read_team_rules(session)


def _read_team_rules(session: Session) -> TeamRules:
    return team_rules_from(team_settings(session, *RULE_KEYS))


def team_rules_from(settings: dict[str, Any]) -> TeamRules:
    """The rules from the settings' JSON values (None: unset or unreadable)."""
    defaults = TeamRules()
    read_others, reason = settings[READ_OTHER_DEPARTMENTS], settings[REASON_BETWEEN_DEPARTMENTS]
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


def team_has_admin(session: Session) -> bool:
    found = session.scalar(
        select(Agent.id).where(Agent.role == Role.ADMIN.value, Agent.is_active.is_(True)).limit(1)
    )
    return found is not None


def require_anonymous_may_change(db: Database) -> None:
    """Refuse (PermissionDenied, exit 5) a change to shared configuration by nobody in
    particular once the team has an active admin (core.permissions.anonymous_change). The
    CLI asks this before acting as the system on behalf of someone who did not say who they
    are; the worker never asks, being the system by design."""
    with db.read() as session:
        decision = anonymous_change(team_has_admin(session))
    if not decision:
        raise PermissionDenied(decision.reason)


def require_permission(db: Database, actor_id: int | None, permission: Permission) -> None:
    """The permission check alone, in a transaction of its own, for work that then runs as the
    system (demo seeding adds a whole team through the bulk loader)."""
    with db.read() as session:
        require_on(session, load_actor(session, actor_id), permission)
