"""Seeding a database with the demo team and tickets."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from datetime import time as dt_time
from operator import attrgetter
from typing import Any

from sqlalchemy import select

from desk_app.core.clock import Clock, utc_now
from desk_app.core.enums import Role, Status
from desk_app.core.errors import ConflictError
from desk_app.core.oncall import Rotation
from desk_app.demo.generate import DEPARTMENTS, demo_agents, demo_tickets
from desk_app.demo.pacing import SlaPacer
from desk_app.demo.sla_rules import DEMO_SLA
from desk_app.demo.templates import guess_customer_languages, install_demo_templates
from desk_app.store import Database, Queries, Service
from desk_app.store.bulk import BulkLoader
from desk_app.store.models import Department, Ticket
from desk_app.store.oncall_settings import read_settings
from desk_app.store.oncall_store import OncallStore
from desk_app.store.paging_store import PageRecord, PagingStore
from desk_app.store.sla_store import export_rules, import_rules, parse_rules

DEFAULT_TICKETS = 600
# After hours: the worker pages a couple of minutes after an urgent ticket arrives, and the
# person on call acknowledged every page but the latest few within minutes.
PAGE_DELAY = timedelta(minutes=2)
ACKNOWLEDGED_AFTER = timedelta(minutes=6)
UNACKNOWLEDGED_PAGES = 2
HANDED_OVER_AGO = timedelta(minutes=4)


def demo_agent_email() -> str:
    """The agent the demo signs in as."""
    return demo_agents()[0].email


def seed_demo(
    db: Database, tickets: int, *, allow_existing: bool = False, clock: Clock = utc_now
) -> dict[str, Any]:
    """The demo team and `tickets` tickets as a team having a normal day at `clock()`: open
    tickets mostly within their SLA targets, a few due soon or just breached (demo.pacing)."""
    existing = Queries(db, None).stats()["tickets_total"]
    if existing and not allow_existing:
        raise ConflictError(
            f"the {db.describe()} already has {existing} tickets; pass --append to add demo "
            "tickets to it anyway"
        )
    started = time.perf_counter()
    now = clock()
    loader = BulkLoader(db)
    loader.ensure_team(DEPARTMENTS, demo_agents())
    rules = export_rules(db)
    install_rules = not rules["policies"]
    parsed = parse_rules(DEMO_SLA if install_rules else rules)
    pacer = SlaPacer(parsed.policies, dict(parsed.calendars), now)
    # Paced tickets leave the stream's creation order; ticket numbers should follow it.
    seeds = sorted(demo_tickets(tickets, now, timing=pacer), key=attrgetter("created_at"))
    counts = loader.load(seeds)
    if install_rules:
        # Also computes every ticket's due times.
        import_rules(db, DEMO_SLA, actor_id=None, clock=lambda: now)
    templates = install_demo_templates(db, [(a.display_name, a.email) for a in demo_agents()])
    guess_customer_languages(db)
    _install_demo_rotation(db, now)
    _page_after_hours(db, now)
    _hand_a_ticket_to_the_demo_agent(db, now)
    return {
        "database": db.describe(),
        "tickets": counts.tickets,
        "messages": counts.messages,
        "customers": counts.customers,
        "templates": templates["created"] + templates["updated"] + templates["unchanged"],
        "seconds": round(time.perf_counter() - started, 2),
    }


def _install_demo_rotation(db: Database, now: datetime) -> None:
    """A team-wide weekly night rotation of the first three agents, so the on-call indicator,
    the calendar and the On call panel have someone to show."""
    store = OncallStore(db, None)
    if store.rotations():
        return
    queries = Queries(db, None)
    agents = [queries.agent_by_email(agent.email).id for agent in demo_agents()[:3]]
    today = now.date()
    store.save_rotation(
        Rotation(
            name="Nights and weekends",
            agent_ids=tuple(agents),
            handoff=dt_time(18, 0),
            length="weekly",
            time_zone="Europe/London",
            starts_on=today - timedelta(days=today.weekday()),  # this week's Monday
        )
    )


def _page_after_hours(db: Database, now: datetime) -> None:
    """Page the person on call for the urgent tickets that came in after hours, a couple of
    minutes after each arrived, as the worker would; they acknowledged all but the latest
    UNACKNOWLEDGED_PAGES. So a demo started in the evening shows its On call panel at work
    (by day there are no pages: the day team sees urgent tickets in the queue)."""
    at = now
    store = PagingStore(db, lambda: at)
    settings = read_settings(db)
    candidates = [ticket_id for ticket_id, _version in store.candidates(now, settings)]
    with db.read() as session:
        rows = session.execute(
            select(Ticket.id, Ticket.created_at).where(Ticket.id.in_(candidates))
        ).all()
    arrived = {ticket_id: created for ticket_id, created in rows}
    paged: list[tuple[datetime, PageRecord]] = []
    for ticket_id in sorted(candidates, key=lambda ticket_id: arrived[ticket_id]):
        at = min(arrived[ticket_id] + PAGE_DELAY, now)
        page = store.open_page(ticket_id)
        if page is not None:
            paged.append((at, page))
    for paged_at, page in paged[: max(0, len(paged) - UNACKNOWLEDGED_PAGES)]:
        if page.agent_id is not None:
            at = min(paged_at + ACKNOWLEDGED_AFTER, now)
            store.acknowledge(page.ticket_id, page.agent_id)


def _hand_a_ticket_to_the_demo_agent(db: Database, now: datetime) -> None:
    """A lead has just given the demo's agent the newest unassigned Billing ticket, so the
    window opens with an "assigned to you" notice, as after a colleague's queue rebalancing."""
    queries = Queries(db, None)
    agent = queries.agent_by_email(demo_agent_email())
    lead = next(
        a
        for a in demo_agents()
        if a.role is Role.LEAD and "Billing" in a.departments and a.email != agent.email
    )
    with db.read() as session:
        newest = session.execute(
            select(Ticket.id, Ticket.created_at)
            .join(Department, Department.id == Ticket.department_id)
            .where(
                Department.name == "Billing",
                Ticket.assignee_id.is_(None),
                Ticket.status.in_([Status.NEW.value, Status.OPEN.value]),
            )
            .order_by(Ticket.created_at.desc())
            .limit(1)
        ).first()
    if newest is None:
        return
    ticket_id, created_at = newest
    at = min(max(now - HANDED_OVER_AGO, created_at + timedelta(minutes=1)), now)
    lead_id = queries.agent_by_email(lead.email).id
    Service(db, lead_id, lambda: at).assign(
        ticket_id, agent=agent.id, reason="Rebalancing the queue"
    )


def seed_demo_once(db: Database, tickets: int = DEFAULT_TICKETS) -> bool:
    """Seed the demo database on its first use; returns whether it seeded."""
    if Queries(db, None).stats()["tickets_total"]:
        return False
    seed_demo(db, tickets)
    return True
