"""The service layer: every write is a command that runs in one transaction and records its
audit events and change-log rows in that same transaction.

Tickets carry a version. A command given an expected version that finds a newer one raises a
ConflictError naming who changed what since; nothing is silently overwritten. Commands lock the
ticket row (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers), so a
read-modify-write can never interleave with another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import make_msgid

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from desk_app.core.enums import (
    UNSOLVED_STATUSES,
    Channel,
    DeliveryState,
    Direction,
    DraftKind,
    Priority,
    Status,
)
from desk_app.core.errors import InvalidInput, NotFound
from desk_app.core.permissions import Permission, require_move
from desk_app.core.threading_rules import normalise_subject
from desk_app.store import search, sla_store
from desk_app.store.agent_commands import AgentCommands
from desk_app.store.authorisation import load_team_rules
from desk_app.store.command_base import (
    MAX_SUBJECT,
    NewAttachment,
    check_body,
    check_unseen,
    choice,
    clean_subject,
)
from desk_app.store.customer_commands import CustomerCommands
from desk_app.store.journal import Journal
from desk_app.store.models import (
    Agent,
    AgentDepartment,
    Attachment,
    Customer,
    Department,
    Draft,
    Message,
    OutboxItem,
    Ticket,
    TicketRead,
)
from desk_app.store.notifications import notify
from desk_app.store.previews import preview_after_message
from desk_app.store.records import OpResult

__all__ = ["BulkResult", "NewAttachment", "Service"]

# One bulk move is one transaction holding every ticket's lock; past this, split the work.
MAX_BULK = 5_000


@dataclass(frozen=True)
class BulkResult:
    changed: list[int]  # tickets that moved (or got the note), in id order
    unchanged: int  # already where they were asked to go
    change_seq: int | None


class Service(AgentCommands, CustomerCommands):
    """Ticket and draft commands; people and customers come from the mixins."""

    # --- tickets ---------------------------------------------------------------------------

    def create_ticket(
        self,
        *,
        subject: str,
        customer_email: str | None = None,
        customer_phone: str | None = None,
        customer_name: str = "",
        body: str = "",
        department: str | int | None = None,
        priority: str = "normal",
        channel: str = "email",
        created_at: datetime | None = None,
        message_id: str | None = None,
        body_html: str | None = None,
        attachments: Sequence[NewAttachment] = (),
    ) -> OpResult:
        """A new ticket from a customer, with their first message if there is one."""
        subject = clean_subject(subject)
        priority_value = choice(Priority, priority)
        channel_value = choice(Channel, channel)
        if not customer_email and not customer_phone:
            raise InvalidInput("a ticket needs the customer's e-mail address or phone number")
        with self.db.write() as session:
            journal = self._journal(session)
            at = created_at or journal.at
            customer = self._find_or_create_customer(
                session, journal, customer_name, customer_email, customer_phone
            )
            department_id = self._department(session, department).id if department else None
            self._require(session, Permission.WORK_TICKET, department_id)
            ticket = self._open_ticket(
                session,
                journal,
                subject=subject,
                customer=customer,
                department_id=department_id,
                priority=priority_value,
                channel=channel_value,
                at=at,
            )
            message = None
            if body.strip():
                message = self._add_message(
                    session,
                    journal,
                    ticket,
                    Direction.INBOUND,
                    check_body(body),
                    at=at,
                    author_customer_id=customer.id,
                    subject=subject,
                    message_id=message_id,
                    body_html=body_html,
                    attachments=attachments,
                    new_ticket=True,
                )
            sla_store.recompute_ticket(session, ticket, journal.at)
            seq = journal.finish()
            return OpResult(
                ticket_id=ticket.id,
                version=ticket.version,
                customer_id=customer.id,
                message_id=message.id if message else None,
                change_seq=seq,
            )

    def add_inbound_message(
        self,
        ticket_id: int,
        body: str,
        *,
        subject: str = "",
        body_html: str | None = None,
        message_id: str | None = None,
        in_reply_to: str | None = None,
        references: str | None = None,
        created_at: datetime | None = None,
        attachments: Sequence[NewAttachment] = (),
    ) -> OpResult:
        """A customer wrote again. A solved ticket reopens; a closed one takes no more mail."""
        with self.db.write() as session:
            journal = self._journal(session)
            ticket = self._ticket_for_update(session, ticket_id, None)
            if ticket.status == Status.CLOSED:
                raise InvalidInput(
                    f"ticket #{ticket.id} is closed; new mail for it becomes a follow-up ticket"
                )
            self._reopen_for_customer(journal, ticket)
            message = self._add_message(
                session,
                journal,
                ticket,
                Direction.INBOUND,
                check_body(body),
                at=created_at or journal.at,
                author_customer_id=ticket.customer_id,
                subject=subject,
                message_id=message_id,
                in_reply_to=in_reply_to,
                references=references,
                body_html=body_html,
                attachments=attachments,
            )
            return self._finish_ticket(journal, ticket, message)

    def reply(
        self,
        ticket_id: int,
        body: str,
        *,
        expected_version: int | None = None,
        body_html: str | None = None,
        status_after: str | None = None,
        seen_message_id: int | None = None,
        template_ids: Sequence[int] = (),
        sent_despite: Sequence[int] = (),
    ) -> OpResult:
        """Store the agent's reply with its final Message-ID and queue it for the worker.

        seen_message_id: the newest message the agent's draft has taken into account (the
        window passes where the draft began, not what it displays now); if anything was added
        to the ticket after it, nothing is sent and CollisionError lists what is new.
        sent_despite: messages the agent was told arrived while they wrote and chose to answer
        past ("Send anyway"); the audit trail keeps that choice.
        """
        agent_id = self._require_actor()
        body = check_body(body)
        with self.db.write() as session:
            journal = self._journal(session)
            ticket = self._ticket_for_update(session, ticket_id, expected_version)
            check_unseen(session, ticket.id, seen_message_id)
            if ticket.status == Status.CLOSED:
                raise InvalidInput(f"ticket #{ticket.id} is closed; open a follow-up instead")
            parent = self._reply_parent(session, ticket.id)
            references = None
            if parent is not None and parent.message_id:
                references = " ".join(filter(None, [parent.references, parent.message_id]))
            subject = (
                ticket.subject
                if ticket.subject.lower().startswith("re:")
                else f"Re: {ticket.subject}"
            )
            message = self._add_message(
                session,
                journal,
                ticket,
                Direction.OUTBOUND,
                body,
                at=journal.at,
                author_agent_id=agent_id,
                subject=subject,
                message_id=make_msgid(domain=self._message_domain(session, agent_id)),
                in_reply_to=parent.message_id if parent else None,
                references=references,
                body_html=body_html,
            )
            message.delivery_state = DeliveryState.QUEUED.value
            session.add(
                OutboxItem(
                    message_id=message.id,
                    state=DeliveryState.QUEUED.value,
                    attempts=0,
                    next_attempt_at=journal.at,
                    created_at=journal.at,
                )
            )
            if ticket.first_response_at is None:
                ticket.first_response_at = journal.at
            next_status = choice(Status, status_after) if status_after else None
            if next_status is None and ticket.status == Status.NEW:
                next_status = Status.OPEN
            if next_status is not None and next_status != ticket.status:
                self._change_status(journal, ticket, next_status, reason=None)
            if template_ids:
                # The templates it used count towards their effectiveness. Imported here: it
                # brings Jinja2, which commands without templates need not load.
                from desk_app.store.template_store import record_uses

                record_uses(
                    session,
                    journal,
                    ticket_id=ticket.id,
                    agent_id=agent_id,
                    message_id=message.id,
                    template_ids=template_ids,
                )
            if sent_despite:
                journal.audit(
                    "message",
                    message.id,
                    "sent_anyway",
                    ticket_id=ticket.id,
                    ticket_version=ticket.version + 1,
                    reason="sent after being told of new message "
                    + ", ".join(f"#{i}" for i in sorted(set(sent_despite))),
                )
            self._discard_draft(session, ticket.id, agent_id, DraftKind.REPLY)
            return self._finish_ticket(journal, ticket, message)

    def retry_replies(self, ticket_id: int, *, message_id: int | None = None) -> OpResult:
        """The agent's "Retry" on replies that failed (refused by the server, or given up after
        the retry limit): queue the ticket's failed replies (or just message_id) again with the
        same content and Message-ID. Whoever may work the ticket may retry; the audit trail
        keeps who did and what the failure was."""
        self._require_actor()
        with self.db.write() as session:
            ticket = self._ticket_for_update(session, ticket_id, None)
            query = (
                select(OutboxItem, Message)
                .join(Message, Message.id == OutboxItem.message_id)
                .where(
                    Message.ticket_id == ticket.id,
                    OutboxItem.state == DeliveryState.FAILED.value,
                )
                .order_by(Message.id)
            )
            if message_id is not None:
                query = query.where(Message.id == message_id)
            failed = session.execute(query).all()
            if not failed:
                what = f"ticket #{ticket.id}"
                if message_id is not None:
                    what = f"message {message_id} of {what}"
                raise NotFound(f"{what} has no failed reply to retry")
            journal = self._journal(session)
            for item, message in failed:
                item.state = DeliveryState.QUEUED.value
                item.next_attempt_at = journal.at
                item.first_attempt_at = None  # a new round: the retry limit counts from its start
                journal.audit(
                    "message",
                    message.id,
                    "retry_delivery",
                    ticket_id=ticket.id,
                    old=message.delivery_error,
                )
                message.delivery_state = DeliveryState.QUEUED.value
                message.delivery_error = None
                journal.changed("message", message.id, "update")
            journal.changed("ticket", ticket.id, "update")
            seq = journal.finish()
            return OpResult(
                ticket_id=ticket.id,
                version=ticket.version,
                message_id=failed[-1][1].id,
                change_seq=seq,
            )

    def add_note(
        self,
        ticket_id: int,
        body: str,
        *,
        expected_version: int | None = None,
        seen_message_id: int | None = None,
    ) -> OpResult:
        """An internal note; seen_message_id works as for reply."""
        agent_id = self._require_actor()
        body = check_body(body)
        with self.db.write() as session:
            journal = self._journal(session)
            ticket = self._ticket_for_update(session, ticket_id, expected_version)
            check_unseen(session, ticket.id, seen_message_id)
            message = self._add_message(
                session,
                journal,
                ticket,
                Direction.NOTE,
                body,
                at=journal.at,
                author_agent_id=agent_id,
            )
            self._discard_draft(session, ticket.id, agent_id, DraftKind.NOTE)
            # A note is neither a reply nor a customer message: no clock moves.
            return self._finish_ticket(journal, ticket, message, recompute_sla=False)

    def assign(
        self,
        ticket_id: int,
        *,
        department: str | int | None = None,
        agent: str | int | None = None,
        unassign: bool = False,
        reason: str | None = None,
        expected_version: int | None = None,
        note: str | None = None,
    ) -> OpResult:
        """Move a ticket to a department and/or agent. An assignee who is not a member of the
        new department is cleared, so a ticket never sits with someone who cannot see it.
        note: an internal note written in the same transaction (the move and its note land
        together or not at all)."""
        if department is None and agent is None and not unassign:
            raise InvalidInput("say which department or agent to assign the ticket to")
        with self.db.write() as session:
            journal = self._journal(session)
            ticket = self._ticket_for_update(session, ticket_id, expected_version)
            before = (ticket.department_id, ticket.status)
            self._assign(session, journal, ticket, department, agent, unassign, reason)
            message = None
            if note and note.strip():
                message = self._add_message(
                    session, journal, ticket, Direction.NOTE, check_body(note),
                    at=journal.at, author_agent_id=self.actor_id,
                )  # fmt: skip
            # Policies match on the department, and assigning a new ticket opens it; who the
            # assignee is moves no deadline, so an assignee-only change skips the recompute.
            sla_inputs_changed = (ticket.department_id, ticket.status) != before
            return self._finish_ticket(journal, ticket, message, recompute_sla=sla_inputs_changed)

    def assign_many(
        self,
        ticket_ids: Sequence[int],
        *,
        department: str | int | None = None,
        agent: str | int | None = None,
        unassign: bool = False,
        reason: str | None = None,
        note: str | None = None,
    ) -> BulkResult:
        """Move many tickets in ONE transaction: all move, or (on any refusal or conflict)
        none do. Each ticket gets its own audit rows and version; an optional internal note
        goes on every ticket; the new assignee or department gets one notice for the lot."""
        if department is None and agent is None and not unassign:
            raise InvalidInput("say which department or agent to assign the tickets to")
        ids = sorted(set(ticket_ids))  # a fixed locking order: two bulk moves cannot deadlock
        if not ids:
            raise InvalidInput("no tickets selected")
        if len(ids) > MAX_BULK:
            raise InvalidInput(f"move at most {MAX_BULK:,} tickets at once")
        note_body = check_body(note) if note and note.strip() else None
        with self.db.write() as session:
            journal = self._journal(session)
            changed: list[int] = []
            last: Ticket | None = None
            for ticket_id in ids:
                ticket = self._ticket_for_update(session, ticket_id, None)
                before = (ticket.department_id, ticket.status, ticket.assignee_id)
                self._assign(
                    session, journal, ticket, department, agent, unassign, reason, quiet=True
                )
                after = (ticket.department_id, ticket.status, ticket.assignee_id)
                if after == before and note_body is None:
                    continue
                if note_body is not None:
                    self._add_message(
                        session, journal, ticket, Direction.NOTE, note_body,
                        at=journal.at, author_agent_id=self.actor_id,
                    )  # fmt: skip
                self._touch(journal, ticket, recompute_sla=after[:2] != before[:2])
                changed.append(ticket.id)
                last = ticket
            if last is not None:
                what = (
                    f"#{last.id} {last.subject}" if len(changed) == 1 else f"{len(changed)} tickets"
                )
                if last.assignee_id is not None:
                    self._notify_assigned(
                        session, journal, what, reason, last.id if len(changed) == 1 else None,
                        agent_id=last.assignee_id,
                    )  # fmt: skip
                elif last.department_id is not None:
                    self._notify_assigned(
                        session, journal, what, reason, last.id if len(changed) == 1 else None,
                        department_id=last.department_id,
                    )  # fmt: skip
            seq = journal.finish()
            return BulkResult(changed=changed, unchanged=len(ids) - len(changed), change_seq=seq)

    def set_status(
        self,
        ticket_id: int,
        status: str,
        *,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> OpResult:
        value = choice(Status, status)
        with self.db.write() as session:
            journal = self._journal(session)
            ticket = self._ticket_for_update(session, ticket_id, expected_version)
            if ticket.status == value:
                return OpResult(ticket_id=ticket.id, version=ticket.version)
            self._change_status(journal, ticket, value, reason)
            return self._finish_ticket(journal, ticket)

    def set_priority(
        self, ticket_id: int, priority: str, *, expected_version: int | None = None
    ) -> OpResult:
        value = choice(Priority, priority)
        with self.db.write() as session:
            journal = self._journal(session)
            ticket = self._ticket_for_update(session, ticket_id, expected_version)
            if ticket.priority == value:
                return OpResult(ticket_id=ticket.id, version=ticket.version)
            self._set_field(journal, ticket, "priority", value.value)
            return self._finish_ticket(journal, ticket)

    # --- personal state ---------------------------------------------------------------------

    def mark_read(self, ticket_id: int) -> None:
        """The acting agent has seen the ticket as it is now. Personal: no audit, no version."""
        agent_id = self._require_actor()
        with self.db.write() as session:
            ticket = session.get(Ticket, ticket_id)
            if ticket is None:
                raise NotFound(f"ticket #{ticket_id} does not exist")
            self._require(session, Permission.READ_TICKET, ticket.department_id)
            read = session.get(TicketRead, (agent_id, ticket_id))
            if read is None:
                session.add(
                    TicketRead(agent_id=agent_id, ticket_id=ticket_id, read_at=self.clock())
                )
            else:
                read.read_at = self.clock()

    # --- drafts -----------------------------------------------------------------------------

    def save_draft(self, ticket_id: int, kind: str, body: str) -> None:
        """Keep what the agent is typing. An empty body removes the draft."""
        agent_id = self._require_actor()
        draft_kind = choice(DraftKind, kind)
        with self.db.write() as session:
            if not body.strip():
                self._discard_draft(session, ticket_id, agent_id, draft_kind)
                return
            if session.get(Ticket, ticket_id) is None:
                raise NotFound(f"ticket #{ticket_id} does not exist")
            draft = session.scalars(
                select(Draft).where(
                    Draft.ticket_id == ticket_id,
                    Draft.agent_id == agent_id,
                    Draft.kind == draft_kind.value,
                )
            ).first()
            if draft is None:
                session.add(
                    Draft(
                        ticket_id=ticket_id,
                        agent_id=agent_id,
                        kind=draft_kind.value,
                        body=body,
                        updated_at=self.clock(),
                    )
                )
            else:
                draft.body = body
                draft.updated_at = self.clock()

    def discard_draft(self, ticket_id: int, kind: str) -> None:
        agent_id = self._require_actor()
        with self.db.write() as session:
            self._discard_draft(session, ticket_id, agent_id, choice(DraftKind, kind))

    # --- internals --------------------------------------------------------------------------

    def _open_ticket(
        self,
        session: Session,
        journal: Journal,
        *,
        subject: str,
        customer: Customer,
        department_id: int | None,
        priority: Priority,
        channel: Channel,
        at: datetime,
        mail_account_id: int | None = None,
        follow_up_of_id: int | None = None,
    ) -> Ticket:
        ticket = Ticket(
            subject=subject,
            subject_key=normalise_subject(subject)[:500],
            status=Status.NEW.value,
            priority=priority.value,
            channel=channel.value,
            department_id=department_id,
            customer_id=customer.id,
            created_at=at,
            updated_at=at,
            message_count=0,
            preview="",
            version=1,
            mail_account_id=mail_account_id,
            follow_up_of_id=follow_up_of_id,
        )
        session.add(ticket)
        session.flush()
        search.index_new_ticket(session, ticket, customer)
        journal.audit(
            "ticket", ticket.id, "create", ticket_id=ticket.id, ticket_version=1, new=subject
        )
        journal.changed("ticket", ticket.id, "insert")
        return ticket

    def _add_message(
        self,
        session: Session,
        journal: Journal,
        ticket: Ticket,
        direction: Direction,
        body: str,
        *,
        at: datetime,
        author_agent_id: int | None = None,
        author_customer_id: int | None = None,
        subject: str = "",
        message_id: str | None = None,
        in_reply_to: str | None = None,
        references: str | None = None,
        body_html: str | None = None,
        attachments: Sequence[NewAttachment] = (),
        new_ticket: bool = False,
    ) -> Message:
        message = Message(
            ticket_id=ticket.id,
            direction=direction.value,
            author_agent_id=author_agent_id,
            author_customer_id=author_customer_id,
            subject=" ".join(subject.split())[:MAX_SUBJECT],
            body_text=body,
            body_html=body_html,
            message_id=message_id,
            in_reply_to=in_reply_to,
            references=references,
            created_at=at,
        )
        session.add(message)
        session.flush()
        for item in attachments:
            session.add(
                Attachment(
                    message_id=message.id,
                    filename=item.filename,
                    content_type=item.content_type,
                    size=len(item.content),
                    content_id=item.content_id,
                    content=item.content,
                )
            )
        search.append_message(session, ticket.id, body)
        ticket.message_count += 1
        preview_after_message(session, ticket, direction, at, body)
        if ticket.last_message_at is None or at >= ticket.last_message_at:
            ticket.last_message_at = at
        if direction is Direction.INBOUND and (
            ticket.last_customer_message_at is None or at >= ticket.last_customer_message_at
        ):
            ticket.last_customer_message_at = at
        journal.changed("message", message.id, "insert")
        # A ticket's first message belongs to version 1; later ones to the version being made.
        journal.audit(
            "message",
            message.id,
            direction.value,
            ticket_id=ticket.id,
            ticket_version=ticket.version + (0 if new_ticket else 1),
        )
        return message

    def _set_field(
        self,
        journal: Journal,
        ticket: Ticket,
        field: str,
        value: object,
        reason: str | None = None,
        shown: tuple[str | None, str | None] | None = None,
    ) -> None:
        """Change one ticket field and audit it. `shown` gives the old and new values as people
        read them (names, not ids), so the trail stays readable after renames and deletions."""
        old = getattr(ticket, field)
        setattr(ticket, field, value)
        old_shown, new_shown = shown if shown else (old, value)
        journal.audit(
            "ticket",
            ticket.id,
            "update",
            ticket_id=ticket.id,
            ticket_version=ticket.version + 1,
            field=field.removesuffix("_id"),
            old=old_shown,
            new=new_shown,
            reason=reason,
        )

    def _reopen_for_customer(self, journal: Journal, ticket: Ticket) -> None:
        """The customer wrote: a solved or pending ticket is someone's work again."""
        if ticket.status in (Status.SOLVED, Status.PENDING):
            self._change_status(journal, ticket, Status.OPEN, reason="customer replied")

    def _change_status(
        self, journal: Journal, ticket: Ticket, status: Status, reason: str | None
    ) -> None:
        self._set_field(journal, ticket, "status", status.value, reason)
        if status in (Status.SOLVED, Status.CLOSED):
            ticket.solved_at = ticket.solved_at or journal.at
        elif status in UNSOLVED_STATUSES:
            ticket.solved_at = None

    def _assign(
        self,
        session: Session,
        journal: Journal,
        ticket: Ticket,
        department_ref: str | int | None,
        agent_ref: str | int | None,
        unassign: bool,
        reason: str | None,
        *,
        quiet: bool = False,
    ) -> None:
        """quiet: leave telling people to the caller (a bulk move sends one notice, not 500)."""
        department_id = ticket.department_id
        # Held here: the session keeps loaded rows only while something refers to them, and
        # looking the department up again below would cost the command another round trip.
        named_department = None
        if department_ref is not None:
            named_department = self._department(session, department_ref)
            department_id = named_department.id
        agent = self._agent(session, agent_ref) if agent_ref is not None else None
        if agent is not None and not agent.is_active:
            raise InvalidInput(f"{agent.display_name} is no longer active")
        memberships = (
            set(
                session.scalars(
                    select(AgentDepartment.department_id).where(
                        AgentDepartment.agent_id == (agent.id if agent else ticket.assignee_id)
                    )
                )
            )
            if (agent or ticket.assignee_id)
            else set()
        )
        if agent is not None and department_id is not None and department_id not in memberships:
            if department_ref is not None:
                raise InvalidInput(f"{agent.display_name} is not a member of that department")
            # Only an agent was given: the ticket follows the agent into their department.
            if len(memberships) == 1:
                department_id = next(iter(memberships))
            else:
                raise InvalidInput(
                    f"{agent.display_name} is not in this ticket's department; choose a department"
                )
        assignee_id = ticket.assignee_id
        if agent is not None:
            assignee_id = agent.id
        elif unassign or (assignee_id is not None and department_id not in memberships):
            assignee_id = None
        department_moved = department_id != ticket.department_id
        if department_moved:
            new_department = named_department
            if new_department is None or new_department.id != department_id:
                new_department = (
                    session.get_one(Department, department_id) if department_id else None
                )
            if self.actor_id is not None:
                # Between departments is a lead's call, with a reason when the team asks for
                # one; the system (routing, escalation) records its own reasons.
                require_move(
                    self._acting(session),
                    ticket.department_id,
                    department_id,
                    reason=reason,
                    rules=load_team_rules(session),
                    to_name=new_department.name if new_department else None,
                )
            shown = (
                ticket.department.name if ticket.department else None,
                new_department.name if new_department else None,
            )
            self._set_field(journal, ticket, "department_id", department_id, reason, shown)
        if assignee_id != ticket.assignee_id:
            shown = (
                ticket.assignee.display_name if ticket.assignee else None,
                agent.display_name if agent else None,
            )
            self._set_field(journal, ticket, "assignee_id", assignee_id, reason, shown)
            if assignee_id is not None and not quiet:
                self._notify_moved(session, journal, ticket, reason, agent_id=assignee_id)
        if department_moved and department_id is not None and assignee_id is None and not quiet:
            # Nobody in particular has it now: tell the department it has new work.
            self._notify_moved(session, journal, ticket, reason, department_id=department_id)
        if ticket.status == Status.NEW and assignee_id is not None:
            self._change_status(journal, ticket, Status.OPEN, reason=None)

    def _notify_moved(
        self,
        session: Session,
        journal: Journal,
        ticket: Ticket,
        reason: str | None,
        *,
        agent_id: int | None = None,
        department_id: int | None = None,
    ) -> None:
        self._notify_assigned(
            session, journal, f"#{ticket.id} {ticket.subject}", reason, ticket.id,
            agent_id=agent_id, department_id=department_id,
        )  # fmt: skip

    def _notify_assigned(
        self,
        session: Session,
        journal: Journal,
        what: str,
        reason: str | None,
        ticket_id: int | None,
        *,
        agent_id: int | None = None,
        department_id: int | None = None,
    ) -> None:
        by = self._acting(session).name if journal.actor_id is not None else None
        to = "you" if agent_id is not None else "your department"
        text = f"{what} {'were' if what[0].isdigit() else 'was'} assigned to {to}"
        if by:
            text += f" by {by}"
        if reason:
            text += f": {reason}"
        notify(
            session,
            journal,
            kind="assigned",
            text=text,
            ticket_id=ticket_id,
            agent_id=agent_id,
            department_id=department_id,
        )

    def _discard_draft(
        self, session: Session, ticket_id: int, agent_id: int, kind: DraftKind
    ) -> None:
        session.execute(
            delete(Draft).where(
                Draft.ticket_id == ticket_id, Draft.agent_id == agent_id, Draft.kind == kind.value
            )
        )

    def _reply_parent(self, session: Session, ticket_id: int) -> Message | None:
        """The message a reply answers: the customer's latest mail, else our latest one, so a
        second reply in a row still threads under what the customer wrote."""
        for direction in (Direction.INBOUND, Direction.OUTBOUND):
            parent = session.scalars(
                select(Message)
                .where(
                    Message.ticket_id == ticket_id,
                    Message.direction == direction.value,
                    Message.message_id.is_not(None),
                )
                .order_by(Message.created_at.desc(), Message.id.desc())
                .limit(1)
            ).first()
            if parent is not None:
                return parent
        return None

    def _message_domain(self, session: Session, agent_id: int) -> str:
        email = session.scalar(select(Agent.email).where(Agent.id == agent_id)) or ""
        return email.rpartition("@")[2] or "desk.invalid"

    def _touch(self, journal: Journal, ticket: Ticket, *, recompute_sla: bool = True) -> None:
        """A new version of the ticket: bump it, recompute its clocks, log the change."""
        ticket.version += 1
        ticket.updated_at = journal.at
        # Nearly every ticket change may move a deadline (a reply, a status, a department...);
        # callers pass recompute_sla=False only for changes the SLA engine never reads.
        if recompute_sla:
            sla_store.recompute_ticket(journal.session, ticket, journal.at)
        journal.changed("ticket", ticket.id, "update")

    def _finish_ticket(
        self,
        journal: Journal,
        ticket: Ticket,
        message: Message | None = None,
        *,
        recompute_sla: bool = True,
    ) -> OpResult:
        self._touch(journal, ticket, recompute_sla=recompute_sla)
        seq = journal.finish()
        return OpResult(
            ticket_id=ticket.id,
            version=ticket.version,
            message_id=message.id if message else None,
            change_seq=seq,
        )
