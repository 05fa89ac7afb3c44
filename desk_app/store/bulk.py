"""Loading many tickets at once (demo data, benchmarks) at thousands of tickets a second.

The service layer is the right path for one change at a time; a 100,000-ticket seed through it
would take minutes. This loader writes the same rows the commands would (denormalised ticket
columns, search documents, audit and change-log rows) with batched Core inserts, one
transaction per batch, so an interrupted load leaves whole tickets only.

Ids are assigned here, in the batch's transaction, after locking the tables on PostgreSQL (on
SQLite BEGIN IMMEDIATE already excludes other writers), and sequences are moved past them.

Speed: rows are plain tuples in a fixed column order (fast_rows.insert_tuples), timestamps are
converted once to what the database stores, and the search documents, a third of the work, are
built in worker processes one batch ahead (store.bulk_documents) from the texts the batch will
have. A customer's searchable parts are guessed from the seed before the batch is written; where
the database says otherwise (the customer existed already, with other details), the document is
built again here, so the result never depends on the guess.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from itertools import islice
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from desk_app.core.clock import Clock, utc_now
from desk_app.core.enums import DeliveryState, Direction, IdentityKind, Status
from desk_app.core.text import preview_of
from desk_app.core.threading_rules import normalise_subject
from desk_app.store import search
from desk_app.store.bulk_documents import (
    DocumentBuilder,
    DocumentJob,
    PendingDocuments,
    default_workers,
)
from desk_app.store.database import Database
from desk_app.store.fast_rows import insert_tuples, sqlite_text
from desk_app.store.journal import Journal, current_txid
from desk_app.store.models import (
    Agent,
    AgentDepartment,
    AuditEvent,
    ChangeLogEntry,
    Customer,
    CustomerIdentity,
    Department,
    Message,
    OutboxItem,
    Ticket,
    TicketSearch,
)
from desk_app.store.previews import shows_in_preview
from desk_app.store.seeds import SeedAgent, SeedCounts, SeedCustomer, SeedTicket

BATCH = 2_000
_ID_TABLES = (Ticket, Message, Customer, CustomerIdentity, AuditEvent, ChangeLogEntry)
_FAILED_DELIVERY = "550 mailbox unavailable"
_SENT = DeliveryState.SENT.value

# Column orders of the row tuples built below.
_CUSTOMER_COLUMNS = (
    "id", "name", "organisation", "notes", "merged_into_id", "version", "created_at", "updated_at",
)  # fmt: skip
_IDENTITY_COLUMNS = ("id", "customer_id", "kind", "value")
_TICKET_COLUMNS = (
    "id", "subject", "subject_key", "status", "priority", "channel", "department_id",
    "assignee_id", "customer_id", "created_at", "updated_at", "first_response_at", "solved_at",
    "last_message_at", "last_customer_message_at", "preview", "message_count", "version",
    "first_response_due_at", "next_response_due_at", "resolution_due_at", "sla_due_at",
)  # fmt: skip
_MESSAGE_COLUMNS = (
    "id", "ticket_id", "direction", "author_agent_id", "author_customer_id", "subject",
    "body_text", "body_html", "message_id", "in_reply_to", "references", "created_at",
    "delivery_state", "delivery_error",
)  # fmt: skip
_OUTBOX_COLUMNS = (
    "message_id", "state", "attempts", "next_attempt_at", "created_at", "last_error",
)  # fmt: skip
_SEARCH_COLUMNS = ("ticket_id", "body")
_AUDIT_COLUMNS = (
    "id", "at", "actor_agent_id", "entity", "entity_id", "ticket_id", "ticket_version", "action",
    "field", "old_value", "new_value", "reason",
)  # fmt: skip
_CHANGE_COLUMNS = ("seq", "entity", "entity_id", "op", "actor_agent_id", "at", "txid")

Stamp = Callable[[datetime | None], Any]


def _sqlite_stamp(value: datetime | None) -> str | None:
    """sqlite_text, skipping its time zone conversion for values already in UTC (all seeds)."""
    if value is None:
        return None
    if value.tzinfo is UTC:
        return value.isoformat(" ", "microseconds")[:26]
    return sqlite_text(value)


def _as_is(value: datetime | None) -> datetime | None:
    return value  # psycopg writes aware datetimes itself


@lru_cache(maxsize=50_000)
def _subject_key(subject: str) -> str:
    # Demo and imported subjects repeat; the key is the same regex work each time.
    return normalise_subject(subject)[:500]


def _batches(items: Iterable[SeedTicket], size: int) -> Iterator[list[SeedTicket]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _seed_parts(customer: SeedCustomer) -> tuple[str, ...]:
    """The searchable parts of a customer as _add_customer stores them."""
    identities = (value for value in (customer.email, customer.phone) if value)
    return (customer.name, customer.organisation, *identities)


@dataclass(slots=True)
class _Batch:
    tickets: list[SeedTicket]
    guesses: list[tuple[str, ...]]  # each ticket's customer parts its document is built with
    documents: PendingDocuments


class BulkLoader:
    def __init__(self, db: Database, clock: Clock = utc_now, workers: int | None = None) -> None:
        """workers: processes building search documents; None picks one per spare core,
        0 builds them in this process."""
        self.db = db
        self.clock = clock
        self.workers = default_workers() if workers is None else workers
        self._departments: dict[str, int] = {}
        self._agents: dict[str, int] = {}
        self._agent_names: dict[str, str] = {}
        self._customers: dict[str, int] = {}  # identity value -> customer id
        self._customer_parts: dict[int, tuple[str, ...]] = {}  # customer id -> searchable text
        # Message-IDs of loaded messages: unique per load (as make_msgid's are), then per row.
        self._msgid_prefix = f"{time.time_ns()}.{os.getpid()}.{random.getrandbits(64)}"

    def ensure_team(self, departments: Iterable[str], agents: Iterable[SeedAgent]) -> None:
        """Create missing departments and agents (existing ones are kept as they are)."""
        with self.db.write() as session:
            journal = Journal(session, None, self.clock())
            for name in departments:
                if session.scalar(select(Department.id).where(Department.name == name)) is None:
                    department = Department(name=name, created_at=journal.at)
                    session.add(department)
                    session.flush()
                    journal.changed("department", department.id, "insert")
            self._departments = dict(session.execute(select(Department.name, Department.id)).all())
            for seed in agents:
                if session.scalar(select(Agent.id).where(Agent.email == seed.email)) is not None:
                    continue
                agent = Agent(
                    display_name=seed.display_name,
                    email=seed.email,
                    role=seed.role.value,
                    time_zone=seed.time_zone,
                    is_active=True,
                    created_at=journal.at,
                )
                session.add(agent)
                session.flush()
                for name in seed.departments:
                    session.add(
                        AgentDepartment(agent_id=agent.id, department_id=self._departments[name])
                    )
                journal.changed("agent", agent.id, "insert")
            self._agents = dict(session.execute(select(Agent.email, Agent.id)).all())
            self._agent_names = dict(session.execute(select(Agent.email, Agent.display_name)).all())
            journal.finish()

    def load(self, tickets: Iterable[SeedTicket], batch_size: int = BATCH) -> SeedCounts:
        if not self._agents:
            self.ensure_team([], [])
        counts = SeedCounts()
        try:
            with DocumentBuilder(self.workers) as builder:
                # While batch n is written here, the pool builds batch n + 1's documents.
                waiting: _Batch | None = None
                for tickets_of_batch in _batches(tickets, batch_size):
                    ahead = self._prepare(tickets_of_batch, builder)
                    if waiting is not None:
                        self._write_batch(waiting, counts)
                    waiting = ahead
                if waiting is not None:
                    self._write_batch(waiting, counts)
        finally:
            self.db.checkpoint()  # the batches skipped SQLite's automatic ones
        return counts

    def _prepare(self, tickets: list[SeedTicket], builder: DocumentBuilder) -> _Batch:
        """Start building a batch's documents, guessing each customer's searchable parts."""
        guesses = []
        for seed in tickets:
            known = self._customer_id(seed.customer)
            guesses.append(
                self._customer_parts[known] if known is not None else _seed_parts(seed.customer)
            )
        jobs: list[DocumentJob] = [
            search.document_parts(seed.subject, parts, (m.body for m in seed.messages))
            for seed, parts in zip(tickets, guesses, strict=True)
        ]
        return _Batch(tickets, guesses, builder.submit(jobs))

    def _write_batch(self, batch: _Batch, counts: SeedCounts) -> None:
        with self.db.write(bulk=True) as session:
            self._load_batch(session, batch, counts)

    # --- one batch ---------------------------------------------------------------------------

    def _load_batch(self, session: Session, batch: _Batch, counts: SeedCounts) -> None:
        postgres = session.get_bind().dialect.name == "postgresql"
        if postgres:
            names = ", ".join(model.__tablename__ for model in _ID_TABLES)
            session.execute(text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))
        first_id = {model: self._max_id(session, model) + 1 for model in _ID_TABLES}
        self._resolve_customers(session, batch.tickets)
        stamp: Stamp = _as_is if postgres else _sqlite_stamp
        txid = current_txid(session) if postgres else None
        now = stamp(self.clock())
        agents = self._agents
        departments = self._departments
        msgid_prefix = self._msgid_prefix

        customers: list[tuple[Any, ...]] = []
        identities: list[tuple[Any, ...]] = []
        tickets: list[tuple[Any, ...]] = []
        messages: list[tuple[Any, ...]] = []
        outbox: list[tuple[Any, ...]] = []
        searches: list[tuple[Any, ...]] = []
        audits: list[tuple[Any, ...]] = []
        changes: list[tuple[Any, ...]] = []
        ticket_id = first_id[Ticket] - 1
        message_id = first_id[Message] - 1
        audit_id = first_id[AuditEvent] - 1
        customer_id_counter = [first_id[Customer], first_id[CustomerIdentity]]
        change_seq = first_id[ChangeLogEntry] - 1

        documents = batch.documents.result()
        for seed, guessed_parts, document in zip(
            batch.tickets, batch.guesses, documents, strict=True
        ):
            created_at = stamp(seed.created_at)
            customer_id = self._customer_id(seed.customer)
            if customer_id is None:
                customer_id = self._add_customer(
                    customers, identities, customer_id_counter, seed.customer, created_at
                )
                change_seq += 1
                changes.append((change_seq, "customer", customer_id, "insert", None, now, txid))
                counts.customers += 1
            ticket_id += 1
            version = 1
            audit_id += 1
            audits.append(
                (audit_id, created_at, None, "ticket", ticket_id, ticket_id, 1, "create",
                 None, None, seed.subject, None)
            )  # fmt: skip
            last_at: datetime | None = None
            last_customer_at: datetime | None = None
            first_response_at: datetime | None = None
            preview = ""
            for position, message in enumerate(seed.messages):
                message_id += 1
                if position:
                    version += 1
                author_agent = agents.get(message.author_agent_email or "")
                at = stamp(message.at)
                state = error = author_customer = None
                if message.direction is Direction.OUTBOUND:
                    state = (message.delivery_state or DeliveryState.SENT).value
                    if first_response_at is None:
                        first_response_at = message.at
                    if state == "failed":
                        error = _FAILED_DELIVERY
                    if state != _SENT:
                        outbox.append((message_id, state, 0, at, at, error))
                elif message.direction is Direction.INBOUND:
                    author_customer = customer_id
                    last_customer_at = message.at
                messages.append(
                    (message_id, ticket_id, message.direction.value, author_agent,
                     author_customer, message.subject or seed.subject, message.body, None,
                     message.message_id or f"<{msgid_prefix}.{message_id}@demo.invalid>",
                     None, None, at, state, error)
                )  # fmt: skip
                audit_id += 1
                audits.append(
                    (audit_id, at, author_agent, "message", message_id, ticket_id, version,
                     message.direction.value, None, None, None, None)
                )  # fmt: skip
                last_at = message.at
                if shows_in_preview(message.direction):
                    preview = message.body
            for event in seed.events:
                version += 1
                audit_id += 1
                audits.append(
                    (audit_id, stamp(event.at), agents.get(event.actor_email or ""), "ticket",
                     ticket_id, ticket_id, version, "update", event.field,
                     self._shown(event.field, event.old), self._shown(event.field, event.new),
                     event.reason)
                )  # fmt: skip
            solved_at = seed.solved_at
            if solved_at is None and seed.status in (Status.SOLVED, Status.CLOSED):
                solved_at = last_at or seed.created_at
            updated_at = max(
                [seed.created_at, *(m.at for m in seed.messages), *(e.at for e in seed.events)]
                + ([solved_at] if solved_at else [])
            )
            tickets.append(
                (ticket_id, seed.subject, _subject_key(seed.subject), seed.status.value,
                 seed.priority.value, seed.channel.value, departments.get(seed.department or ""),
                 agents.get(seed.assignee_email or ""), customer_id, created_at,
                 stamp(updated_at), stamp(first_response_at), stamp(solved_at), stamp(last_at),
                 stamp(last_customer_at), preview_of(preview), len(seed.messages), version,
                 None, None, None, None)
            )  # fmt: skip
            parts = self._customer_parts[customer_id]
            if parts != guessed_parts:
                document = search.ticket_document(
                    seed.subject, parts, (message.body for message in seed.messages)
                )
            searches.append((ticket_id, document))
            change_seq += 1
            changes.append((change_seq, "ticket", ticket_id, "insert", None, now, txid))
            counts.tickets += 1
            counts.messages += len(seed.messages)

        # Parents before children, so foreign keys hold at every statement.
        for model, columns, rows in (
            (Customer, _CUSTOMER_COLUMNS, customers),
            (CustomerIdentity, _IDENTITY_COLUMNS, identities),
            (Ticket, _TICKET_COLUMNS, tickets),
            (Message, _MESSAGE_COLUMNS, messages),
            (OutboxItem, _OUTBOX_COLUMNS, outbox),
            (TicketSearch, _SEARCH_COLUMNS, searches),
            (AuditEvent, _AUDIT_COLUMNS, audits),
            (ChangeLogEntry, _CHANGE_COLUMNS, changes),
        ):
            insert_tuples(session, model.__tablename__, columns, rows)
        search.index_loaded_tickets(session, [row[0] for row in searches])
        if postgres:
            for model in _ID_TABLES:
                column = "seq" if model is ChangeLogEntry else "id"
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{model.__tablename__}', "
                        f"'{column}'), (SELECT max({column}) FROM {model.__tablename__}))"
                    )
                )
            session.execute(
                text("SELECT pg_notify('desk_changes', :seq)"), {"seq": str(change_seq)}
            )

    def _shown(self, field: str, value: str | None) -> str | None:
        """Audit values as the service layer writes them: agents by name, not e-mail."""
        if field == "assignee" and value is not None:
            return self._agent_names.get(value, value)
        return value

    def _max_id(self, session: Session, model: type) -> int:
        column = model.seq if model is ChangeLogEntry else model.id  # type: ignore[attr-defined]
        return int(session.scalar(select(func.coalesce(func.max(column), 0))) or 0)

    def _resolve_customers(self, session: Session, batch: list[SeedTicket]) -> None:
        """Find customers of this batch that exist already (from earlier batches or runs)."""
        wanted = {
            value
            for seed in batch
            for value in (seed.customer.email, seed.customer.phone)
            if value and value not in self._customers
        }
        if not wanted:
            return
        found = dict(
            session.execute(
                select(CustomerIdentity.value, CustomerIdentity.customer_id).where(
                    CustomerIdentity.value.in_(wanted)
                )
            ).all()
        )
        self._customers.update(found)
        for customer in session.scalars(select(Customer).where(Customer.id.in_(found.values()))):
            self._customer_parts[customer.id] = tuple(search.customer_parts(customer))

    def _customer_id(self, customer: SeedCustomer) -> int | None:
        for value in (customer.email, customer.phone):
            if value and value in self._customers:
                return self._customers[value]
        return None

    def _add_customer(
        self,
        customers: list[tuple[Any, ...]],
        identities: list[tuple[Any, ...]],
        next_ids: list[int],
        customer: SeedCustomer,
        at: Any,
    ) -> int:
        """Rows for a new customer and its identities; next_ids holds [customer, identity]."""
        customer_id = next_ids[0]
        next_ids[0] += 1
        customers.append(
            (customer_id, customer.name, customer.organisation, customer.notes, None, 1, at, at)
        )
        for kind, value in (
            (IdentityKind.EMAIL, customer.email),
            (IdentityKind.PHONE, customer.phone),
        ):
            if value:
                identities.append((next_ids[1], customer_id, kind.value, value))
                next_ids[1] += 1
                self._customers[value] = customer_id
        self._customer_parts[customer_id] = _seed_parts(customer)
        return customer_id
