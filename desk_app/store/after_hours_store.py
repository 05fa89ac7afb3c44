"""After-hours acknowledgements: which new tickets get one, and sending it, exactly once.

The worker asks `ack_candidates` for recent e-mail tickets nobody has answered, decides which of
them arrived while the office was closed (a read), and hands each to
`AfterHoursCommands.acknowledge`, which checks everything again under the ticket's lock and, in
ONE transaction, claims the `auto_replies` row (unique on ticket and kind: with two workers
exactly one inserts it), stores the outbound message, queues it in the outbox (so the normal
SMTP sender sends it, with retries), and writes the audit and change-log rows.

The message is marked auto_kind "auto_reply": the SLA engine does not count it as a reply (the
customer still waits for a person, and the first-response clock keeps running) and the sender
adds Auto-Submitted, so the customer's own autoresponder does not answer it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses, make_msgid

from sqlalchemy import exists, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from desk_app.core.after_hours import (
    ACK_KIND,
    TEMPLATE_TAG,
    AfterHoursSettings,
    TemplateCandidate,
    choose_template,
    guess_language,
    is_after_hours,
    office_calendar,
    promised_reply,
    refusal_reason,
)
from desk_app.core.calendar import BusinessCalendar
from desk_app.core.clock import Clock, utc_now
from desk_app.core.enums import UNSOLVED_STATUSES, Channel, DeliveryState, Direction, Priority
from desk_app.core.sla import TicketFacts, describe_due
from desk_app.core.tags import tag_set
from desk_app.core.templates import (
    ReplyFacts,
    TemplateError,
    drop_markers,
    format_date,
    namespaces,
    render,
    writing_language,
)
from desk_app.store.customer_commands import first_email
from desk_app.store.database import Database
from desk_app.store.models import (
    AutoReply,
    Customer,
    Department,
    MailAccount,
    Message,
    OutboxItem,
    RawMail,
    Template,
    Ticket,
)
from desk_app.store.oncall_settings import load_settings, stored_values
from desk_app.store.service import Service
from desk_app.store.sla_store import SlaRules, load_rules

log = logging.getLogger(__name__)

COMPANY_NAME = "company.name"  # the template store's key for the company's name
_UNSOLVED = [s.value for s in UNSOLVED_STATUSES]
_HEADER_PARSER = BytesHeaderParser(policy=compat32)


@dataclass(frozen=True)
class AckOutcome:
    ticket_id: int
    sent: bool
    reason: str  # why not, or what was promised
    message_id: int | None = None
    address: str | None = None


def ticket_calendar(session: Session, rules: SlaRules, ticket: Ticket) -> BusinessCalendar | None:
    """The calendar of the ticket's department (see core.after_hours.office_calendar)."""
    department = session.get(Department, ticket.department_id) if ticket.department_id else None
    tags = session.scalar(select(Customer.tags).where(Customer.id == ticket.customer_id))
    facts = TicketFacts(
        department=department.name if department else None,
        priority=Priority(ticket.priority),
        channel=Channel(ticket.channel),
        customer_tags=tag_set(tags),
    )
    return office_calendar(rules.policies, rules.calendars, facts)


def ack_candidates(db: Database, now: datetime, settings: AfterHoursSettings) -> list[int]:
    """Recent unanswered e-mail tickets with no acknowledgement yet, oldest first (a read of
    the creation-time index over the last few hours)."""
    with db.read() as session:
        acknowledged = exists().where(AutoReply.ticket_id == Ticket.id, AutoReply.kind == ACK_KIND)
        return list(
            session.scalars(
                select(Ticket.id)
                .where(
                    Ticket.created_at >= now - settings.max_age,
                    Ticket.channel == Channel.EMAIL.value,
                    Ticket.status.in_(_UNSOLVED),
                    Ticket.first_response_at.is_(None),
                    ~acknowledged,
                )
                .order_by(Ticket.created_at, Ticket.id)
                .limit(500)
            )
        )


class AfterHoursCommands(Service):
    """Runs as the system (no acting agent), like ingest and escalation."""

    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        super().__init__(db, None, clock)

    def arrived_after_hours(self, ticket_id: int) -> bool:
        """A cheap read that spares the write lock for tickets that came in office hours."""
        with self.db.read() as session:
            ticket = session.get(Ticket, ticket_id)
            if ticket is None:
                return False
            return is_after_hours(
                ticket_calendar(session, load_rules(session), ticket), ticket.created_at
            )

    def acknowledge(self, ticket_id: int) -> AckOutcome:
        """Send the after-hours acknowledgement for one ticket if it is due one; every
        condition is checked again here, under the ticket's lock."""
        with self.db.write() as session:
            journal = self._journal(session)
            now = journal.at
            settings = load_settings(session)
            ticket = self._ticket_for_update(session, ticket_id, None)

            def skip(reason: str) -> AckOutcome:
                return AckOutcome(ticket_id, False, reason)

            if not settings.enabled:
                return skip("after-hours acknowledgements are switched off")
            if _acknowledged(session, ticket_id):
                return skip("already acknowledged")
            if ticket.status not in _UNSOLVED or ticket.first_response_at is not None:
                return skip("a person has answered or it is solved")
            if now - ticket.created_at > settings.max_age:
                return skip("it arrived too long ago")
            rules = load_rules(session)
            calendar = ticket_calendar(session, rules, ticket)
            if calendar is None or not is_after_hours(calendar, ticket.created_at):
                return skip("it arrived in office hours")
            first = _first_inbound(session, ticket_id)
            raw = _raw_of(session, first) if first is not None else None
            if first is None or raw is None:
                return skip("it was not created by an inbound e-mail")
            headers = _headers(raw)
            found = session.scalar(first_email(ticket.customer_id))
            to_address = found if isinstance(found, str) else None
            sender = _sender(headers) or to_address
            own = frozenset(a.lower() for a in session.scalars(select(MailAccount.address)) if a)
            reason = refusal_reason(
                auto_kind=first.auto_kind, sender=sender, headers=headers, own_addresses=own
            ) or refusal_reason(auto_kind=None, sender=to_address, headers={}, own_addresses=own)
            if reason is not None or to_address is None:
                return skip(f"not acknowledged: {reason or 'no address to write to'}")
            customer = session.scalars(
                select(Customer).where(Customer.id == ticket.customer_id).with_for_update()
            ).one()
            # Under the customer's lock: two workers with two tickets from one customer are
            # serialised here, so the second sees the first's row and stays quiet.
            if _recently_acknowledged(session, customer.id, now - settings.ack_window):
                return skip("the customer was acknowledged recently")
            language = writing_language(
                customer.language or guess_language(f"{ticket.subject}\n{first.body_text}")
            )
            template = _template(session, ticket.department_id, language)
            if template is None:
                log.warning("no after-hours template for ticket #%s (%s)", ticket.id, language)
                return skip(f"no after-hours template in {language} or English")
            promise = promised_reply(calendar, ticket.created_at, ticket.first_response_due_at)
            try:
                subject, body, html = _render(
                    session,
                    _Filling(template, ticket, customer, to_address, language, calendar, promise),
                    settings,
                    now,
                )
            except TemplateError as exc:
                log.warning("after-hours template %s cannot be filled: %s", template.id, exc)
                return skip(f"the after-hours template cannot be filled in: {exc}")
            if not _claim(session, ticket.id, customer.id, to_address, now):
                return skip("already acknowledged")
            message = self._add_message(
                session,
                journal,
                ticket,
                Direction.OUTBOUND,
                body,
                at=now,
                subject=subject,
                message_id=make_msgid(domain=_domain(session, ticket)),
                in_reply_to=first.message_id,
                references=" ".join(filter(None, [first.references, first.message_id])) or None,
                body_html=html,
            )
            message.auto_kind = "auto_reply"
            message.delivery_state = DeliveryState.QUEUED.value
            session.add(
                OutboxItem(
                    message_id=message.id,
                    state=DeliveryState.QUEUED.value,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            session.execute(
                update(AutoReply)
                .where(AutoReply.ticket_id == ticket.id, AutoReply.kind == ACK_KIND)
                .values(message_id=message.id)
            )
            # In English for the agents reading the trail; the customer read it in theirs.
            said = describe_due(promise, calendar.zone, "en", now)
            journal.audit(
                "ticket",
                ticket.id,
                "auto_reply",
                ticket_id=ticket.id,
                ticket_version=ticket.version + 1,
                field="after_hours",
                new=f"acknowledged to {to_address}; a person will answer {said}",
                reason=f"arrived after hours ({calendar.name})",
            )
            self._finish_ticket(journal, ticket, message)
            return AckOutcome(ticket.id, True, said, message.id, to_address)


def _acknowledged(session: Session, ticket_id: int) -> bool:
    query = select(AutoReply.id).where(AutoReply.ticket_id == ticket_id, AutoReply.kind == ACK_KIND)
    return session.scalar(query) is not None


def _recently_acknowledged(session: Session, customer_id: int, since: datetime) -> bool:
    query = select(AutoReply.id).where(
        AutoReply.customer_id == customer_id,
        AutoReply.kind == ACK_KIND,
        AutoReply.sent_at > since,
    )
    return session.scalar(query.limit(1)) is not None


def _claim(session: Session, ticket_id: int, customer_id: int, address: str, now: datetime) -> bool:
    """Insert the auto_replies row unless present; True when this transaction inserted it."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(AutoReply)
        .values(
            ticket_id=ticket_id,
            customer_id=customer_id,
            kind=ACK_KIND,
            address=address,
            sent_at=now,
        )
        .on_conflict_do_nothing(index_elements=["ticket_id", "kind"])
        .returning(AutoReply.id)
    )
    return session.execute(statement).first() is not None


def _first_inbound(session: Session, ticket_id: int) -> Message | None:
    return session.scalars(
        select(Message)
        .where(Message.ticket_id == ticket_id, Message.direction == Direction.INBOUND.value)
        .order_by(Message.created_at, Message.id)
        .limit(1)
    ).first()


def _raw_of(session: Session, message: Message) -> bytes | None:
    return session.scalar(select(RawMail.content).where(RawMail.message_id == message.id))


def _headers(raw: bytes) -> dict[str, str]:
    """The mail's own headers with lower-case names (the first of repeated ones)."""
    headers: dict[str, str] = {}
    for name, value in _HEADER_PARSER.parsebytes(raw).items():
        headers.setdefault(name.lower(), str(value))
    return headers


def _sender(headers: dict[str, str]) -> str | None:
    found = [address for _name, address in getaddresses([headers.get("from", "")]) if address]
    return found[0] if found else None


def _domain(session: Session, ticket: Ticket) -> str:
    address = (
        session.scalar(select(MailAccount.address).where(MailAccount.id == ticket.mail_account_id))
        if ticket.mail_account_id
        else None
    )
    return (address or "").rpartition("@")[2] or "desk.invalid"


def _template(session: Session, department_id: int | None, language: str) -> Template | None:
    rows = session.scalars(
        select(Template).where(
            Template.tags.contains(TEMPLATE_TAG),
            (Template.scope == "everyone")
            | ((Template.scope == "department") & (Template.department_id == department_id)),
        )
    ).all()
    tagged = {row.id: row for row in rows if TEMPLATE_TAG in row.tags.split()}
    candidates = [
        TemplateCandidate(
            row.id, row.language or "en", row.department_id if row.scope == "department" else None
        )
        for row in tagged.values()
    ]
    chosen = choose_template(candidates, department_id, language)
    return tagged.get(chosen) if chosen is not None else None


@dataclass(frozen=True)
class _Filling:
    """What one acknowledgement is filled from."""

    template: Template
    ticket: Ticket
    customer: Customer
    address: str
    language: str
    calendar: BusinessCalendar
    promise: datetime


def _render(
    session: Session, filling: _Filling, settings: AfterHoursSettings, now: datetime
) -> tuple[str, str, str | None]:
    """(subject, text, html) of the acknowledgement. Nothing is left for a person to fill in
    here, so any placeholder without a value is dropped rather than sent as a marker."""
    template, ticket, customer = filling.template, filling.ticket, filling.customer
    calendar, language, promise = filling.calendar, filling.language, filling.promise
    company = stored_values(session, [COMPANY_NAME]).get(COMPANY_NAME)
    department = session.get(Department, ticket.department_id) if ticket.department_id else None
    facts = ReplyFacts(
        customer_name=customer.name,
        customer_email=filling.address,
        customer_language=language,
        ticket_number=ticket.id,
        ticket_subject=ticket.subject,
        ticket_department=department.name if department else None,
        ticket_status=ticket.status,
        ticket_priority=ticket.priority,
        ticket_created_at=ticket.created_at,
        # Promises are written in the office's own time zone: that is where the answer will
        # come from, and a customer's zone is not known.
        time_zone=calendar.timezone,
        first_response_due_at=promise,
        company_name=company if isinstance(company, str) else "",
        extra={
            "after_hours": {
                "expected_response": describe_due(
                    promise,
                    calendar.zone,
                    language,  # type: ignore[arg-type]
                    now,
                ),
                "reply_by": format_date(promise, calendar.zone, language),
                "help_centre": settings.help_centre_url,
            }
        },
    )
    values = namespaces(facts, now)
    body = drop_markers(render(template.body, values).text).strip() + "\n"
    subject_source = template.subject or ""
    subject = drop_markers(render(subject_source, values, kind="subject").text).strip()
    if not subject:
        subject = (
            ticket.subject
            if ticket.subject.lower().startswith("re:")
            else (f"Re: {ticket.subject}")
        )
    html = (
        drop_markers(render(template.body_html, values, kind="html").text)
        if template.body_html
        else None
    )
    return subject, body, html
