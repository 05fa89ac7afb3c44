"""Plain, immutable results handed to the CLI and the UI. No ORM objects cross this line, so
callers can use them on any thread after the session is gone."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from desk_app.core.reply_route import NoRoute

if TYPE_CHECKING:
    from desk_app.store.models import Agent


def to_json(value: Any) -> Any:
    """Records as JSON-ready dicts: datetimes as ISO 8601 with offset."""
    if hasattr(value, "__dataclass_fields__"):
        return {key: to_json(item) for key, item in asdict(value).items()}
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class OpResult:
    """What a command changed: the ticket it touched, its new version, the rows it created.
    The UI refreshes exactly these instead of reloading everything."""

    ticket_id: int | None = None
    version: int | None = None
    message_id: int | None = None
    customer_id: int | None = None
    change_seq: int | None = None


@dataclass(frozen=True)
class DepartmentRecord:
    id: int
    name: str


@dataclass(frozen=True)
class AgentRecord:
    id: int
    display_name: str
    email: str
    role: str
    time_zone: str
    is_active: bool
    departments: list[str] = field(default_factory=list)
    available: bool = True
    db_user: str | None = None
    personal_email: str | None = None

    @staticmethod
    def of(agent: Agent) -> AgentRecord:
        return AgentRecord(
            id=agent.id,
            display_name=agent.display_name,
            email=agent.email,
            role=agent.role,
            time_zone=agent.time_zone,
            is_active=agent.is_active,
            departments=[d.name for d in agent.departments],
            available=agent.available,
            db_user=agent.db_user,
            personal_email=agent.personal_email,
        )


@dataclass(frozen=True, slots=True)
class TicketRow:
    """One inbox line."""

    id: int
    subject: str
    preview: str
    status: str
    priority: str
    channel: str
    department: str | None
    assignee: str | None
    customer: str
    customer_email: str | None
    created_at: datetime
    updated_at: datetime
    sla_due_at: datetime | None
    message_count: int
    version: int
    # The customer wrote since the viewing agent last opened the ticket (or never opened it).
    unread: bool = False
    # The countdown: sla_due_at's target started here (for the traffic light); while every
    # clock is paused sla_due_at is None and this many seconds of the nearest target are left.
    sla_started_at: datetime | None = None
    sla_paused_remaining_s: int | None = None


@dataclass(frozen=True)
class SearchPage:
    """One page of search results and where the next one starts (None: this was the last)."""

    rows: list[TicketRow]
    next_before: int | None


@dataclass(frozen=True)
class AttachmentRecord:
    id: int
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class MessageRecord:
    id: int
    direction: str
    author: str
    subject: str
    body_text: str
    body_html: str | None
    created_at: datetime
    message_id: str | None
    in_reply_to: str | None
    delivery_state: str | None
    delivery_error: str | None
    attachments: list[AttachmentRecord]
    # What could not be read of an incoming e-mail (its sender's address, its date, a part),
    # one line each, as plain text from the mail parser.
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    actor: str | None
    action: str
    field: str | None
    old_value: str | None
    new_value: str | None
    reason: str | None
    ticket_version: int | None


@dataclass(frozen=True)
class CustomerRecord:
    id: int
    name: str
    organisation: str
    notes: str
    emails: list[str]
    phones: list[str]
    version: int
    merged_into_id: int | None
    tags: tuple[str, ...] = ()
    language: str | None = None


@dataclass(frozen=True)
class SlaTargetRecord:
    """One SLA target of a ticket as of its last recompute."""

    kind: str  # first_response | next_response | resolution
    state: str  # running | paused | met | breached | not_applicable
    started_at: datetime | None
    due_at: datetime | None
    met_at: datetime | None
    breached_at: datetime | None
    remaining_s: int | None  # while paused


@dataclass(frozen=True)
class TicketDetail:
    id: int
    subject: str
    status: str
    priority: str
    channel: str
    department_id: int | None
    department: str | None
    assignee_id: int | None
    assignee: str | None
    customer: CustomerRecord
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    first_response_due_at: datetime | None
    next_response_due_at: datetime | None
    resolution_due_at: datetime | None
    sla_due_at: datetime | None
    version: int
    messages: list[MessageRecord]
    audit: list[AuditRecord]
    sla_policy: str | None = None
    sla_targets: list[SlaTargetRecord] = field(default_factory=list)
    # Why a reply on this ticket cannot be sent (None: it can), for a warning before Send.
    reply_route: NoRoute | None = None


@dataclass(frozen=True)
class DraftRecord:
    ticket_id: int
    kind: str
    body: str
    updated_at: datetime


@dataclass(frozen=True)
class AccountRecord:
    """A mail account and how it is doing, for people (app status, `desk account list`)."""

    id: int
    name: str
    address: str
    username: str
    imap_host: str
    imap_port: int
    smtp_host: str
    smtp_port: int
    security: str
    folder: str
    after_import: str
    department: str | None
    is_active: bool
    last_sync_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    queued: int = 0
    failed: int = 0
