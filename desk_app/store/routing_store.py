"""Routing rules in the database: the ordered list, its import/export, the tester, and applying
a decision to a new ticket inside the transaction that creates it.

The list is replaced whole (as SLA policies are): order is meaning, so editing one rule's
position is editing the list. Import validates every rule before changing anything.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from desk_app.core.clock import Clock, utc_now
from desk_app.core.enums import UNSOLVED_STATUSES
from desk_app.core.errors import InvalidInput
from desk_app.core.routing import (
    AssignBy,
    Candidate,
    Decision,
    Incoming,
    RoutingRule,
    choose_assignee,
    route,
)
from desk_app.core.tags import normalise_tags, tag_set
from desk_app.store.database import Database
from desk_app.store.journal import Journal
from desk_app.store.models import (
    Agent,
    AgentDepartment,
    Department,
    RoutingRuleRow,
    TeamSetting,
    Ticket,
)

FORMAT = "desk-routing-rules/1"


def load_rules(session: Session) -> list[RoutingRule]:
    rows = session.scalars(select(RoutingRuleRow).order_by(RoutingRuleRow.position))
    return [RoutingRule.from_dict(json.loads(row.definition)) for row in rows]


def parse_rules(document: Mapping[str, Any]) -> list[RoutingRule]:
    """Every rule of an exported document, or InvalidInput naming the first bad one."""
    if not isinstance(document, Mapping) or document.get("format") != FORMAT:
        raise InvalidInput(f"not a routing rules file (expected format: {FORMAT})")
    raw = document.get("rules")
    if not isinstance(raw, list):
        raise InvalidInput("'rules' must be a list")
    rules = [RoutingRule.from_dict(item) for item in raw]
    names = [rule.name for rule in rules]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InvalidInput(f"rule names must be unique: {', '.join(duplicates)}")
    return rules


def export_rules(db: Database) -> dict[str, Any]:
    with db.read() as session:
        return {"format": FORMAT, "rules": [rule.to_dict() for rule in load_rules(session)]}


def save_rules(
    db: Database, rules: Sequence[RoutingRule], actor_id: int | None, clock: Clock = utc_now
) -> int:
    """Replace the whole list (all or nothing); every department named must exist."""
    with db.write() as session:
        departments = set(session.scalars(select(Department.name)))
        for rule in rules:
            if rule.department is not None and rule.department not in departments:
                raise InvalidInput(
                    f"rule '{rule.name}': department '{rule.department}' does not exist"
                )
        journal = Journal(session, actor_id, clock())
        session.execute(delete(RoutingRuleRow))
        for position, rule in enumerate(rules):
            session.add(
                RoutingRuleRow(
                    position=position,
                    name=rule.name,
                    definition=json.dumps(rule.to_dict(), ensure_ascii=False),
                    updated_at=journal.at,
                )
            )
        journal.audit("routing", 0, "replace", new=f"{len(rules)} rules")
        journal.changed("routing", 0, "update")
        journal.finish()
    return len(rules)


def import_rules(
    db: Database, document: Mapping[str, Any], actor_id: int | None, clock: Clock = utc_now
) -> int:
    return save_rules(db, parse_rules(document), actor_id, clock)


def try_rules(db: Database, incoming: Incoming) -> Decision:
    """The tester: which rule would take this message, and why."""
    with db.read() as session:
        return route(load_rules(session), incoming)


@dataclass(frozen=True)
class Routed:
    """What applying a decision changed on the ticket."""

    rule: str | None
    department_id: int | None
    assignee_id: int | None


def apply_routing(
    session: Session,
    journal: Journal,
    ticket: Ticket,
    incoming: Incoming,
    on_duty: Sequence[int] | None = None,
) -> Routed:
    """Route a new ticket inside its creating transaction, and say so in its timeline.

    on_duty: the agents working now (None: every active member counts as on duty)."""
    decision = route(load_rules(session), incoming)
    rule = decision.rule
    if rule is None:
        return Routed(None, ticket.department_id, ticket.assignee_id)
    why = decision.describe()

    def changed(field: str, old: str | None, new: str) -> None:
        journal.audit(
            "ticket",
            ticket.id,
            "route",
            ticket_id=ticket.id,
            ticket_version=ticket.version,
            field=field,
            old=old,
            new=new,
            reason=why,
        )

    if rule.department is not None:
        department = session.scalars(
            select(Department).where(Department.name == rule.department)
        ).first()
        if department is not None and department.id != ticket.department_id:
            changed("department", None, department.name)
            ticket.department_id = department.id
    if rule.priority is not None and rule.priority.value != ticket.priority:
        changed("priority", ticket.priority, rule.priority.value)
        ticket.priority = rule.priority.value
    if rule.tags:
        ticket.tags = normalise_tags(sorted(tag_set(ticket.tags) | set(rule.tags)))
    if rule.assign_by is not AssignBy.NOBODY and ticket.department_id is not None:
        chosen = _choose(session, rule.assign_by, ticket.department_id, on_duty)
        if chosen is not None:
            changed("assignee", None, session.get_one(Agent, chosen).display_name)
            ticket.assignee_id = chosen
            _remember_last(session, ticket.department_id, chosen)
    return Routed(rule.name, ticket.department_id, ticket.assignee_id)


def _choose(
    session: Session, assign_by: AssignBy, department_id: int, on_duty: Sequence[int] | None
) -> int | None:
    members = list(
        session.scalars(
            select(Agent.id)
            .join(AgentDepartment, AgentDepartment.agent_id == Agent.id)
            .where(AgentDepartment.department_id == department_id, Agent.is_active)
        )
    )
    if not members:
        return None
    loads = dict(
        session.execute(
            select(Ticket.assignee_id, func.count())
            .where(Ticket.assignee_id.in_(members))
            .where(Ticket.status.in_([s.value for s in UNSOLVED_STATUSES]))
            .group_by(Ticket.assignee_id)
        ).all()
    )
    working = set(members if on_duty is None else on_duty)
    candidates = [Candidate(m, int(loads.get(m, 0)), m in working) for m in members]
    return choose_assignee(assign_by, candidates, _last(session, department_id))


def _setting_key(department_id: int) -> str:
    return f"routing.last_assigned.{department_id}"


def _last(session: Session, department_id: int) -> int | None:
    row = session.get(TeamSetting, _setting_key(department_id))
    return None if row is None else int(json.loads(row.value))


def _remember_last(session: Session, department_id: int, agent_id: int) -> None:
    # Inside the ticket's transaction: two workers routing at once are serialised by the
    # row (PostgreSQL) or the write lock (SQLite), so round-robin never hands out a turn twice.
    row = session.get(TeamSetting, _setting_key(department_id), with_for_update=True)
    if row is None:
        session.add(TeamSetting(key=_setting_key(department_id), value=json.dumps(agent_id)))
    else:
        row.value = json.dumps(agent_id)
