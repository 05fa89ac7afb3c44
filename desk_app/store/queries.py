"""The read side: inbox views, counts, ticket and customer details, search and statistics.

Views are filtered, sorted and paged in SQL. Each view's WHERE clause repeats the text of a
partial index (models.UNSOLVED_SQL) so both databases can answer a page or a count from the index.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import Session, aliased

from desk_app.core.clock import Clock, utc_now
from desk_app.core.enums import PRIORITY_RANK, Direction, IdentityKind, Status
from desk_app.core.errors import InvalidInput, NotFound, PermissionDenied
from desk_app.core.identities import normalise_identity
from desk_app.core.permissions import Permission, decide
from desk_app.core.reply_route import NoRoute, reply_route
from desk_app.core.tags import tag_set
from desk_app.core.views import (
    DUE_SOON_WINDOW,
    NOBODY,
    RECENTLY_SOLVED_WINDOW,
    Page,
    SortKey,
    View,
    ViewKind,
)
from desk_app.store import search
from desk_app.store.authorisation import load_actor, load_team_rules
from desk_app.store.customer_commands import first_email
from desk_app.store.database import Database
from desk_app.store.models import (
    PENDING_SQL,
    SOLVED_SQL,
    UNSOLVED_SQL,
    Agent,
    AgentDepartment,
    AuditEvent,
    Customer,
    CustomerIdentity,
    Department,
    Draft,
    MailAccount,
    Message,
    SlaTarget,
    Ticket,
    TicketRead,
)
from desk_app.store.records import (
    AgentRecord,
    AttachmentRecord,
    AuditRecord,
    CustomerRecord,
    DepartmentRecord,
    DraftRecord,
    MessageRecord,
    SearchPage,
    SlaTargetRecord,
    TicketDetail,
    TicketRow,
)

MAX_PAGE = 500
SCOPE_SECONDS = 30.0
CUSTOMER_HISTORY_ROWS = 200  # the newest tickets a customer's history lists; the total is counted
# Who an outbound message without an agent is shown as written by.
AUTOMATIC_AUTHOR = "Desk (automatic reply)"
# Written out, not bound: SQLite uses a partial index only when the query repeats its WHERE
# term to the letter.
_UNSOLVED: ColumnElement[bool] = literal_column(UNSOLVED_SQL, type_=None)
_PENDING: ColumnElement[bool] = literal_column(PENDING_SQL, type_=None)
_SOLVED: ColumnElement[bool] = literal_column(SOLVED_SQL, type_=None)

_PRIORITY_ORDER = case(
    {priority.value: rank for priority, rank in PRIORITY_RANK.items()}, value=Ticket.priority
)
_SORT_COLUMNS: dict[SortKey, ColumnElement[object]] = {
    SortKey.UPDATED: Ticket.updated_at,  # type: ignore[dict-item]
    SortKey.CREATED: Ticket.created_at,  # type: ignore[dict-item]
    SortKey.DUE: Ticket.sla_due_at,  # type: ignore[dict-item]
    SortKey.PRIORITY: _PRIORITY_ORDER,
    SortKey.SUBJECT: Ticket.subject,  # type: ignore[dict-item]
    SortKey.STATUS: Ticket.status,  # type: ignore[dict-item]
}


# Sort orders whose column is never NULL, so (value, id) pairs order tickets totally.
_KEYSET_SORTS = (SortKey.UPDATED, SortKey.CREATED, SortKey.SUBJECT, SortKey.STATUS)


def _rows_select() -> Select[Any]:
    """An inbox row per ticket, for the viewer bound as :viewer_id (their read marks)."""
    assignee = aliased(Agent)
    email = first_email(Ticket.customer_id).scalar_subquery()
    return (
        select(
            Ticket.id,
            Ticket.subject,
            Ticket.preview,
            Ticket.status,
            Ticket.priority,
            Ticket.channel,
            Department.name,
            assignee.display_name,
            Customer.name,
            email,
            Ticket.created_at,
            Ticket.updated_at,
            Ticket.sla_due_at,
            Ticket.message_count,
            Ticket.version,
            Ticket.last_customer_message_at,
            TicketRead.read_at,
            Ticket.sla_started_at,
            Ticket.sla_paused_remaining_s,
        )
        .join(Customer, Customer.id == Ticket.customer_id)
        .outerjoin(Department, Department.id == Ticket.department_id)
        .outerjoin(assignee, assignee.id == Ticket.assignee_id)
        .outerjoin(
            TicketRead,
            and_(TicketRead.ticket_id == Ticket.id, TicketRead.agent_id == bindparam("viewer_id")),
        )
    )


# Built once: the statement is the same for every page and viewer (the viewer is a parameter).
_ROWS = _rows_select()


class Queries:
    """Read-only questions, asked on behalf of one viewer (whose 'mine' view it is)."""

    def __init__(self, db: Database, viewer_id: int | None, clock: Clock = utc_now) -> None:
        self.db = db
        self.viewer_id = viewer_id
        self.clock = clock
        self._scope: tuple[float, frozenset[int] | None] | None = None

    # --- what the viewer may read ----------------------------------------------------------

    def readable_departments(self) -> frozenset[int] | None:
        """The departments whose tickets the viewer may read (tickets of no department too),
        or None for all. Re-read every SCOPE_SECONDS: roles, memberships and the team's
        choice change rarely, and views ask many times a second."""
        now = time.monotonic()
        if self._scope is None or now - self._scope[0] > SCOPE_SECONDS:
            with self.db.read() as session:
                self._scope = (now, self._read_scope(session))
        return self._scope[1]

    def forget_scope(self) -> None:
        """Re-read the viewer's scope on the next query (their role or team changed)."""
        self._scope = None

    def _read_scope(self, session: Session) -> frozenset[int] | None:
        actor = load_actor(session, self.viewer_id)
        rules = load_team_rules(session)
        if decide(actor, Permission.READ_TICKET, department_id=-1, rules=rules):
            return None  # may read every department
        return actor.department_ids

    def _readable(self) -> ColumnElement[bool] | None:
        departments = self.readable_departments()
        if departments is None:
            return None
        return or_(Ticket.department_id.is_(None), Ticket.department_id.in_(departments or {-1}))

    def _readable_terms(self) -> list[ColumnElement[bool]]:
        readable = self._readable()
        return [] if readable is None else [readable]

    def _visible_ids(self, session: Session, ticket_ids: list[int]) -> list[int]:
        readable = self._readable()
        if readable is None or not ticket_ids:
            return ticket_ids
        allowed = set(session.scalars(select(Ticket.id).where(Ticket.id.in_(ticket_ids), readable)))
        return [ticket_id for ticket_id in ticket_ids if ticket_id in allowed]

    # --- views ------------------------------------------------------------------------------

    def view_condition(self, view: View, now: datetime) -> ColumnElement[bool]:
        condition = self._kind_condition(view, now)
        # Narrowing adds to the view's own terms, which keep matching its partial index.
        for column, only in (
            (Ticket.department_id, view.only_department),
            (Ticket.assignee_id, view.only_assignee),
        ):
            if only is not None:
                condition = and_(condition, column.is_(None) if only == NOBODY else column == only)
        return condition

    def _kind_condition(self, view: View, now: datetime) -> ColumnElement[bool]:
        kind = view.kind
        if kind is ViewKind.MINE:
            return and_(_UNSOLVED, Ticket.assignee_id == (self.viewer_id or -1))
        if kind is ViewKind.UNASSIGNED:
            return and_(_UNSOLVED, Ticket.assignee_id.is_(None))
        if kind is ViewKind.DEPARTMENT:
            return and_(_UNSOLVED, Ticket.department_id == view.department_id)
        if kind is ViewKind.ALL_OPEN:
            return and_(_UNSOLVED)
        if kind is ViewKind.DUE_SOON:
            return and_(
                _UNSOLVED, Ticket.sla_due_at >= now, Ticket.sla_due_at < now + DUE_SOON_WINDOW
            )
        if kind is ViewKind.BREACHED:
            return and_(_UNSOLVED, Ticket.sla_due_at < now)
        if kind is ViewKind.PENDING:
            return and_(_PENDING)
        if kind is ViewKind.SOLVED_RECENTLY:
            return and_(_SOLVED, Ticket.solved_at >= now - RECENTLY_SOLVED_WINDOW)
        raise ValueError(f"unknown view {kind}")

    def _ordering(
        self, view: View, page: Page
    ) -> tuple[SortKey, bool, ColumnElement[object], list[ColumnElement[object]]]:
        """(sort key, descending, sort column, ORDER BY terms) of a page of this view."""
        key, descending = (page.sort, page.descending) if page.sort else view.default_sort
        if key is SortKey.UPDATED and view.kind is ViewKind.SOLVED_RECENTLY:
            order_column: ColumnElement[object] = Ticket.solved_at  # type: ignore[assignment]
        else:
            order_column = _SORT_COLUMNS[key]
        primary = order_column.desc() if descending else order_column.asc()
        if key is SortKey.DUE and view.kind not in (ViewKind.DUE_SOON, ViewKind.BREACHED):
            # Tickets without a deadline go last. Only here: the explicit NULLS clause would
            # keep PostgreSQL from reading the other views' order straight off their index.
            primary = primary.nulls_last()
        ordering = [primary, Ticket.id.desc() if descending else Ticket.id.asc()]
        return key, descending, order_column, ordering  # type: ignore[return-value]

    def view_page(self, view: View, page: Page | None = None) -> list[TicketRow]:
        """One page of a view: ONE statement (the page's ids in a subquery, their rows around
        it), outside any transaction, which a single statement's one snapshot does not need.
        On PostgreSQL that is one round trip instead of BEGIN, two SELECTs and ROLLBACK."""
        page = page or Page()
        key, descending, order_column, ordering = self._ordering(view, page)
        keyset = (
            page.after_id is not None
            and key in _KEYSET_SORTS
            and (view.kind is not ViewKind.SOLVED_RECENTLY or key is not SortKey.UPDATED)
        )
        ids = select(Ticket.id).where(self.view_condition(view, self.clock()))
        if keyset:
            # (sort value, id) strictly after the last ticket shown, in the view's order.
            last = (
                select(order_column, Ticket.id).where(Ticket.id == page.after_id).scalar_subquery()
            )
            here = tuple_(order_column, Ticket.id)
            ids = ids.where(here < last if descending else here > last)
        ids = ids.order_by(*ordering).limit(min(page.limit, MAX_PAGE))
        if not keyset:
            ids = ids.offset(page.offset)
        on_page = ids.subquery("page")
        # The same ORDER BY again: the join does not keep the subquery's order.
        query = _ROWS.join(on_page, on_page.c.id == Ticket.id).order_by(*ordering)
        with self.db.read_statement() as connection:
            return [self._row(row) for row in connection.execute(query, self._row_params())]

    def in_view(self, view: View, ticket_ids: list[int]) -> set[int]:
        """Which of these tickets belong to the view now (live updates of an open list)."""
        if not ticket_ids:
            return set()
        condition = self.view_condition(view, self.clock())
        with self.db.read_statement() as connection:
            query = select(Ticket.id).where(condition, Ticket.id.in_(ticket_ids))
            return set(connection.scalars(query))

    def view_order(self, view: View, page: Page, ticket_ids: list[int]) -> list[int]:
        """These tickets in the order a page of the view lists them, whether or not they
        belong to it: tells where a ticket that joined the view goes among rows on screen."""
        if not ticket_ids:
            return []
        ordering = self._ordering(view, page)[3]
        with self.db.read_statement() as connection:
            query = select(Ticket.id).where(Ticket.id.in_(ticket_ids)).order_by(*ordering)
            return list(connection.scalars(query))

    def view_count(self, view: View) -> int:
        # One statement: outside a transaction on PostgreSQL, like view_page.
        with self.db.read_statement() as connection:
            return self._count(connection, view, self.clock())

    def view_counts(self, views: list[View]) -> dict[View, int]:
        """Counts for the navigation pane, in one read transaction (one snapshot: the counts
        agree with each other)."""
        now = self.clock()
        with self.db.read() as session:
            return {view: self._count(session, view, now) for view in views}

    def standard_views(self) -> list[View]:
        """Every view the navigation pane shows, department views included."""
        fixed_head = [View(ViewKind.MINE), View(ViewKind.UNASSIGNED)]
        departments = [View(ViewKind.DEPARTMENT, d.id) for d in self.departments()]
        fixed_tail = [
            View(kind)
            for kind in (
                ViewKind.ALL_OPEN,
                ViewKind.DUE_SOON,
                ViewKind.BREACHED,
                ViewKind.PENDING,
                ViewKind.SOLVED_RECENTLY,
            )
        ]
        return fixed_head + departments + fixed_tail

    def search(self, text: str, limit: int = 50) -> list[TicketRow]:
        with self.db.read() as session:
            found = search.matching_ticket_ids(session, text, limit)
            return self._rows(session, self._visible_ids(session, found))

    def search_page(self, text: str, limit: int, before_id: int | None = None) -> SearchPage:
        """A page of search results (the newest matches below `before_id`), without counting
        every match: the window shows it at once and asks search_count separately. A page may
        hold fewer rows than asked for (tickets of private departments are left out); only
        `next_before` None says there are no more."""
        with self.db.read() as session:
            found, next_before = search.matching_page(session, text, limit, before_id)
            return SearchPage(self._rows(session, self._visible_ids(session, found)), next_before)

    def search_count(self, text: str) -> int:
        """How many tickets the viewer may read match `text`."""
        with self.db.read() as session:
            return search.match_count(session, text, self._readable())

    def rows(self, ticket_ids: list[int]) -> list[TicketRow]:
        """Fresh inbox rows for tickets that changed, in the order given."""
        with self.db.read() as session:
            return self._rows(session, self._visible_ids(session, ticket_ids))

    # --- details ----------------------------------------------------------------------------

    def ticket(self, ticket_id: int) -> TicketDetail:
        with self.db.read() as session:
            ticket = session.get(Ticket, ticket_id)
            if ticket is None:
                raise NotFound(f"ticket #{ticket_id} does not exist")
            readable = self.readable_departments()
            if readable is not None and ticket.department_id not in readable | {None}:
                raise PermissionDenied(
                    f"not allowed: ticket #{ticket_id} belongs to "
                    f"{ticket.department.name if ticket.department else 'another department'}, "
                    "and this team keeps other departments' tickets private"
                )
            names = self._agent_names(session)
            customer = self._customer_record(ticket.customer)
            messages = [
                MessageRecord(
                    id=m.id,
                    direction=m.direction,
                    author=(
                        names.get(m.author_agent_id, "")
                        if m.author_agent_id
                        # Ours without an agent: an automatic answer (the after-hours
                        # acknowledgement), not something the customer wrote.
                        else AUTOMATIC_AUTHOR
                        if m.direction == Direction.OUTBOUND.value
                        else (customer.name or (customer.emails or [""])[0])
                    ),
                    subject=m.subject,
                    body_text=m.body_text,
                    body_html=m.body_html,
                    created_at=m.created_at,
                    message_id=m.message_id,
                    in_reply_to=m.in_reply_to,
                    delivery_state=m.delivery_state,
                    delivery_error=m.delivery_error,
                    attachments=[
                        AttachmentRecord(a.id, a.filename, a.content_type, a.size)
                        for a in m.attachments
                    ],
                    warnings=m.warnings.splitlines() if m.warnings else [],
                )
                for m in session.scalars(
                    select(Message)
                    .where(Message.ticket_id == ticket_id)
                    .order_by(Message.created_at, Message.id)
                )
            ]
            audit = [
                AuditRecord(
                    id=e.id,
                    at=e.at,
                    actor=names.get(e.actor_agent_id) if e.actor_agent_id else None,
                    action=e.action,
                    field=e.field,
                    old_value=e.old_value,
                    new_value=e.new_value,
                    reason=e.reason,
                    ticket_version=e.ticket_version,
                )
                for e in session.scalars(
                    select(AuditEvent)
                    .where(AuditEvent.ticket_id == ticket_id)
                    .order_by(AuditEvent.id)
                )
            ]
            return TicketDetail(
                id=ticket.id,
                subject=ticket.subject,
                status=ticket.status,
                priority=ticket.priority,
                channel=ticket.channel,
                department_id=ticket.department_id,
                department=ticket.department.name if ticket.department else None,
                assignee_id=ticket.assignee_id,
                assignee=ticket.assignee.display_name if ticket.assignee else None,
                customer=customer,
                created_at=ticket.created_at,
                updated_at=ticket.updated_at,
                first_response_at=ticket.first_response_at,
                solved_at=ticket.solved_at,
                first_response_due_at=ticket.first_response_due_at,
                next_response_due_at=ticket.next_response_due_at,
                resolution_due_at=ticket.resolution_due_at,
                sla_due_at=ticket.sla_due_at,
                version=ticket.version,
                messages=messages,
                audit=audit,
                sla_policy=ticket.sla_policy,
                sla_targets=[
                    SlaTargetRecord(
                        t.kind,
                        t.state,
                        t.started_at,
                        t.due_at,
                        t.met_at,
                        t.breached_at,
                        t.remaining_s,
                    )
                    for t in session.scalars(
                        select(SlaTarget).where(SlaTarget.ticket_id == ticket_id)
                    )
                    if t.state != "not_applicable"
                ],
                reply_route=_reply_route(session, ticket.customer),
            )

    def reply_route(self, ticket_id: int) -> NoRoute | None:
        """Why a reply on this ticket cannot be sent, or None when it can."""
        with self.db.read() as session:
            ticket = session.get(Ticket, ticket_id)
            if ticket is None:
                raise NotFound(f"ticket #{ticket_id} does not exist")
            return _reply_route(session, ticket.customer)

    def customer(self, customer_id: int) -> CustomerRecord:
        with self.db.read() as session:
            customer = session.get(Customer, customer_id)
            if customer is None:
                raise NotFound(f"customer {customer_id} does not exist")
            return self._customer_record(customer)

    def customer_tickets(
        self, customer_id: int, limit: int = CUSTOMER_HISTORY_ROWS
    ) -> list[TicketRow]:
        """Every ticket of this customer across channels and mailboxes, newest first."""
        with self.db.read() as session:
            ids = session.scalars(
                select(Ticket.id)
                .where(Ticket.customer_id == customer_id, *self._readable_terms())
                .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
                .limit(limit)
            )
            return self._rows(session, list(ids))

    def customer_ticket_count(self, customer_id: int) -> int:
        """How many tickets of this customer the acting agent may read (customer_tickets shows
        the newest of them)."""
        with self.db.read() as session:
            counted = session.scalar(
                select(func.count())
                .select_from(Ticket)
                .where(Ticket.customer_id == customer_id, *self._readable_terms())
            )
            return int(counted or 0)

    def find_customer(self, identity: str) -> CustomerRecord:
        """The customer with this e-mail address or phone number, however it is written."""
        try:
            _, value = normalise_identity(identity)
        except InvalidInput:
            raise NotFound(f"no customer with {identity}") from None
        with self.db.read() as session:
            owner = session.scalar(
                select(CustomerIdentity.customer_id).where(CustomerIdentity.value == value)
            )
            if owner is None:
                raise NotFound(f"no customer with {identity}")
            return self._customer_record(session.get_one(Customer, owner))

    def drafts(self, ticket_id: int) -> list[DraftRecord]:
        if self.viewer_id is None:
            return []
        with self.db.read() as session:
            return [
                DraftRecord(d.ticket_id, d.kind, d.body, d.updated_at)
                for d in session.scalars(
                    select(Draft).where(
                        Draft.ticket_id == ticket_id, Draft.agent_id == self.viewer_id
                    )
                )
            ]

    # --- people -----------------------------------------------------------------------------

    def departments(self) -> list[DepartmentRecord]:
        with self.db.read() as session:
            return [
                DepartmentRecord(d.id, d.name)
                for d in session.scalars(select(Department).order_by(Department.name))
            ]

    def agents(self) -> list[AgentRecord]:
        with self.db.read() as session:
            return [
                AgentRecord.of(a)
                for a in session.scalars(select(Agent).order_by(Agent.display_name))
            ]

    def has_active_admin(self) -> bool:
        with self.db.read() as session:
            return bool(
                session.scalar(
                    select(Agent.id)
                    .where(Agent.role == "admin", Agent.is_active.is_(True))
                    .limit(1)
                )
            )

    def agent_by_email(self, email: str) -> AgentRecord:
        with self.db.read() as session:
            agent = session.scalars(select(Agent).where(Agent.email == email.lower())).first()
            if agent is None:
                raise NotFound(f"no agent with e-mail {email}")
            return AgentRecord.of(agent)

    def department_members(self, department_id: int) -> list[AgentRecord]:
        with self.db.read() as session:
            return [
                AgentRecord.of(a)
                for a in session.scalars(
                    select(Agent)
                    .join(AgentDepartment, AgentDepartment.agent_id == Agent.id)
                    .where(AgentDepartment.department_id == department_id)
                    .order_by(Agent.display_name)
                )
            ]

    def stats(self) -> dict[str, object]:
        with self.db.read() as session:
            by_status = dict(
                session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all()
            )

            def count(model: type) -> int:
                return int(session.scalar(select(func.count()).select_from(model)) or 0)

            return {
                "tickets": {status.value: int(by_status.get(status.value, 0)) for status in Status},
                "tickets_total": sum(int(v) for v in by_status.values()),
                "messages": count(Message),
                "customers": int(
                    session.scalar(select(func.count()).where(Customer.merged_into_id.is_(None)))
                    or 0
                ),
                "agents": count(Agent),
                "departments": count(Department),
            }

    # --- internals --------------------------------------------------------------------------

    def _count(self, session: Session | Connection, view: View, now: datetime) -> int:
        query: Select[int] = select(func.count()).select_from(Ticket)
        return int(session.scalar(query.where(self.view_condition(view, now))) or 0)

    def _rows(self, session: Session, ticket_ids: list[int]) -> list[TicketRow]:
        if not ticket_ids:
            return []
        query = _ROWS.where(Ticket.id.in_(ticket_ids))
        by_id = {row[0]: self._row(row) for row in session.execute(query, self._row_params())}
        return [by_id[i] for i in ticket_ids if i in by_id]

    def _row_params(self) -> dict[str, int]:
        return {"viewer_id": self.viewer_id or -1}

    @staticmethod
    def _row(row: Sequence[Any]) -> TicketRow:
        return TicketRow(
            id=row[0],
            subject=row[1],
            preview=row[2],
            status=row[3],
            priority=row[4],
            channel=row[5],
            department=row[6],
            assignee=row[7],
            customer=row[8] or row[9] or "",
            customer_email=row[9],
            created_at=row[10],
            updated_at=row[11],
            sla_due_at=row[12],
            message_count=row[13],
            version=row[14],
            unread=row[15] is not None and (row[16] is None or row[15] > row[16]),
            sla_started_at=row[17],
            sla_paused_remaining_s=row[18],
        )

    def _agent_names(self, session: Session) -> dict[int, str]:
        return dict(session.execute(select(Agent.id, Agent.display_name)).all())

    def _customer_record(self, customer: Customer) -> CustomerRecord:
        return CustomerRecord(
            id=customer.id,
            name=customer.name,
            organisation=customer.organisation,
            notes=customer.notes,
            emails=[i.value for i in customer.identities if i.kind == IdentityKind.EMAIL],
            phones=[i.value for i in customer.identities if i.kind == IdentityKind.PHONE],
            version=customer.version,
            merged_into_id=customer.merged_into_id,
            tags=tuple(sorted(tag_set(customer.tags))),
            language=customer.language,
        )

    # --- appended for the desktop UI --------------------------------------------------------

    def attachment(self, attachment_id: int) -> tuple[AttachmentRecord, bytes]:
        """One attachment with its bytes, for opening or saving it from the conversation."""
        from desk_app.store.models import Attachment  # appended method: keep imports local

        with self.db.read() as session:
            item = session.get(Attachment, attachment_id)
            if item is None:
                raise NotFound(f"attachment {attachment_id} does not exist")
            record = AttachmentRecord(item.id, item.filename, item.content_type, item.size)
            return record, bytes(item.content)


def _reply_route(session: Session, customer: Customer) -> NoRoute | None:
    """Can the worker send a reply to this customer (MailStore._outgoing's checks, asked
    before Send)? The customer's identities are loaded with the ticket already; this adds one
    query. Any active account will do: the worker falls back from the ticket's and the
    department's account to the first active one."""
    has_account = session.scalar(
        select(MailAccount.id).where(MailAccount.is_active.is_(True)).limit(1)
    )
    kinds = {identity.kind for identity in customer.identities}
    return reply_route(
        has_account=has_account is not None,
        has_email=IdentityKind.EMAIL in kinds,
        unreadable_from=IdentityKind.RAW_FROM in kinds,
    )
