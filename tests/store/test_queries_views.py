"""Inbox views on both databases: the right tickets, in the right order, paged without gaps, with
counts that match. Expected results come from a plain-Python reading of the tickets table."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from desk_app.core.enums import PRIORITY_RANK, Priority
from desk_app.core.views import Page, SortKey, View, ViewKind
from desk_app.store import Queries
from desk_app.store.models import Ticket

UNSOLVED = {"new", "open", "pending", "on_hold"}


@dataclass
class Inbox:
    ids: dict[str, int]
    now: datetime
    queries: Queries


@pytest.fixture
def inbox(db, team, service_for, clock) -> Inbox:
    """A dozen tickets covering every view, with distinct and tied timestamps."""
    system = service_for(None)
    lena = service_for(team.lead)
    ids: dict[str, int] = {}

    def new(name: str, subject: str, email: str, **kwargs: object) -> int:
        ids[name] = system.create_ticket(
            subject=subject, customer_email=email, body=f"body of {name}", **kwargs
        ).ticket_id
        return ids[name]

    start = clock()
    # Created forty days ago so "solved 10 days ago" is possible.
    clock.now = start - timedelta(days=40)
    new("old_solved", "golf", "g@example.com", department="Billing")
    new("recent_solved", "foxtrot", "f@example.com", department="Support")
    new("closed", "hotel", "h@example.com", department="Support")
    clock.now = start - timedelta(days=10)
    lena.set_status(ids["old_solved"], "solved")
    clock.now = start - timedelta(days=7)
    new("boundary_solved", "india", "i@example.com")
    lena.set_status(ids["boundary_solved"], "solved")  # exactly seven days ago: still recent
    clock.now = start - timedelta(days=2)
    lena.assign(ids["recent_solved"], department="Support", agent=team.anna)
    lena.set_status(ids["recent_solved"], "solved")
    lena.assign(ids["closed"], department="Support", agent=team.anna)
    lena.set_status(ids["closed"], "closed")

    clock.now = start - timedelta(hours=5)
    # Two tickets created at the same moment: ties are broken by id.
    new("anna_open", "alpha", "a@example.com", department="Support", priority="low")
    new("support_new", "bravo", "b@example.com", department="Support", priority="urgent")
    clock.now = start - timedelta(hours=4)
    new("boris_pending", "charlie", "c@example.com", department="Billing", priority="high")
    clock.now = start - timedelta(hours=3)
    new("billing_hold", "delta", "d@example.com", department="Billing")
    new("nowhere", "echo", "e@example.com", channel="web")
    new("lead_open", "alpha", "a2@example.com", department="Billing", priority="urgent")
    new("due_now", "juliet", "j@example.com", department="Support", priority="high")
    new("due_edge", "kilo", "k@example.com", department="Support", priority="low")

    clock.now = start - timedelta(hours=2)
    lena.assign(ids["anna_open"], agent=team.anna)
    lena.assign(ids["boris_pending"], agent=team.boris)
    lena.set_status(ids["boris_pending"], "pending")
    clock.now = start - timedelta(hours=1)
    lena.set_status(ids["billing_hold"], "on_hold")
    lena.assign(ids["lead_open"], department="Billing", agent=team.lead)
    clock.now = start

    due = {
        "anna_open": timedelta(hours=1),  # due soon
        "support_new": timedelta(minutes=-30),  # breached
        "boris_pending": timedelta(hours=3),  # later
        "billing_hold": timedelta(minutes=119),  # due soon, last minute of the window
        "lead_open": timedelta(hours=-2),  # breached
        "due_now": timedelta(0),  # due this very moment: due soon, not yet breached
        "due_edge": timedelta(hours=2),  # exactly at the window's end: not due soon
        "recent_solved": timedelta(days=-1),  # solved: never breached
        "closed": timedelta(days=-1),
    }
    with db.engine.begin() as connection:
        for name, delta in due.items():
            connection.execute(
                sa.update(Ticket).where(Ticket.id == ids[name]).values(sla_due_at=start + delta)
            )
    return Inbox(ids=ids, now=start, queries=Queries(db, team.anna, clock))


def _all_tickets(db) -> list[Ticket]:
    with db.read() as session:
        return list(session.scalars(sa.select(Ticket)))


def _in_view(ticket: Ticket, view: View, now: datetime, viewer: int) -> bool:
    unsolved = ticket.status in UNSOLVED
    due = ticket.sla_due_at
    return {
        ViewKind.MINE: unsolved and ticket.assignee_id == viewer,
        ViewKind.UNASSIGNED: unsolved and ticket.assignee_id is None,
        ViewKind.DEPARTMENT: unsolved and ticket.department_id == view.department_id,
        ViewKind.ALL_OPEN: unsolved,
        ViewKind.DUE_SOON: unsolved and due is not None and now <= due < now + timedelta(hours=2),
        ViewKind.BREACHED: unsolved and due is not None and due < now,
        ViewKind.PENDING: ticket.status == "pending",
        ViewKind.SOLVED_RECENTLY: ticket.status == "solved"
        and ticket.solved_at is not None
        and ticket.solved_at >= now - timedelta(days=7),
    }[view.kind]


def _sort_value(ticket: Ticket, key: SortKey, view: View) -> object:
    if key is SortKey.UPDATED and view.kind is ViewKind.SOLVED_RECENTLY:
        return ticket.solved_at
    return {
        SortKey.UPDATED: ticket.updated_at,
        SortKey.CREATED: ticket.created_at,
        SortKey.DUE: ticket.sla_due_at,
        SortKey.PRIORITY: PRIORITY_RANK[Priority(ticket.priority)],
        SortKey.SUBJECT: ticket.subject,
        SortKey.STATUS: ticket.status,
    }[key]


def _expected(db, view: View, now: datetime, viewer: int, key: SortKey, desc: bool) -> list[int]:
    tickets = [t for t in _all_tickets(db) if _in_view(t, view, now, viewer)]
    valued = [t for t in tickets if _sort_value(t, key, view) is not None]
    nulls = [t for t in tickets if _sort_value(t, key, view) is None]
    valued.sort(key=lambda t: (_sort_value(t, key, view), t.id), reverse=desc)
    nulls.sort(key=lambda t: t.id, reverse=desc)
    return [t.id for t in valued + nulls]


def test_each_view_has_exactly_the_right_tickets_in_default_order(db, team, inbox):
    ids = inbox.ids
    expected_members = {
        View(ViewKind.MINE): {"anna_open"},
        View(ViewKind.UNASSIGNED): {
            "support_new",
            "billing_hold",
            "nowhere",
            "due_now",
            "due_edge",
        },
        View(ViewKind.DEPARTMENT, team.support): {
            "anna_open",
            "support_new",
            "due_now",
            "due_edge",
        },
        View(ViewKind.DEPARTMENT, team.billing): {"boris_pending", "billing_hold", "lead_open"},
        View(ViewKind.ALL_OPEN): {
            "anna_open",
            "support_new",
            "boris_pending",
            "billing_hold",
            "nowhere",
            "lead_open",
            "due_now",
            "due_edge",
        },
        View(ViewKind.DUE_SOON): {"anna_open", "billing_hold", "due_now"},
        View(ViewKind.BREACHED): {"support_new", "lead_open"},
        View(ViewKind.PENDING): {"boris_pending"},
        View(ViewKind.SOLVED_RECENTLY): {"recent_solved", "boundary_solved"},
    }
    for view, names in expected_members.items():
        rows = inbox.queries.view_page(view)
        assert {row.id for row in rows} == {ids[n] for n in names}, view
        key, desc = view.default_sort
        assert [row.id for row in rows] == _expected(db, view, inbox.now, team.anna, key, desc)
        assert inbox.queries.view_count(view) == len(rows)

    # The deadline views put the most urgent first, the others the newest change first.
    breached = inbox.queries.view_page(View(ViewKind.BREACHED))
    assert [r.id for r in breached] == [ids["lead_open"], ids["support_new"]]
    due_soon = inbox.queries.view_page(View(ViewKind.DUE_SOON))
    assert [r.id for r in due_soon] == [ids["due_now"], ids["anna_open"], ids["billing_hold"]]
    solved = inbox.queries.view_page(View(ViewKind.SOLVED_RECENTLY))
    assert [r.id for r in solved] == [ids["recent_solved"], ids["boundary_solved"]]


def test_mine_depends_on_the_viewer(db, team, inbox, clock):
    lead_view = Queries(db, team.lead, clock).view_page(View(ViewKind.MINE))
    assert [r.id for r in lead_view] == [inbox.ids["lead_open"]]
    boris = Queries(db, team.boris, clock)
    assert [r.id for r in boris.view_page(View(ViewKind.MINE))] == [inbox.ids["boris_pending"]]
    assert Queries(db, None, clock).view_page(View(ViewKind.MINE)) == []
    assert Queries(db, None, clock).view_count(View(ViewKind.MINE)) == 0


def test_every_sort_key_both_directions(db, team, inbox):
    views = (View(ViewKind.ALL_OPEN), View(ViewKind.SOLVED_RECENTLY), View(ViewKind.DUE_SOON))
    for view, key, descending in itertools.product(views, SortKey, (True, False)):
        rows = inbox.queries.view_page(view, Page(sort=key, descending=descending))
        assert [r.id for r in rows] == _expected(db, view, inbox.now, team.anna, key, descending), (
            view,
            key,
            descending,
        )


def test_priority_sort_is_by_urgency_not_alphabet(db, team, inbox):
    rows = inbox.queries.view_page(View(ViewKind.ALL_OPEN), Page(sort=SortKey.PRIORITY))
    ranks = [PRIORITY_RANK[Priority(r.priority)] for r in rows]
    assert ranks == sorted(ranks, reverse=True)
    assert rows[0].priority == "urgent"
    assert rows[-1].priority == "low"


def test_due_sort_puts_tickets_without_deadline_last_both_ways(db, team, inbox):
    for descending in (True, False):
        rows = inbox.queries.view_page(
            View(ViewKind.ALL_OPEN), Page(sort=SortKey.DUE, descending=descending)
        )
        assert rows[-1].id == inbox.ids["nowhere"]
        assert rows[-1].sla_due_at is None
        assert all(r.sla_due_at is not None for r in rows[:-1])


def test_paging_has_no_gaps_or_duplicates(db, team, inbox):
    view = View(ViewKind.ALL_OPEN)
    for limit, key, descending in itertools.product([1, 2, 3, 5], SortKey, (True, False)):
        first = Page(limit=100, sort=key, descending=descending)
        whole = [r.id for r in inbox.queries.view_page(view, first)]
        paged: list[int] = []
        for offset in itertools.count(0, limit):
            page = inbox.queries.view_page(
                view, Page(limit=limit, offset=offset, sort=key, descending=descending)
            )
            assert len(page) <= limit
            if not page:
                break
            paged.extend(r.id for r in page)
        assert paged == whole, (limit, key, descending)
        assert len(set(paged)) == len(paged) == inbox.queries.view_count(view)


def test_page_limit_is_capped(db, team, inbox):
    rows = inbox.queries.view_page(View(ViewKind.ALL_OPEN), Page(limit=10_000))
    assert len(rows) == 8
    assert inbox.queries.view_page(View(ViewKind.ALL_OPEN), Page(offset=100)) == []


def test_view_counts_match_pages_for_every_standard_view(db, team, inbox):
    views = inbox.queries.standard_views()
    kinds = [v.kind for v in views]
    assert kinds == [
        ViewKind.MINE,
        ViewKind.UNASSIGNED,
        ViewKind.DEPARTMENT,
        ViewKind.DEPARTMENT,
        ViewKind.ALL_OPEN,
        ViewKind.DUE_SOON,
        ViewKind.BREACHED,
        ViewKind.PENDING,
        ViewKind.SOLVED_RECENTLY,
    ]
    assert [v.department_id for v in views if v.kind is ViewKind.DEPARTMENT] == [
        team.billing,
        team.support,
    ]
    counts = inbox.queries.view_counts(views)
    for view in views:
        assert counts[view] == len(inbox.queries.view_page(view, Page(limit=500)))
        assert counts[view] == inbox.queries.view_count(view)
    assert counts[View(ViewKind.ALL_OPEN)] == 8


def test_rows_carry_what_the_inbox_shows(db, team, inbox):
    [row] = inbox.queries.rows([inbox.ids["anna_open"]])
    assert row.subject == "alpha"
    assert row.preview == "body of anna_open"
    assert (row.status, row.priority, row.channel) == ("open", "low", "email")
    assert (row.department, row.assignee) == ("Support", "Anna Ivanova")
    assert (row.customer, row.customer_email) == ("a@example.com", "a@example.com")
    assert row.sla_due_at == inbox.now + timedelta(hours=1)
    assert row.message_count == 1
    assert row.version == 2  # created, then assigned (and opened) in one command
    order = [inbox.ids["nowhere"], inbox.ids["anna_open"], 99_999, inbox.ids["closed"]]
    assert [r.id for r in inbox.queries.rows(order)] == [order[0], order[1], order[3]]
    assert inbox.queries.rows([]) == []


def test_views_follow_changes(db, team, inbox, service_for, clock):
    anna = service_for(team.anna)
    mine = View(ViewKind.MINE)
    before = inbox.queries.view_count(mine)
    clock.advance(minutes=1)
    anna.assign(inbox.ids["nowhere"], department="Support", agent=team.anna)
    assert inbox.queries.view_count(mine) == before + 1
    assert inbox.queries.view_page(mine)[0].id == inbox.ids["nowhere"]  # newest change first
    clock.advance(minutes=1)
    anna.set_status(inbox.ids["nowhere"], "solved")
    assert inbox.queries.view_count(mine) == before
    assert inbox.queries.view_page(View(ViewKind.SOLVED_RECENTLY))[0].id == inbox.ids["nowhere"]


def test_solved_tickets_age_out_of_solved_recently(db, team, inbox, clock):
    view = View(ViewKind.SOLVED_RECENTLY)
    assert inbox.queries.view_count(view) == 2
    clock.advance(seconds=1)
    assert [r.id for r in inbox.queries.view_page(view)] == [inbox.ids["recent_solved"]]
    clock.advance(days=5)
    assert inbox.queries.view_count(view) == 0
