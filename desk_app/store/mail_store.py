"""The mail side of the service layer: accounts, ingest, the outbox and leases.

Ingest stores one e-mail per transaction: the raw bytes, the parsed message, the customer and
the threading decision, plus the folder position, so a crash at any point repeats work but never
loses or duplicates a ticket message. Dedupe is on (account, folder, UIDVALIDITY, UID) and on the
Message-ID. The worker flags or moves the message on the server only after this commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desk_app.core.enums import Channel, DeliveryState, Direction, Priority, Status
from desk_app.core.errors import ConflictError, InvalidInput, NotFound
from desk_app.core.identities import normalise_email
from desk_app.core.threading_rules import normalise_message_id, normalise_subject
from desk_app.store import sla_store
from desk_app.store.customer_commands import first_email
from desk_app.store.journal import Journal
from desk_app.store.models import (
    Customer,
    Department,
    Lease,
    MailAccount,
    MailFolderState,
    Message,
    OutboxItem,
    RawMail,
    Ticket,
)
from desk_app.store.records import AccountRecord
from desk_app.store.service import NewAttachment, Service

SECURITY = ("ssl", "starttls", "none")
# A solved ticket takes a customer's reply (and reopens) for this long; after that, or once
# closed, a reply starts a follow-up ticket.
REOPEN_WINDOW = timedelta(days=14)
UNKNOWN_SENDER = "unknown-sender@invalid.invalid"


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


@dataclass(frozen=True)
class IngestResult:
    outcome: str  # new_ticket | threaded | follow_up | bounce_note | duplicate
    ticket_id: int | None
    message_id: int | None
    reason: str


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
        if after_import not in ("keep", "seen") and not (
            after_import.startswith("move:") and len(after_import) > 5
        ):
            raise InvalidInput("after-import must be keep, seen or move:FOLDER")
        if not name.strip():
            raise InvalidInput("an account needs a name")
        default_imap = {"ssl": 993, "starttls": 143, "none": 143}[security]
        default_smtp = {"ssl": 465, "starttls": 587, "none": 25}[security]
        with self.db.write() as session:
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
        try:
            with self.db.write() as session:
                return self._ingest(session, account_id, folder, uidvalidity, uid, mail)
        except IntegrityError:
            # Another worker stored the same UID a moment ago (the raw_mails unique key).
            return IngestResult("duplicate", None, None, "stored by another worker")

    def _ingest(
        self,
        session: Session,
        account_id: int,
        folder: str,
        uidvalidity: int,
        uid: int,
        mail: InboundMail,
    ) -> IngestResult:
        journal = self._journal(session)
        account = session.get_one(MailAccount, account_id)
        self._advance_folder(session, account_id, folder, uidvalidity, uid)
        existing = session.scalar(
            select(RawMail.message_id).where(
                RawMail.account_id == account_id,
                RawMail.folder == folder,
                RawMail.uidvalidity == uidvalidity,
                RawMail.uid == uid,
            )
        )
        if existing is not None:
            return IngestResult("duplicate", None, existing, "this UID was stored before")
        raw = RawMail(
            account_id=account_id,
            folder=folder,
            uidvalidity=uidvalidity,
            uid=uid,
            header_message_id=mail.message_id,
            parse_failed=mail.failed,
            received_at=journal.at,
            content=mail.raw,
        )
        session.add(raw)
        session.flush()
        if mail.message_id:
            known = session.scalars(
                select(Message).where(
                    Message.message_id == mail.message_id,
                    Message.direction == Direction.INBOUND.value,
                )
            ).first()
            if known is not None:
                raw.message_id = known.id
                return IngestResult(
                    "duplicate", known.ticket_id, known.id, f"Message-ID {mail.message_id} known"
                )
        if mail.auto_kind == "bounce" and mail.bounced_message_id:
            bounced = self._bounce_note(session, journal, raw, mail)
            if bounced is not None:
                return bounced
        customer = self._find_or_create_customer(
            session, journal, mail.from_name, mail.from_address or UNKNOWN_SENDER, None
        )
        at = mail.date if mail.date and mail.date <= journal.at else journal.at
        ticket, outcome, reason = self._thread(session, journal, account, customer, mail, at)
        warnings = list(mail.warnings)
        if mail.failed:
            warnings.insert(0, "This e-mail could not be read completely; the original is kept.")
        message = self._add_message(
            session,
            journal,
            ticket,
            Direction.INBOUND,
            mail.text,
            at=at,
            author_customer_id=customer.id,
            subject=mail.subject,
            message_id=mail.message_id,
            in_reply_to=mail.in_reply_to,
            references=" ".join(mail.references) or None,
            body_html=mail.html,
            attachments=mail.attachments,
            new_ticket=outcome != "threaded",
        )
        message.match_reason = reason[:200]
        message.warnings = "\n".join(warnings) or None
        message.auto_kind = mail.auto_kind
        raw.message_id = message.id
        if outcome == "threaded":
            self._reopen_for_customer(journal, ticket)
            self._finish_ticket(journal, ticket, message)
        else:
            sla_store.recompute_ticket(session, ticket, journal.at)
            journal.finish()
        return IngestResult(outcome, ticket.id, message.id, reason)

    def _advance_folder(
        self, session: Session, account_id: int, folder: str, uidvalidity: int, uid: int
    ) -> None:
        state = session.get(MailFolderState, (account_id, folder))
        if state is None:
            session.add(
                MailFolderState(
                    account_id=account_id, folder=folder, uidvalidity=uidvalidity, last_uid=uid
                )
            )
        elif state.uidvalidity == uidvalidity and uid > state.last_uid:
            state.last_uid = uid

    def _thread(
        self,
        session: Session,
        journal: Journal,
        account: MailAccount,
        customer: Customer,
        mail: InboundMail,
        at: datetime,
    ) -> tuple[Ticket, str, str]:
        """Which ticket this e-mail belongs to, and why. Customers never quote numbers."""
        ticket, reason = self._by_headers(session, mail)
        if ticket is None:
            ticket, reason = self._by_subject(session, customer, mail, at)
        if ticket is not None and ticket.status != Status.CLOSED:
            return ticket, "threaded", reason
        follow_up_of = ticket.id if ticket is not None else None
        new = self._open_ticket(
            session,
            journal,
            subject=mail.subject or "(no subject)",
            customer=customer,
            department_id=account.department_id,
            priority=Priority.NORMAL,
            channel=Channel.EMAIL,
            at=at,
            mail_account_id=account.id,
            follow_up_of_id=follow_up_of,
        )
        if follow_up_of is not None:
            return new, "follow_up", f"follow-up of closed ticket #{follow_up_of} ({reason})"
        return new, "new_ticket", "new conversation"

    def _by_headers(self, session: Session, mail: InboundMail) -> tuple[Ticket | None, str]:
        wanted = [mail.in_reply_to, *reversed(list(mail.references))]
        ids = [i for i in dict.fromkeys(normalise_message_id(v) for v in wanted if v) if i]
        if not ids:
            return None, ""
        found = session.execute(
            select(Message.message_id, Message.ticket_id).where(Message.message_id.in_(ids))
        ).all()
        by_id = {message_id: ticket_id for message_id, ticket_id in found}
        for message_id in ids:  # In-Reply-To first, then the newest reference
            if message_id in by_id:
                header = (
                    "In-Reply-To" if message_id == ids[0] and mail.in_reply_to else "References"
                )
                ticket = session.get_one(Ticket, by_id[message_id])
                return ticket, f"{header} {message_id}"
        return None, ""

    def _by_subject(
        self, session: Session, customer: Customer, mail: InboundMail, at: datetime
    ) -> tuple[Ticket | None, str]:
        key = normalise_subject(mail.subject)[:500]
        if not key:
            return None, ""
        ticket = session.scalars(
            select(Ticket)
            .where(Ticket.customer_id == customer.id, Ticket.subject_key == key)
            .where(
                or_(
                    Ticket.status.in_(
                        [s.value for s in (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)]
                    ),
                    (Ticket.status == Status.SOLVED.value)
                    & (Ticket.solved_at >= at - REOPEN_WINDOW),
                    Ticket.status == Status.CLOSED.value,
                )
            )
            .order_by(Ticket.updated_at.desc())
            .limit(1)
        ).first()
        if ticket is None:
            return None, ""
        return ticket, "same customer and subject"

    def _bounce_note(
        self, session: Session, journal: Journal, raw: RawMail, mail: InboundMail
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
        raw.message_id = note.id
        self._finish_ticket(journal, ticket, note)
        return IngestResult("bounce_note", ticket.id, note.id, note.match_reason)

    # --- outbox -----------------------------------------------------------------------------

    def claim_outgoing(self, limit: int = 20) -> list[OutgoingMail]:
        """Take due replies for sending. Each is marked 'sending' in this transaction, so two
        workers never send the same reply; one that stalls is requeued by requeue_stalled."""
        with self.db.write() as session:
            now = self.clock()
            items = session.scalars(
                select(OutboxItem)
                .where(
                    OutboxItem.state == DeliveryState.QUEUED.value,
                    OutboxItem.next_attempt_at <= now,
                )
                .order_by(OutboxItem.next_attempt_at, OutboxItem.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            claimed = []
            for item in items:
                mail = self._outgoing(session, item)
                if isinstance(mail, str):
                    self._fail(session, item, mail, now)
                    continue
                item.state = DeliveryState.SENDING.value
                item.attempts += 1
                item.claimed_at = now
                session.get_one(Message, item.message_id).delivery_state = "sending"
                claimed.append(mail)
            return claimed

    def mark_sent(self, outbox_id: int) -> None:
        self._settle(outbox_id, DeliveryState.SENT, None, None)

    def mark_retry(self, outbox_id: int, error: str, next_attempt_at: datetime) -> None:
        self._settle(outbox_id, DeliveryState.QUEUED, error, next_attempt_at)

    def mark_failed(self, outbox_id: int, error: str) -> None:
        self._settle(outbox_id, DeliveryState.FAILED, error, None)

    def retry_failed(self, message_id: int) -> None:
        """The agent's "retry" on a reply that failed: queue it again with the same content
        and Message-ID."""
        with self.db.write() as session:
            item = session.scalars(
                select(OutboxItem).where(OutboxItem.message_id == message_id)
            ).first()
            if item is None or item.state != DeliveryState.FAILED.value:
                raise NotFound(f"message {message_id} has no failed delivery to retry")
            item.state = DeliveryState.QUEUED.value
            item.next_attempt_at = self.clock()
            message = session.get_one(Message, message_id)
            message.delivery_state = DeliveryState.QUEUED.value
            message.delivery_error = None
            journal = self._journal(session)
            journal.changed("message", message_id, "update")
            journal.changed("ticket", message.ticket_id, "update")
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
        with self.db.write() as session:
            item = session.get(OutboxItem, outbox_id)
            if item is None:
                raise NotFound(f"outbox item {outbox_id} does not exist")
            journal = self._journal(session)
            item.state = state.value
            item.last_error = error
            if next_at is not None:
                item.next_attempt_at = next_at
            message = session.get_one(Message, item.message_id)
            message.delivery_state = state.value
            message.delivery_error = error
            journal.changed("message", message.id, "update")
            journal.changed("ticket", message.ticket_id, "update")
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

    def _outgoing(self, session: Session, item: OutboxItem) -> OutgoingMail | str:
        """The reply as mail, or why it cannot be sent."""
        message = session.get_one(Message, item.message_id)
        ticket = session.get_one(Ticket, message.ticket_id)
        account = self._sending_account(session, ticket)
        if account is None:
            return "no active mail account to send from; add one with `desk account add`"
        to_address = session.scalar(first_email(ticket.customer_id))
        if to_address is None or to_address == UNKNOWN_SENDER:
            return "the customer has no e-mail address"
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
        )

    def _sending_account(self, session: Session, ticket: Ticket) -> MailAccount | None:
        if ticket.mail_account_id is not None:
            account = session.get(MailAccount, ticket.mail_account_id)
            if account is not None and account.is_active:
                return account
        query = select(MailAccount).where(MailAccount.is_active.is_(True))
        if ticket.department_id is not None:
            own = session.scalars(
                query.where(MailAccount.department_id == ticket.department_id)
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
