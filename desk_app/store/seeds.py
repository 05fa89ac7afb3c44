"""Plain descriptions of data to load in bulk (demo data, benchmarks, imports).

They say what happened, in the domain's words; store.bulk turns them into rows with the same
denormalised columns, search documents, audit and change-log rows the service layer writes.
Tickets, messages and events are slotted, not frozen: a benchmark makes over a million of them,
and a frozen dataclass pays for object.__setattr__ on every field. Nothing mutates them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from desk_app.core.enums import Channel, DeliveryState, Direction, Priority, Role, Status


@dataclass(frozen=True, slots=True)
class SeedAgent:
    display_name: str
    email: str
    role: Role = Role.AGENT
    departments: tuple[str, ...] = ()
    time_zone: str = "UTC"


@dataclass(frozen=True, slots=True)
class SeedCustomer:
    name: str
    email: str | None = None
    phone: str | None = None  # E.164
    organisation: str = ""
    notes: str = ""


@dataclass(slots=True)
class SeedMessage:
    direction: Direction
    body: str
    at: datetime
    author_agent_email: str | None = None  # outbound and notes
    subject: str = ""
    message_id: str | None = None
    delivery_state: DeliveryState | None = None  # outbound only; default sent


@dataclass(slots=True)
class SeedEvent:
    """A past change to the ticket, for the audit trail (reassignments, status changes)."""

    at: datetime
    field: str  # "department", "assignee", "status", "priority"
    old: str | None
    new: str | None
    actor_email: str | None = None
    reason: str | None = None


@dataclass(slots=True)
class SeedTicket:
    subject: str
    customer: SeedCustomer
    status: Status
    priority: Priority
    channel: Channel
    created_at: datetime
    department: str | None = None
    assignee_email: str | None = None
    messages: tuple[SeedMessage, ...] = ()
    events: tuple[SeedEvent, ...] = ()
    solved_at: datetime | None = None


@dataclass
class SeedCounts:
    tickets: int = 0
    messages: int = 0
    customers: int = 0
    extra: dict[str, int] = field(default_factory=dict)
