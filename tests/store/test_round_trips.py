"""What an assign and a view page cost on PostgreSQL in round trips (issue 15, item 5).

Each round trip is a wait for the server; on a busy machine each is also a chance to be
scheduled out, which is where the p95 of store_bench's assign and view pages went. The counts
are exact, so a change that adds a statement to these paths shows up here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import psycopg
import pytest
import sqlalchemy as sa

from desk_app.core.views import Page, View, ViewKind
from desk_app.demo.sla_rules import DEMO_SLA
from desk_app.store import Database, Queries, Service
from desk_app.store.journal import NOTIFY_CHANNEL
from desk_app.store.models import Notification
from desk_app.store.sla_store import import_rules
from tests.store.helpers import audit_rows, change_rows
from tests.store.round_trips import RoundTripTrace

# BEGIN; the ticket locked; the actor, the department, the memberships and the team's rules
# (one statement); the audit rows; the ticket's UPDATE; the SLA history read; the targets
# written; the notice, the change-log rows, the transaction id and the NOTIFY (one statement);
# COMMIT. (Before issue 15: 17, with a pre-ping, four lookups, the notice's INSERT, two
# change-log INSERTs, a SELECT of the transaction id and one of pg_notify.)
ASSIGN_ROUND_TRIPS = 9
# The page's ids and rows in one statement, in autocommit: no BEGIN, no ROLLBACK, no ping.
# (Before: 5, the pre-ping, BEGIN, the ids, the rows and ROLLBACK.)
VIEW_PAGE_ROUND_TRIPS = 1


@pytest.fixture
def db(postgresql_database_url: str) -> Iterator[Database]:
    """PostgreSQL only: SQLite runs in this process and has no round trips."""
    database = Database(postgresql_database_url)
    import_rules(database, DEMO_SLA, actor_id=None)
    yield database
    database.dispose()


@pytest.fixture
def trace(db: Database) -> Iterator[RoundTripTrace]:
    tracer = RoundTripTrace(db)
    yield tracer
    tracer.close()


@pytest.fixture
def notices(db: Database) -> Iterator[Callable[[], list[str]]]:
    """The payloads of the NOTIFYs on Desk's channel so far, from a connection of its own."""
    url = sa.make_url(db.url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"LISTEN {NOTIFY_CHANNEL}")

        def received() -> list[str]:
            # Delivered at commit, so before the command returned: waiting is for stragglers.
            return [n.payload for n in connection.notifies(timeout=0.5)]

        yield received


def _ticket_with_anna(system: Service, lena: Service, team, n: int) -> int:
    created = system.create_ticket(
        subject=f"Invoice question {n}",
        customer_email=f"olga{n}@example.ru",
        body="Где мой счёт?",
        department="Support",
    )
    lena.assign(created.ticket_id, agent=team.anna)
    return created.ticket_id


def test_an_assign_between_departments_costs_its_round_trips_and_no_more(
    db: Database,
    trace: RoundTripTrace,
    notices: Callable[[], list[str]],
    system: Service,
    lena: Service,
    team,
) -> None:
    warm_up = _ticket_with_anna(system, lena, team, 0)
    lena.assign(warm_up, department="Billing", reason="billing question")
    ticket = _ticket_with_anna(system, lena, team, 1)
    version = Queries(db, team.lead).ticket(ticket).version
    seq_before = max(c.seq for c in change_rows(db))
    notices()  # those of the set-up

    with trace.counting() as trips:
        lena.assign(
            ticket, department="Billing", reason="billing question", expected_version=version
        )

    assert len(trips) == ASSIGN_ROUND_TRIPS, f"{len(trips)} round trips:\n{trips}"
    assert trips.statements[0].startswith("BEGIN") and trips.statements[-1] == "COMMIT"
    # Everything the command records is still there: the move and the cleared assignee in the
    # audit trail, a notice for Billing, and the change-log rows in the order they were logged,
    # of one transaction, announced once with the newest sequence number.
    moved = audit_rows(db, ticket_id=ticket, ticket_version=version + 1)
    assert [(e.field, e.old_value, e.new_value, e.reason) for e in moved] == [
        ("department", "Support", "Billing", "billing question"),
        ("assignee", "Anna Ivanova", None, "billing question"),
    ]
    logged = [c for c in change_rows(db) if c.seq > seq_before]
    assert [(c.entity, c.op) for c in logged] == [("notification", "insert"), ("ticket", "update")]
    assert logged[1].entity_id == ticket and len({c.txid for c in logged}) == 1
    with db.read() as session:
        notice = session.scalars(sa.select(Notification).where(Notification.ticket_id == ticket))
        told = [(n.id, n.agent_id, n.department_id, n.kind, n.text) for n in notice]
    assert told[1:] == [  # the first told Anna of the set-up's assignment
        (
            logged[0].entity_id,
            None,
            team.billing,
            "assigned",
            f"#{ticket} Invoice question 1 was assigned to your department by Lena Lead: "
            "billing question",
        )
    ]
    assert logged[0].txid is not None and all(c.actor_agent_id == team.lead for c in logged)
    assert notices() == [str(logged[-1].seq)]


def test_a_view_page_and_its_count_are_one_statement_outside_a_transaction(
    db: Database, trace: RoundTripTrace, system: Service, lena: Service, team
) -> None:
    for n in range(3):
        _ticket_with_anna(system, lena, team, n)
    queries = Queries(db, team.anna)
    view = View(ViewKind.MINE)
    queries.view_page(view, Page(limit=50))  # the viewer's scope is read once, then kept

    with trace.counting() as trips:
        rows = queries.view_page(view, Page(limit=2))

    assert len(trips) == VIEW_PAGE_ROUND_TRIPS, f"{len(trips)} round trips:\n{trips}"
    assert not any(s.startswith(("BEGIN", "COMMIT", "ROLLBACK")) for s in trips.statements)
    assert [row.subject for row in rows] == ["Invoice question 2", "Invoice question 1"]

    # A view's count likewise (the navigation pane's counts share one transaction instead).
    with trace.counting() as trips:
        assert queries.view_count(view) == 3
    assert len(trips) == 1, f"{len(trips)} round trips:\n{trips}"
