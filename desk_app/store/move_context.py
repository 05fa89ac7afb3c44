"""Everything a move of a ticket looks up, read in ONE statement.

An assign needed the acting agent, the team's rules, the named department, the named agent and
the memberships of whoever will hold the ticket: a query each, so four or five round trips on
PostgreSQL before anything was written. Here each is one branch of a UNION ALL. The acting
agent and the rules land in the session's caches (authorisation), where the permission checks
find them, so nothing is read twice and nothing is kept beyond the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, literal_column, null, select, union_all
from sqlalchemy.orm import Session

from desk_app.core.enums import Role
from desk_app.core.errors import NotFound
from desk_app.core.identities import normalise_email
from desk_app.core.permissions import Actor
from desk_app.store.authorisation import (
    ACTOR_CACHE,
    RULE_KEYS,
    TEAM_RULES_CACHE,
    json_or_none,
    team_rules_from,
)
from desk_app.store.models import Agent, AgentDepartment, Department, TeamSetting


@dataclass(frozen=True)
class Named:
    """A department or agent as a move refers to it."""

    id: int
    name: str
    is_active: bool = True


@dataclass(frozen=True)
class MoveContext:
    department: Named | None  # the department named by the command (None: none, or no such)
    agent: Named | None  # the agent named by the command (None: none, or no such)
    # The departments (id -> name) of the named agent, else of the ticket's assignee.
    memberships: dict[int, str] = field(default_factory=dict)


def _kind(name: str) -> ColumnElement[Any]:
    return literal_column(f"'{name}'")


def load_move_context(
    session: Session,
    *,
    actor_id: int | None,
    department_ref: str | int | None,
    agent_ref: str | int | None,
    member_id: int | None,
) -> MoveContext:
    """One round trip. member_id: whose memberships to read when no agent is named (the
    ticket's assignee). The acting agent and the team's rules are read unless the session
    has them already; the actor must exist (NotFound otherwise, as load_actor says)."""
    parts: list[Select[Any]] = []
    need_actor = actor_id is not None and (
        getattr(session.info.get(ACTOR_CACHE), "agent_id", None) != actor_id
    )
    if need_actor:
        parts.append(
            select(
                _kind("actor"),
                AgentDepartment.department_id,
                Agent.display_name,
                Agent.role,
                Agent.is_active,
            )
            .outerjoin(AgentDepartment, AgentDepartment.agent_id == Agent.id)
            .where(Agent.id == actor_id)
        )
    need_rules = actor_id is not None and TEAM_RULES_CACHE not in session.info
    if need_rules:
        parts.append(
            select(_kind("setting"), null(), TeamSetting.key, TeamSetting.value, null()).where(
                TeamSetting.key.in_(RULE_KEYS)
            )
        )
    if department_ref is not None:
        parts.append(
            select(_kind("department"), Department.id, Department.name, null(), null()).where(
                Department.id == department_ref
                if isinstance(department_ref, int)
                else Department.name == department_ref
            )
        )
    agent_condition: ColumnElement[bool] | None = None
    if agent_ref is not None:
        agent_condition = (
            Agent.id == agent_ref
            if isinstance(agent_ref, int)
            else Agent.email == normalise_email(agent_ref)
        )
        parts.append(
            select(_kind("agent"), Agent.id, Agent.display_name, null(), Agent.is_active).where(
                agent_condition
            )
        )
    if agent_condition is not None or member_id is not None:
        members = (
            select(_kind("member"), Department.id, Department.name, null(), null())
            .join(AgentDepartment, AgentDepartment.department_id == Department.id)
            .join(Agent, Agent.id == AgentDepartment.agent_id)
        )
        parts.append(
            members.where(agent_condition if agent_condition is not None else Agent.id == member_id)
        )
    if not parts:
        return MoveContext(None, None)
    statement = parts[0] if len(parts) == 1 else union_all(*parts)
    rows = session.execute(statement).all()
    return _context(session, rows, actor_id if need_actor else None, need_rules)


def _context(
    session: Session, rows: Sequence[Any], actor_id: int | None, read_rules: bool
) -> MoveContext:
    department = agent = None
    memberships: dict[int, str] = {}
    actor_rows = []
    settings: dict[str, Any] = {}
    for kind, number, name, extra, flag in rows:
        if kind == "actor":
            actor_rows.append((number, name, extra, flag))
        elif kind == "setting":
            settings[name] = json_or_none(extra)
        elif kind == "department":
            department = Named(number, name)
        elif kind == "agent":
            agent = Named(number, name, bool(flag))
        else:
            memberships[number] = name
    if actor_id is not None:
        if not actor_rows:
            raise NotFound(f"agent {actor_id} does not exist")
        _, name, role, active = actor_rows[0]
        session.info[ACTOR_CACHE] = Actor(
            agent_id=actor_id,
            role=Role(role),
            department_ids=frozenset(r[0] for r in actor_rows if r[0] is not None),
            active=bool(active),
            name=name,
        )
    if read_rules:
        session.info[TEAM_RULES_CACHE] = team_rules_from(
            {key: settings.get(key) for key in RULE_KEYS}
        )
    return MoveContext(department, agent, memberships)
