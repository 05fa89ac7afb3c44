"""The schema, as typed SQLAlchemy models. Alembic migrations create and change it; nothing else.

Denormalised columns (ticket preview, last message time) exist because the inbox lists 100,000
tickets and must not join messages to draw a page; the service layer keeps them in step.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from desk_app.store.types import UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite's INTEGER PRIMARY KEY is its rowid; BigInteger would lose that, so use it only on PG.
BigId = BigInteger().with_variant(Integer(), "sqlite")

# Unsolved statuses, written out for partial indexes: SQLite uses a partial index only when the
# query repeats the index's WHERE term exactly, so queries use this very text (see queries.py).
UNSOLVED_SQL = "status IN ('new', 'open', 'pending', 'on_hold')"
PENDING_SQL = "status = 'pending'"
SOLVED_SQL = "status = 'solved'"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AgentDepartment(Base):
    __tablename__ = "agent_departments"

    agent_id: Mapped[int] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Agent(Base):
    __tablename__ = "agents"
    # A unique index, not a constraint: migration 0008 adds it to a live table with plain DDL.
    __table_args__ = (Index("uq_agents_db_user", "db_user", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(16), default="agent")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Appended by templates ({{ agent.signature }}); plain text.
    signature: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The signature for other languages, a JSON object {"ja": "...", "ru": "..."}: a Japanese
    # template ends in the agent's Japanese sign-off; `signature` serves the rest.
    signatures: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The agent's own "I am away" switch: routing and the reassignment dialog skip them.
    available: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # On PostgreSQL each agent signs in with their own database role; this maps it back.
    db_user: Mapped[str | None] = mapped_column(String(63))
    # Where pages go when they are on call and away from the desk (their phone's mail).
    personal_email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    departments: Mapped[list[Department]] = relationship(
        secondary="agent_departments", lazy="selectin", order_by="Department.name"
    )


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    organisation: Mapped[str] = mapped_column(String(300), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # The language we write to them in ("en", "ja", "ru"...); None: not known yet.
    language: Mapped[str | None] = mapped_column(String(16))
    # Space-separated, case-folded ("vip partner"): SLA policies and routing rules match on them.
    tags: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # A merged customer stays as a tombstone pointing at the survivor, so old references resolve.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    identities: Mapped[list[CustomerIdentity]] = relationship(
        back_populates="customer", lazy="selectin", order_by="CustomerIdentity.id"
    )


class CustomerIdentity(Base):
    __tablename__ = "customer_identities"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[str] = mapped_column(String(320))

    customer: Mapped[Customer] = relationship(back_populates="identities")


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        # One partial index per inbox view, each ordered the way the view is shown; id is the
        # tie-breaker of every view's ORDER BY, so it is part of each index too.
        Index(
            "ix_tickets_unsolved_updated",
            "updated_at",
            "id",
            sqlite_where=text(UNSOLVED_SQL),
            postgresql_where=text(UNSOLVED_SQL),
        ),
        Index(
            "ix_tickets_unsolved_assignee",
            "assignee_id",
            "updated_at",
            "id",
            sqlite_where=text(UNSOLVED_SQL),
            postgresql_where=text(UNSOLVED_SQL),
        ),
        Index(
            "ix_tickets_unsolved_department",
            "department_id",
            "updated_at",
            "id",
            sqlite_where=text(UNSOLVED_SQL),
            postgresql_where=text(UNSOLVED_SQL),
        ),
        Index(
            "ix_tickets_unsolved_sla_due",
            "sla_due_at",
            "id",
            sqlite_where=text(UNSOLVED_SQL),
            postgresql_where=text(UNSOLVED_SQL),
        ),
        # No index leads with status: SQLite would probe it once per unsolved status instead of
        # using the partial index that answers the view.
        Index(
            "ix_tickets_pending_updated",
            "updated_at",
            "id",
            sqlite_where=text(PENDING_SQL),
            postgresql_where=text(PENDING_SQL),
        ),
        Index(
            "ix_tickets_solved_solved_at",
            "solved_at",
            "id",
            sqlite_where=text(SOLVED_SQL),
            postgresql_where=text(SOLVED_SQL),
        ),
        Index("ix_tickets_customer_updated", "customer_id", "updated_at", "id"),
        # The workload board's "new today".
        Index("ix_tickets_created_at", "created_at"),
        # Mail threading's fallback: the same customer writing with the same subject.
        Index("ix_tickets_customer_subject_key", "customer_id", "subject_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    solved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_customer_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    preview: Mapped[str] = mapped_column(String(200), default="")
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    # Filled by the SLA engine; sla_due_at is the earliest active target, for sorting and views.
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped by every change; commands that carry an expected version refuse stale writes.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The subject without Re:/Fwd:/[tags], case-folded: what a customer's reply keeps.
    subject_key: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # The mailbox the conversation runs through: replies are sent from its address.
    mail_account_id: Mapped[int | None] = mapped_column(ForeignKey("mail_accounts.id"))
    # A customer wrote to a closed ticket: this ticket continues it.
    follow_up_of_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    # The SLA policy that matched at the last recompute (None: no policy applies).
    sla_policy: Mapped[str | None] = mapped_column(String(120))
    # For the countdown's traffic light: when the target behind sla_due_at started; and, while
    # every clock is paused, how much of the nearest target is left.
    sla_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_paused_remaining_s: Mapped[int | None] = mapped_column(Integer)
    # Space-separated, case-folded; set by agents and routing rules.
    tags: Mapped[str] = mapped_column(String(500), default="", server_default="")

    department: Mapped[Department | None] = relationship(lazy="joined")
    assignee: Mapped[Agent | None] = relationship(lazy="joined")
    customer: Mapped[Customer] = relationship(lazy="joined")


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_ticket_created", "ticket_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(16))
    author_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    author_customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    subject: Mapped[str] = mapped_column(String(500), default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # For outbound mail only: queued -> sending -> sent | failed (with the server's reason).
    delivery_state: Mapped[str | None] = mapped_column(String(16))
    delivery_error: Mapped[str | None] = mapped_column(Text)
    # Inbound mail: why it joined this ticket ("in-reply-to <id>", "subject", "new ticket").
    match_reason: Mapped[str | None] = mapped_column(String(200))
    # Plain-language problems met while reading it (undecodable part, dropped attachment...).
    warnings: Mapped[str | None] = mapped_column(Text)
    # auto_reply | bounce | bulk: mail that must never trigger our own automatic replies.
    auto_kind: Mapped[str | None] = mapped_column(String(16))

    attachments: Mapped[list[Attachment]] = relationship(lazy="selectin")


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    content_id: Mapped[str | None] = mapped_column(String(255))
    # Stored in the database so every desktop of a team can open it without a shared disk.
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class OutboxItem(Base):
    """A reply waiting for the worker to send it. The message row holds the content."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), unique=True
    )
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When a worker took it for sending; a send that stalls past a limit is retried.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The first attempt of this round of sending (cleared by the agent's retry): temporary
    # failures are retried until outbox_retry_hours after it, then the reply fails.
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TicketRead(Base):
    """When an agent last looked at a ticket: a customer message after that is unread."""

    __tablename__ = "ticket_reads"

    agent_id: Mapped[int] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    read_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Draft(Base):
    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("ticket_id", "agent_id", "kind"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEvent(Base):
    """Who did what, from what to what, and why. Ticket events carry the version they produced."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_ticket", "ticket_id", "id"),
        Index("ix_audit_events_entity", "entity", "entity_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    ticket_id: Mapped[int | None] = mapped_column(BigInteger)
    ticket_version: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    field: Mapped[str | None] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)


class ChangeLogEntry(Base):
    """Every committed change, in order. Desktops read it after their cursor to stay in sync."""

    __tablename__ = "change_log"
    __table_args__ = ({"sqlite_autoincrement": True},)

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    op: Mapped[str] = mapped_column(String(16))
    actor_agent_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # PostgreSQL only: the writing transaction's id. Sequence numbers are handed out before
    # commit, so readers use transaction ids to know when a gap can no longer be filled.
    txid: Mapped[int | None] = mapped_column(BigInteger, index=True)


class TicketSearch(Base):
    """A ticket's searchable text: subject, customer and every message, normalised.

    One document per ticket, so every typed word may match a different part of the ticket
    ("anna refund" finds Anna's ticket about a refund). The index lives beside it: an FTS5 table
    on SQLite, a stored tsvector with a GIN index on PostgreSQL, both created by the migration.
    """

    __tablename__ = "ticket_search"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    body: Mapped[str] = mapped_column(Text)


class MailAccount(Base):
    """A mailbox Desk reads (IMAP) and sends from (SMTP). The password is in the OS keyring."""

    __tablename__ = "mail_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    address: Mapped[str] = mapped_column(String(320))
    username: Mapped[str] = mapped_column(String(320))
    imap_host: Mapped[str] = mapped_column(String(255))
    imap_port: Mapped[int] = mapped_column(Integer)
    smtp_host: Mapped[str] = mapped_column(String(255))
    smtp_port: Mapped[int] = mapped_column(Integer)
    security: Mapped[str] = mapped_column(String(16))  # ssl | starttls | none
    folder: Mapped[str] = mapped_column(String(255), default="INBOX")
    after_import: Mapped[str] = mapped_column(String(300), default="keep")  # keep|seen|move:F
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MailFolderState(Base):
    """How far ingest got in one folder: UIDs are only meaningful under one UIDVALIDITY."""

    __tablename__ = "mail_folder_states"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("mail_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    folder: Mapped[str] = mapped_column(String(255), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)


class RawMail(Base):
    """Every fetched e-mail exactly as it arrived, kept even when it could not be parsed."""

    __tablename__ = "raw_mails"
    __table_args__ = (UniqueConstraint("account_id", "folder", "uidvalidity", "uid"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("mail_accounts.id", ondelete="CASCADE"))
    folder: Mapped[str] = mapped_column(String(255))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    header_message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    # core.mail_identity.fingerprint of the content: copies of one e-mail share it (NULL only
    # for a row whose content the 0009 backfill could not read).
    fingerprint: Mapped[str | None] = mapped_column(String(64), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    parse_failed: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class Lease(Base):
    """Who works a shared job (an account's mail) until when. Renewed while alive, so a dead
    worker's job is taken over once its lease runs out."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SlaCalendar(Base):
    """A business calendar, stored as the JSON core.calendar.BusinessCalendar.to_dict() gives."""

    __tablename__ = "sla_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    definition: Mapped[str] = mapped_column(Text)


class SlaPolicyRow(Base):
    """An SLA policy (core.sla.SlaPolicy.to_dict() as JSON); lower position matches first."""

    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    definition: Mapped[str] = mapped_column(Text)


class SlaTarget(Base):
    """Each target of a ticket as of its last recompute, for reports (met in time, breached)."""

    __tablename__ = "sla_targets"
    __table_args__ = (Index("ix_sla_targets_kind_started", "kind", "started_at"),)

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # While paused: how much of the target is left (the clock resumes with exactly this).
    remaining_s: Mapped[int | None] = mapped_column(Integer)


class SlaBreach(Base):
    """A target that missed its due time: a fact, kept whatever happens to the ticket later.

    sla_targets is the ticket's live state and is recomputed from its history whenever rules,
    department or priority change; this table is only ever added to, and a row's met_at set
    once the target is met. One row per ticket, target kind and due time: a recompute that
    finds the same breach again adds nothing, and a breach under another policy (the ticket
    moved) with another due time is another row. department_id and assignee_id say who had
    the ticket when the breach was recorded (the compliance report counts it there)."""

    __tablename__ = "sla_breaches"
    __table_args__ = (
        UniqueConstraint("ticket_id", "kind", "due_at"),
        Index("ix_sla_breaches_kind_started", "kind", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    policy: Mapped[str] = mapped_column(String(120))
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL")
    )
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))


class TeamSetting(Base):
    """A setting shared by the whole team (company name, help-centre address...), as JSON text."""

    __tablename__ = "team_settings"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Template(Base):
    """A reusable answer. Scope says who sees it: everyone, one department, or its owner only."""

    __tablename__ = "templates"
    __table_args__ = (Index("ix_templates_scope", "scope", "department_id", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # Optional rich body (sanitised HTML); the plain body is always there for text mail.
    body_html: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(16), default="en")
    # Space-separated, lower case.
    tags: Mapped[str] = mapped_column(String(500), default="")
    scope: Mapped[str] = mapped_column(String(16), default="everyone")
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE")
    )
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    shortcut: Mapped[str | None] = mapped_column(String(64), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TemplateFavourite(Base):
    __tablename__ = "template_favourites"

    agent_id: Mapped[int] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    template_id: Mapped[int] = mapped_column(
        ForeignKey("templates.id", ondelete="CASCADE"), primary_key=True
    )


class TemplateUse(Base):
    """A template was sent in a reply: the raw facts behind its effectiveness figures."""

    __tablename__ = "template_uses"
    __table_args__ = (
        Index("ix_template_uses_template", "template_id", "used_at"),
        Index("ix_template_uses_ticket", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("templates.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    used_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SlaEscalation(Base):
    """An escalation the worker carried out: one per ticket, target and due time, so it runs
    once even when several workers see the same breach."""

    __tablename__ = "sla_escalations"
    __table_args__ = (UniqueConstraint("ticket_id", "kind", "due_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # What was done, as JSON: raised priority, notified leads, moved department.
    actions: Mapped[str] = mapped_column(Text, default="")


class Presence(Base):
    """What one desktop's agent is doing now. Refreshed every 10 s; stale after expires_at."""

    __tablename__ = "presence"
    __table_args__ = (Index("ix_presence_ticket", "ticket_id"),)

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    # "viewing" or "replying"; None: the app is open on no ticket.
    activity: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RoutingRuleRow(Base):
    """A routing rule (core.routing.RoutingRule.to_dict() as JSON); lower position first."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    definition: Mapped[str] = mapped_column(Text)
    # The department whose lead may edit it; None: team-wide (admins and leads).
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE")
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OncallRotation(Base):
    """An on-call rotation (core.oncall.Rotation.to_dict() as JSON)."""

    __tablename__ = "oncall_rotations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE")
    )
    definition: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OncallOverride(Base):
    """Someone covers (part of) a shift; audited like every other change."""

    __tablename__ = "oncall_overrides"
    __table_args__ = (Index("ix_oncall_overrides_rotation_ends", "rotation_id", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rotation_id: Mapped[int] = mapped_column(ForeignKey("oncall_rotations.id", ondelete="CASCADE"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    covers_agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL")
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Notification(Base):
    """Something an agent (or everyone in a department) should see: a ticket moved to them,
    a page while on call. The desktop shows unread ones as they arrive."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_agent", "agent_id", "read_at"),
        Index("ix_notifications_department", "department_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE")
    )
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Page(Base):
    """An urgent after-hours ticket paging the person on call, repeated until acknowledged and
    escalated along the rotation when nobody answers. One per ticket."""

    __tablename__ = "pages"
    __table_args__ = (Index("ix_pages_open", "acknowledged_at", "next_send_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), unique=True
    )
    rotation_id: Mapped[int | None] = mapped_column(
        ForeignKey("oncall_rotations.id", ondelete="SET NULL")
    )
    # Who is being paged now; step counts escalations along the rotation (0: the one on call).
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    step: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sends: Mapped[int] = mapped_column(Integer, default=0)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_send_at: Mapped[datetime] = mapped_column(UTCDateTime())
    escalate_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL")
    )


class AutoReply(Base):
    """An automatic answer we sent (the after-hours acknowledgement): one per ticket and kind,
    and the record behind "at most one per customer per window"."""

    __tablename__ = "auto_replies"
    __table_args__ = (
        UniqueConstraint("ticket_id", "kind"),
        Index("ix_auto_replies_customer", "customer_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(320))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
