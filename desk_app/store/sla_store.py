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
from operator import attrgetter
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from desk_app.core.calendar import BusinessCalendar, InvalidConfig
from desk_app.core.clock import Clock, utc_now
from desk_app.core.enums import Channel, Direction, Priority, Status
from desk_app.core.errors import InvalidInput, NotFound
from desk_app.core.sla import (
    EventKind,
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
from desk_app.store.fast_rows import insert_rows, sqlite_datetime, update_rows
from desk_app.store.journal import Journal
from desk_app.store.models import (
    Agent,
    Department,
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
    """The rules as stored now. Parsed objects are reused while the stored text is unchanged:
    calendars cache each year's holidays and working intervals, which is most of the cost of
    a recompute when they are built afresh."""
    calendars = tuple(session.execute(select(SlaCalendar.name, SlaCalendar.definition)).all())
    policies = tuple(
        session.scalars(select(SlaPolicyRow.definition).order_by(SlaPolicyRow.position))
    )
    key = (tuple(map(tuple, calendars)), policies)
    rules = _PARSED.get(key)
    if rules is None:
        rules = SlaRules(
            tuple(SlaPolicy.from_dict(json.loads(text)) for text in policies),
            {name: BusinessCalendar.from_dict(json.loads(text)) for name, text in calendars},
        )
        if len(_PARSED) > 16:
            _PARSED.clear()
        _PARSED[key] = rules
    return rules


_PARSED: dict[tuple[tuple[tuple[str, str], ...], tuple[str, ...]], SlaRules] = {}


# --- one ticket, inside a command's transaction ---------------------------------------------


def recompute_ticket(session: Session, ticket: Ticket, now: datetime) -> SlaState:
    """Recompute and store one ticket's targets from its whole history."""
    session.flush()
    history = _histories(session, [ticket.id])[ticket.id]
    state = load_rules(session).decide(_ticket_facts(session, ticket), history, now)
    for column, value in _ticket_columns(state).items():
        setattr(ticket, column, value)
    session.execute(delete(SlaTarget).where(SlaTarget.ticket_id == ticket.id))
    session.execute(insert(SlaTarget.__table__), _target_rows(ticket.id, state))
    return state


def _ticket_columns(state: SlaState) -> dict[str, Any]:
    """What the inbox needs without opening the ticket: the due times, and for the nearest
    deadline its start (for the traffic light) or, when every clock is paused, what is left."""
    earliest = state.earliest_due
    nearest = next((t for t in state.targets if earliest and t.due_at == earliest), None)
    paused = [t for t in state.targets if t.paused and t.remaining is not None]
    remaining = min((t.remaining for t in paused), default=None) if earliest is None else None
    return {
        "sla_policy": state.policy,
        "first_response_due_at": state.first_response_due,
        "next_response_due_at": state.next_response_due,
        "resolution_due_at": state.resolution_due,
        "sla_due_at": earliest,
        "sla_started_at": nearest.started_at if nearest else None,
        "sla_paused_remaining_s": int(remaining.total_seconds()) if remaining is not None else None,
    }


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
            "remaining_s": (
                int(target.remaining.total_seconds())
                if target.paused and target.remaining is not None
                else None
            ),
        }
        for target in state.targets
    ]


def _ticket_facts(session: Session, ticket: Ticket) -> TicketFacts:
    department = session.get(Department, ticket.department_id) if ticket.department_id else None
    return _facts(ticket.priority, ticket.channel, department.name if department else None)


def _facts(priority: str, channel: str, department: str | None) -> TicketFacts:
    return TicketFacts(department=department, priority=Priority(priority), channel=Channel(channel))


def _histories(session: Session, ticket_ids: Sequence[int]) -> dict[int, list[TicketEvent]]:
    """Each ticket's SLA events in time order: creation, messages, status changes.

    Read with plain SQL: a full recompute reads a million rows, and SQLAlchemy's per-value
    result processing would cost more than the database's work."""
    events: dict[int, list[TicketEvent]] = defaultdict(list)
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    read_time = sqlite_datetime if sqlite else (lambda value: value)
    marks = ", ".join("?" if sqlite else "%s" for _ in ticket_ids)
    ids = tuple(ticket_ids)

    def rows(sql: str) -> Any:
        return connection.exec_driver_sql(sql.format(ids=marks), ids)

    for ticket_id, created_at in rows("SELECT id, created_at FROM tickets WHERE id IN ({ids})"):
        events[ticket_id].append(TicketEvent(read_time(created_at), _CREATED, _NEW))
    for ticket_id, direction, at in rows(
        "SELECT ticket_id, direction, created_at FROM messages "
        "WHERE ticket_id IN ({ids}) AND direction <> 'note' ORDER BY created_at, id"
    ):
        kind = _CUSTOMER_MESSAGE if direction == Direction.INBOUND else _AGENT_REPLY
        events[ticket_id].append(TicketEvent(read_time(at), kind))
    for ticket_id, at, new in rows(
        "SELECT ticket_id, at, new_value FROM audit_events "
        "WHERE ticket_id IN ({ids}) AND field = 'status' ORDER BY id"
    ):
        if new in _STATUSES:
            events[ticket_id].append(TicketEvent(read_time(at), _STATUS_CHANGE, _STATUSES[new]))
    for history in events.values():
        history.sort(key=_AT)  # stable: ties keep creation order
    return events


_AT = attrgetter("at")
_STATUSES = {status.value: status for status in Status}
_NEW = Status.NEW
_CREATED, _CUSTOMER_MESSAGE, _AGENT_REPLY, _STATUS_CHANGE = (
    EventKind.CREATED,
    EventKind.CUSTOMER_MESSAGE,
    EventKind.AGENT_REPLY,
    EventKind.STATUS_CHANGE,
)


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
                facts = _facts(
                    ticket.priority, ticket.channel, departments.get(ticket.department_id)
                )
                state = rules.decide(facts, histories.get(ticket.id, []), now)
                updates.append({"id": ticket.id, **_ticket_columns(state)})
                rows.extend(_target_rows(ticket.id, state))
            session.execute(delete(SlaTarget).where(SlaTarget.ticket_id.in_(ids)))
            insert_rows(session, SlaTarget.__table__, rows)
            update_rows(session, Ticket.__table__, "id", updates)
            Journal(session, None, now).changed("sla", 0, "recompute")
            done += len(ids)
            last_id = ids[-1]


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
        facts = _ticket_facts(session, ticket)
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
