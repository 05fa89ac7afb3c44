"""The service layer: every write is a command that runs in one transaction and records its
audit events and change-log rows in that same transaction.

Tickets carry a version. A command given an expected version that finds a newer one raises a
ConflictError naming who changed what since; nothing is silently overwritten. Commands lock the
ticket row (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers), so a
read-modify-write can never interleave with another.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import make_msgid
from typing import TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from desk_app.core.clock import Clock, utc_now
from desk_app.core.enums import (
    UNSOLVED_STATUSES,
    Channel,
    DeliveryState,
    Direction,
    DraftKind,
    IdentityKind,
    Priority,
    Role,
    Status,
)
from desk_app.core.errors import ConflictError, InvalidInput, NotFound
from desk_app.core.identities import normalise_email, normalise_identity, normalise_phone
from desk_app.core.text import preview_of
from desk_app.core.threading_rules import normalise_subject
from desk_app.store import search, sla_store
from desk_app.store.database import Database
from desk_app.store.journal import Journal
from desk_app.store.models import (
    Agent,
    AgentDepartment,
    Attachment,
    AuditEvent,
    Customer,
    CustomerIdentity,
    Department,
    Draft,
    Message,
    OutboxItem,
    Ticket,
    TicketRead,
)
from desk_app.store.records import OpResult

MAX_SUBJECT = 500
MAX_BODY = 1_000_000


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content_type: str
    content: bytes
    content_id: str | None = None


E = TypeVar("E", Status, Priority, Channel, Role, DraftKind)


def _choice(kind: type[E], value: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidInput(
            f"'{value}' is not a valid {kind.__name__.lower()}: use {allowed}"
        ) from None


def _clean_subject(subject: str) -> str:
    # A subject is one line: line breaks would also allow header injection on the way out.
    flat = " ".join(subject.split())
    if not flat:
        raise InvalidInput("the subject is empty")
    return flat[:MAX_SUBJECT]


def _check_body(body: str) -> str:
    if not body.strip():
        raise InvalidInput("the message is empty")
    if len(body) > MAX_BODY:
        raise InvalidInput(f"the message is longer than {MAX_BODY:,} characters")
    return body


class Service:
    """Commands on behalf of one acting agent (None for the system, e.g. mail ingest)."""

    def __init__(self, db: Database, actor_id: int | None, clock: Clock = utc_now) -> None:
        self.db = db
        self.actor_id = actor_id
        self.clock = clock

    # --- people and departments -------------------------------------------------------------

    def add_department(self, name: str) -> int:
        name = name.strip()
        if not name:
            raise InvalidInput("a department needs a name")
        with self.db.write() as session:
            if session.scalar(select(Department.id).where(Department.name == name)):
                raise ConflictError(f"a department named '{name}' already exists")
            journal = self._journal(session)
            department = Department(name=name, created_at=journal.at)
            session.add(department)
            session.flush()
            journal.audit("department", department.id, "create", new=name)
            journal.changed("department", department.id, "insert")
            journal.finish()
            return department.id

    def add_agent(
        self,
        display_name: str,
        email: str,
        *,
        role: str = "agent",
        departments: Sequence[str] = (),
        time_zone: str = "UTC",
    ) -> int:
        email = normalise_email(email)
        role_value = _choice(Role, role)
        if not display_name.strip():
            raise InvalidInput("an agent needs a display name")
        with self.db.write() as session:
            if session.scalar(select(Agent.id).where(Agent.email == email)):
                raise ConflictError(f"an agent with e-mail {email} already exists")
            journal = self._journal(session)
            agent = Agent(
                display_name=display_name.strip(),
                email=email,
                role=role_value.value,
                time_zone=time_zone,
                is_active=True,
                created_at=journal.at,
            )
            session.add(agent)
            session.flush()
            for name in departments:
                department = self._department(session, name)
                session.add(AgentDepartment(agent_id=agent.id, department_id=department.id))
            journal.audit("agent", agent.id, "create", new=email)
            journal.changed("agent", agent.id, "insert")
            journal.finish()
            return agent.id

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
        subject = _clean_subject(subject)
        priority_value = _choice(Priority, priority)
        channel_value = _choice(Channel, channel)
        if not customer_email and not customer_phone:
            raise InvalidInput("a ticket needs the customer's e-mail address or phone number")
        with self.db.write() as session:
            journal = self._journal(session)
            at = created_at or journal.at
            customer = self._find_or_create_customer(
                session, journal, customer_name, customer_email, customer_phone
            )
            department_id = self._department(session, department).id if department else None
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
                    _check_body(body),
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
            if ticket.status in (Status.SOLVED, Status.PENDING):
                self._set_field(
                    journal, ticket, "status", Status.OPEN.value, reason="customer replied"
                )
                ticket.solved_at = None
            message = self._add_message(
                session,
                journal,
                ticket,
                Direction.INBOUND,
                _check_body(body),
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
    ) -> OpResult:
        """Store the agent's reply with its final Message-ID and queue it for the worker."""
        agent_id = self._require_actor()
        body = _check_body(body)
        with self.db.write() as session:
            journal = self._journal(session)
            ticket = self._ticket_for_update(session, ticket_id, expected_version)
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
            next_status = _choice(Status, status_after) if status_after else None
            if next_status is None and ticket.status == Status.NEW:
                next_status = Status.OPEN
            if next_status is not None and next_status != ticket.status:
                self._change_status(journal, ticket, next_status, reason=None)
            self._discard_draft(session, ticket.id, agent_id, DraftKind.REPLY)
            return self._finish_ticket(journal, ticket, message)

    def add_note(
        self, ticket_id: int, body: str, *, expected_version: int | None = None
    ) -> OpResult:
        agent_id = self._require_actor()
        body = _check_body(body)
        with self.db.write() as session:
            journal = self._journal(session)
            ticket = self._ticket_for_update(session, ticket_id, expected_version)
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
            return self._finish_ticket(journal, ticket, message)

    def assign(
        self,
        ticket_id: int,
        *,
        department: str | int | None = None,
        agent: str | int | None = None,
        unassign: bool = False,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> OpResult:
        """Move a ticket to a department and/or agent. An assignee who is not a member of the
        new department is cleared, so a ticket never sits with someone who cannot see it."""
        if department is None and agent is None and not unassign:
            raise InvalidInput("say which department or agent to assign the ticket to")
        with self.db.write() as session:
            journal = self._journal(session)
            ticket = self._ticket_for_update(session, ticket_id, expected_version)
            self._assign(session, journal, ticket, department, agent, unassign, reason)
            return self._finish_ticket(journal, ticket)

    def set_status(
        self,
        ticket_id: int,
        status: str,
        *,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> OpResult:
        value = _choice(Status, status)
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
        value = _choice(Priority, priority)
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
            if session.get(Ticket, ticket_id) is None:
                raise NotFound(f"ticket #{ticket_id} does not exist")
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
        draft_kind = _choice(DraftKind, kind)
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
            self._discard_draft(session, ticket_id, agent_id, _choice(DraftKind, kind))

    # --- customers --------------------------------------------------------------------------

    def edit_customer(
        self,
        customer_id: int,
        *,
        name: str | None = None,
        organisation: str | None = None,
        notes: str | None = None,
        add_emails: Iterable[str] = (),
        add_phones: Iterable[str] = (),
        remove_identities: Iterable[str] = (),
        expected_version: int | None = None,
    ) -> OpResult:
        with self.db.write() as session:
            journal = self._journal(session)
            customer = self._customer_for_update(session, customer_id)
            if expected_version is not None and customer.version != expected_version:
                raise ConflictError(
                    f"customer {customer.name or customer.id} was changed by someone else "
                    f"(version {customer.version}, you had {expected_version}); reload and retry"
                )
            for field, value in (("name", name), ("organisation", organisation), ("notes", notes)):
                if value is not None and getattr(customer, field) != value.strip():
                    journal.audit(
                        "customer",
                        customer.id,
                        "edit",
                        field=field,
                        old=getattr(customer, field),
                        new=value.strip(),
                    )
                    setattr(customer, field, value.strip())
            for kind, value in [(IdentityKind.EMAIL, normalise_email(e)) for e in add_emails] + [
                (IdentityKind.PHONE, normalise_phone(p)) for p in add_phones
            ]:
                self._attach_identity(session, journal, customer, kind, value)
            for typed in remove_identities:
                _, value = normalise_identity(typed)
                identity = next((i for i in customer.identities if i.value == value), None)
                if identity is None:
                    raise NotFound(f"customer {customer.id} has no identity '{value}'")
                if len(customer.identities) == 1:
                    raise InvalidInput("a customer keeps at least one e-mail address or phone")
                session.delete(identity)
                customer.identities.remove(identity)
                journal.audit("customer", customer.id, "remove_identity", old=value)
            customer.version += 1
            customer.updated_at = journal.at
            self._reindex_customer(session, customer)
            journal.changed("customer", customer.id, "update")
            seq = journal.finish()
            return OpResult(customer_id=customer.id, version=customer.version, change_seq=seq)

    def merge_customers(self, source_id: int, target_id: int) -> OpResult:
        """Move every identity and ticket of source to target; source stays as a tombstone."""
        if source_id == target_id:
            raise InvalidInput("cannot merge a customer into itself")
        with self.db.write() as session:
            journal = self._journal(session)
            source = self._customer_for_update(session, source_id)
            target = self._customer_for_update(session, target_id)
            moved_tickets = session.execute(
                select(Ticket.id, Ticket.version).where(Ticket.customer_id == source.id)
            ).all()
            session.execute(
                update(CustomerIdentity)
                .where(CustomerIdentity.customer_id == source.id)
                .values(customer_id=target.id)
            )
            session.execute(
                update(Ticket)
                .where(Ticket.customer_id == source.id)
                .values(customer_id=target.id, version=Ticket.version + 1)
            )
            session.execute(
                update(Message)
                .where(Message.author_customer_id == source.id)
                .values(author_customer_id=target.id)
            )
            for field in ("organisation", "notes"):
                if not getattr(target, field) and getattr(source, field):
                    setattr(target, field, getattr(source, field))
            if not target.name and source.name:
                target.name = source.name
            source.merged_into_id = target.id
            source.version += 1
            target.version += 1
            target.updated_at = source.updated_at = journal.at
            session.flush()
            session.expire(target, ["identities"])
            journal.audit(
                "customer",
                target.id,
                "merge",
                old=f"customer {source.id} ({source.name})",
                new=f"customer {target.id} ({target.name})",
                reason=f"moved {len(moved_tickets)} tickets",
            )
            self._reindex_customer(session, target)
            for ticket_id, version in moved_tickets:
                journal.audit(
                    "ticket",
                    ticket_id,
                    "update",
                    ticket_id=ticket_id,
                    ticket_version=version + 1,
                    field="customer",
                    old=f"{source.name or 'customer'} ({source.id})",
                    new=f"{target.name or 'customer'} ({target.id})",
                    reason="customers merged",
                )
                journal.changed("ticket", ticket_id, "update")
            journal.changed("customer", source.id, "update")
            journal.changed("customer", target.id, "update")
            seq = journal.finish()
            return OpResult(customer_id=target.id, version=target.version, change_seq=seq)

    # --- internals --------------------------------------------------------------------------

    def _journal(self, session: Session) -> Journal:
        return Journal(session, self.actor_id, self.clock())

    def _require_actor(self) -> int:
        if self.actor_id is None:
            raise InvalidInput("this needs an acting agent: sign in, or pass --as EMAIL")
        return self.actor_id

    def _department(self, session: Session, ref: str | int) -> Department:
        if isinstance(ref, int):
            found = session.get(Department, ref)
        else:
            found = session.scalars(select(Department).where(Department.name == ref)).first()
        if found is None:
            raise NotFound(f"department '{ref}' does not exist")
        return found

    def _agent(self, session: Session, ref: str | int) -> Agent:
        if isinstance(ref, int):
            found = session.get(Agent, ref)
        else:
            found = session.scalars(
                select(Agent).where(Agent.email == normalise_email(ref))
            ).first()
        if found is None:
            raise NotFound(f"agent '{ref}' does not exist")
        return found

    def _ticket_for_update(
        self, session: Session, ticket_id: int, expected_version: int | None
    ) -> Ticket:
        ticket = session.scalars(
            select(Ticket).where(Ticket.id == ticket_id).with_for_update(of=Ticket)
        ).first()
        if ticket is None:
            raise NotFound(f"ticket #{ticket_id} does not exist")
        if expected_version is not None and ticket.version != expected_version:
            raise ConflictError(_conflict_message(session, ticket, expected_version))
        return ticket

    def _customer_for_update(self, session: Session, customer_id: int) -> Customer:
        customer = session.scalars(
            select(Customer).where(Customer.id == customer_id).with_for_update(of=Customer)
        ).first()
        if customer is None:
            raise NotFound(f"customer {customer_id} does not exist")
        if customer.merged_into_id is not None:
            raise InvalidInput(
                f"customer {customer_id} was merged into customer {customer.merged_into_id}"
            )
        return customer

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

    def _find_or_create_customer(
        self,
        session: Session,
        journal: Journal,
        name: str,
        email: str | None,
        phone: str | None,
    ) -> Customer:
        wanted = []
        if email:
            wanted.append((IdentityKind.EMAIL, normalise_email(email)))
        if phone:
            wanted.append((IdentityKind.PHONE, normalise_phone(phone)))
        for kind, value in wanted:
            identity = session.scalars(
                select(CustomerIdentity).where(
                    CustomerIdentity.kind == kind.value, CustomerIdentity.value == value
                )
            ).first()
            if identity is not None:
                customer = session.get_one(Customer, identity.customer_id)
                changed = self._complete_customer(session, journal, customer, name, wanted)
                if changed:
                    self._reindex_customer(session, customer)
                return customer
        customer = Customer(
            name=name.strip(),
            organisation="",
            notes="",
            version=1,
            created_at=journal.at,
            updated_at=journal.at,
        )
        session.add(customer)
        session.flush()
        for kind, value in wanted:
            self._attach_identity(session, journal, customer, kind, value, audit=False)
        journal.audit("customer", customer.id, "create", new=name.strip() or wanted[0][1])
        journal.changed("customer", customer.id, "insert")
        return customer

    def _complete_customer(
        self,
        session: Session,
        journal: Journal,
        customer: Customer,
        name: str,
        identities: list[tuple[IdentityKind, str]],
    ) -> bool:
        """A known customer wrote with more details (a name, a new phone): keep them, unless
        an identity belongs to someone else, which only a deliberate merge may change."""
        changed = False
        if not customer.name and name.strip():
            customer.name = name.strip()
            journal.audit("customer", customer.id, "edit", field="name", new=customer.name)
            changed = True
        for kind, value in identities:
            owner = session.scalar(
                select(CustomerIdentity.customer_id).where(
                    CustomerIdentity.kind == kind.value, CustomerIdentity.value == value
                )
            )
            if owner is None:
                self._attach_identity(session, journal, customer, kind, value)
                changed = True
        if changed:
            customer.version += 1
            customer.updated_at = journal.at
            journal.changed("customer", customer.id, "update")
        return changed

    def _attach_identity(
        self,
        session: Session,
        journal: Journal,
        customer: Customer,
        kind: IdentityKind,
        value: str,
        *,
        audit: bool = True,
    ) -> None:
        owner = session.scalar(
            select(CustomerIdentity.customer_id).where(
                CustomerIdentity.kind == kind.value, CustomerIdentity.value == value
            )
        )
        if owner == customer.id:
            return
        if owner is not None:
            raise ConflictError(
                f"{value} already belongs to customer {owner}; merge the two customers instead"
            )
        identity = CustomerIdentity(customer_id=customer.id, kind=kind.value, value=value)
        session.add(identity)
        customer.identities.append(identity)
        if audit:
            journal.audit("customer", customer.id, "add_identity", new=value)

    def _reindex_customer(self, session: Session, customer: Customer) -> None:
        search.reindex_tickets_of(session, customer.id)

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
        if ticket.last_message_at is None or at >= ticket.last_message_at:
            ticket.last_message_at = at
            ticket.preview = preview_of(body)
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
    ) -> None:
        department_id = ticket.department_id
        if department_ref is not None:
            department_id = self._department(session, department_ref).id
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
        if department_id != ticket.department_id:
            new_department = session.get_one(Department, department_id) if department_id else None
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
        if ticket.status == Status.NEW and assignee_id is not None:
            self._change_status(journal, ticket, Status.OPEN, reason=None)

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

    def _finish_ticket(
        self, journal: Journal, ticket: Ticket, message: Message | None = None
    ) -> OpResult:
        ticket.version += 1
        ticket.updated_at = journal.at
        # Every ticket change may move a deadline (a reply, a status, a department...).
        sla_store.recompute_ticket(journal.session, ticket, journal.at)
        journal.changed("ticket", ticket.id, "update")
        seq = journal.finish()
        return OpResult(
            ticket_id=ticket.id,
            version=ticket.version,
            message_id=message.id if message else None,
            change_seq=seq,
        )


def describe_event(
    action: str, field: str | None, old: str | None, new: str | None, actor: str | None
) -> str:
    """One audit event in words, for conflict messages and the ticket timeline."""
    who = actor or "the system"
    if action == Direction.INBOUND:
        return "the customer wrote a new message"
    if action == Direction.OUTBOUND:
        return f"{who} replied"
    if action == Direction.NOTE:
        return f"{who} added an internal note"
    if field:
        return f"{who} changed {field} from {old or '—'} to {new or '—'}"
    return f"{who}: {action}"


def _conflict_message(session: Session, ticket: Ticket, expected_version: int) -> str:
    """Name who changed what since the caller's version, so they can decide what to do."""
    events = session.execute(
        select(AuditEvent, Agent.display_name)
        .outerjoin(Agent, Agent.id == AuditEvent.actor_agent_id)
        .where(AuditEvent.ticket_id == ticket.id, AuditEvent.ticket_version > expected_version)
        .order_by(AuditEvent.id)
    ).all()
    changes = [
        f"{describe_event(event.action, event.field, event.old_value, event.new_value, actor)} "
        f"at {event.at:%Y-%m-%d %H:%M} UTC"
        for event, actor in events
    ]
    detail = "; ".join(changes) if changes else "it was changed"
    return (
        f"ticket #{ticket.id} changed since you loaded it (your version {expected_version}, "
        f"now {ticket.version}): {detail}. Nothing was saved; reload and try again."
    )
