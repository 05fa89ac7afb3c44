"""Customer commands: find or create by identity, edit, and merge. Customers are known by any
of their e-mail addresses and phone numbers, normalised, so one person written two ways is one
customer."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, SQLColumnExpression, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desk_app.core.enums import UNSOLVED_STATUSES, IdentityKind
from desk_app.core.errors import ConflictError, InvalidInput, NotFound
from desk_app.core.identities import normalise_email, normalise_identity, normalise_phone
from desk_app.core.permissions import Permission
from desk_app.core.tags import normalise_language, normalise_tags
from desk_app.store import search, sla_store
from desk_app.store.command_base import CommandBase
from desk_app.store.journal import Journal
from desk_app.store.models import Customer, CustomerIdentity, Message, Ticket
from desk_app.store.records import OpResult


def first_email(customer_id: SQLColumnExpression[int] | int) -> Select[str]:
    """A customer's first e-mail address: where replies go, and what the inbox shows."""
    return (
        select(CustomerIdentity.value)
        .where(
            CustomerIdentity.customer_id == customer_id,
            CustomerIdentity.kind == IdentityKind.EMAIL.value,
        )
        .order_by(CustomerIdentity.id)
        .limit(1)
    )


def _identity_taken(error: IntegrityError) -> bool:
    """The unique key of (kind, value) on customer_identities, on either database."""
    text = str(error.orig)
    return "uq_customer_identities_kind_value" in text or (
        "customer_identities.kind, customer_identities.value" in text
    )


class CustomerCommands(CommandBase):
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
        tags: Iterable[str] | str | None = None,
        language: str | None = None,
        expected_version: int | None = None,
    ) -> OpResult:
        """Change what is given; None leaves a field as it is. Tags replace the old set."""
        new_tags = None if tags is None else normalise_tags(tags)
        new_language = None if language is None else normalise_language(language)
        with self.db.write() as session:
            self._require(session, Permission.EDIT_CUSTOMER)
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
            if new_tags is not None and customer.tags != new_tags:
                journal.audit(
                    "customer", customer.id, "edit", field="tags", old=customer.tags, new=new_tags
                )
                customer.tags = new_tags
                # Policies match on customer tags: this customer's open clocks may move.
                self._recompute_open_tickets(session, customer.id, journal)
            if new_language is not None and (customer.language or "") != new_language:
                journal.audit(
                    "customer",
                    customer.id,
                    "edit",
                    field="language",
                    old=customer.language,
                    new=new_language,
                )
                customer.language = new_language or None
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

    def _recompute_open_tickets(self, session: Session, customer_id: int, journal: Journal) -> None:
        session.flush()
        tickets = session.scalars(
            select(Ticket).where(
                Ticket.customer_id == customer_id,
                Ticket.status.in_([status.value for status in UNSOLVED_STATUSES]),
            )
        )
        for ticket in tickets:
            sla_store.recompute_ticket(session, ticket, journal.at)
            journal.changed("ticket", ticket.id, "update")

    def merge_customers(self, source_id: int, target_id: int) -> OpResult:
        """Move every identity and ticket of source to target; source stays as a tombstone."""
        if source_id == target_id:
            raise InvalidInput("cannot merge a customer into itself")
        with self.db.write() as session:
            self._require(session, Permission.MERGE_CUSTOMERS)
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
        try:
            # Written now rather than at the next query, so a clash is told apart from others.
            session.flush()
        except IntegrityError as clash:
            if not _identity_taken(clash):
                raise
            # The lookup above found no owner, yet one exists: on a hardened team database
            # with departments kept apart, a customer whose tickets are all in departments
            # this agent may not read is invisible to them (or someone added it just now).
            raise ConflictError(
                f"{value} already belongs to a customer you cannot see: their tickets are in "
                "departments you may not read (or they were added a moment ago; try again)"
            ) from None
        customer.identities.append(identity)
        if audit:
            journal.audit("customer", customer.id, "add_identity", new=value)

    def _reindex_customer(self, session: Session, customer: Customer) -> None:
        search.reindex_tickets_of(session, customer.id)
