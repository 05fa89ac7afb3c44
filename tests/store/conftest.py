"""Helpers shared by the store tests: services for the team's agents and table inspection."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from desk_app.store import Database, Queries, Service


@pytest.fixture
def service_for(db: Database, clock) -> Callable[[int | None], Service]:
    def make(actor_id: int | None) -> Service:
        return Service(db, actor_id, clock)

    return make


@pytest.fixture
def system(service_for) -> Service:
    """The service as the mail ingest uses it: no acting agent."""
    return service_for(None)


@pytest.fixture
def anna(service_for, team) -> Service:
    return service_for(team.anna)


@pytest.fixture
def lena(service_for, team) -> Service:
    return service_for(team.lead)


@pytest.fixture
def queries(db: Database, team, clock) -> Queries:
    return Queries(db, team.anna, clock)
