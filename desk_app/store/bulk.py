"""Loading many tickets at once (demo data, benchmarks) at tens of thousands of rows a second.

The service layer is the right path for one change at a time; a 100,000-ticket seed through it
would take minutes. This loader writes the same rows the commands would (denormalised ticket
columns, search documents, audit and change-log rows) with batched Core inserts, one
transaction per batch, so an interrupted load leaves whole tickets only.

Ids are assigned here, in the batch's transaction, after locking the tables on PostgreSQL (on
SQLite BEGIN IMMEDIATE already excludes other writers), and sequences are moved past them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from email.utils import make_msgid
from itertools import islice
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from desk_app.core.clock import Clock, utc_now
from desk_app.core.enums import DeliveryState, Direction, IdentityKind, Status
from desk_app.core.text import preview_of
from desk_app.core.threading_rules import normalise_subject
from desk_app.store import search
from desk_app.store.database import Database
from desk_app.store.fast_rows import insert_rows
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
from desk_app.store.seeds import SeedAgent, SeedCounts, SeedCustomer, SeedTicket

BATCH = 2_000
_ID_TABLES = (Ticket, Message, Customer, CustomerIdentity, AuditEvent, ChangeLogEntry)


def _batches(items: Iterable[SeedTicket], size: int) -> Iterator[list[SeedTicket]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class BulkLoader:
    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock
        self._departments: dict[str, int] = {}
        self._agents: dict[str, int] = {}
        self._agent_names: dict[str, str] = {}
        self._customers: dict[str, int] = {}  # identity value -> customer id
        self._customer_parts: dict[int, list[str]] = {}  # customer id -> searchable text

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
        for batch in _batches(tickets, batch_size):
            with self.db.write() as session:
                self._load_batch(session, batch, counts)
        return counts

    # --- one batch ---------------------------------------------------------------------------

    def _load_batch(self, session: Session, batch: list[SeedTicket], counts: SeedCounts) -> None:
        postgres = session.get_bind().dialect.name == "postgresql"
        if postgres:
            names = ", ".join(model.__tablename__ for model in _ID_TABLES)
            session.execute(text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))
        next_id = {model: self._max_id(session, model) + 1 for model in _ID_TABLES}

        def new_id(model: type) -> int:
            value = next_id[model]
            next_id[model] = value + 1
            return value

        now = self.clock()
        rows: dict[type, list[dict[str, Any]]] = {
            model: [] for model in (*_ID_TABLES, OutboxItem, TicketSearch)
        }
        self._resolve_customers(session, batch)

        txid = current_txid(session) if postgres else None

        def change(entity: str, entity_id: int, at: datetime) -> None:
            rows[ChangeLogEntry].append(
                {
                    "seq": new_id(ChangeLogEntry),
                    "entity": entity,
                    "entity_id": entity_id,
                    "op": "insert",
                    "actor_agent_id": None,
                    "at": now,
                    "txid": txid,
                }
            )

        def audit(
            ticket_id: int,
            version: int,
            at: datetime,
            action: str,
            actor: int | None,
            field: str | None = None,
            old: str | None = None,
            new: str | None = None,
            reason: str | None = None,
            entity: str = "ticket",
            entity_id: int | None = None,
        ) -> None:
            rows[AuditEvent].append(
                {
                    "id": new_id(AuditEvent),
                    "at": at,
                    "actor_agent_id": actor,
                    "entity": entity,
                    "entity_id": entity_id or ticket_id,
                    "ticket_id": ticket_id,
                    "ticket_version": version,
                    "action": action,
                    "field": field,
                    "old_value": old,
                    "new_value": new,
                    "reason": reason,
                }
            )

        for seed in batch:
            customer_id = self._customer_id(seed.customer)
            if customer_id is None:
                customer_id = new_id(Customer)
                self._add_customer(rows, customer_id, seed.customer, seed.created_at, new_id)
                change("customer", customer_id, seed.created_at)
                counts.customers += 1
            ticket_id = new_id(Ticket)
            version = 1
            audit(ticket_id, 1, seed.created_at, "create", None, new=seed.subject)
            last_at: datetime | None = None
            last_customer_at: datetime | None = None
            first_response_at: datetime | None = None
            preview = ""
            for position, message in enumerate(seed.messages):
                message_id = new_id(Message)
                if position:
                    version += 1
                author_agent = self._agents.get(message.author_agent_email or "")
                state = None
                if message.direction is Direction.OUTBOUND:
                    state = (message.delivery_state or DeliveryState.SENT).value
                    if first_response_at is None:
                        first_response_at = message.at
                    if state != DeliveryState.SENT:
                        rows[OutboxItem].append(
                            {
                                "message_id": message_id,
                                "state": state,
                                "attempts": 0,
                                "next_attempt_at": message.at,
                                "created_at": message.at,
                                "last_error": "550 mailbox unavailable"
                                if state == "failed"
                                else None,
                            }
                        )
                rows[Message].append(
                    {
                        "id": message_id,
                        "ticket_id": ticket_id,
                        "direction": message.direction.value,
                        "author_agent_id": author_agent,
                        "author_customer_id": customer_id
                        if message.direction is Direction.INBOUND
                        else None,
                        "subject": message.subject or seed.subject,
                        "body_text": message.body,
                        "body_html": None,
                        "message_id": message.message_id or make_msgid(domain="demo.invalid"),
                        "in_reply_to": None,
                        "references": None,
                        "created_at": message.at,
                        "delivery_state": state,
                        "delivery_error": "550 mailbox unavailable" if state == "failed" else None,
                    }
                )
                audit(
                    ticket_id,
                    version,
                    message.at,
                    message.direction.value,
                    author_agent,
                    entity="message",
                    entity_id=message_id,
                )
                last_at, preview = message.at, message.body
                if message.direction is Direction.INBOUND:
                    last_customer_at = message.at
            for event in seed.events:
                version += 1
                audit(
                    ticket_id,
                    version,
                    event.at,
                    "update",
                    self._agents.get(event.actor_email or ""),
                    field=event.field,
                    old=self._shown(event.field, event.old),
                    new=self._shown(event.field, event.new),
                    reason=event.reason,
                )
            solved_at = seed.solved_at
            if solved_at is None and seed.status in (Status.SOLVED, Status.CLOSED):
                solved_at = last_at or seed.created_at
            updated_at = max(
                [seed.created_at, *(m.at for m in seed.messages), *(e.at for e in seed.events)]
                + ([solved_at] if solved_at else [])
            )
            rows[Ticket].append(
                {
                    "id": ticket_id,
                    "subject": seed.subject,
                    "subject_key": normalise_subject(seed.subject)[:500],
                    "status": seed.status.value,
                    "priority": seed.priority.value,
                    "channel": seed.channel.value,
                    "department_id": self._departments.get(seed.department or ""),
                    "assignee_id": self._agents.get(seed.assignee_email or ""),
                    "customer_id": customer_id,
                    "created_at": seed.created_at,
                    "updated_at": updated_at,
                    "first_response_at": first_response_at,
                    "solved_at": solved_at,
                    "last_message_at": last_at,
                    "last_customer_message_at": last_customer_at,
                    "preview": preview_of(preview),
                    "message_count": len(seed.messages),
                    "version": version,
                    "first_response_due_at": None,
                    "next_response_due_at": None,
                    "resolution_due_at": None,
                    "sla_due_at": None,
                }
            )
            rows[TicketSearch].append(
                {
                    "ticket_id": ticket_id,
                    "body": search.ticket_document(
                        seed.subject,
                        self._customer_parts[customer_id],
                        (message.body for message in seed.messages),
                    ),
                }
            )
            change("ticket", ticket_id, seed.created_at)
            counts.tickets += 1
            counts.messages += len(seed.messages)

        # Parents before children, so foreign keys hold at every statement.
        for model in (
            Customer,
            CustomerIdentity,
            Ticket,
            Message,
            OutboxItem,
            TicketSearch,
            AuditEvent,
            ChangeLogEntry,
        ):
            if rows[model]:
                insert_rows(session, model.__table__, rows[model])  # type: ignore[attr-defined]
        search.index_loaded_tickets(session, [row["ticket_id"] for row in rows[TicketSearch]])
        if postgres:
            for model in _ID_TABLES:
                column = "seq" if model is ChangeLogEntry else "id"
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{model.__tablename__}', "
                        f"'{column}'), (SELECT max({column}) FROM {model.__tablename__}))"
                    )
                )
            last_seq = next_id[ChangeLogEntry] - 1
            session.execute(text("SELECT pg_notify('desk_changes', :seq)"), {"seq": str(last_seq)})

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
            self._customer_parts[customer.id] = search.customer_parts(customer)

    def _customer_id(self, customer: SeedCustomer) -> int | None:
        for value in (customer.email, customer.phone):
            if value and value in self._customers:
                return self._customers[value]
        return None

    def _add_customer(
        self,
        rows: dict[type, list[dict[str, Any]]],
        customer_id: int,
        customer: SeedCustomer,
        at: datetime,
        new_id: Any,
    ) -> None:
        rows[Customer].append(
            {
                "id": customer_id,
                "name": customer.name,
                "organisation": customer.organisation,
                "notes": customer.notes,
                "merged_into_id": None,
                "version": 1,
                "created_at": at,
                "updated_at": at,
            }
        )
        identities = [
            (kind, value)
            for kind, value in (
                (IdentityKind.EMAIL, customer.email),
                (IdentityKind.PHONE, customer.phone),
            )
            if value
        ]
        for kind, value in identities:
            rows[CustomerIdentity].append(
                {
                    "id": new_id(CustomerIdentity),
                    "customer_id": customer_id,
                    "kind": kind.value,
                    "value": value,
                }
            )
            self._customers[value] = customer_id
        self._customer_parts[customer_id] = [
            customer.name,
            customer.organisation,
            *(value for _, value in identities),
        ]
