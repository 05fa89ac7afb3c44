"""Pages: an urgent ticket after hours wakes the person on call, again every few minutes until
someone acknowledges it, and the next person in the rotation when nobody does.

One `pages` row per ticket (unique), claimed with "insert unless present" like escalations, so
two workers open one page. Every repeat is claimed by moving `next_send_at` on with a
compare-and-set, and every escalation by moving `step` on, so no e-mail and no escalation is
done twice. Each step writes an audit row on the ticket ("page", "page_escalate", "page_ack")
and change-log rows ("page" and the ticket), and a notification for the agent paged, which
their desktop shows.

Page e-mails are NOT ticket messages: the outbox sends every message of a ticket to the
ticket's customer, so a page queued there would need a special case to not go to the customer
and would show in the customer's conversation. The worker sends them directly instead (see
worker/paging.py) and this store records each attempt in the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, literal_column, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from desk_app.core.after_hours import URGENT_TAG, AfterHoursSettings
from desk_app.core.clock import Clock, utc_now
from desk_app.core.enums import UNSOLVED_STATUSES, Priority
from desk_app.core.errors import InvalidInput, NotFound
from desk_app.core.identities import normalise_email
from desk_app.core.oncall import next_in_line
from desk_app.store.database import Database
from desk_app.store.journal import Journal
from desk_app.store.models import (
    UNSOLVED_SQL,
    Agent,
    Department,
    Notification,
    OncallRotation,
    Page,
    Ticket,
)
from desk_app.store.notifications import notify
from desk_app.store.oncall_settings import load_settings
from desk_app.store.oncall_store import on_call_for, rotation_by_id
from desk_app.store.page_mail import PageMail, page_mail
from desk_app.store.urgency import page_due

ENTITY = "page"
NOTIFICATION_KIND = "page"
_UNSOLVED = [s.value for s in UNSOLVED_STATUSES]
_UNSOLVED_SQL: ColumnElement[bool] = literal_column(UNSOLVED_SQL, type_=None)


@dataclass(frozen=True)
class PageRecord:
    id: int
    ticket_id: int
    subject: str
    department: str | None
    priority: str
    status: str
    agent_id: int | None
    agent: str | None  # who is being paged now
    rotation: str | None
    step: int  # escalations so far
    reason: str
    created_at: datetime
    sends: int
    last_sent_at: datetime | None
    next_send_at: datetime
    escalate_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None


class PagingStore:
    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock

    # --- queries -------------------------------------------------------------------------------

    def pages(self, *, open_only: bool = True, limit: int = 200) -> list[PageRecord]:
        """Pages, unacknowledged first and oldest first among them; with open_only, only
        unacknowledged pages of tickets still unsolved."""
        with self.db.read() as session:
            query = select(Page).join(Ticket, Ticket.id == Page.ticket_id)
            if open_only:
                query = query.where(Page.acknowledged_at.is_(None), Ticket.status.in_(_UNSOLVED))
            rows = session.scalars(
                query.order_by(Page.acknowledged_at.is_not(None), Page.created_at.desc()).limit(
                    limit
                )
            ).all()
            return [_record(session, row) for row in rows]

    def page_for(self, ticket_id: int) -> PageRecord:
        with self.db.read() as session:
            row = session.scalars(select(Page).where(Page.ticket_id == ticket_id)).first()
            if row is None:
                raise NotFound(f"ticket #{ticket_id} has no page")
            return _record(session, row)

    # --- the worker ----------------------------------------------------------------------------

    def candidates(self, now: datetime, settings: AfterHoursSettings) -> list[tuple[int, int]]:
        """(ticket id, version) of recently changed unsolved tickets with no page that may be
        urgent: a short range of the unsolved-by-update index."""
        with self.db.read() as session:
            maybe = [Ticket.priority == Priority.URGENT.value, Ticket.tags.contains(URGENT_TAG)]
            query = (
                select(Ticket.id, Ticket.version)
                .outerjoin(Page, Page.ticket_id == Ticket.id)
                .where(
                    _UNSOLVED_SQL,
                    Ticket.updated_at >= now - settings.max_age,
                    Page.id.is_(None),
                )
                .order_by(Ticket.updated_at, Ticket.id)
                .limit(1000)
            )
            if not settings.urgent_keywords:
                query = query.where(or_(*maybe))
            return [(row.id, row.version) for row in session.execute(query)]

    def is_due(self, ticket_id: int) -> bool:
        """A read: does this ticket need a page now? (open_page checks again under lock.)"""
        with self.db.read() as session:
            ticket = session.get(Ticket, ticket_id)
            if ticket is None:
                return False
            return page_due(session, ticket, load_settings(session), self.clock()) is not None

    def open_page(self, ticket_id: int) -> PageRecord | None:
        """Page the person on call for this ticket, once; None when it needs no page (any
        more), already has one, or nobody is on call."""
        with self.db.write() as session:
            journal = Journal(session, None, self.clock())
            now = journal.at
            settings = load_settings(session)
            ticket = _lock_ticket(session, ticket_id)
            if ticket.status not in _UNSOLVED:
                return None
            found = page_due(session, ticket, settings, now)
            if found is None:
                return None
            choice = on_call_for(session, ticket.department_id, now)
            if choice is None:
                return None
            values = {
                "ticket_id": ticket.id,
                "rotation_id": choice.rotation_id,
                "agent_id": choice.shift.agent_id,
                "step": 0,
                "reason": "; ".join(found.reasons),
                "created_at": now,
                "sends": 0,
                "next_send_at": now,
                "escalate_at": now + settings.page_escalate_after,
            }
            insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
            page_id = session.scalar(
                insert(Page)
                .values(**values)
                .on_conflict_do_nothing(index_elements=["ticket_id"])
                .returning(Page.id)
            )
            if page_id is None:
                return None  # another worker paged for it a moment ago
            name = _name(session, choice.shift.agent_id)
            notify(
                session,
                journal,
                kind=NOTIFICATION_KIND,
                text=f"Urgent after hours: #{ticket.id} {ticket.subject} ({values['reason']})",
                ticket_id=ticket.id,
                agent_id=choice.shift.agent_id,
            )
            journal.audit(
                "ticket",
                ticket.id,
                "page",
                ticket_id=ticket.id,
                field="on_call",
                new=f"paged {name} ({choice.rotation.name})",
                reason=f"urgent after hours: {values['reason']}",
            )
            _changed(journal, page_id, ticket.id, "insert")
            journal.finish()
            return _record(session, session.get_one(Page, page_id))

    def escalate_due(self) -> list[PageRecord]:
        """Hand every page nobody acknowledged in time to the next person in its rotation."""
        now = self.clock()
        with self.db.read() as session:
            due = session.execute(
                select(Page.id, Page.step)
                .join(Ticket, Ticket.id == Page.ticket_id)
                .where(
                    Page.acknowledged_at.is_(None),
                    Page.escalate_at <= now,
                    Ticket.status.in_(_UNSOLVED),
                )
                .order_by(Page.escalate_at, Page.id)
            ).all()
        done = [self._escalate(page_id, step) for page_id, step in due]
        return [record for record in done if record is not None]

    def _escalate(self, page_id: int, step: int) -> PageRecord | None:
        with self.db.write() as session:
            journal = Journal(session, None, self.clock())
            now = journal.at
            settings = load_settings(session)
            page = session.get(Page, page_id)
            if page is None:
                return None
            ticket = _lock_ticket(session, page.ticket_id)
            rotation = rotation_by_id(session, page.rotation_id) if page.rotation_id else None
            before = page.agent_id
            after = next_in_line(rotation, before) if rotation and before else before
            # Compare-and-set on the step: of two workers, one escalates.
            moved = session.execute(
                update(Page)
                .where(Page.id == page_id, Page.step == step, Page.acknowledged_at.is_(None))
                .values(
                    step=step + 1,
                    agent_id=after,
                    escalate_at=now + settings.page_escalate_after,
                    next_send_at=now,
                )
            ).rowcount  # type: ignore[attr-defined]
            if not moved:
                return None
            minutes = round(settings.page_escalate_after.total_seconds() / 60)
            if after is not None:
                notify(
                    session,
                    journal,
                    kind=NOTIFICATION_KIND,
                    text=f"Urgent after hours (escalated): #{ticket.id} {ticket.subject}",
                    ticket_id=ticket.id,
                    agent_id=after,
                )
            journal.audit(
                "ticket",
                ticket.id,
                "page_escalate",
                ticket_id=ticket.id,
                field="on_call",
                old=_name(session, before),
                new=_name(session, after)
                + ("" if after != before else " (nobody else in the rotation)"),
                reason=f"not acknowledged within {minutes} minutes",
            )
            _changed(journal, page_id, ticket.id, "update")
            journal.finish()
            session.refresh(page)
            return _record(session, page)

    def claim_due_mails(self, limit: int = 50) -> list[PageMail]:
        """Page e-mails due now, each claimed by moving its next send on by the repeat
        interval, so a second worker (or a crash and restart) does not send it again early."""
        now = self.clock()
        due_query = (
            select(Page.id, Page.next_send_at)
            .join(Ticket, Ticket.id == Page.ticket_id)
            .where(
                Page.acknowledged_at.is_(None),
                Page.next_send_at <= now,
                Ticket.status.in_(_UNSOLVED),
            )
            .order_by(Page.next_send_at, Page.id)
            .limit(limit)
        )
        # A read first: most passes find nothing due and need no write lock at all.
        with self.db.read() as session:
            if not session.execute(due_query).first():
                return []
        with self.db.write() as session:
            settings = load_settings(session)
            due = session.execute(due_query).all()
            mails = []
            for page_id, next_send_at in due:
                claimed = session.execute(
                    update(Page)
                    .where(Page.id == page_id, Page.next_send_at == next_send_at)
                    .values(
                        sends=Page.sends + 1,
                        last_sent_at=now,
                        next_send_at=now + settings.page_repeat,
                    )
                ).rowcount  # type: ignore[attr-defined]
                if claimed:
                    mails.append(page_mail(session, session.get_one(Page, page_id)))
            return mails

    def record_send(self, mail: PageMail, error: str | None) -> None:
        """Every page e-mail attempt in the ticket's audit trail, delivered or not."""
        with self.db.write() as session:
            journal = Journal(session, None, self.clock())
            journal.audit(
                "ticket",
                mail.ticket_id,
                "page",
                ticket_id=mail.ticket_id,
                field="email",
                new=f"page {mail.send_number} e-mailed to {mail.to_address}"
                if error is None
                else f"page {mail.send_number} to {mail.to_address} not delivered",
                reason=error,
            )
            _changed(journal, mail.page_id, mail.ticket_id, "update")
            journal.finish()

    # --- people --------------------------------------------------------------------------------

    def set_page_address(self, agent_id: int, address: str) -> str | None:
        """Where this agent's pages go (their phone's mail); empty: their work address."""
        value = normalise_email(address) if address.strip() else None
        with self.db.write() as session:
            journal = Journal(session, agent_id, self.clock())
            agent = session.get(Agent, agent_id)
            if agent is None:
                raise NotFound(f"agent {agent_id} does not exist")
            old = agent.personal_email
            journal.audit("agent", agent_id, "update", field="personal_email", old=old, new=value)
            agent.personal_email = value
            journal.changed("agent", agent_id, "update")
            journal.finish()
            return value

    def acknowledge(self, ticket_id: int, agent_id: int) -> PageRecord:
        """The agent has seen the page: stop repeating and escalating it. Saying it twice is
        harmless (the first acknowledgement stands)."""
        with self.db.write() as session:
            journal = Journal(session, agent_id, self.clock())
            agent = session.get(Agent, agent_id)
            if agent is None or not agent.is_active:
                raise InvalidInput(f"no active agent with id {agent_id}")
            page = session.scalars(
                select(Page).where(Page.ticket_id == ticket_id).with_for_update()
            ).first()
            if page is None:
                raise NotFound(f"ticket #{ticket_id} has no page to acknowledge")
            if page.acknowledged_at is None:
                page.acknowledged_at = journal.at
                page.acknowledged_by_id = agent_id
                # Everyone paged for it (after an escalation, two people) may stop looking.
                session.execute(
                    update(Notification)
                    .where(
                        Notification.ticket_id == ticket_id,
                        Notification.kind == NOTIFICATION_KIND,
                        Notification.read_at.is_(None),
                    )
                    .values(read_at=journal.at)
                )
                journal.audit(
                    "ticket",
                    ticket_id,
                    "page_ack",
                    ticket_id=ticket_id,
                    field="on_call",
                    new=f"acknowledged by {agent.display_name}",
                )
                _changed(journal, page.id, ticket_id, "update")
                journal.finish()
            return _record(session, page)


def _lock_ticket(session: Session, ticket_id: int) -> Ticket:
    # Not the service's _ticket_for_update: that asks whether the actor may work on the
    # ticket, and the person on call may come from another department.
    ticket = session.scalars(
        select(Ticket).where(Ticket.id == ticket_id).with_for_update(of=Ticket)
    ).first()
    if ticket is None:
        raise NotFound(f"ticket #{ticket_id} does not exist")
    return ticket


def _changed(journal: Journal, page_id: int, ticket_id: int, op: str) -> None:
    journal.changed(ENTITY, page_id, op)
    # The ticket row too: every desktop refreshes that ticket's line and the on-call view.
    journal.changed("ticket", ticket_id, "update")


def _name(session: Session, agent_id: int | None) -> str:
    if agent_id is None:
        return "nobody"
    return session.scalar(select(Agent.display_name).where(Agent.id == agent_id)) or (
        f"agent {agent_id}"
    )


def _record(session: Session, page: Page) -> PageRecord:
    ticket = session.get_one(Ticket, page.ticket_id)
    department = session.get(Department, ticket.department_id) if ticket.department_id else None
    rotation = (
        session.scalar(select(OncallRotation.name).where(OncallRotation.id == page.rotation_id))
        if page.rotation_id
        else None
    )
    return PageRecord(
        id=page.id,
        ticket_id=page.ticket_id,
        subject=ticket.subject,
        department=department.name if department else None,
        priority=ticket.priority,
        status=ticket.status,
        agent_id=page.agent_id,
        agent=_name(session, page.agent_id) if page.agent_id else None,
        rotation=rotation,
        step=page.step,
        reason=page.reason,
        created_at=page.created_at,
        sends=page.sends,
        last_sent_at=page.last_sent_at,
        next_send_at=page.next_send_at,
        escalate_at=page.escalate_at,
        acknowledged_at=page.acknowledged_at,
        acknowledged_by=(
            _name(session, page.acknowledged_by_id) if page.acknowledged_by_id else None
        ),
    )
