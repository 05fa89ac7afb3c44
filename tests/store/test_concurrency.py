"""Optimistic concurrency: stale writes are refused with a message naming who changed what, and
two real writers racing on one ticket produce exactly one change."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from desk_app.core.errors import ConflictError
from desk_app.store import Database, Queries, Service
from tests.store.helpers import audit_rows, row_snapshot


@pytest.fixture
def ticket_id(system) -> int:
    return system.create_ticket(
        subject="Refund", customer_email="c@example.com", body="Please refund"
    ).ticket_id


STALE_CASES = [
    (lambda s, t: s.set_priority(t, "urgent"), "priority", ["priority", "normal", "urgent"]),
    (lambda s, t: s.set_status(t, "pending"), "status", ["status", "new", "pending"]),
    (
        lambda s, t: s.assign(t, department="Billing"),
        "department",
        ["department", "Billing"],
    ),
    (lambda s, t: s.reply(t, "answer"), None, ["replied"]),
    (lambda s, t: s.add_note(t, "psst"), None, ["internal note"]),
]


def test_stale_version_conflict_names_agent_and_change(db, team, service_for, system):
    boris = service_for(team.boris)
    # The lead works every department, so the ticket Boris just filed into Billing is hers
    # to change as well: what stops her is the stale version, not a permission.
    lena = service_for(team.lead)
    for first, _field, words in STALE_CASES:
        ticket_id = system.create_ticket(
            subject="Refund", customer_email="c@example.com", body="Please refund"
        ).ticket_id
        _check_stale(db, lena, boris, ticket_id, first, words)


def _check_stale(db, stale, boris, ticket_id, first, words):
    first(boris, ticket_id)
    before = row_snapshot(db)
    with pytest.raises(ConflictError) as caught:
        stale.set_priority(ticket_id, "low", expected_version=1)
    message = str(caught.value)
    assert "Boris Sato" in message
    for word in words:
        assert word in message
    assert f"#{ticket_id}" in message
    assert "your version 1" in message
    assert "now 2" in message
    assert row_snapshot(db) == before
    assert caught.value.exit_code == 3


def test_conflict_from_customer_mail_names_the_customer(db, team, system, anna, ticket_id):
    system.add_inbound_message(ticket_id, "any news?")
    with pytest.raises(ConflictError, match="customer wrote a new message"):
        anna.reply(ticket_id, "hi", expected_version=1)


STALE_COMMANDS = [
    lambda s, t: s.assign(t, department="Billing", expected_version=1),
    lambda s, t: s.set_status(t, "solved", expected_version=1),
    lambda s, t: s.set_priority(t, "high", expected_version=1),
    lambda s, t: s.reply(t, "text", expected_version=1),
    lambda s, t: s.add_note(t, "text", expected_version=1),
]


def test_every_versioned_command_refuses_stale_writes(db, team, anna, lena, ticket_id):
    lena.set_priority(ticket_id, "urgent")
    for command in STALE_COMMANDS:
        before = row_snapshot(db)
        with pytest.raises(ConflictError, match="Lena Lead changed priority from normal to urgent"):
            command(anna, ticket_id)
        assert row_snapshot(db) == before


def test_current_version_is_accepted(db, team, anna, lena, ticket_id):
    result = lena.set_priority(ticket_id, "urgent", expected_version=1)
    result = anna.set_status(ticket_id, "pending", expected_version=result.version)
    assert Queries(db, None).ticket(ticket_id).version == result.version == 3


def _race(url: str, actors: list[int], ticket_id: int, command) -> list[object]:
    """Run one command per actor at the same moment, each on its own Database (own pool)."""
    databases = [Database(url) for _ in actors]
    barrier = threading.Barrier(len(actors))

    def run(index: int) -> object:
        service = Service(databases[index], actors[index])
        barrier.wait()
        try:
            return command(service, ticket_id, index)
        except ConflictError as exc:
            return exc

    try:
        with ThreadPoolExecutor(len(actors)) as pool:
            return list(pool.map(run, range(len(actors))))
    finally:
        for database in databases:
            database.dispose()


def test_two_writers_racing_to_assign_one_wins(db, database_url, team, system):
    agents = [("Support", team.anna), ("Billing", team.boris)]
    for _round in range(4):
        ticket = system.create_ticket(subject="Race", customer_email="r@example.com", body="x")

        def assign(service: Service, ticket_id: int, index: int) -> object:
            department, agent = agents[index]
            return service.assign(ticket_id, department=department, agent=agent, expected_version=1)

        outcomes = _race(database_url, [team.lead, team.lead], ticket.ticket_id, assign)
        winners = [o for o in outcomes if not isinstance(o, ConflictError)]
        losers = [o for o in outcomes if isinstance(o, ConflictError)]
        assert len(winners) == 1, outcomes
        assert len(losers) == 1, outcomes
        assert "Lena Lead changed" in str(losers[0])
        detail = Queries(db, None).ticket(ticket.ticket_id)
        assert detail.version == 2
        assignee_events = [e for e in detail.audit if e.field == "assignee"]
        assert len(assignee_events) == 1
        winner_index = outcomes.index(winners[0])
        assert detail.assignee_id == agents[winner_index][1]
        assert detail.department == agents[winner_index][0]


def test_many_writers_without_versions_all_land(db, database_url, team, system):
    """Without an expected version, concurrent commands queue up instead of failing."""
    ticket = system.create_ticket(subject="Busy", customer_email="b@example.com", body="x")

    def note(service: Service, ticket_id: int, index: int) -> object:
        return service.add_note(ticket_id, f"note {index}")

    outcomes = _race(
        database_url, [team.anna, team.boris, team.lead, team.admin], ticket.ticket_id, note
    )
    assert not [o for o in outcomes if isinstance(o, Exception)]
    detail = Queries(db, None).ticket(ticket.ticket_id)
    assert detail.version == 5
    assert sorted(m.body_text for m in detail.messages if m.direction == "note") == [
        f"note {i}" for i in range(4)
    ]
    assert sorted(o.version for o in outcomes) == [2, 3, 4, 5]
    assert len([e for e in audit_rows(db, ticket_id=ticket.ticket_id) if e.action == "note"]) == 4
