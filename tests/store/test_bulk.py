"""The bulk loader writes what the service layer would, so everything reads it the same way."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from desk_app.core.enums import Direction
from desk_app.demo.generate import DEPARTMENTS, demo_agents, demo_tickets
from desk_app.store import Database, Queries, Service, bulk_documents, search
from desk_app.store.bulk import BulkLoader
from desk_app.store.models import ChangeLogEntry, Customer, CustomerIdentity, TicketSearch

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def load(db, count: int, seed: int = 7) -> list:
    seeds = list(demo_tickets(count, NOW, seed=seed))
    loader = BulkLoader(db, clock=lambda: NOW)
    loader.ensure_team(DEPARTMENTS, demo_agents())
    counts = loader.load(seeds, batch_size=70)
    assert counts.tickets == count
    assert counts.messages == sum(len(s.messages) for s in seeds)
    return seeds


def test_loaded_tickets_read_like_service_created_ones(db):
    seeds = load(db, 150)
    queries = Queries(db, None)
    stats = queries.stats()
    assert stats["tickets_total"] == 150
    assert stats["messages"] == sum(len(s.messages) for s in seeds)
    assert stats["departments"] == len(DEPARTMENTS) and stats["agents"] == len(demo_agents())

    detail = queries.ticket(1)
    first = seeds[0]
    assert detail.subject == first.subject
    assert [m.body_text for m in detail.messages] == [m.body for m in first.messages]
    assert detail.customer.emails == ([first.customer.email] if first.customer.email else [])
    assert detail.version == 1 + max(0, len(first.messages) - 1) + len(first.events)
    # Assignment history names agents, as the service layer's audit does.
    names = {a.display_name for a in demo_agents()}
    for event in (e for e in detail.audit if e.field == "assignee"):
        assert event.new_value is None or event.new_value in names

    # Every customer's tickets are found through any identity.
    customer = queries.find_customer(first.customer.email or first.customer.phone)
    assert 1 in [t.id for t in queries.customer_tickets(customer.id)]


def test_loaded_text_is_searchable_in_every_language(db):
    seeds = load(db, 120)
    queries = Queries(db, None)
    for number, seed in enumerate(seeds[:40], start=1):
        word = max(seed.subject.split(), key=len)
        assert number in [t.id for t in queries.search(word, limit=500)], (number, word)
    inbound = next(m.body for m in seeds[5].messages if m.direction is Direction.INBOUND)
    assert 6 in [t.id for t in queries.search(" ".join(inbound.split()[:2]), limit=500)]


def test_commands_continue_after_a_load_without_id_clashes(db):
    load(db, 60)
    agent = Queries(db, None).agent_by_email(demo_agents()[0].email)
    service = Service(db, agent.id, clock=lambda: NOW)
    created = service.create_ticket(subject="After the load", customer_email="late@example.com")
    assert created.ticket_id == 61
    replied = service.reply(created.ticket_id, "Thanks, looking into it.")
    assert replied.message_id is not None
    with db.read() as session:
        sequence = list(session.scalars(sa.select(ChangeLogEntry.seq).order_by(ChangeLogEntry.seq)))
    assert sequence == sorted(set(sequence)) and replied.change_seq == sequence[-1]


def test_a_second_load_reuses_existing_customers(db):
    load(db, 50)
    before = Queries(db, None).stats()["customers"]
    load(db, 50)  # same seed: the same customers write again
    assert Queries(db, None).stats()["customers"] == before
    assert Queries(db, None).stats()["tickets_total"] == 100


def documents_of(db, first: int, last: int) -> list[str]:
    with db.read() as session:
        return list(
            session.scalars(
                sa.select(TicketSearch.body)
                .where(TicketSearch.ticket_id.between(first, last))
                .order_by(TicketSearch.ticket_id)
            )
        )


@pytest.fixture
def small_batches_in_parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    # The pool is only worth starting for big batches; the tests' batches are small.
    monkeypatch.setattr(bulk_documents, "MIN_PARALLEL_TICKETS", 1)


@pytest.mark.usefixtures("small_batches_in_parallel")
def test_a_parallel_load_writes_the_same_documents_as_a_serial_one(db):
    seeds = list(demo_tickets(150, NOW, seed=3))
    serial = BulkLoader(db, clock=lambda: NOW, workers=0)
    serial.ensure_team(DEPARTMENTS, demo_agents())
    serial.load(seeds, batch_size=70)
    # The second load finds every customer in the database; its documents must not differ.
    parallel = BulkLoader(db, clock=lambda: NOW, workers=2)
    parallel.load(seeds, batch_size=70)
    assert documents_of(db, 151, 300) == documents_of(db, 1, 150)
    assert documents_of(db, 1, 150) == [
        search.ticket_document(
            seed.subject,
            [seed.customer.name, seed.customer.organisation]
            + [v for v in (seed.customer.email, seed.customer.phone) if v],
            [message.body for message in seed.messages],
        )
        for seed in seeds
    ]


@pytest.mark.usefixtures("small_batches_in_parallel")
def test_a_parallel_load_indexes_the_customer_as_the_database_knows_them(db, clock):
    seeds = list(demo_tickets(80, NOW, seed=5))
    seed = next(s for s in seeds if s.customer.email)
    BulkLoader(db, clock=lambda: NOW, workers=0).ensure_team(DEPARTMENTS, demo_agents())
    # The customer exists already under another name: the worker's guess (the seed's name) is
    # wrong, and the document must carry the stored name instead.
    Service(db, None, clock).create_ticket(
        subject="Earlier question",
        customer_email=seed.customer.email,
        customer_name="Zebediah Quartermaine",
    )
    BulkLoader(db, clock=lambda: NOW, workers=1).load(seeds, batch_size=40)
    number = 2 + seeds.index(seed)
    found = [t.id for t in Queries(db, None).search("Quartermaine", limit=500)]
    assert number in found
    with db.read() as session:
        customer = session.scalars(
            sa.select(Customer)
            .join(CustomerIdentity)
            .where(CustomerIdentity.value == seed.customer.email)
        ).one()
        stored_parts = search.customer_parts(customer)
    assert "Zebediah Quartermaine" in stored_parts
    assert documents_of(db, number, number) == [
        search.ticket_document(seed.subject, stored_parts, [m.body for m in seed.messages])
    ]


def test_a_load_leaves_sqlite_checkpointing_as_before_and_the_log_empty(sqlite_database_url):
    db = Database(sqlite_database_url)
    loader = BulkLoader(db, workers=0)
    loader.ensure_team(DEPARTMENTS, demo_agents())
    with db.write(bulk=True) as session:  # what each batch of a load does
        assert session.connection().exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        bulk_connection = session.connection().connection.dbapi_connection
    loader.load(demo_tickets(300, NOW), batch_size=100)
    wal = Path(str(db.engine.url.database) + "-wal")
    assert wal.exists() and wal.stat().st_size == 0  # one checkpoint at the end emptied it
    # The next ordinary write on the same pooled connection checkpoints automatically again.
    with db.write() as session:
        assert session.connection().connection.dbapi_connection is bulk_connection
        assert session.connection().exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
    assert Queries(db, None).stats()["tickets_total"] == 300
    db.dispose()
