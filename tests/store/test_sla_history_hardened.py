"""After `desk db harden`, an agent's own PostgreSQL login records and meets breaches on their
tickets through the app's commands, and cannot delete or rewrite the history."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest

from desk_app.store import Service
from desk_app.store.sla_store import import_rules
from tests.conftest import FakeClock
from tests.store.hardened_team import (
    Hardened,
    build_team,
    changed,
    create_login_roles,
    drop_roles,
    refused,
    set_read_others,
)

RULES = {
    "calendars": [{"name": "24/7", "timezone": "UTC", "hours": {"mon-sun": "00:00-24:00"}}],
    "policies": [
        {
            "name": "Everyone",
            "calendar": "24/7",
            "targets": [{"kind": "first_response", "minutes": 60, "business_hours": False}],
        }
    ],
}


@pytest.fixture
def hardened(postgresql_database_url: str, clock: FakeClock) -> Iterator[Hardened]:
    prefix = uuid.uuid4().hex[:8]
    team = build_team(postgresql_database_url, clock, prefix=prefix)
    create_login_roles(postgresql_database_url, team.roles)
    try:
        set_read_others(team, False)
        team.harden()
        yield team
    finally:
        team.db.dispose()
        drop_roles(
            postgresql_database_url,
            [*team.roles.values(), team.groups.agent, team.groups.admin],
        )


def test_an_agents_login_records_and_meets_breaches_but_cannot_rewrite_them(
    hardened: Hardened, clock: FakeClock
) -> None:
    import_rules(hardened.db, RULES, hardened.agents["ada"], clock)
    ticket = hardened.support_ticket
    started = clock.now
    clock.advance(hours=2)
    db = hardened.database("anna")
    try:
        service = Service(db, hardened.agents["anna"], clock)
        service.set_status(ticket, "open")  # the recompute finds the breach: Anna's login adds it
        clock.advance(minutes=30)
        service.reply(ticket, "Sorry for the wait")  # and meets it
    finally:
        db.dispose()
    due = started + timedelta(hours=1)
    assert hardened.owner_sql(
        "SELECT kind, due_at, policy, met_at FROM sla_breaches WHERE ticket_id = :t", t=ticket
    ) == [("first_response", due, "Everyone", clock.now)]
    with hardened.connect("anna") as anna:
        refused(anna, "DELETE FROM sla_breaches WHERE ticket_id = %s", ticket)
        refused(
            anna,
            "UPDATE sla_breaches SET due_at = now(), policy = 'x' WHERE ticket_id = %s",
            ticket,
        )
        # Another department's history is out of sight, hence out of reach.
        hardened.owner_sql(
            "INSERT INTO sla_breaches (ticket_id, kind, started_at, due_at, policy, recorded_at)"
            " VALUES (:t, 'first_response', :s, :d, 'Everyone', :s)",
            t=hardened.billing_ticket,
            s=started,
            d=due,
        )
        assert changed(anna, "UPDATE sla_breaches SET met_at = now() WHERE met_at IS NULL") == 0
