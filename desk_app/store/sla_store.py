"""SLA due times on tickets: stored, recomputed from history in the writing transaction, and
in bulk when policies change.

core.sla decides; this module gathers a ticket's history (creation, customer messages, replies,
status changes from the audit trail), stores the outcome on the ticket (the due columns the views
index) and in sla_targets (for reports), and keeps policies and calendars as JSON documents.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from desk_app.core.calendar import BusinessCalendar, InvalidConfig
from desk_app.core.clock import Clock, utc_now
from desk_app.core.enums import Channel, Direction, Priority, Status
from desk_app.core.errors import InvalidInput, NotFound
from desk_app.core.sla import (
    SlaPolicy,
    SlaState,
    TargetKind,
    TicketEvent,
    TicketFacts,
    compute_sla,
    match_policy,
    resolve_calendar,
    validate_policy_set,
)
from desk_app.store.database import Database
from desk_app.store.journal import Journal
from desk_app.store.models import (
    Agent,
    AuditEvent,
    Department,
    Message,
    SlaCalendar,
    SlaPolicyRow,
    SlaTarget,
    Ticket,
)

BATCH = 2_000


@dataclass(frozen=True)
class SlaRules:
    """Every policy (in matching order) and calendar, as loaded for one transaction."""

    policies: tuple[SlaPolicy, ...]
    calendars: Mapping[str, BusinessCalendar]

    def decide(self, facts: TicketFacts, events: Sequence[TicketEvent], now: datetime) -> SlaState:
        policy = match_policy(self.policies, facts)
        calendar = resolve_calendar(policy, self.calendars) if policy else None
        return compute_sla(policy, calendar, events, now)


def load_rules(session: Session) -> SlaRules:
    calendars = {
        row.name: BusinessCalendar.from_dict(json.loads(row.definition))
        for row in session.scalars(select(SlaCalendar))
    }
    policies = tuple(
        SlaPolicy.from_dict(json.loads(row.definition))
        for row in session.scalars(select(SlaPolicyRow).order_by(SlaPolicyRow.position))
    )
    return SlaRules(policies, calendars)


# --- one ticket, inside a command's transaction ---------------------------------------------


def recompute_ticket(session: Session, ticket: Ticket, now: datetime) -> SlaState:
    """Recompute and store one ticket's targets from its whole history."""
    session.flush()
    department = session.get(Department, ticket.department_id) if ticket.department_id else None
    history = _histories(session, [ticket.id])[ticket.id]
    state = load_rules(session).decide(
        _facts(ticket, department.name if department else None), history, now
    )
    ticket.sla_policy = state.policy
    ticket.first_response_due_at = state.first_response_due
    ticket.next_response_due_at = state.next_response_due
    ticket.resolution_due_at = state.resolution_due
    ticket.sla_due_at = state.earliest_due
    session.execute(delete(SlaTarget).where(SlaTarget.ticket_id == ticket.id))
    session.execute(insert(SlaTarget), _target_rows(ticket.id, state))
    return state


def _target_rows(ticket_id: int, state: SlaState) -> list[dict[str, Any]]:
    return [
        {
            "ticket_id": ticket_id,
            "kind": target.kind.value,
            "state": target.state.value,
            "started_at": target.started_at,
            "due_at": target.due_at,
            "met_at": target.met_at,
            "breached_at": target.breached_at,
        }
        for target in state.targets
    ]


def _facts(ticket: Ticket, department: str | None) -> TicketFacts:
    return TicketFacts(
        department=department,
        priority=Priority(ticket.priority),
        channel=Channel(ticket.channel),
    )


def _histories(session: Session, ticket_ids: Sequence[int]) -> dict[int, list[TicketEvent]]:
    """Each ticket's SLA events in time order: creation, messages, status changes."""
    events: dict[int, list[TicketEvent]] = defaultdict(list)
    for ticket_id, created_at in session.execute(
        select(Ticket.id, Ticket.created_at).where(Ticket.id.in_(ticket_ids))
    ):
        events[ticket_id].append(TicketEvent.created(created_at))
    for ticket_id, direction, at in session.execute(
        select(Message.ticket_id, Message.direction, Message.created_at)
        .where(Message.ticket_id.in_(ticket_ids), Message.direction != Direction.NOTE.value)
        .order_by(Message.created_at, Message.id)
    ):
        kind = (
            TicketEvent.customer_message
            if direction == Direction.INBOUND
            else TicketEvent.agent_reply
        )
        events[ticket_id].append(kind(at))
    for ticket_id, at, new in session.execute(
        select(AuditEvent.ticket_id, AuditEvent.at, AuditEvent.new_value)
        .where(AuditEvent.ticket_id.in_(ticket_ids), AuditEvent.field == "status")
        .order_by(AuditEvent.id)
    ):
        if ticket_id is not None and new in Status._value2member_map_:
            events[ticket_id].append(TicketEvent.status_change(at, Status(new)))
    for history in events.values():
        history.sort(key=lambda event: event.at)  # stable: ties keep creation order
    return events


# --- many tickets -------------------------------------------------------------------------------


def recompute_all(db: Database, clock: Clock = utc_now, *, only_unsolved: bool = False) -> int:
    """Recompute every ticket (after a policy or calendar change), in batches of one
    transaction each. Returns how many tickets were recomputed."""
    now = clock()
    done = 0
    last_id = 0
    while True:
        with db.write() as session:
            query = select(Ticket.id).where(Ticket.id > last_id).order_by(Ticket.id).limit(BATCH)
            if only_unsolved:
                query = query.where(
                    Ticket.status.notin_([Status.SOLVED.value, Status.CLOSED.value])
                )
            ids = list(session.scalars(query))
            if not ids:
                return done
            rules = load_rules(session)
            departments = dict(session.execute(select(Department.id, Department.name)).all())
            histories = _histories(session, ids)
            rows: list[dict[str, Any]] = []
            updates: list[dict[str, Any]] = []
            for ticket in session.execute(
                select(Ticket.id, Ticket.priority, Ticket.channel, Ticket.department_id).where(
                    Ticket.id.in_(ids)
                )
            ):
                facts = TicketFacts(
                    department=departments.get(ticket.department_id),
                    priority=Priority(ticket.priority),
                    channel=Channel(ticket.channel),
                )
                state = rules.decide(facts, histories.get(ticket.id, []), now)
                updates.append(
                    {
                        "ticket_id": ticket.id,
                        "sla_policy": state.policy,
                        "first_response_due_at": state.first_response_due,
                        "next_response_due_at": state.next_response_due,
                        "resolution_due_at": state.resolution_due,
                        "sla_due_at": state.earliest_due,
                    }
                )
                rows.extend(_target_rows(ticket.id, state))
            session.execute(delete(SlaTarget).where(SlaTarget.ticket_id.in_(ids)))
            if rows:
                session.execute(insert(SlaTarget), rows)
            table = Ticket.__table__
            session.execute(
                update(table)
                .where(table.c.id == _bind("ticket_id"))
                .values(
                    sla_policy=_bind("sla_policy"),
                    first_response_due_at=_bind("first_response_due_at"),
                    next_response_due_at=_bind("next_response_due_at"),
                    resolution_due_at=_bind("resolution_due_at"),
                    sla_due_at=_bind("sla_due_at"),
                ),
                updates,
            )
            Journal(session, None, now).changed("sla", 0, "recompute")
            done += len(ids)
            last_id = ids[-1]


def _bind(name: str) -> Any:
    return bindparam(name)


# --- policies and calendars -------------------------------------------------------------------


def export_rules(db: Database) -> dict[str, Any]:
    """Calendars and policies as one JSON-able document (for version control)."""
    with db.read() as session:
        rules = load_rules(session)
        document = {
            "calendars": [calendar.to_dict() for calendar in rules.calendars.values()],
            "policies": [policy.to_dict() for policy in rules.policies],
        }
    # Plain strings and lists only (enum members become their values), for YAML as for JSON.
    plain: dict[str, Any] = json.loads(json.dumps(document))
    return plain


def parse_rules(document: Mapping[str, Any]) -> SlaRules:
    """Validate a whole document before anything is changed; InvalidInput names the field."""
    if not isinstance(document, Mapping):
        raise InvalidInput("an SLA file holds an object with 'calendars' and 'policies'")
    unknown = set(document) - {"calendars", "policies"}
    if unknown:
        raise InvalidInput(f"unknown sections in the SLA file: {', '.join(sorted(unknown))}")
    try:
        calendars = [BusinessCalendar.from_dict(item) for item in _list(document, "calendars")]
        policies = [SlaPolicy.from_dict(item) for item in _list(document, "policies")]
        validate_policy_set(policies, calendars)
    except (InvalidConfig, ValueError, TypeError, KeyError) as exc:
        raise InvalidInput(f"the SLA rules are not valid: {exc}") from exc
    return SlaRules(tuple(policies), {c.name: c for c in calendars})


def _list(document: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = document.get(key, [])
    if not isinstance(value, list):
        raise InvalidInput(f"'{key}' must be a list")
    return value


def import_rules(
    db: Database, document: Mapping[str, Any], actor_id: int | None, clock: Clock = utc_now
) -> dict[str, int]:
    """Replace every calendar and policy (all or nothing), then recompute every ticket."""
    rules = parse_rules(document)
    with db.write() as session:
        journal = Journal(session, actor_id, clock())
        session.execute(delete(SlaPolicyRow))
        session.execute(delete(SlaCalendar))
        for calendar in rules.calendars.values():
            session.add(SlaCalendar(name=calendar.name, definition=json.dumps(calendar.to_dict())))
        for position, policy in enumerate(rules.policies):
            session.add(
                SlaPolicyRow(
                    position=position, name=policy.name, definition=json.dumps(policy.to_dict())
                )
            )
        journal.audit(
            "sla",
            0,
            "import",
            new=f"{len(rules.calendars)} calendars, {len(rules.policies)} policies",
        )
        journal.changed("sla", 0, "update")
        journal.finish()
    recomputed = recompute_all(db, clock)
    return {
        "calendars": len(rules.calendars),
        "policies": len(rules.policies),
        "tickets_recomputed": recomputed,
    }


def explain(db: Database, ticket_id: int, clock: Clock = utc_now) -> dict[str, Any]:
    """Why a ticket is due when it is: the policy, each target, paused spans, breaches."""
    with db.read() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise NotFound(f"ticket #{ticket_id} does not exist")
        department = session.get(Department, ticket.department_id) if ticket.department_id else None
        facts = _facts(ticket, department.name if department else None)
        history = _histories(session, [ticket.id])[ticket.id]
        state = load_rules(session).decide(facts, history, clock())
        return {
            "ticket": ticket.id,
            "facts": {
                "department": facts.department,
                "priority": facts.priority.value,
                "channel": facts.channel.value,
            },
            "events": [
                {
                    "at": e.at.isoformat(),
                    "kind": e.kind.value,
                    "status": e.status and e.status.value,
                }
                for e in history
            ],
            **state.to_dict(),
        }


# --- figures ------------------------------------------------------------------------------------


def compliance_report(
    db: Database, since: datetime, until: datetime | None = None, clock: Clock = utc_now
) -> dict[str, Any]:
    """First-response and resolution compliance per department and per agent.

    A target counts when it started in the range and has an outcome: met in time, or breached
    (met late, or still open past its due time). Compliance is the share met in time."""
    now = clock()
    until = until or now
    with db.read() as session:
        rows = session.execute(
            select(
                SlaTarget.kind,
                SlaTarget.met_at,
                SlaTarget.breached_at,
                SlaTarget.due_at,
                Department.name,
                Agent.display_name,
            )
            .join(Ticket, Ticket.id == SlaTarget.ticket_id)
            .outerjoin(Department, Department.id == Ticket.department_id)
            .outerjoin(Agent, Agent.id == Ticket.assignee_id)
            .where(
                SlaTarget.kind.in_([TargetKind.FIRST_RESPONSE.value, TargetKind.RESOLUTION.value]),
                SlaTarget.started_at >= since,
                SlaTarget.started_at < until,
            )
        ).all()
    groups: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for kind, met_at, breached_at, due_at, department, agent in rows:
        breached = breached_at is not None or (
            met_at is None and due_at is not None and due_at < now
        )
        in_time = met_at is not None and breached_at is None
        if not (breached or in_time):
            continue  # still running, not yet decided
        for dimension, name in (("department", department), ("agent", agent)):
            counts = groups[(dimension, name or "(none)", kind)]
            counts[0] += in_time
            counts[1] += breached
    report: dict[str, dict[str, dict[str, Any]]] = {"department": {}, "agent": {}}
    for (dimension, name, kind), (met, breached) in sorted(groups.items()):
        total = met + breached
        report[dimension].setdefault(name, {})[kind] = {
            "met": met,
            "breached": breached,
            "compliance": round(met / total, 4) if total else None,
        }
    return {"since": since.isoformat(), "until": until.isoformat(), **report}
