"""Where live changes land in an open list, on both databases: tickets that join a view go
before the loaded row the database sorts after them; tickets that leave are named."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from desk_app.core.views import Page, SortKey, View, ViewKind
from desk_app.store import Database, Queries, Service
from desk_app.ui.inbox_model import view_changes
from tests.ui.conftest import new_ticket

ALL_OPEN = View(ViewKind.ALL_OPEN)
BY_SUBJECT = Page(limit=100, sort=SortKey.SUBJECT, descending=False)


@pytest.fixture
def both_db(database_url: str) -> Iterator[Database]:
    """SQLite and PostgreSQL (the UI's own `db` fixture is SQLite only)."""
    database = Database(database_url)
    yield database
    database.dispose()


def test_joiners_are_placed_by_the_database_and_leavers_named(both_db, clock):
    system = Service(both_db, None, clock)
    queries = Queries(both_db, None, clock)
    loaded = [new_ticket(system, f"Subject {c}", f"{c}@example.com") for c in "bdfh"]
    joiners = [new_ticket(system, f"Subject {c}", f"j{c}@example.com") for c in "aeg"]
    after_last = new_ticket(system, "Subject z", "z@example.com")
    system.set_status(loaded[1], "solved")  # "Subject d" leaves "All open"

    changes = view_changes(
        queries, ALL_OPEN, BY_SUBJECT, loaded, [*joiners, after_last, loaded[1]], complete=False
    )
    # a before b, e before f, g before h; z sorts after everything loaded: left to fetchMore.
    assert sorted(changes.joined) == sorted(
        [(joiners[0], loaded[0]), (joiners[1], loaded[2]), (joiners[2], loaded[3])]
    )
    assert changes.left == {loaded[1]}
    assert {row.id for row in changes.rows} == {*joiners, loaded[1]}

    # Once the whole view is loaded, a ticket after the last row is appended.
    complete = view_changes(queries, ALL_OPEN, BY_SUBJECT, loaded, [after_last], complete=True)
    assert complete.joined == [(after_last, None)]


def test_placement_in_a_long_list_takes_a_few_ordered_probes(both_db, clock):
    system = Service(both_db, None, clock)
    queries = Queries(both_db, None, clock)
    loaded = [new_ticket(system, f"Ticket {n:04d}", f"c{n}@example.com") for n in range(0, 600, 2)]
    odd = new_ticket(system, "Ticket 0371", "odd@example.com")
    changes = view_changes(queries, ALL_OPEN, BY_SUBJECT, loaded, [odd], complete=False)
    # "Ticket 0371" goes before "Ticket 0372", the 187th loaded row.
    assert changes.joined == [(odd, loaded[186])]
