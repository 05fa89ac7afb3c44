"""SLA due times on tickets: stored, recomputed from history in the writing transaction, and
in bulk when policies change.

core.sla decides; this module gathers a ticket's history (creation, customer messages, replies,
status changes from the audit trail), stores the outcome on the ticket (the due columns the views
index) and in sla_targets (for reports), and keeps policies and calendars as JSON documents.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import threading
from collections import defaultdict, deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, inspect, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from desk_app.core.calendar import BusinessCalendar, InvalidConfig, as_utc
from desk_app.core.clock import Clock, utc_now
from desk_app.core.enums import Channel, Direction, Priority, Status
from desk_app.core.errors import InvalidInput, NotFound
from desk_app.core.permissions import Permission
from desk_app.core.process_pool import process_pool
from desk_app.core.sla import (
    BreachRecord,
    ClockState,
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
from desk_app.core.tags import tag_set
from desk_app.store.authorisation import load_actor, require_on
from desk_app.store.database import Database
from desk_app.store.fast_rows import sqlite_text
from desk_app.store.journal import Journal
from desk_app.store.models import (
    Agent,
    Department,
    SlaBreach,
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

    def decide(
        self,
        facts: TicketFacts,
        events: Sequence[TicketEvent],
        now: datetime,
        recorded: Sequence[BreachRecord] = (),
    ) -> SlaState:
        policy = match_policy(self.policies, facts)
        calendar = resolve_calendar(policy, self.calendars) if policy else None
        return compute_sla(policy, calendar, events, now, recorded)

    def breaches_under(
        self, policy_name: str | None, events: Sequence[TicketEvent], now: datetime
    ) -> tuple[BreachRecord, ...]:
        """The breaches the named policy gives this history (none if no such policy now)."""
        policy = next((p for p in self.policies if p.name == policy_name), None)
        if policy is None:
            return ()
        calendar = resolve_calendar(policy, self.calendars)
        return compute_sla(policy, calendar, events, now).records


def load_rules(session: Session) -> SlaRules:
    """The rules as stored now. Parsed objects are reused while the stored text is unchanged:
    calendars cache each year's holidays and working intervals, which is most of the cost of
    a recompute when they are built afresh."""
    calendars = session.execute(
        select(SlaCalendar.name, SlaCalendar.definition).order_by(SlaCalendar.id)
    ).all()
    policies = session.scalars(select(SlaPolicyRow.definition).order_by(SlaPolicyRow.position))
    return _parsed_rules(tuple((name, text) for name, text in calendars), tuple(policies))


def _parsed_rules(calendars: tuple[tuple[str, str], ...], policies: tuple[str, ...]) -> SlaRules:
    """The rules for this stored text, parsed once per process. Keyed by the text itself rather
    than a version number: only the text is sure to change whenever the rules do, and it is a
    few kilobytes that arrive with a query the command makes anyway."""
    key = (calendars, policies)
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

# The computed columns on tickets, in the order _column_values gives them.
TICKET_COLUMNS = (
    "sla_policy",
    "first_response_due_at",
    "next_response_due_at",
    "resolution_due_at",
    "sla_due_at",
    "sla_started_at",
    "sla_paused_remaining_s",
)
TARGET_COLUMNS = (
    "ticket_id",
    "kind",
    "state",
    "started_at",
    "due_at",
    "met_at",
    "breached_at",
    "remaining_s",
)
# Where the datetimes are in _column_values and in _target_values (which leave out ticket_id).
_COLUMN_STAMPS = (1, 2, 3, 4, 5)
_TARGET_STAMPS = (2, 3, 4, 5)


# --- one ticket, inside a command's transaction ---------------------------------------------


def recompute_ticket(session: Session, ticket: Ticket, now: datetime) -> SlaState:
    """Recompute and store one ticket's targets from its whole history.

    Two round trips besides the flush: one query reads the history, the rules, the department's
    name and the ticket's recorded breaches, and one statement writes the targets and the
    ticket's columns (on PostgreSQL as a single statement). Commands run this on every ticket
    change, so each round trip saved shows in every click's latency. A breach found for the
    first time, or met now, costs one statement more.

    When the matching policy changes (a move, a priority change), the breaches the old policy
    gave the ticket are recorded too: they happened, whatever the new policy says. A breach
    found now is recorded for whoever had the ticket before this command."""
    holder_before = _holder_before(ticket)
    session.flush()  # the history must include what this command has just added
    history, rules, facts, recorded = _read_one(session, ticket)
    state = rules.decide(facts, history, now, recorded)
    prior: tuple[BreachRecord, ...] = ()
    if ticket.sla_policy is not None and state.policy != ticket.sla_policy:
        known = {(r.kind, r.due_at) for r in recorded}
        prior = tuple(
            r
            for r in rules.breaches_under(ticket.sla_policy, history, now)
            if (r.kind, r.due_at) not in known
        )
        if prior:
            state = rules.decide(facts, history, now, (*recorded, *prior))
    columns = _column_values(state)
    targets = _target_values(state)
    _write_one(session, ticket.id, columns, targets)
    inserts, meets = _breach_changes(state.records, recorded)
    if inserts or meets:
        # Every breach found now was due before this command changed anything: it belongs to
        # whoever had the ticket until this command moved it.
        _write_breaches(
            session,
            [_breach_row(ticket.id, record, now, holder_before) for record in inserts],
            [(ticket.id, record) for record in meets],
        )
    # The row now holds these values; telling the ORM so keeps it from writing them again.
    for name, value in zip(TICKET_COLUMNS, columns, strict=True):
        set_committed_value(ticket, name, value)
    return state


def _holder_before(ticket: Ticket) -> tuple[int | None, int | None]:
    """The ticket's department and assignee before the changes this session has not flushed."""
    state = inspect(ticket)
    holder = []
    for name in ("department_id", "assignee_id"):
        history = state.attrs[name].history
        holder.append(history.deleted[0] if history.deleted else getattr(ticket, name))
    return holder[0], holder[1]


def _breach_changes(
    records: Sequence[BreachRecord], stored: Sequence[BreachRecord]
) -> tuple[list[BreachRecord], list[BreachRecord]]:
    """What to write: breaches not stored yet, and stored ones met since (never anything else:
    a stored breach's policy, due time and met time stay as they were first written)."""
    known = {(r.kind, r.due_at): r.met_at for r in stored}
    inserts, meets = [], []
    for record in records:
        key = (record.kind, record.due_at)
        if key not in known:
            inserts.append(record)
        elif known[key] is None and record.met_at is not None:
            meets.append(record)
    return inserts, meets


def _breach_row(
    ticket_id: int, record: BreachRecord, now: datetime, holder: tuple[int | None, int | None]
) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id,
        "kind": record.kind.value,
        "started_at": record.started_at,
        "due_at": record.due_at,
        "policy": record.policy,
        "met_at": record.met_at,
        "recorded_at": now,
        "department_id": holder[0],
        "assignee_id": holder[1],
    }


_BREACHES = cast(Table, SlaBreach.__table__)
_MEET_BREACH = (
    update(_BREACHES)
    .where(
        and_(
            _BREACHES.c.ticket_id == bindparam("b_ticket"),
            _BREACHES.c.kind == bindparam("b_kind"),
            _BREACHES.c.due_at == bindparam("b_due"),
            _BREACHES.c.met_at.is_(None),
        )
    )
    .values(met_at=bindparam("b_met"))
)


def _write_breaches(
    session: Session,
    rows: Sequence[dict[str, Any]],
    meets: Sequence[tuple[int, BreachRecord]],
) -> None:
    """Add breach rows (a row already there for the ticket, kind and due time wins: it was
    there first) and set met_at on rows that have none yet. Nothing is ever deleted."""
    if rows:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(
            insert(_BREACHES).on_conflict_do_nothing(
                index_elements=["ticket_id", "kind", "due_at"]
            ),
            list(rows),
        )
    if meets:
        session.execute(
            _MEET_BREACH,
            [
                {
                    "b_ticket": ticket_id,
                    "b_kind": record.kind.value,
                    "b_due": record.due_at,
                    "b_met": record.met_at,
                }
                for ticket_id, record in meets
            ],
        )


def _read_one(
    session: Session, ticket: Ticket
) -> tuple[list[TicketEvent], SlaRules, TicketFacts, list[BreachRecord]]:
    """The ticket's history, the rules, what a policy matches on and the ticket's recorded
    breaches, in one query."""
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    rows = connection.exec_driver_sql(
        _ONE_TICKET_SQL.format(mark=mark),
        (ticket.id, ticket.id, ticket.department_id, ticket.customer_id, *[ticket.id] * 3),
    ).all()
    read_time = _sqlite_time if sqlite else _postgres_time
    happened: list[tuple[datetime, int, int, str]] = []
    policies: list[tuple[int, str]] = []
    calendars: list[tuple[int, str, str]] = []
    breaches: dict[int, dict[int | str, Any]] = defaultdict(dict)
    department, tags = None, ""
    for source, at, value, order, name in rows:
        if source <= _STATUS_ROW:
            happened.append((read_time(at), source, order, value))
        elif source == _POLICY_ROW:
            policies.append((order, value))
        elif source == _CALENDAR_ROW:
            calendars.append((order, name, value))
        elif source == _TAGS_ROW:
            tags = value or ""
        elif source == _DEPARTMENT_ROW:
            department = value
        else:  # one of a breach's rows, by the breach's id
            fields = breaches[order]
            fields[source] = read_time(at)
            fields["kind"] = value
            if source == _BREACH_DUE_ROW:
                fields["policy"] = name
    created_at = as_utc(ticket.created_at, "created_at")
    rules = _parsed_rules(
        tuple((name, text) for _id, name, text in sorted(calendars)),
        tuple(text for _position, text in sorted(policies)),
    )
    recorded = [
        BreachRecord(
            _TARGET_KINDS[fields["kind"]],
            fields[_BREACH_START_ROW],
            fields[_BREACH_DUE_ROW],
            fields["policy"],
            fields.get(_BREACH_MET_ROW),
        )
        for _id, fields in sorted(breaches.items())
    ]
    return (
        _history(created_at, happened),
        rules,
        TicketFacts(
            department=department,
            priority=Priority(ticket.priority),
            channel=Channel(ticket.channel),
            customer_tags=tag_set(tags),
        ),
        recorded,
    )


_TARGET_KINDS = {kind.value: kind for kind in TargetKind}


# Row sources of _ONE_TICKET_SQL; messages and status changes also order ties in a history.
_MESSAGE_ROW, _STATUS_ROW, _POLICY_ROW, _CALENDAR_ROW, _DEPARTMENT_ROW, _TAGS_ROW = 1, 2, 3, 4, 5, 6
# A recorded breach comes as up to three rows (its due time with its policy, its start, its
# met time), as the union's columns have one type each on PostgreSQL.
_BREACH_DUE_ROW, _BREACH_START_ROW, _BREACH_MET_ROW = 7, 8, 9
_ONE_TICKET_SQL = (
    "SELECT 1, created_at, direction, id, NULL FROM messages"
    " WHERE ticket_id = {mark} AND direction <> 'note'"
    # An automatic answer of ours (the after-hours acknowledgement) is no reply by a person:
    # the customer still waits for one, so it must not meet the first-response target.
    " AND (direction = 'inbound' OR auto_kind IS NULL)"
    " UNION ALL SELECT 2, at, new_value, id, NULL FROM audit_events"
    " WHERE ticket_id = {mark} AND field = 'status'"
    " UNION ALL SELECT 3, NULL, definition, position, NULL FROM sla_policies"
    " UNION ALL SELECT 4, NULL, definition, id, name FROM sla_calendars"
    " UNION ALL SELECT 5, NULL, name, id, NULL FROM departments WHERE id = {mark}"
    " UNION ALL SELECT 6, NULL, tags, id, NULL FROM customers WHERE id = {mark}"
    " UNION ALL SELECT 7, due_at, kind, id, policy FROM sla_breaches WHERE ticket_id = {mark}"
    " UNION ALL SELECT 8, started_at, kind, id, NULL FROM sla_breaches WHERE ticket_id = {mark}"
    " UNION ALL SELECT 9, met_at, kind, id, NULL FROM sla_breaches"
    " WHERE ticket_id = {mark} AND met_at IS NOT NULL"
)


def _write_one(
    session: Session, ticket_id: int, columns: tuple[Any, ...], targets: list[tuple[Any, ...]]
) -> None:
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        columns = _sqlite_values(columns, _COLUMN_STAMPS)
        targets = [_sqlite_values(target, _TARGET_STAMPS) for target in targets]
    mark = "?" if sqlite else "%s"
    row_marks = "(" + ", ".join([mark] * len(TARGET_COLUMNS)) + ")"
    upsert = (
        f"INSERT INTO sla_targets ({', '.join(TARGET_COLUMNS)})"
        f" VALUES {', '.join([row_marks] * len(targets))}"
        f" ON CONFLICT (ticket_id, kind) DO UPDATE SET {_EXCLUDED_TARGET_VALUES}"
    )
    update = f"UPDATE tickets SET {', '.join(f'{c} = {mark}' for c in TICKET_COLUMNS)}"
    update += f" WHERE id = {mark}"
    upsert_values = [value for target in targets for value in (ticket_id, *target)]
    if sqlite:  # no round trips to save in-process
        connection.exec_driver_sql(upsert, tuple(upsert_values))
        connection.exec_driver_sql(update, (*columns, ticket_id))
    else:
        connection.exec_driver_sql(
            f"WITH targets AS ({upsert}) {update}", (*upsert_values, *columns, ticket_id)
        )


# Every target kind has a row (not_applicable ones too), so an upsert leaves no stale rows.
_EXCLUDED_TARGET_VALUES = ", ".join(f"{c} = excluded.{c}" for c in TARGET_COLUMNS[2:])


def _column_values(state: SlaState) -> tuple[Any, ...]:
    """What the inbox needs without opening the ticket (TICKET_COLUMNS): the due times, and for
    the nearest deadline its start (for the traffic light) or, when every clock is paused, what
    is left."""
    first, following, resolution = state.targets
    dues = [t.due_at for t in state.targets if t.due_at is not None]
    earliest = min(dues) if dues else None
    started = None
    remaining_s = None
    if earliest is not None:
        started = next(t.started_at for t in state.targets if t.due_at == earliest)
    else:
        left = [t.remaining for t in state.targets if t.paused and t.remaining is not None]
        if left:
            remaining_s = int(min(left).total_seconds())
    return (
        state.policy,
        first.due_at,
        following.due_at,
        resolution.due_at,
        earliest,
        started,
        remaining_s,
    )


def _target_values(state: SlaState) -> list[tuple[Any, ...]]:
    """Each target as TARGET_COLUMNS without ticket_id, in kind order."""
    return [
        (
            _VALUES[target.kind],
            _VALUES[target.state],
            target.started_at,
            target.due_at,
            target.met_at,
            target.breached_at,
            (
                int(target.remaining.total_seconds())
                if target.paused and target.remaining is not None
                else None
            ),
        )
        for target in state.targets
    ]


# Enum values by dictionary: an enum member's .value is a slow property on Python 3.11.
_VALUES: dict[Any, str] = {m: m.value for kind in (TargetKind, ClockState) for m in kind}


def _sqlite_values(values: tuple[Any, ...], stamps: tuple[int, ...]) -> tuple[Any, ...]:
    """Datetimes as the text SQLAlchemy stores for them on SQLite (UTC, microseconds)."""
    converted = list(values)
    for index in stamps:
        value = converted[index]
        if value is not None:
            converted[index] = sqlite_text(value)
    return tuple(converted)


def _sqlite_times(values: tuple[Any, ...], stamps: tuple[int, ...]) -> tuple[Any, ...]:
    """The reverse of _sqlite_values."""
    converted = list(values)
    for index in stamps:
        value = converted[index]
        if value is not None:
            converted[index] = _sqlite_time(value)
    return tuple(converted)


def _sqlite_time(value: str) -> datetime:
    # Several times faster than fromisoformat(value).replace(tzinfo=UTC), and the same instant.
    return datetime.fromisoformat(value + "+00:00")


def _postgres_time(value: datetime) -> datetime:
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def _facts(priority: str, channel: str, department: str | None, tags: str | None) -> TicketFacts:
    return TicketFacts(
        department=department,
        priority=Priority(priority),
        channel=Channel(channel),
        customer_tags=tag_set(tags),
    )


def _history(
    created_at: datetime, happened: list[tuple[datetime, int, int, str]]
) -> list[TicketEvent]:
    """A ticket's SLA events in time order from its creation time and its (at, source, id,
    value) rows of messages and status changes, in any order. Ties keep the order the replay
    has always had: creation, then messages, then status changes, each by id."""
    happened.sort()
    events = [TicketEvent.trusted(created_at, _CREATED, _NEW)]
    append = events.append
    for at, source, _order, value in happened:
        if source == _MESSAGE_ROW:
            kind = _CUSTOMER_MESSAGE if value == _INBOUND else _AGENT_REPLY
            append(TicketEvent.trusted(at, kind))
        elif value in _STATUSES:
            append(TicketEvent.trusted(at, _STATUS_CHANGE, _STATUSES[value]))
    return events


_STATUSES = {status.value: status for status in Status}
_NEW = Status.NEW
_CREATED, _CUSTOMER_MESSAGE, _AGENT_REPLY, _STATUS_CHANGE = (
    EventKind.CREATED,
    EventKind.CUSTOMER_MESSAGE,
    EventKind.AGENT_REPLY,
    EventKind.STATUS_CHANGE,
)
_INBOUND = Direction.INBOUND.value


# --- many tickets -------------------------------------------------------------------------------

# Below this many batches a worker process costs more to start than it saves.
_MIN_BATCHES_PER_WORKER = 4
_MAX_WORKERS = 4


@dataclass
class _BatchOutcome:
    """What recomputing one batch found to change, in the form the database stores. Plain
    values only: a worker process sends it back to the process that writes."""

    count: int
    versions: dict[int, int] = field(default_factory=dict)  # changed ticket -> version read
    column_updates: list[tuple[Any, ...]] = field(default_factory=list)  # values, then the id
    target_tickets: list[int] = field(default_factory=list)
    target_rows: list[tuple[Any, ...]] = field(default_factory=list)
    breach_rows: list[dict[str, Any]] = field(default_factory=list)  # new sla_breaches rows
    breach_meets: list[tuple[int, BreachRecord]] = field(default_factory=list)  # (ticket, met)


def recompute_all(
    db: Database,
    clock: Clock = utc_now,
    *,
    only_unsolved: bool = False,
    workers: int | None = None,
    batch_size: int = BATCH,
) -> int:
    """Recompute every ticket (after a policy or calendar change). Returns how many tickets
    were recomputed.

    Each batch is read and computed in a read transaction (one query per table), then only
    the tickets whose stored values differ are written, in a short write transaction: after a
    policy edit most tickets keep their due times, and writing costs more than comparing.
    A ticket changed by a command in between is recomputed again under the write lock.

    Large recomputes run the read-and-compute part in ``workers`` processes (default: one per
    core, when there are enough batches); this process does all the writing."""
    now = clock()
    spans = _batch_spans(db, only_unsolved, batch_size)
    workers = _worker_count(workers, len(spans))
    if workers > 1:
        with db.read() as session:
            load_rules(session)  # parsed once here; the forked workers inherit it
        outcomes = _computed_in_workers(db.url, spans, now, only_unsolved, workers)
    else:
        outcomes = (_computed(db, span, now, only_unsolved) for span in spans)
    done = 0
    for outcome in outcomes:
        _apply(db, outcome, now)
        done += outcome.count
    return done


def _batch_spans(db: Database, only_unsolved: bool, size: int) -> list[tuple[int, int]]:
    """The first and last ticket id of each batch of ``size`` tickets."""
    unsolved = " WHERE status NOT IN ('solved', 'closed')" if only_unsolved else ""
    with db.read() as session:
        ids = [
            row[0] for row in _raw_rows(session, f"SELECT id FROM tickets{unsolved} ORDER BY id")
        ]
    return [(ids[i], ids[min(i + size, len(ids)) - 1]) for i in range(0, len(ids), size)]


def _worker_count(requested: int | None, batches: int) -> int:
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if requested is not None:
        return max(1, min(requested, batches))
    # Forking a process that runs other threads can copy a lock some thread holds, so only a
    # lone main thread forks unasked. Qt starts native threads that threading cannot count.
    alone = threading.active_count() == 1 and threading.current_thread() is threading.main_thread()
    if not alone or "PySide6.QtCore" in sys.modules:
        return 1
    return max(1, min(os.cpu_count() or 1, _MAX_WORKERS, batches // _MIN_BATCHES_PER_WORKER))


def _computed(
    db: Database, span: tuple[int, int], now: datetime, only_unsolved: bool
) -> _BatchOutcome:
    with db.read() as session:
        return _compute_batch(session, span, now, only_unsolved)


def _computed_in_workers(
    url: str, spans: list[tuple[int, int]], now: datetime, only_unsolved: bool, workers: int
) -> Iterator[_BatchOutcome]:
    # Fork, not spawn: spawn imports the caller's main script again in every worker, which a
    # script without a __main__ guard cannot survive. The workers open their own connections.
    with process_pool(workers, "fork") as pool:
        # A few batches ahead of the writer, not all: outcomes waiting to be written hold memory.
        waiting = iter(spans)
        running = deque(
            pool.submit(_computed_in_worker, url, span, now, only_unsolved)
            for span in islice(waiting, 2 * workers)
        )
        while running:
            outcome = running.popleft().result()
            for span in islice(waiting, 1):
                running.append(pool.submit(_computed_in_worker, url, span, now, only_unsolved))
            yield outcome


def _computed_in_worker(
    url: str, span: tuple[int, int], now: datetime, only_unsolved: bool
) -> _BatchOutcome:
    db = _WORKER_DATABASES.get(url)
    if db is None:
        db = _WORKER_DATABASES[url] = Database(url)
    return _computed(db, span, now, only_unsolved)


_WORKER_DATABASES: dict[str, Database] = {}


def _raw_rows(session: Session, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows as plain tuples from the driver: a full recompute reads a million values, and
    SQLAlchemy's per-row processing would cost more than the database's work."""
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, tuple(params))
        return cursor.fetchall()  # type: ignore[no-any-return]
    finally:
        cursor.close()


def _compute_batch(
    session: Session,
    span: tuple[int, int],
    now: datetime,
    only_unsolved: bool,
    only_ids: frozenset[int] | None = None,
) -> _BatchOutcome:
    """Recompute the tickets with ids in ``span`` (inclusive; only ``only_ids`` among them when
    given) and say what differs from what is stored."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    between = f"BETWEEN {mark} AND {mark}"
    unsolved = " AND status NOT IN ('solved', 'closed')" if only_unsolved else ""
    tickets = _raw_rows(
        session,
        f"SELECT t.id, t.version, t.priority, t.channel, t.department_id, t.assignee_id,"
        f" t.created_at, c.tags,"
        f" {', '.join('t.' + column for column in TICKET_COLUMNS)}"
        f" FROM tickets t JOIN customers c ON c.id = t.customer_id"
        f" WHERE t.id {between}{unsolved.replace('status', 't.status')}",
        span,
    )
    if only_ids is not None:
        tickets = [row for row in tickets if row[0] in only_ids]
    read_time = _sqlite_time if sqlite else _postgres_time
    happened: dict[int, list[tuple[datetime, int, int, str]]] = defaultdict(list)
    for ticket_id, at, direction, message_id in _raw_rows(
        session,
        "SELECT ticket_id, created_at, direction, id FROM messages"
        f" WHERE ticket_id {between} AND direction <> 'note'"
        " AND (direction = 'inbound' OR auto_kind IS NULL)",  # as in _ONE_TICKET_SQL
        span,
    ):
        happened[ticket_id].append((read_time(at), _MESSAGE_ROW, message_id, direction))
    for ticket_id, at, new, audit_id in _raw_rows(
        session,
        "SELECT ticket_id, at, new_value, id FROM audit_events"
        f" WHERE ticket_id {between} AND field = 'status'",
        span,
    ):
        happened[ticket_id].append((read_time(at), _STATUS_ROW, audit_id, new))
    stored_targets: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in _raw_rows(
        session,
        f"SELECT {', '.join(TARGET_COLUMNS)} FROM sla_targets WHERE ticket_id {between}",
        span,
    ):
        # SQLite holds text: compared as datetimes, which are cheaper to parse than to format.
        stored_targets[row[0]].append(_sqlite_times(row[1:], _TARGET_STAMPS) if sqlite else row[1:])
    recorded: dict[int, list[BreachRecord]] = defaultdict(list)
    for ticket_id, kind, started, due, policy_name, met in _raw_rows(
        session,
        "SELECT ticket_id, kind, started_at, due_at, policy, met_at FROM sla_breaches"
        f" WHERE ticket_id {between} ORDER BY id",
        span,
    ):
        recorded[ticket_id].append(
            BreachRecord(
                _TARGET_KINDS[kind],
                read_time(started),
                read_time(due),
                policy_name,
                None if met is None else read_time(met),
            )
        )

    rules = load_rules(session)
    departments = dict(session.execute(select(Department.id, Department.name)).all())
    # Policies match on priority, channel, department and customer tags: decide once per
    # combination (most customers have no tags, so there are few).
    deciders: dict[tuple[str, str, int | None, str], Any] = {}
    outcome = _BatchOutcome(len(tickets))
    for (
        ticket_id,
        version,
        priority,
        channel,
        department_id,
        assignee_id,
        created_at,
        tags,
        *stored,
    ) in tickets:
        key = (priority, channel, department_id, tags or "")
        decider = deciders.get(key)
        if decider is None:
            facts = _facts(priority, channel, departments.get(department_id), tags)
            policy = match_policy(rules.policies, facts)
            calendar = resolve_calendar(policy, rules.calendars) if policy else None
            decider = deciders[key] = (policy, calendar)
        history = _history(read_time(created_at), happened.get(ticket_id, []))
        stored_columns = _sqlite_times(tuple(stored), _COLUMN_STAMPS) if sqlite else tuple(stored)
        known = recorded.get(ticket_id, ())
        # Stored targets overdue under the stored policy breached under it, whatever the
        # rules say now (an import may have changed or removed that policy): record them.
        earliest_stored = stored_columns[4]
        prior = (
            _stored_breaches(stored_columns[0], stored_targets.get(ticket_id, ()), known, now)
            if earliest_stored is not None and earliest_stored < now
            else []
        )
        state = compute_sla(decider[0], decider[1], history, now, (*known, *prior))
        if state.records:
            inserts, meets = _breach_changes(state.records, known)
            if inserts or meets:
                outcome.versions[ticket_id] = version
                holder = (department_id, assignee_id)
                outcome.breach_rows += [_breach_row(ticket_id, r, now, holder) for r in inserts]
                outcome.breach_meets += [(ticket_id, record) for record in meets]
        columns = _column_values(state)
        targets = _target_values(state)
        if columns != stored_columns:
            outcome.versions[ticket_id] = version
            if sqlite:  # written as the text SQLite holds
                columns = _sqlite_values(columns, _COLUMN_STAMPS)
            outcome.column_updates.append((*columns, ticket_id))
        if sorted(targets) != sorted(stored_targets.get(ticket_id, ())):
            outcome.versions[ticket_id] = version
            outcome.target_tickets.append(ticket_id)
            for target in targets:
                if sqlite:
                    target = _sqlite_values(target, _TARGET_STAMPS)
                outcome.target_rows.append((ticket_id, *target))
    return outcome


def _stored_breaches(
    policy: str | None,
    targets: Sequence[tuple[Any, ...]],
    known: Sequence[BreachRecord],
    now: datetime,
) -> list[BreachRecord]:
    """Breaches the stored targets (TARGET_COLUMNS without ticket_id) show and the history
    does not hold yet: a breached target, or a running one now past its due time."""
    if policy is None:
        return []
    keys = {(r.kind, r.due_at) for r in known}
    found = []
    for kind, state, started_at, due_at, met_at, breached_at, _remaining in targets:
        due = breached_at or (due_at if state == _RUNNING_STATE and met_at is None else None)
        if due is None or due >= now or started_at is None:
            continue
        record = BreachRecord(_TARGET_KINDS[kind], started_at, due, policy, met_at)
        if (record.kind, due) not in keys:
            found.append(record)
    return found


_RUNNING_STATE = ClockState.RUNNING.value


def _apply(db: Database, outcome: _BatchOutcome, now: datetime) -> None:
    """Write one batch's changes. A ticket whose version moved since it was read was changed
    by a command meanwhile; it is recomputed here, under the write lock, from what is stored
    now (its command may have left its due times alone, as an assignee change does)."""
    if not outcome.versions:
        return
    with db.write() as session:
        changed = sorted(outcome.versions)
        sqlite = session.get_bind().dialect.name == "sqlite"
        if sqlite:  # BEGIN IMMEDIATE already keeps every other writer out
            marks = ", ".join("?" for _ in changed)
            current = _raw_rows(
                session, f"SELECT id, version FROM tickets WHERE id IN ({marks})", changed
            )
        else:
            current = _raw_rows(
                session,
                "SELECT id, version FROM tickets WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                (changed,),
            )
        moved = frozenset(
            ticket_id for ticket_id, version in current if outcome.versions[ticket_id] != version
        )
        gone = frozenset(changed) - {ticket_id for ticket_id, _version in current}
        if moved or gone:
            _write_batch(session, _without(outcome, moved | gone))
            if moved:
                _write_batch(
                    session, _compute_batch(session, (min(moved), max(moved)), now, False, moved)
                )
        else:
            _write_batch(session, outcome)
        journal = Journal(session, None, now)
        journal.changed("sla", 0, "recompute")
        journal.finish()


def _without(outcome: _BatchOutcome, ticket_ids: frozenset[int]) -> _BatchOutcome:
    return _BatchOutcome(
        outcome.count,
        {k: v for k, v in outcome.versions.items() if k not in ticket_ids},
        [row for row in outcome.column_updates if row[-1] not in ticket_ids],
        [t for t in outcome.target_tickets if t not in ticket_ids],
        [row for row in outcome.target_rows if row[0] not in ticket_ids],
        [row for row in outcome.breach_rows if row["ticket_id"] not in ticket_ids],
        [meet for meet in outcome.breach_meets if meet[0] not in ticket_ids],
    )


def _write_batch(session: Session, outcome: _BatchOutcome) -> None:
    """Store new column values and replace the targets of outcome.target_tickets, in a few
    statements whatever the batch's size."""
    connection = session.connection()
    column_updates, target_tickets = outcome.column_updates, outcome.target_tickets
    # Breaches first: they are history, written whatever else the batch changes.
    _write_breaches(session, outcome.breach_rows, outcome.breach_meets)
    if connection.dialect.name == "sqlite":
        sets = ", ".join(f"{c} = ?" for c in TICKET_COLUMNS)
        if column_updates:
            connection.exec_driver_sql(f"UPDATE tickets SET {sets} WHERE id = ?", column_updates)
        if target_tickets:
            # Rewritten in place: a recompute gives every ticket a row of each target kind,
            # as _write_one relies on too, so nothing stale is left. DELETE and INSERT removed
            # and re-added every row and index entry, half the time a full recompute took.
            connection.exec_driver_sql(
                f"INSERT INTO sla_targets ({', '.join(TARGET_COLUMNS)})"
                f" VALUES ({', '.join('?' for _ in TARGET_COLUMNS)})"
                f" ON CONFLICT (ticket_id, kind) DO UPDATE SET {_EXCLUDED_TARGET_VALUES}",
                outcome.target_rows,
            )
        return
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    if column_updates:
        # One statement for the whole batch: the new values arrive as one array per column.
        arrays = [list(column) for column in zip(*column_updates, strict=True)]
        casts = [*_POSTGRES_COLUMN_TYPES, "bigint"]
        sets = ", ".join(f"{c} = v.{c}" for c in TICKET_COLUMNS)
        cursor.execute(
            f"UPDATE tickets SET {sets} FROM unnest("
            + ", ".join(f"%s::{cast}[]" for cast in casts)
            + f") AS v({', '.join(TICKET_COLUMNS)}, id) WHERE tickets.id = v.id",
            arrays,
        )
    if target_tickets:
        cursor.execute("DELETE FROM sla_targets WHERE ticket_id = ANY(%s)", (target_tickets,))
        with cursor.copy(f"COPY sla_targets ({', '.join(TARGET_COLUMNS)}) FROM STDIN") as copy:
            for row in outcome.target_rows:
                copy.write_row(row)


_POSTGRES_COLUMN_TYPES = (
    "text",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "integer",
)


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
    db: Database,
    document: Mapping[str, Any],
    actor_id: int | None,
    clock: Clock = utc_now,
    *,
    workers: int | None = None,
) -> dict[str, int]:
    """Replace every calendar and policy (all or nothing), then recompute every ticket
    (``workers`` as for recompute_all)."""
    rules = parse_rules(document)
    with db.write() as session:
        require_on(session, load_actor(session, actor_id), Permission.ADMINISTER)
        check_escalation_departments(session, rules)
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
    recomputed = recompute_all(db, clock, workers=workers)
    return {
        "calendars": len(rules.calendars),
        "policies": len(rules.policies),
        "tickets_recomputed": recomputed,
    }


def check_escalation_departments(session: Session, rules: SlaRules) -> None:
    """Refuse rules whose escalation moves tickets to a department that does not exist."""
    wanted = {
        (policy.name, policy.escalation.move_to)
        for policy in rules.policies
        if policy.escalation is not None and policy.escalation.move_to is not None
    }
    if not wanted:
        return
    names = {department for _policy, department in wanted}
    found = set(session.scalars(select(Department.name).where(Department.name.in_(names))))
    missing = sorted((policy, name) for policy, name in wanted if name not in found)
    if missing:
        policy, name = missing[0]
        raise InvalidInput(
            f"the SLA rules are not valid: policy {policy!r} escalates to department {name!r}, "
            "which does not exist"
        )


def explain(db: Database, ticket_id: int, clock: Clock = utc_now) -> dict[str, Any]:
    """Why a ticket is due when it is: the policy, each target, paused spans, breaches."""
    with db.read() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise NotFound(f"ticket #{ticket_id} does not exist")
        history, rules, facts, recorded = _read_one(session, ticket)
        now = clock()
        state = rules.decide(facts, history, now, recorded)
        explained = state.to_dict()
        # A target shown breached at an earlier policy's due time also says when the policy
        # that applies now would have it due, so the two due times are not confused.
        policy_only = rules.decide(facts, history, now).targets
        for target, live in zip(explained["targets"], policy_only, strict=True):
            target["policy_due_at"] = live.due_at and live.due_at.isoformat()
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
            **explained,
        }


# --- figures ------------------------------------------------------------------------------------


def compliance_report(
    db: Database, since: datetime, until: datetime | None = None, clock: Clock = utc_now
) -> dict[str, Any]:
    """First-response and resolution compliance per department and per agent.

    A target counts when it started in the range and has an outcome: met in time, or breached
    (met late, or still open past its due time). Compliance is the share met in time.

    A breach is read from the history (sla_breaches) and counted where the ticket was when it
    was first recorded: moving the ticket, changing its priority or importing new rules later
    changes no figure. A target counts once however many policies it missed. Targets without
    a recorded breach are counted from their live state, where the ticket is now."""
    now = clock()
    until = until or now
    kinds = [TargetKind.FIRST_RESPONSE.value, TargetKind.RESOLUTION.value]
    with db.read() as session:
        live = session.execute(
            select(
                SlaTarget.ticket_id,
                SlaTarget.kind,
                SlaTarget.started_at,
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
                SlaTarget.kind.in_(kinds),
                SlaTarget.started_at >= since,
                SlaTarget.started_at < until,
            )
        ).all()
        recorded = session.execute(
            select(
                SlaBreach.ticket_id,
                SlaBreach.kind,
                SlaBreach.started_at,
                Department.name,
                Agent.display_name,
            )
            .outerjoin(Department, Department.id == SlaBreach.department_id)
            .outerjoin(Agent, Agent.id == SlaBreach.assignee_id)
            .where(
                SlaBreach.kind.in_(kinds),
                SlaBreach.started_at >= since,
                SlaBreach.started_at < until,
            )
            .order_by(SlaBreach.id)
        ).all()
    groups: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])

    def count(kind: str, department: str | None, agent: str | None, in_time: bool) -> None:
        for dimension, name in (("department", department), ("agent", agent)):
            counts = groups[(dimension, name or "(none)", kind)]
            counts[0] += in_time
            counts[1] += not in_time

    breached_targets: set[tuple[int, str, datetime | None]] = set()
    for ticket_id, kind, breach_started_at, department, agent in recorded:
        target = (ticket_id, kind, breach_started_at)
        if target not in breached_targets:  # the first record of a target says where
            breached_targets.add(target)
            count(kind, department, agent, in_time=False)
    for ticket_id, kind, started_at, met_at, breached_at, due_at, department, agent in live:
        if (ticket_id, kind, started_at) in breached_targets:
            continue
        breached = breached_at is not None or (
            met_at is None and due_at is not None and due_at < now
        )
        in_time = met_at is not None and breached_at is None
        if breached or in_time:  # otherwise still running, not yet decided
            count(kind, department, agent, in_time=not breached)
    report: dict[str, dict[str, dict[str, Any]]] = {"department": {}, "agent": {}}
    for (dimension, name, kind), (met, missed) in sorted(groups.items()):
        total = met + missed
        report[dimension].setdefault(name, {})[kind] = {
            "met": met,
            "breached": missed,
            "compliance": round(met / total, 4) if total else None,
        }
    return {"since": since.isoformat(), "until": until.isoformat(), **report}
