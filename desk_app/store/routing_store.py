"""Routing rules in the database: the ordered list, its import/export, the tester, and applying
a decision to a new ticket inside the transaction that creates it.

The list is replaced whole (as SLA policies are): order is meaning, so editing one rule's
position is editing the list. Import validates every rule before changing anything. The list
has a version: a save based on an older one is refused with a conflict naming who changed it.

Parsed rules are kept per process, keyed by the stored text (as sla_store does), so the mail
worker reads the rules in every new ticket's transaction (always the committed list) without
parsing them again: one small query per new ticket.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desk_app.core.clock import Clock, utc_now
from desk_app.core.enums import Channel, Status
from desk_app.core.errors import ConflictError, InvalidInput
from desk_app.core.permissions import Permission
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
from desk_app.store.authorisation import load_actor, require_on
from desk_app.store.database import Database
from desk_app.store.duty import on_duty_names, open_loads
from desk_app.store.fast_rows import Prepared
from desk_app.store.journal import Journal
from desk_app.store.models import (
    Agent,
    AgentDepartment,
    Department,
    MailAccount,
    RoutingRuleRow,
    TeamSetting,
    Ticket,
)
from desk_app.store.notifications import notify

FORMAT = "desk-routing-rules/1"
# How much of an e-mail's body routing reads at ingest.
ROUTED_BODY_CHARS = 20_000
# Built once: applying a rule runs it for every routed ticket at ingest.
_DEPARTMENT_ID = select(Department.id).where(Department.name == bindparam("name"))
_VERSION_KEY = "routing.version"


def load_rules(session: Session) -> list[RoutingRule]:
    texts = (text for (text,) in _RULE_TEXTS.all(session.connection(), {}))
    return list(_parsed(tuple(texts)))


# Ingest reads the list for every new ticket: as prepared driver SQL this costs a tenth of an
# ORM select (which was a tenth of the whole ingest of an e-mail).
_RULE_TEXTS = Prepared(select(RoutingRuleRow.definition).order_by(RoutingRuleRow.position))


@lru_cache(maxsize=8)
def _parsed(texts: tuple[str, ...]) -> tuple[RoutingRule, ...]:
    return tuple(RoutingRule.from_dict(json.loads(text)) for text in texts)


@dataclass(frozen=True)
class RulesSnapshot:
    """The list as an editor opens it: saving it back names `version` as its base."""

    rules: list[RoutingRule]
    version: int
    changed_by: str | None
    changed_at: datetime | None


def load_snapshot(db: Database) -> RulesSnapshot:
    with db.read() as session:
        version, agent_id, at = _version(session)
        return RulesSnapshot(load_rules(session), version, _agent_name(session, agent_id), at)


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
    db: Database,
    rules: Sequence[RoutingRule],
    actor_id: int | None,
    clock: Clock = utc_now,
    *,
    expected_version: int | None = None,
) -> int:
    """Replace the whole list (all or nothing); every department named must exist.

    expected_version: the version the caller edited; ConflictError if someone saved since."""
    with db.write() as session:
        _check_version(session, expected_version)
        departments = {
            name: id_ for name, id_ in session.execute(select(Department.name, Department.id))
        }
        for rule in rules:
            if rule.department is not None and rule.department not in departments:
                raise InvalidInput(
                    f"rule '{rule.name}': department '{rule.department}' does not exist"
                )
        _require_may_change(session, actor_id, load_rules(session), rules, departments)
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
        _bump_version(session, actor_id, journal.at)
        journal.finish()
    return len(rules)


def _require_may_change(
    session: Session,
    actor_id: int | None,
    before: Sequence[RoutingRule],
    after: Sequence[RoutingRule],
    departments: Mapping[str, int],
) -> None:
    """Every rule added, changed or removed must be one the actor may edit: a lead edits the
    rules that route into their departments, team-wide rules (no department) need a lead,
    admins edit all. Reordering alone changes no rule."""
    if actor_id is None:
        return
    actor = load_actor(session, actor_id)
    old = {rule.name: rule for rule in before}
    new = {rule.name: rule for rule in after}
    for name in old.keys() | new.keys():
        if old.get(name) == new.get(name):
            continue
        for rule in (old.get(name), new.get(name)):
            if rule is not None:
                department_id = departments.get(rule.department) if rule.department else None
                require_on(session, actor, Permission.EDIT_ROUTING, department_id)


def _version(session: Session, *, lock: bool = False) -> tuple[int, int | None, datetime | None]:
    """(version, who saved it, when); version 0 before the first save."""
    row = session.get(TeamSetting, _VERSION_KEY, with_for_update=lock)
    if row is None:
        return 0, None, None
    value = json.loads(row.value)
    at = datetime.fromisoformat(value["at"]) if value.get("at") else None
    return int(value["version"]), value.get("agent_id"), at


def _check_version(session: Session, expected: int | None) -> None:
    # Locked (PostgreSQL; SQLite's write transaction already is exclusive), so two leads saving
    # at once cannot both pass this check.
    version, agent_id, at = _version(session, lock=True)
    if expected is None or expected == version:
        return
    who = _agent_name(session, agent_id) or "the system"
    when = f" at {at.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if at else ""
    raise ConflictError(
        f"the routing rules were changed by {who}{when} since you opened them "
        f"(version {version}, yours is {expected}); reload them and make your change again"
    )


def _agent_name(session: Session, agent_id: int | None) -> str | None:
    if agent_id is None:
        return None
    return session.scalar(select(Agent.display_name).where(Agent.id == agent_id))


def _bump_version(session: Session, actor_id: int | None, at: datetime) -> None:
    version = _version(session)[0] + 1
    value = json.dumps({"version": version, "agent_id": actor_id, "at": at.isoformat()})
    row = session.get(TeamSetting, _VERSION_KEY)
    if row is not None:
        row.value = value
        return
    session.add(TeamSetting(key=_VERSION_KEY, value=value))
    try:
        session.flush()
    except IntegrityError:
        # Two first saves at once on PostgreSQL (no row to lock yet): the other one won.
        raise ConflictError(
            "someone else saved the routing rules at the same moment; reload them"
        ) from None


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
    on_duty: Collection[int] | None = None,
    rules: Sequence[RoutingRule] | None = None,
) -> Routed:
    """Route a new ticket inside its creating transaction, and say so in its timeline.

    on_duty: the agents working now; None asks store.duty (at the journal's time).
    rules: the list, when the caller has read it in this transaction already."""
    decision = route(load_rules(session) if rules is None else rules, incoming)
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

    # Recorded even when the rule changes nothing: the timeline says which rule took the ticket.
    changed("routing_rule", None, rule.name)
    if rule.department is not None:
        department_id = session.scalar(_DEPARTMENT_ID, {"name": rule.department})
        if department_id is not None and department_id != ticket.department_id:
            changed("department", None, rule.department)
            ticket.department_id = department_id
    if rule.priority is not None and rule.priority.value != ticket.priority:
        changed("priority", ticket.priority, rule.priority.value)
        ticket.priority = rule.priority.value
    if rule.tags:
        tags = normalise_tags(sorted(tag_set(ticket.tags) | set(rule.tags)))
        if tags != ticket.tags:
            changed("tags", ticket.tags or None, tags)
            ticket.tags = tags
    if rule.assign_by is not AssignBy.NOBODY and ticket.department_id is not None:
        if on_duty is None:
            working = on_duty_names(session, ticket.department_id, journal.at)
        else:
            working = _names(session, set(on_duty) & _members(session, ticket.department_id))
        chosen = _choose(session, rule.assign_by, ticket.department_id, working)
        if chosen is not None:
            changed("assignee", None, working[chosen])
            ticket.assignee_id = chosen
            if ticket.status == Status.NEW.value:
                # As when a person assigns it: a ticket with an owner is being worked on.
                changed("status", ticket.status, Status.OPEN.value)
                ticket.status = Status.OPEN.value
            notify(
                session,
                journal,
                kind="assigned",
                text=f"#{ticket.id} {ticket.subject} was assigned to you by rule '{rule.name}'",
                ticket_id=ticket.id,
                agent_id=chosen,
            )
    return Routed(rule.name, ticket.department_id, ticket.assignee_id)


def route_new_mail(
    session: Session,
    journal: Journal,
    ticket: Ticket,
    *,
    account_id: int,
    sender: str | None,
    subject: str,
    body: str,
    customer_tags: str,
) -> Routed | None:
    """Route a ticket the mail ingest has just opened, in the ingest's transaction. None when
    the team has no rules. Cheap when nothing matches: the rules come parsed from the cache,
    and the mailbox address is read only if some rule asks for it."""
    rules = load_rules(session)
    if not rules:
        return None
    recipient: str | None = ""
    if any(rule.recipients for rule in rules):
        recipient = session.scalar(select(MailAccount.address).where(MailAccount.id == account_id))
    incoming = Incoming(
        recipient=recipient or "",
        sender=sender or "",
        subject=subject,
        # Keywords that matter are near the top; folding and stemming a whole forwarded
        # thread of megabytes would cost the ingest more than any rule is worth.
        body=body[:ROUTED_BODY_CHARS],
        channel=Channel.EMAIL,
        customer_tags=tag_set(customer_tags),
    )
    return apply_routing(session, journal, ticket, incoming, rules=rules)


def _choose(
    session: Session, assign_by: AssignBy, department_id: int, on_duty: Collection[int]
) -> int | None:
    working = sorted(set(on_duty))
    if not working:
        return None
    # The least-loaded choice is the only one that needs the loads: skip the count otherwise.
    loads = open_loads(session, working) if assign_by is AssignBy.LEAST_LOADED else {}
    candidates = [Candidate(m, loads.get(m, 0), True) for m in working]
    # Locked from the read on (PostgreSQL; SQLite's write transaction is exclusive already):
    # two workers routing at once must not both take the same turn.
    key = _setting_key(department_id)
    turn = session.get(TeamSetting, key, with_for_update=True)
    last = None if turn is None else int(json.loads(turn.value))
    chosen = choose_assignee(assign_by, candidates, last)
    if chosen is not None:
        if turn is None:
            session.add(TeamSetting(key=key, value=json.dumps(chosen)))
        else:
            turn.value = json.dumps(chosen)
    return chosen


def _names(session: Session, agent_ids: Collection[int]) -> dict[int, str]:
    query = select(Agent.id, Agent.display_name).where(Agent.id.in_(list(agent_ids)))
    return {agent_id: name for agent_id, name in session.execute(query)}


def _members(session: Session, department_id: int) -> set[int]:
    return set(
        session.scalars(
            select(Agent.id)
            .join(AgentDepartment, AgentDepartment.agent_id == Agent.id)
            .where(AgentDepartment.department_id == department_id, Agent.is_active)
        )
    )


def _setting_key(department_id: int) -> str:
    return f"routing.last_assigned.{department_id}"
