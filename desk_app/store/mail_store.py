"""The mail side of the service layer: accounts, ingest, the outbox and leases.

Ingest stores each e-mail with everything it entails in the same transaction as its folder
position: the raw bytes, the parsed message, the customer and the threading decision. One
e-mail per transaction (ingest) or a group of them (ingest_many, which the worker uses for
throughput: one commit per group), so a crash at any point repeats work but never loses or
duplicates a ticket message. Dedupe is on (account, folder, UIDVALIDITY, UID) and on the
e-mail's identity: the same Message-ID (or, for mail without one, the content key) and the same
content, transport headers aside (core.mail_identity). A known Message-ID on other content is
another e-mail, stored as such and noted in the log. The worker flags or moves the message on
the server only after this commits.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    bindparam,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, lazyload, make_transient_to_detached

from desk_app.core.after_hours import DEFAULT_OUTBOX_RETRY_HOURS, OUTBOX_RETRY_HOURS
from desk_app.core.enums import (
    Channel,
    DeliveryState,
    Direction,
    IdentityKind,
    Priority,
    Status,
)
from desk_app.core.errors import ConflictError, InvalidInput, NotFound
from desk_app.core.identities import normalise_email
from desk_app.core.mail_identity import CONTENT_KEY_PREFIX, fingerprint
from desk_app.core.permissions import Permission
from desk_app.core.text import preview_of
from desk_app.core.threading_rules import normalise_message_id, normalise_subject
from desk_app.store import search, sla_store
from desk_app.store.command_base import MAX_SUBJECT
from desk_app.store.customer_commands import first_email
from desk_app.store.fast_rows import Prepared
from desk_app.store.journal import Journal
from desk_app.store.models import (
    Attachment,
    Customer,
    CustomerIdentity,
    Department,
    Lease,
    MailAccount,
    MailFolderState,
    Message,
    OutboxItem,
    RawMail,
    Ticket,
)
from desk_app.store.oncall_settings import stored_values
from desk_app.store.previews import preview_after_message
from desk_app.store.records import AccountRecord
from desk_app.store.routing_store import route_new_mail
from desk_app.store.service import NewAttachment, Service
from desk_app.store.types import UTCDateTime

log = logging.getLogger(__name__)

SECURITY = ("ssl", "starttls", "none")
MAX_PORT = 65535
# A solved ticket takes a customer's reply (and reopens) for this long; after that, or once
# closed, a reply starts a follow-up ticket.
REOPEN_WINDOW = timedelta(days=14)
# The placeholder customer that every unreadable sender shared before issue 14; kept so that
# replies on those old tickets still fail with the reason.
UNKNOWN_SENDER = "unknown-sender@invalid.invalid"
MAX_CUSTOMER_NAME = 300  # customers.name
MAX_IDENTITY = 320  # customer_identities.value


def raw_from_identity(header: str) -> str:
    """The RAW_FROM identity value of an unreadable From header: the header itself, or when
    it is too long for the column, its start and a hash of all of it (so two long headers
    that differ only at the end stay two senders)."""
    if len(header) <= MAX_IDENTITY:
        return header
    digest = hashlib.sha256(header.encode("utf-8", "replace")).hexdigest()[:32]
    return f"{header[: MAX_IDENTITY - 34]}… {digest}"


@dataclass(frozen=True)
class InboundMail:
    """A parsed e-mail, as the mail layer hands it to the store."""

    raw: bytes
    message_id: str | None
    in_reply_to: str | None
    references: Sequence[str]
    subject: str
    from_name: str
    from_address: str | None
    date: datetime | None
    text: str
    html: str | None
    attachments: Sequence[NewAttachment] = ()
    auto_kind: str | None = None
    bounced_message_id: str | None = None
    warnings: Sequence[str] = ()
    failed: bool = False
    # search.message_words(text), when worked out beforehand (off the write path, with the
    # parsing); None: the store works it out.
    search_words: str | None = None
    # The From header as text (parse.ParsedMessage.from_header): who the sender is when
    # from_address could not be read.
    from_header: str = ""
    # core.mail_identity.fingerprint(raw), when worked out beforehand (like search_words);
    # None: the store works it out.
    fingerprint: str | None = None


@dataclass(frozen=True)
class _Sender:
    """The customer an e-mail is from, as ingest needs them (no ORM object to load)."""

    id: int
    tags: str
    search_parts: tuple[str, ...]  # search.customer_parts: name, organisation, identities


@dataclass(frozen=True)
class IngestResult:
    outcome: str  # new_ticket | threaded | follow_up | bounce_note | duplicate
    ticket_id: int | None
    message_id: int | None
    reason: str


@dataclass(frozen=True)
class Settlement:
    """What became of one claimed reply: sent, queued again for a retry, or failed."""

    outbox_id: int
    message_row_id: int
    ticket_id: int
    state: DeliveryState
    error: str | None = None
    next_attempt_at: datetime | None = None  # for a retry


@dataclass(frozen=True)
class OutgoingMail:
    """Everything the sender needs for one queued reply, read in the claiming transaction."""

    outbox_id: int
    message_row_id: int
    ticket_id: int
    account_id: int
    from_address: str
    from_name: str
    to_address: str
    subject: str
    body_text: str
    body_html: str | None
    message_id: str
    in_reply_to: str | None
    references: str | None
    attempts: int
    attachments: list[NewAttachment] = field(default_factory=list)
    # When this round of sending began: temporary failures are retried until the team's
    # outbox_retry_hours after it (None only for mail built outside claim_outgoing).
    first_attempt_at: datetime | None = None
    # An automatic answer (the after-hours acknowledgement): sent with Auto-Submitted, so
    # the customer's own autoresponder does not answer it and start a loop.
    auto_submitted: bool = False


# --- ingest's lookups, built once ---------------------------------------------------------
# Ingest runs these for every e-mail. Built once on the tables, compiled once per database and
# run with exec_driver_sql (fast_rows.Prepared), they cost a fraction of the ORM's select() and
# of a Core execution per call.
_raw = RawMail.__table__.c
_messages = Message.__table__.c
_tickets = Ticket.__table__.c
_folders = MailFolderState.__table__.c
_UID_STORED = Prepared(
    select(_raw.id, _raw.message_id).where(
        _raw.account_id == bindparam("account_id"),
        _raw.folder == bindparam("folder"),
        _raw.uidvalidity == bindparam("uidvalidity"),
        _raw.uid == bindparam("uid"),
    )
)
# What ingest knows of an e-mail's identity, in one statement of two index probes: the message
# of the first stored copy with this very content (transport headers aside; the Message-ID, or
# content key, must match too, which the fingerprint implies for real mail), flagged 1; and any
# inbound message with this Message-ID, flagged 0: a sender reusing Message-IDs, worth a line
# in the log when the content differs.
_SAME_CONTENT = (
    select(_messages.id, _messages.ticket_id, literal(1).label("same_content"))
    .select_from(RawMail.__table__)
    .join(Message.__table__, _raw.message_id == _messages.id)
    .where(_raw.fingerprint == bindparam("fingerprint"), _raw.header_message_id == bindparam("key"))
    .order_by(_raw.id)
    .limit(1)
    .subquery()
)
_SAME_MESSAGE_ID = (
    select(_messages.id, _messages.ticket_id, literal(0).label("same_content"))
    .where(_messages.message_id == bindparam("key"), _messages.direction == Direction.INBOUND.value)
    .limit(1)
    .subquery()
)
_KNOWN_MAIL = Prepared(union_all(select(_SAME_CONTENT), select(_SAME_MESSAGE_ID)))
_ADVANCE_FOLDER = Prepared(
    update(cast(Table, MailFolderState.__table__))
    .where(
        _folders.account_id == bindparam("f_account"),
        _folders.folder == bindparam("f_folder"),
        _folders.uidvalidity == bindparam("f_validity"),
        _folders.last_uid < bindparam("f_uid"),
    )
    .values(last_uid=bindparam("f_new_uid"))
)
_INSERT_RAW = Prepared(
    insert(RawMail),
    (
        "account_id",
        "folder",
        "uidvalidity",
        "uid",
        "header_message_id",
        "fingerprint",
        "parse_failed",
        "received_at",
        "content",
        "message_id",
    ),
)
_INSERT_MESSAGE = Prepared(
    insert(Message).returning(Message.id),
    (
        "ticket_id",
        "direction",
        "author_agent_id",
        "author_customer_id",
        "subject",
        "body_text",
        "body_html",
        "message_id",
        "in_reply_to",
        "references",
        "created_at",
        "match_reason",
        "warnings",
        "auto_kind",
    ),
)
_INSERT_ATTACHMENT = Prepared(
    insert(Attachment),
    ("message_id", "filename", "content_type", "size", "content_id", "content"),
)
_TICKET_COLUMNS = (
    "subject",
    "subject_key",
    "status",
    "priority",
    "channel",
    "department_id",
    "assignee_id",
    "customer_id",
    "created_at",
    "updated_at",
    "first_response_at",
    "solved_at",
    "last_message_at",
    "last_customer_message_at",
    "preview",
    "message_count",
    "first_response_due_at",
    "next_response_due_at",
    "resolution_due_at",
    "sla_due_at",
    "version",
    "mail_account_id",
    "follow_up_of_id",
    "sla_policy",
    "sla_started_at",
    "sla_paused_remaining_s",
    "tags",
)
_INSERT_TICKET = Prepared(insert(Ticket).returning(Ticket.id), _TICKET_COLUMNS)
_INSERT_CUSTOMER = Prepared(
    insert(Customer).returning(Customer.id),
    (
        "name",
        "organisation",
        "notes",
        "language",
        "tags",
        "merged_into_id",
        "version",
        "created_at",
        "updated_at",
    ),
)
_INSERT_IDENTITY = Prepared(insert(CustomerIdentity), ("customer_id", "kind", "value"))
_identities = CustomerIdentity.__table__
_address = _identities.alias("address")
_listed = _identities.alias("listed")
_customers = Customer.__table__.c
# The customer with this e-mail address, one row per identity of theirs (in the order
# search.customer_parts lists them).
_SENDER = Prepared(
    select(
        _customers.id,
        _customers.name,
        _customers.organisation,
        _customers.tags,
        _listed.c.value,
    )
    .select_from(_address)
    .join(Customer.__table__, _customers.id == _address.c.customer_id)
    .join(_listed, _listed.c.customer_id == _customers.id)
    .where(_address.c.kind == IdentityKind.EMAIL.value, _address.c.value == bindparam("address"))
    .order_by(_listed.c.id)
)
_ACCOUNT_DEPARTMENT = Prepared(
    select(MailAccount.__table__.c.department_id).where(
        MailAccount.__table__.c.id == bindparam("account_id")
    )
)
_outbox = OutboxItem.__table__.c
_OUTBOX_MESSAGE = (
    select(_outbox.message_id, _messages.ticket_id, _outbox.next_attempt_at)
    .join(Message.__table__, _messages.id == _outbox.message_id)
    .where(_outbox.id == bindparam("outbox_id"))
)
_SETTLE_OUTBOX = (
    update(cast(Table, OutboxItem.__table__))
    .where(_outbox.id == bindparam("outbox_id"))
    .values(
        state=bindparam("new_state"),
        last_error=bindparam("error"),
        next_attempt_at=bindparam("next_at"),
    )
)
_SETTLE_MESSAGE = (
    update(cast(Table, Message.__table__))
    .where(_messages.id == bindparam("message_row"))
    .values(delivery_state=bindparam("new_state"), delivery_error=bindparam("error"))
)
# The sender settles the replies the server answered in groups (settle_many): one UPDATE of
# each table per group, keyed by the ids the claim returned.
_SETTLE_OUTBOX_ROWS = Prepared(
    update(cast(Table, OutboxItem.__table__))
    .where(_outbox.id == bindparam("outbox_id"))
    .values(
        state=bindparam("new_state"),
        last_error=bindparam("error"),
        # A retry moves the next attempt; sent and failed keep it as it was.
        next_attempt_at=func.coalesce(
            bindparam("next_at", type_=UTCDateTime()), _outbox.next_attempt_at
        ),
    )
)
_SETTLE_MESSAGE_ROWS = Prepared(_SETTLE_MESSAGE)
_OPEN = [s.value for s in (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)]
_BY_SUBJECT = Prepared(
    select(_tickets.id)
    .where(
        _tickets.customer_id == bindparam("customer_id"),
        _tickets.subject_key == bindparam("key"),
    )
    .where(
        or_(
            # Written out (not an IN list SQLAlchemy expands per execution): constants.
            _tickets.status.in_([literal(status) for status in _OPEN]),
            (_tickets.status == Status.SOLVED.value) & (_tickets.solved_at >= bindparam("since")),
            _tickets.status == Status.CLOSED.value,
        )
    )
    .order_by(_tickets.updated_at.desc())
    .limit(1)
)


# A ticket's department, assignee and customer are loaded with it by default (for the views);
# ingest and the outbox use only its columns.
_NO_RELATIONS = lazyload("*")


def _sending_account_id() -> ColumnElement[int]:
    """In SQL, per outbox row joined to its ticket: the account MailStore._sending_account
    picks (the ticket's own if active, else its department's, else the first active one)."""
    account = aliased(MailAccount)
    active = account.is_active.is_(True)
    own = select(account.id).where(account.id == Ticket.mail_account_id, active)
    department = select(func.min(account.id)).where(
        account.department_id == Ticket.department_id, active
    )
    first = select(func.min(account.id)).where(active)
    return func.coalesce(
        own.scalar_subquery(), department.scalar_subquery(), first.scalar_subquery()
    )


class MailStore(Service):
    # --- accounts ---------------------------------------------------------------------------

    def add_account(
        self,
        name: str,
        *,
        address: str,
        username: str,
        imap_host: str,
        smtp_host: str,
        imap_port: int | None = None,
        smtp_port: int | None = None,
        security: str = "ssl",
        department: str | None = None,
        folder: str = "INBOX",
        after_import: str = "keep",
    ) -> int:
        if security not in SECURITY:
            raise InvalidInput(f"security must be one of {', '.join(SECURITY)}, not '{security}'")
        for port in (imap_port, smtp_port):
            if port is not None and not 1 <= port <= MAX_PORT:
                raise InvalidInput(f"a port must be from 1 to {MAX_PORT}, not {port}")
        if after_import not in ("keep", "seen") and not (
            after_import.startswith("move:") and len(after_import) > 5
        ):
            raise InvalidInput("after-import must be keep, seen or move:FOLDER")
        if not name.strip():
            raise InvalidInput("an account needs a name")
        default_imap = {"ssl": 993, "starttls": 143, "none": 143}[security]
        default_smtp = {"ssl": 465, "starttls": 587, "none": 25}[security]
        with self.db.write() as session:
            self._require(session, Permission.ADMINISTER)
            if session.scalar(select(MailAccount.id).where(MailAccount.name == name)):
                raise ConflictError(f"a mail account named '{name}' already exists")
            journal = self._journal(session)
            account = MailAccount(
                name=name.strip(),
                address=normalise_email(address),
                username=username,
                imap_host=imap_host,
                imap_port=imap_port or default_imap,
                smtp_host=smtp_host,
                smtp_port=smtp_port or default_smtp,
                security=security,
                folder=folder,
                after_import=after_import,
                department_id=self._department(session, department).id if department else None,
                is_active=True,
                created_at=journal.at,
            )
            session.add(account)
            session.flush()
            journal.audit("mail_account", account.id, "create", new=account.address)
            journal.changed("mail_account", account.id, "insert")
            journal.finish()
            return account.id

    def remove_account(self, name: str) -> None:
        """Stop using an account. Its raw mail and tickets stay; it is only deactivated."""
        with self.db.write() as session:
            self._require(session, Permission.ADMINISTER)
            account = self._account(session, name)
            journal = self._journal(session)
            account.is_active = False
            journal.audit("mail_account", account.id, "deactivate", old=account.address)
            journal.changed("mail_account", account.id, "update")
            journal.finish()

    def accounts(self, *, active_only: bool = True) -> list[AccountRecord]:
        with self.db.read() as session:
            query = select(MailAccount).order_by(MailAccount.name)
            if active_only:
                query = query.where(MailAccount.is_active.is_(True))
            return [self._account_record(session, a) for a in session.scalars(query)]

    def account(self, name: str) -> AccountRecord:
        with self.db.read() as session:
            return self._account_record(session, self._account(session, name))

    def record_sync(self, account_id: int, error: str | None = None) -> None:
        """Remember the last successful sync, or the last error in words people understand."""
        with self.db.write() as session:
            account = session.get_one(MailAccount, account_id)
            now = self.clock()
            if error is None:
                account.last_sync_at = now
                account.last_error = None
            else:
                account.last_error = error
                account.last_error_at = now
            Journal(session, None, now).changed("mail_account", account_id, "update")

    # --- ingest -----------------------------------------------------------------------------

    def folder_position(self, account_id: int, folder: str) -> tuple[int | None, int]:
        """(UIDVALIDITY, highest UID stored) for a folder; (None, 0) before the first sync."""
        with self.db.read() as session:
            state = session.get(MailFolderState, (account_id, folder))
            return (state.uidvalidity, state.last_uid) if state else (None, 0)

    def start_folder(self, account_id: int, folder: str, uidvalidity: int) -> None:
        """Begin (again) under a new UIDVALIDITY: every UID is read anew, and Message-ID
        dedupe keeps mail that was already stored from becoming a second ticket message."""
        with self.db.write() as session:
            state = session.get(MailFolderState, (account_id, folder))
            if state is None:
                session.add(
                    MailFolderState(
                        account_id=account_id, folder=folder, uidvalidity=uidvalidity, last_uid=0
                    )
                )
            else:
                state.uidvalidity = uidvalidity
                state.last_uid = 0

    def ingest(
        self, account_id: int, folder: str, uidvalidity: int, uid: int, mail: InboundMail
    ) -> IngestResult:
        # The second try is for a conflict on another unique key: on PostgreSQL another
        # worker may have created the same new customer concurrently; now it is found.
        for last_try in (False, True):
            try:
                with self.db.write() as session:
                    return self._ingest(session, account_id, folder, uidvalidity, uid, mail)
            except IntegrityError:
                # Another worker stored this very UID a moment ago (raw_mails' unique key)?
                # Only then is it a duplicate: unstored mail is never reported as stored.
                if self._uid_stored(account_id, folder, uidvalidity, uid):
                    return IngestResult("duplicate", None, None, "stored by another worker")
                if last_try:
                    raise
        raise AssertionError("not reached: the last try returns or raises")

    def ingest_many(
        self,
        account_id: int,
        folder: str,
        uidvalidity: int,
        mails: Sequence[tuple[int, InboundMail]],
    ) -> Iterator[tuple[int, IngestResult]]:
        """Store a group of e-mails (UID, mail) in ONE transaction and yield each UID with its
        result once the group has committed: the caller may flag or move only what was
        yielded. Inside the group each e-mail sees the ones before it as if they had been
        committed (the same dedupe, the same Message-ID rules, replies thread on them).

        If the group fails (another worker's row on a unique key, an e-mail the store cannot
        take), nothing of it is kept and its e-mails are stored one by one with ingest(), each
        yielded as it commits, up to one that fails again, which raises as ingest() does."""
        if len(mails) > 1:
            try:
                results = self._ingest_group(account_id, folder, uidvalidity, mails)
            except Exception as exc:  # the one-by-one path below reports it, if it fails again
                log.info("a group of %d e-mails is stored one by one: %s", len(mails), exc)
            else:
                yield from results
                return
        for uid, mail in mails:
            yield uid, self.ingest(account_id, folder, uidvalidity, uid, mail)

    def _ingest_group(
        self,
        account_id: int,
        folder: str,
        uidvalidity: int,
        mails: Sequence[tuple[int, InboundMail]],
    ) -> list[tuple[int, IngestResult]]:
        results: list[tuple[int, IngestResult]] = []
        with self.db.write() as session:
            for uid, mail in mails:
                result = self._ingest(session, account_id, folder, uidvalidity, uid, mail)
                # _ingest's lookups read rows with statements, not through the ORM: what it
                # changed on ORM objects must be in the database before the next e-mail's.
                session.flush()
                results.append((uid, result))
        return results

    def _uid_stored(self, account_id: int, folder: str, uidvalidity: int, uid: int) -> bool:
        with self.db.read() as session:
            where = {"account_id": account_id, "folder": folder, "uidvalidity": uidvalidity}
            return _UID_STORED.first(session.connection(), {**where, "uid": uid}) is not None

    def _ingest(
        self,
        session: Session,
        account_id: int,
        folder: str,
        uidvalidity: int,
        uid: int,
        mail: InboundMail,
    ) -> IngestResult:
        # Every lookup below reads rows that are in the database already (committed, or
        # flushed by the e-mail before in the same group), so nothing needs flushing before
        # it; rows are written in a few flushes where ids are needed (ticket, message) and at
        # the end, instead of before every query.
        with session.no_autoflush:
            return self._ingest_unflushed(session, account_id, folder, uidvalidity, uid, mail)

    def _ingest_unflushed(
        self,
        session: Session,
        account_id: int,
        folder: str,
        uidvalidity: int,
        uid: int,
        mail: InboundMail,
    ) -> IngestResult:
        journal = Journal(session, self.actor_id, self.clock(), core_rows=True)
        self._advance_folder(session, account_id, folder, uidvalidity, uid)
        connection = session.connection()
        stored = _UID_STORED.first(
            connection,
            {"account_id": account_id, "folder": folder, "uidvalidity": uidvalidity, "uid": uid},
        )
        if stored is not None:
            _raw_id, stored_message = stored
            return IngestResult("duplicate", None, stored_message, "this UID was stored before")
        content = mail.fingerprint or fingerprint(mail.raw)
        identity = mail.message_id or CONTENT_KEY_PREFIX + content  # = content_key(mail.raw)
        # The raw copy is written last, when the message row it points to exists (one INSERT
        # instead of an INSERT and an UPDATE). A concurrent worker's copy of this UID still
        # fails the unique key inside this transaction (see ingest()).
        raw = {
            "account_id": account_id,
            "folder": folder,
            "uidvalidity": uidvalidity,
            "uid": uid,
            "header_message_id": identity,
            "fingerprint": content,
            "parse_failed": mail.failed,
            "received_at": journal.at,
            "content": mail.raw,
        }
        known = _KNOWN_MAIL.all(connection, {"fingerprint": content, "key": identity})
        copy_of = next((row for row in known if row[2] == 1), None)
        if copy_of is not None:
            # Another copy of a stored e-mail (another UID, folder or account): kept raw beside
            # the first, pointing at its message, so this UID is done with like any other.
            known_id, known_ticket, _same = copy_of
            _INSERT_RAW.execute(connection, {**raw, "message_id": known_id})
            why = (
                f"the same e-mail (Message-ID {mail.message_id} and content) was stored before"
                if mail.message_id
                else "the same e-mail (headers and body) was stored before"
            )
            return IngestResult("duplicate", known_ticket, known_id, why)
        if mail.message_id and known:
            account_name = session.scalar(
                select(MailAccount.name).where(MailAccount.id == account_id)
            )
            log.warning(
                "mail account %r (folder %s, UID %s): Message-ID %s is already on another "
                "e-mail with different content; stored as a separate e-mail",
                account_name,
                folder,
                uid,
                mail.message_id,
            )
        if mail.auto_kind == "bounce" and mail.bounced_message_id:
            bounced = self._bounce_note(session, journal, mail)
            if bounced is not None:
                _INSERT_RAW.execute(connection, {**raw, "message_id": bounced.message_id})
                return bounced
        customer = self._mail_customer(session, journal, mail)
        at = mail.date if mail.date and mail.date <= journal.at else journal.at
        department_id = _ACCOUNT_DEPARTMENT.scalar(connection, {"account_id": account_id})
        ticket, outcome, reason = self._thread(
            session, journal, account_id, department_id, customer, mail, at
        )
        if outcome != "threaded":
            # Routing rules (issue #8) take every new ticket in this same transaction.
            route_new_mail(
                session,
                journal,
                ticket,
                account_id=account_id,
                sender=mail.from_address,
                subject=mail.subject,
                body=mail.text,
                customer_tags=customer.tags,
            )
        message_id = self._store_inbound(
            session, journal, ticket, customer, mail, at, reason, new_ticket=outcome != "threaded"
        )
        _INSERT_RAW.execute(connection, {**raw, "message_id": message_id})
        if outcome == "threaded":
            self._reopen_for_customer(journal, ticket)
        # The SLA recompute reads the ticket's status changes back from the audit trail.
        journal.write_pending()
        if outcome == "threaded":
            self._finish_ticket(journal, ticket)
        else:
            sla_store.recompute_ticket(session, ticket, journal.at)
            journal.finish()
        return IngestResult(outcome, ticket.id, message_id, reason)

    def _store_inbound(
        self,
        session: Session,
        journal: Journal,
        ticket: Ticket,
        customer: _Sender,
        mail: InboundMail,
        at: datetime,
        reason: str,
        *,
        new_ticket: bool,
    ) -> int:
        """The e-mail as the ticket's message (Service._add_message's rows, written with Core
        statements: ingest runs this for every e-mail). A new ticket was opened with this
        message's effects on its columns already, and its search document with its words."""
        warnings = list(mail.warnings)
        if mail.failed:
            warnings.insert(0, "This e-mail could not be read completely; the original is kept.")
        connection = session.connection()
        message_id: int = _INSERT_MESSAGE.scalar(
            connection,
            {
                "ticket_id": ticket.id,
                "direction": Direction.INBOUND.value,
                "author_agent_id": None,
                "author_customer_id": customer.id,
                "subject": " ".join(mail.subject.split())[:MAX_SUBJECT],
                "body_text": mail.text,
                "body_html": mail.html,
                "message_id": mail.message_id,
                "in_reply_to": mail.in_reply_to,
                "references": " ".join(mail.references) or None,
                "created_at": at,
                "match_reason": reason[:200],
                "warnings": "\n".join(warnings) or None,
                "auto_kind": mail.auto_kind,
            },
        )
        if mail.attachments:
            _INSERT_ATTACHMENT.run_many(
                connection,
                [
                    {
                        "message_id": message_id,
                        "filename": item.filename,
                        "content_type": item.content_type,
                        "size": len(item.content),
                        "content_id": item.content_id,
                        "content": item.content,
                    }
                    for item in mail.attachments
                ],
            )
        if not new_ticket:
            search.append_message(session, ticket.id, mail.text, mail.search_words)
            ticket.message_count += 1
            preview_after_message(session, ticket, Direction.INBOUND, at, mail.text)
            if ticket.last_message_at is None or at >= ticket.last_message_at:
                ticket.last_message_at = at
            if ticket.last_customer_message_at is None or at >= ticket.last_customer_message_at:
                ticket.last_customer_message_at = at
        journal.changed("message", message_id, "insert")
        # A ticket's first message belongs to version 1; later ones to the version being made.
        journal.audit(
            "message",
            message_id,
            Direction.INBOUND.value,
            ticket_id=ticket.id,
            ticket_version=ticket.version + (0 if new_ticket else 1),
        )
        return message_id

    def _mail_customer(self, session: Session, journal: Journal, mail: InboundMail) -> _Sender:
        """The sender as a customer. The common case, a known address of a customer who has a
        name, is one query (with the identities their tickets' search documents list);
        anything else goes through the full find-or-create."""
        if mail.from_address is None:
            return self._unreadable_sender(session, journal, mail)
        address = mail.from_address
        rows = _SENDER.all(session.connection(), {"address": normalise_email(address)})
        if rows and (rows[0][1] or not mail.from_name.strip()):
            customer_id, name, organisation, tags, _address = rows[0]
            parts = (name, organisation, *(row[4] for row in rows))
            return _Sender(customer_id, tags or "", parts)
        if not rows:
            return self._new_sender(session, journal, mail.from_name, normalise_email(address))
        customer = self._find_or_create_customer(session, journal, mail.from_name, address, None)
        return _Sender(customer.id, customer.tags or "", tuple(search.customer_parts(customer)))

    def _unreadable_sender(self, session: Session, journal: Journal, mail: InboundMail) -> _Sender:
        """The sender of an e-mail whose address could not be read: one customer per From
        header as written (the same header twice is the same sender), never a shared
        placeholder that would give unrelated people one history. Without any From header
        nothing tells senders apart, so each such e-mail gets a customer of its own."""
        header = mail.from_header
        name = (mail.from_name.strip() or header)[:MAX_CUSTOMER_NAME]
        if not header:
            return self._new_sender(session, journal, name, None)
        value = raw_from_identity(header)
        found = session.execute(
            select(Customer.id, Customer.name, Customer.organisation, Customer.tags)
            .join(CustomerIdentity, CustomerIdentity.customer_id == Customer.id)
            .where(
                CustomerIdentity.kind == IdentityKind.RAW_FROM.value,
                CustomerIdentity.value == value,
            )
        ).first()
        if found is None:
            return self._new_sender(session, journal, name, value, IdentityKind.RAW_FROM)
        customer_id, found_name, organisation, tags = found
        values = session.scalars(
            select(CustomerIdentity.value)
            .where(CustomerIdentity.customer_id == customer_id)
            .order_by(CustomerIdentity.id)
        ).all()
        return _Sender(customer_id, tags or "", (found_name, organisation, *values))

    def _new_sender(
        self,
        session: Session,
        journal: Journal,
        name: str,
        address: str | None,
        kind: IdentityKind = IdentityKind.EMAIL,
    ) -> _Sender:
        """A customer for an address nobody has: the rows _find_or_create_customer writes,
        as two INSERTs. Another worker creating the same address concurrently fails the
        identity's unique key, and ingest() tries again (then finds it)."""
        connection = session.connection()
        name = name.strip()
        customer_id: int = _INSERT_CUSTOMER.scalar(
            connection,
            {
                "name": name,
                "organisation": "",
                "notes": "",
                "language": None,
                "tags": "",
                "merged_into_id": None,
                "version": 1,
                "created_at": journal.at,
                "updated_at": journal.at,
            },
        )
        if address is not None:
            _INSERT_IDENTITY.execute(
                connection, {"customer_id": customer_id, "kind": kind.value, "value": address}
            )
        journal.audit("customer", customer_id, "create", new=name or address or "(no sender)")
        journal.changed("customer", customer_id, "insert")
        return _Sender(customer_id, "", (name, "", *([address] if address else [])))

    def _advance_folder(
        self, session: Session, account_id: int, folder: str, uidvalidity: int, uid: int
    ) -> None:
        moved = _ADVANCE_FOLDER.execute(
            session.connection(),
            {
                "f_account": account_id,
                "f_folder": folder,
                "f_validity": uidvalidity,
                "f_uid": uid,
                "f_new_uid": uid,
            },
        )
        if moved == 0 and session.get(MailFolderState, (account_id, folder)) is None:
            session.add(
                MailFolderState(
                    account_id=account_id, folder=folder, uidvalidity=uidvalidity, last_uid=uid
                )
            )

    def _thread(
        self,
        session: Session,
        journal: Journal,
        account_id: int,
        department_id: int | None,
        customer: _Sender,
        mail: InboundMail,
        at: datetime,
    ) -> tuple[Ticket, str, str]:
        """Which ticket this e-mail belongs to, and why. Customers never quote numbers."""
        ticket, reason = self._by_headers(session, mail)
        if ticket is None:
            ticket, reason = self._by_subject(session, customer.id, mail, at)
        if ticket is not None and ticket.status != Status.CLOSED:
            return ticket, "threaded", reason
        follow_up_of = ticket.id if ticket is not None else None
        new = self._open_mail_ticket(
            session,
            journal,
            customer=customer,
            department_id=department_id,
            mail=mail,
            at=at,
            mail_account_id=account_id,
            follow_up_of_id=follow_up_of,
        )
        if follow_up_of is not None:
            return new, "follow_up", f"follow-up of closed ticket #{follow_up_of} ({reason})"
        return new, "new_ticket", "new conversation"

    def _open_mail_ticket(
        self,
        session: Session,
        journal: Journal,
        *,
        customer: _Sender,
        department_id: int | None,
        mail: InboundMail,
        at: datetime,
        mail_account_id: int,
        follow_up_of_id: int | None,
    ) -> Ticket:
        """Service._open_ticket for an e-mail, with the e-mail's message already counted in:
        one INSERT with the final columns and one search document, where the general path
        inserts, flushes, updates and writes the document twice."""
        subject = mail.subject or "(no subject)"
        columns: dict[str, Any] = {
            "subject": subject,
            "subject_key": normalise_subject(subject)[:500],
            "status": Status.NEW.value,
            "priority": Priority.NORMAL.value,
            "channel": Channel.EMAIL.value,
            "department_id": department_id,
            "assignee_id": None,
            "customer_id": customer.id,
            "created_at": at,
            "updated_at": at,
            "first_response_at": None,
            "solved_at": None,
            "last_message_at": at,
            "last_customer_message_at": at,
            "preview": preview_of(mail.text),
            "message_count": 1,
            "first_response_due_at": None,
            "next_response_due_at": None,
            "resolution_due_at": None,
            "sla_due_at": None,
            "version": 1,
            "mail_account_id": mail_account_id,
            "follow_up_of_id": follow_up_of_id,
            "sla_policy": None,
            "sla_started_at": None,
            "sla_paused_remaining_s": None,
            "tags": "",
        }
        ticket_id: int = _INSERT_TICKET.scalar(session.connection(), columns)
        # The row exists: the ORM object stands for it as if loaded, so routing and the SLA
        # recompute can change it like any ticket and only what they change is written.
        ticket = Ticket(id=ticket_id, **columns)
        make_transient_to_detached(ticket)
        session.add(ticket)
        words = mail.search_words
        search.index_new_ticket_with_message(
            session,
            ticket_id,
            subject,
            customer.search_parts,
            search.message_words(mail.text) if words is None else words,
        )
        journal.audit(
            "ticket", ticket_id, "create", ticket_id=ticket_id, ticket_version=1, new=subject
        )
        journal.changed("ticket", ticket_id, "insert")
        return ticket

    def _by_headers(self, session: Session, mail: InboundMail) -> tuple[Ticket | None, str]:
        wanted = [mail.in_reply_to, *reversed(list(mail.references))]
        ids = [i for i in dict.fromkeys(normalise_message_id(v) for v in wanted if v) if i]
        if not ids:
            return None, ""
        found = session.execute(
            select(Message.message_id, Message.ticket_id)
            .where(Message.message_id.in_(ids))
            .order_by(Message.created_at, Message.id)
        ).all()
        # One Message-ID may stand on several e-mails (senders reuse them): the earliest one
        # decides, so the answer does not depend on the order rows come back in.
        by_id: dict[str | None, int] = {}
        for message_id, ticket_id in found:
            by_id.setdefault(message_id, ticket_id)
        for message_id in ids:  # In-Reply-To first, then the newest reference
            if message_id in by_id:
                header = (
                    "In-Reply-To" if message_id == ids[0] and mail.in_reply_to else "References"
                )
                ticket = session.get_one(Ticket, by_id[message_id], options=[_NO_RELATIONS])
                return ticket, f"{header} {message_id}"
        return None, ""

    def _by_subject(
        self, session: Session, customer_id: int, mail: InboundMail, at: datetime
    ) -> tuple[Ticket | None, str]:
        key = normalise_subject(mail.subject)[:500]
        if not key:
            return None, ""
        ticket_id = _BY_SUBJECT.scalar(
            session.connection(),
            {"customer_id": customer_id, "key": key, "since": at - REOPEN_WINDOW},
        )
        if ticket_id is None:
            return None, ""
        ticket = session.get_one(Ticket, ticket_id, options=[_NO_RELATIONS])
        return ticket, "same customer and subject"

    def _bounce_note(
        self, session: Session, journal: Journal, mail: InboundMail
    ) -> IngestResult | None:
        """A delivery failure for one of our replies becomes a note on that ticket."""
        original = session.scalars(
            select(Message).where(
                Message.message_id == mail.bounced_message_id,
                Message.direction == Direction.OUTBOUND.value,
            )
        ).first()
        if original is None:
            return None
        ticket = session.get_one(Ticket, original.ticket_id)
        original.delivery_state = DeliveryState.FAILED.value
        original.delivery_error = "bounced: " + (mail.text.strip().splitlines() or ["no reason"])[0]
        note = self._add_message(
            session,
            journal,
            ticket,
            Direction.NOTE,
            "Delivery failed: the customer's mail server returned this reply.\n\n" + mail.text,
            at=journal.at,
            subject=mail.subject,
            message_id=mail.message_id,
        )
        note.auto_kind = "bounce"
        note.match_reason = f"bounce of {mail.bounced_message_id}"
        journal.write_pending()  # before the SLA recompute reads the audit trail
        self._finish_ticket(journal, ticket, note)
        return IngestResult("bounce_note", ticket.id, note.id, note.match_reason)

    # --- outbox -----------------------------------------------------------------------------

    def claim_outgoing(
        self, limit: int = 20, *, account_ids: Collection[int] | None = None
    ) -> list[OutgoingMail]:
        """Take due replies for sending. Each is marked 'sending' in this transaction, so two
        workers never send the same reply; one that stalls is requeued by requeue_stalled.

        account_ids: only replies sent from these accounts (the ones whose lease the caller
        holds), so workers on different accounts never send each other's mail. Replies with
        no account to send from at all are taken by anyone, to be failed with the reason."""
        with self.db.write() as session:
            now = self.clock()
            query = (
                select(OutboxItem)
                .where(
                    OutboxItem.state == DeliveryState.QUEUED.value,
                    OutboxItem.next_attempt_at <= now,
                )
                .order_by(OutboxItem.next_attempt_at, OutboxItem.id)
                .limit(limit)
                .with_for_update(of=OutboxItem, skip_locked=True)
            )
            if account_ids is not None:
                sending = _sending_account_id()
                query = (
                    query.join(Message, Message.id == OutboxItem.message_id)
                    .join(Ticket, Ticket.id == Message.ticket_id)
                    .where(or_(sending.in_(list(account_ids)), sending.is_(None)))
                )
            items = session.scalars(query).all()
            # One query each for the replies (with their attachments) and their tickets,
            # instead of a few per reply.
            messages = {
                m.id: m
                for m in session.scalars(
                    select(Message).where(Message.id.in_([i.message_id for i in items]))
                )
            }
            to_address = first_email(Ticket.customer_id).scalar_subquery()
            tickets = {
                ticket.id: (ticket, address)
                for ticket, address in session.execute(
                    select(Ticket, to_address)
                    .where(Ticket.id.in_({m.ticket_id for m in messages.values()}))
                    .options(_NO_RELATIONS)
                )
            }
            # Held for the loop: the session keeps loaded rows only while something refers
            # to them, and _outgoing's session.get() of a reply's account and department
            # would otherwise load them again for every reply.
            pinned = [
                *session.scalars(select(MailAccount)).all(),
                *session.scalars(select(Department)).all(),
            ]
            claimed = []
            for item in items:
                message = messages[item.message_id]
                ticket, address = tickets[message.ticket_id]
                mail = self._outgoing(session, item, message, ticket, address)
                if isinstance(mail, str):
                    self._fail(session, item, mail, now)
                    continue
                item.state = DeliveryState.SENDING.value
                item.attempts += 1
                item.claimed_at = now
                if item.first_attempt_at is None:
                    item.first_attempt_at = now
                mail = replace(mail, first_attempt_at=item.first_attempt_at)
                message.delivery_state = DeliveryState.SENDING.value
                claimed.append(mail)
            del pinned
            return claimed

    def outbox_retry_limit(self) -> timedelta:
        """How long a reply's temporary failures are retried (team setting
        outbox_retry_hours, else 48 hours; a stored value that cannot be read counts as
        unset, as for the other team settings the worker reads)."""
        with self.db.read() as session:
            value = stored_values(session, [OUTBOX_RETRY_HOURS]).get(OUTBOX_RETRY_HOURS)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return timedelta(hours=DEFAULT_OUTBOX_RETRY_HOURS)
        if not math.isfinite(value) or value <= 0:
            return timedelta(hours=DEFAULT_OUTBOX_RETRY_HOURS)
        return timedelta(hours=value)

    def mark_sent(self, outbox_id: int) -> None:
        self._settle(outbox_id, DeliveryState.SENT, None, None)

    def mark_retry(self, outbox_id: int, error: str, next_attempt_at: datetime) -> None:
        self._settle(outbox_id, DeliveryState.QUEUED, error, next_attempt_at)

    def mark_failed(self, outbox_id: int, error: str) -> None:
        self._settle(outbox_id, DeliveryState.FAILED, error, None)

    def settle_many(self, settlements: Sequence[Settlement]) -> None:
        """Record what became of several claimed replies, in one transaction.

        The sender groups the replies the server answered while the previous group was being
        written (a group commit), so the database keeps up with the network; a crash leaves
        at most the replies of one unwritten group in 'sending', sent again later with their
        own Message-IDs. A reply whose outbox row is gone (its ticket was deleted) is skipped.
        """
        if not settlements:
            return
        with self.db.write() as session:
            connection = session.connection()
            outbox_rows = []
            message_rows = []
            for item in settlements:
                state = item.state.value
                outbox_rows.append(
                    {
                        "outbox_id": item.outbox_id,
                        "new_state": state,
                        "error": item.error,
                        "next_at": item.next_attempt_at,
                    }
                )
                message_rows.append(
                    {"message_row": item.message_row_id, "new_state": state, "error": item.error}
                )
            _SETTLE_OUTBOX_ROWS.run_many(connection, outbox_rows)
            _SETTLE_MESSAGE_ROWS.run_many(connection, message_rows)
            journal = Journal(session, self.actor_id, self.clock(), core_rows=True)
            # One change row per message and per ticket, however often it appears here.
            for item in {s.message_row_id: s for s in settlements}.values():
                journal.changed("message", item.message_row_id, "update")
            for ticket_id in dict.fromkeys(s.ticket_id for s in settlements):
                journal.changed("ticket", ticket_id, "update")
            journal.finish()

    def requeue_stalled(self, older_than: timedelta) -> int:
        """Replies left 'sending' by a worker that died: send them again (same Message-ID, so
        a duplicate that did get through is recognisable as one)."""
        with self.db.write() as session:
            cutoff = self.clock() - older_than
            items = session.scalars(
                select(OutboxItem).where(
                    OutboxItem.state == DeliveryState.SENDING.value,
                    OutboxItem.claimed_at < cutoff,
                )
            ).all()
            for item in items:
                item.state = DeliveryState.QUEUED.value
                session.get_one(Message, item.message_id).delivery_state = "queued"
            return len(items)

    def _settle(
        self, outbox_id: int, state: DeliveryState, error: str | None, next_at: datetime | None
    ) -> None:
        # Plain UPDATEs: the sender settles every reply in its own transaction right after the
        # server answered, so this is on the sending path once per reply.
        with self.db.write() as session:
            connection = session.connection()
            found = connection.execute(_OUTBOX_MESSAGE, {"outbox_id": outbox_id}).first()
            if found is None:
                raise NotFound(f"outbox item {outbox_id} does not exist")
            message_id, ticket_id, next_attempt_at = found
            connection.execute(
                _SETTLE_OUTBOX,
                {
                    "outbox_id": outbox_id,
                    "new_state": state.value,
                    "error": error,
                    "next_at": next_at or next_attempt_at,
                },
            )
            connection.execute(
                _SETTLE_MESSAGE,
                {"message_row": message_id, "new_state": state.value, "error": error},
            )
            journal = Journal(session, self.actor_id, self.clock())
            journal.changed("message", message_id, "update")
            journal.changed("ticket", ticket_id, "update")
            journal.finish()

    def _fail(self, session: Session, item: OutboxItem, error: str, now: datetime) -> None:
        item.state = DeliveryState.FAILED.value
        item.last_error = error
        message = session.get_one(Message, item.message_id)
        message.delivery_state = DeliveryState.FAILED.value
        message.delivery_error = error
        journal = Journal(session, None, now)
        journal.changed("message", message.id, "update")
        journal.changed("ticket", message.ticket_id, "update")

    def _outgoing(
        self,
        session: Session,
        item: OutboxItem,
        message: Message,
        ticket: Ticket,
        to_address: str | None,
    ) -> OutgoingMail | str:
        """The reply as mail, or why it cannot be sent."""
        account = self._sending_account(session, ticket)
        if account is None:
            return "no active mail account to send from; add one with `desk account add`"
        if to_address is None or to_address == UNKNOWN_SENDER:
            return self._no_address_reason(session, ticket.customer_id, to_address)
        department = session.get(Department, ticket.department_id) if ticket.department_id else None
        return OutgoingMail(
            outbox_id=item.id,
            message_row_id=message.id,
            ticket_id=ticket.id,
            account_id=account.id,
            from_address=account.address,
            from_name=department.name if department else account.name,
            to_address=to_address,
            subject=message.subject or ticket.subject,
            body_text=message.body_text,
            body_html=message.body_html,
            message_id=message.message_id or "",
            in_reply_to=message.in_reply_to,
            references=message.references,
            attempts=item.attempts + 1,
            attachments=[
                NewAttachment(a.filename, a.content_type, a.content, a.content_id)
                for a in message.attachments
            ],
            auto_submitted=message.auto_kind is not None,
        )

    def _no_address_reason(self, session: Session, customer_id: int, to_address: str | None) -> str:
        """Why a reply has nowhere to go, in words that say what to do about it."""
        unreadable = session.scalar(
            select(CustomerIdentity.value)
            .where(
                CustomerIdentity.customer_id == customer_id,
                CustomerIdentity.kind == IdentityKind.RAW_FROM.value,
            )
            .order_by(CustomerIdentity.id)
            .limit(1)
        )
        if unreadable is not None or to_address == UNKNOWN_SENDER:
            written = f" (From: {unreadable})" if unreadable else ""
            return (
                f"the sender's address could not be read from their e-mail{written}; "
                "add the customer's e-mail address, then retry"
            )
        return "the customer has no e-mail address; add one, then retry"

    def _sending_account(self, session: Session, ticket: Ticket) -> MailAccount | None:
        # The same choice as _sending_account_id() makes in SQL for claim_outgoing.
        if ticket.mail_account_id is not None:
            account = session.get(MailAccount, ticket.mail_account_id)
            if account is not None and account.is_active:
                return account
        query = select(MailAccount).where(MailAccount.is_active.is_(True))
        if ticket.department_id is not None:
            own = session.scalars(
                query.where(MailAccount.department_id == ticket.department_id).order_by(
                    MailAccount.id
                )
            ).first()
            if own is not None:
                return own
        return session.scalars(query.order_by(MailAccount.id)).first()

    # --- leases -----------------------------------------------------------------------------

    def acquire_lease(self, name: str, holder: str, ttl: timedelta) -> bool:
        """Take or renew the lease; False while someone else holds an unexpired one."""
        with self.db.write() as session:
            now = self.clock()
            lease = session.get(Lease, name, with_for_update=True)
            if lease is None:
                session.add(Lease(name=name, holder=holder, expires_at=now + ttl))
                return True
            if lease.holder != holder and lease.expires_at > now:
                return False
            lease.holder = holder
            lease.expires_at = now + ttl
            return True

    def release_lease(self, name: str, holder: str) -> None:
        with self.db.write() as session:
            session.execute(
                update(Lease)
                .where(Lease.name == name, Lease.holder == holder)
                .values(expires_at=self.clock())
            )

    # --- internals --------------------------------------------------------------------------

    def _account(self, session: Session, name: str) -> MailAccount:
        account = session.scalars(select(MailAccount).where(MailAccount.name == name)).first()
        if account is None:
            raise NotFound(f"no mail account named '{name}'")
        return account

    def _account_record(self, session: Session, account: MailAccount) -> AccountRecord:
        counts = dict(
            session.execute(
                select(OutboxItem.state, func.count())
                .join(Message, Message.id == OutboxItem.message_id)
                .join(Ticket, Ticket.id == Message.ticket_id)
                .where(Ticket.mail_account_id == account.id)
                .group_by(OutboxItem.state)
            ).all()
        )
        department = (
            session.get(Department, account.department_id) if account.department_id else None
        )
        return AccountRecord(
            id=account.id,
            name=account.name,
            address=account.address,
            username=account.username,
            imap_host=account.imap_host,
            imap_port=account.imap_port,
            smtp_host=account.smtp_host,
            smtp_port=account.smtp_port,
            security=account.security,
            folder=account.folder,
            after_import=account.after_import,
            department=department.name if department else None,
            is_active=account.is_active,
            last_sync_at=account.last_sync_at,
            last_error=account.last_error,
            last_error_at=account.last_error_at,
            queued=int(counts.get("queued", 0)) + int(counts.get("sending", 0)),
            failed=int(counts.get("failed", 0)),
        )
