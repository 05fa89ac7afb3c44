"""What matters now across every department, for the person on call: unacknowledged pages
first, then urgent tickets, breached and nearly breached deadlines, and who has waited longest.

A handful of short reads, each bounded and on an index the inbox views already use (the
unsolved partial indexes on due time and update time), so it stays cheap at any size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, literal_column, or_, select

from desk_app.core.enums import Priority
from desk_app.core.views import DUE_SOON_WINDOW
from desk_app.store.customer_commands import first_email
from desk_app.store.database import Database
from desk_app.store.models import UNSOLVED_SQL, Agent, Customer, Department, Page, Ticket

SECTION_LIMIT = 20
_UNSOLVED_SQL: ColumnElement[bool] = literal_column(UNSOLVED_SQL, type_=None)
_WAITING = ("new", "open")


@dataclass(frozen=True)
class NightItem:
    ticket_id: int
    kind: str  # page | urgent | breached | due_soon | waiting
    subject: str
    department: str | None
    priority: str
    customer: str
    sla_due_at: datetime | None
    waiting_since: datetime | None
    paged: str | None = None  # who the open page is with
    page_sends: int = 0

    def why(self, now: datetime) -> str:
        """The reason in a few words, as the list shows it."""
        if self.kind == "page":
            sent = f" (e-mailed {self.page_sends}×)" if self.page_sends else ""
            return f"Page not acknowledged: {self.paged or 'nobody'}{sent}"
        if self.kind == "urgent":
            return "Urgent"
        if self.kind == "breached" and self.sla_due_at is not None:
            return f"Breached {_span(now - self.sla_due_at)} ago"
        if self.kind == "due_soon" and self.sla_due_at is not None:
            return f"Due in {_span(self.sla_due_at - now)}"
        if self.waiting_since is not None:
            return f"Waiting {_span(now - self.waiting_since)}"
        return self.kind


def _span(value: timedelta) -> str:
    minutes = max(0, int(value.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def _base() -> Select[int, str, str, str, str, Any, datetime | None, datetime | None]:
    return (
        select(
            Ticket.id,
            Ticket.subject,
            Department.name,
            Ticket.priority,
            Customer.name,
            first_email(Ticket.__table__.c.customer_id).scalar_subquery(),
            Ticket.sla_due_at,
            Ticket.last_customer_message_at,
        )
        .join(Customer, Customer.id == Ticket.customer_id)
        .outerjoin(Department, Department.id == Ticket.department_id)
        .where(_UNSOLVED_SQL)
    )


def night_board(db: Database, now: datetime) -> list[NightItem]:
    items: list[NightItem] = []
    seen: set[int] = set()

    def add(kind: str, rows: Sequence[Any], pages: dict[int, tuple[str, int]]) -> None:
        for ticket_id, subject, department, priority, name, email, due, last_in in rows:
            if ticket_id in seen:
                continue
            seen.add(ticket_id)
            paged, sends = pages.get(ticket_id, (None, 0))
            items.append(
                NightItem(
                    ticket_id=ticket_id,
                    kind=kind,
                    subject=subject,
                    department=department,
                    priority=priority,
                    customer=name or email or "unknown",
                    sla_due_at=due,
                    waiting_since=last_in,
                    paged=paged,
                    page_sends=sends,
                )
            )

    with db.read() as session:
        open_pages = session.execute(
            select(Page.ticket_id, Agent.display_name, Page.sends)
            .outerjoin(Agent, Agent.id == Page.agent_id)
            .where(Page.acknowledged_at.is_(None))
            .order_by(Page.created_at)
            .limit(SECTION_LIMIT)
        ).all()
        pages = {ticket_id: (who or "nobody", sends) for ticket_id, who, sends in open_pages}
        if pages:
            found = session.execute(_base().where(Ticket.id.in_(list(pages)))).all()
            by_id = {row[0]: row for row in found}
            add("page", [by_id[i] for i in pages if i in by_id], pages)
        urgent = or_(Ticket.priority == Priority.URGENT.value, Ticket.tags.contains("urgent"))
        sections: list[tuple[str, Any]] = [
            ("urgent", _base().where(urgent).order_by(Ticket.updated_at.desc(), Ticket.id)),
            (
                "breached",
                _base().where(Ticket.sla_due_at < now).order_by(Ticket.sla_due_at, Ticket.id),
            ),
            (
                "due_soon",
                _base()
                .where(Ticket.sla_due_at >= now, Ticket.sla_due_at < now + DUE_SOON_WINDOW)
                .order_by(Ticket.sla_due_at, Ticket.id),
            ),
            (
                "waiting",
                _base()
                .where(Ticket.status.in_(_WAITING), Ticket.last_customer_message_at.is_not(None))
                .order_by(Ticket.last_customer_message_at, Ticket.id),
            ),
        ]
        for kind, query in sections:
            add(kind, session.execute(query.limit(SECTION_LIMIT)).all(), pages)
    return items
