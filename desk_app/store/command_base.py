"""What every command shares: the acting agent, the clock, one journal per transaction, and
lookups of departments, agents and tickets that raise known errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, defaultload, lazyload

from desk_app.core.clock import Clock, utc_now
from desk_app.core.enums import Channel, Direction, DraftKind, Priority, Role, Status
from desk_app.core.errors import CollisionError, ConflictError, InvalidInput, NotFound
from desk_app.core.identities import normalise_email
from desk_app.core.permissions import Actor, Permission
from desk_app.store.authorisation import ACTOR_CACHE, load_actor, load_team_rules, require_on
from desk_app.store.database import Database
from desk_app.store.journal import Journal
from desk_app.store.models import Agent, AuditEvent, Department, Message, Ticket

MAX_SUBJECT = 500
MAX_BODY = 1_000_000


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content_type: str
    content: bytes
    content_id: str | None = None


E = TypeVar("E", Status, Priority, Channel, Role, DraftKind)


def choice(kind: type[E], value: str) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidInput(
            f"'{value}' is not a valid {kind.__name__.lower()}: use {allowed}"
        ) from None


def clean_subject(subject: str) -> str:
    # A subject is one line: line breaks would also allow header injection on the way out.
    flat = " ".join(subject.split())
    if not flat:
        raise InvalidInput("the subject is empty")
    return flat[:MAX_SUBJECT]


def check_body(body: str) -> str:
    if not body.strip():
        raise InvalidInput("the message is empty")
    if "\x00" in body:
        # PostgreSQL text cannot hold NUL, and SQLite would keep one that no viewer shows: refuse
        # on both alike rather than store something other than what was written. (Mail
        # parsing drops them from customers' mail before it gets here.)
        raise InvalidInput("the body contains NUL bytes")
    if len(body) > MAX_BODY:
        raise InvalidInput(f"the message is longer than {MAX_BODY:,} characters")
    return body


class CommandBase:
    """Commands on behalf of one acting agent (None for the system, e.g. mail ingest)."""

    def __init__(self, db: Database, actor_id: int | None, clock: Clock = utc_now) -> None:
        self.db = db
        self.actor_id = actor_id
        self.clock = clock

    # --- internals --------------------------------------------------------------------------

    def _journal(self, session: Session) -> Journal:
        return Journal(session, self.actor_id, self.clock())

    def _acting(self, session: Session) -> Actor:
        """Who is acting, as the permission rules see them (read in this transaction)."""
        # Kept for the transaction: a bulk command asks once per ticket.
        cached = session.info.get(ACTOR_CACHE)
        if cached is None or cached.agent_id != self.actor_id:
            cached = session.info[ACTOR_CACHE] = load_actor(session, self.actor_id)
        return cached

    def _require(
        self, session: Session, permission: Permission, department_id: int | None = None
    ) -> None:
        """Refuse (PermissionDenied, CLI exit 5) unless the acting agent may do this."""
        if self.actor_id is None:
            return  # the system (mail ingest, escalation, seeding) is never refused
        actor = self._acting(session)
        rules = load_team_rules(session) if permission is Permission.READ_TICKET else None
        require_on(session, actor, permission, department_id, rules)

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
        ticket = self._lock_ticket(session, ticket_id)
        self._check_ticket(session, ticket, expected_version)
        return ticket

    def _lock_ticket(self, session: Session, ticket_id: int) -> Ticket:
        """The ticket, locked for this transaction (NotFound when there is none)."""
        ticket = session.scalars(
            select(Ticket)
            .where(Ticket.id == ticket_id)
            .with_for_update(of=Ticket)
            # Commands rarely need the customer, nor the assignee's departments (a move asks
            # for memberships itself); loading them eagerly cost a round trip each. Both still
            # load on first use.
            .options(
                lazyload(Ticket.customer), defaultload(Ticket.assignee).lazyload(Agent.departments)
            )
        ).first()
        if ticket is None:
            raise NotFound(f"ticket #{ticket_id} does not exist")
        return ticket

    def _check_ticket(self, session: Session, ticket: Ticket, expected_version: int | None) -> None:
        """Refuse to change a locked ticket: not allowed, or changed since the caller's version."""
        # Every command that locks a ticket changes it: that is working on the ticket, which
        # its department's members (and leads, admins and the system) may do.
        self._require(session, Permission.WORK_TICKET, ticket.department_id)
        if expected_version is not None and ticket.version != expected_version:
            raise ConflictError(conflict_message(session, ticket, expected_version))


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


def conflict_message(session: Session, ticket: Ticket, expected_version: int) -> str:
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


def check_unseen(session: Session, ticket_id: int, seen_message_id: int | None) -> None:
    """Refuse to add to a conversation that grew since the agent last looked at it.

    Message ids only grow, so "newer than what I saw" is one indexed range read. Runs under the
    ticket's row lock, so a message committed after this check cannot slip in unseen.
    """
    if seen_message_id is None:
        return
    rows = session.execute(
        select(Message.id, Message.direction, Agent.display_name)
        .outerjoin(Agent, Agent.id == Message.author_agent_id)
        .where(Message.ticket_id == ticket_id, Message.id > seen_message_id)
        .order_by(Message.id)
    ).all()
    if not rows:
        return
    said = "; ".join(
        describe_event(direction, None, None, None, name) for _id, direction, name in rows
    )
    raise CollisionError(
        f"ticket #{ticket_id} has {len(rows)} new message{'s' if len(rows) > 1 else ''} "
        f"since you opened it: {said}. Nothing was sent; read it, then send anyway, edit or "
        "discard.",
        tuple(row_id for row_id, _direction, _name in rows),
    )
