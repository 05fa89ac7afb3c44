"""Keyset paging walks a view in exactly the order offset paging does, without gaps."""

from __future__ import annotations

import pytest

from desk_app.core.views import Page, SortKey, View, ViewKind
from desk_app.store import Queries, Service


@pytest.mark.parametrize("key", [SortKey.UPDATED, SortKey.CREATED, SortKey.SUBJECT, SortKey.STATUS])
def test_keyset_pages_match_one_big_page(db, team, clock, key):
    system = Service(db, None, clock)
    for n in range(23):
        clock.advance(minutes=1 if n % 3 else 0)  # ties in time, broken by id
        created = system.create_ticket(
            subject=f"Subject {n % 5}", customer_email=f"k{n}@example.com", body="b"
        )
        if n % 4 == 0:
            Service(db, team.anna, clock).set_status(created.ticket_id, "pending")
    queries = Queries(db, team.anna, clock)
    view = View(ViewKind.ALL_OPEN)
    for descending in (True, False):
        whole = [
            r.id for r in queries.view_page(view, Page(limit=100, sort=key, descending=descending))
        ]
        walked: list[int] = []
        while True:
            page = Page(
                limit=4, sort=key, descending=descending, after_id=walked[-1] if walked else None
            )
            rows = queries.view_page(view, page)
            if not rows:
                break
            walked += [r.id for r in rows]
        assert walked == whole and len(whole) == 23
