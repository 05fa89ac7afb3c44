"""The listener wakes on another connection's commit, on both databases, exactly once."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest

from desk_app.store import Database, Service
from desk_app.store.change_feed import ChangeReader
from desk_app.store.journal import Journal
from desk_app.sync import ChangeListener, SyncState
from tests.sync.helpers import Collector, commit_change


@pytest.fixture
def other(database_url):
    """A second Database object: its own engine and connections, as another desktop has."""
    database = Database(database_url)
    yield database
    database.dispose()


def test_a_change_by_another_connection_arrives_within_a_second(db, other, team, clock):
    collector = Collector()
    # A long safety net: only a real wake-up can make the one-second deadline.
    listener = ChangeListener(db, collector, on_status=collector.status, safety_poll_s=30)
    listener.start()
    try:
        assert collector.wait_for(lambda: listener.status.state is SyncState.LIVE, 5)
        ticket = Service(other, team.anna, clock).create_ticket(
            subject="Live", customer_email="live@example.com"
        )
        started = time.monotonic()
        assert collector.wait_for(lambda: ticket.ticket_id in collector.entity_ids(), 1.0)
        assert time.monotonic() - started < 1.0
        assert listener.status.last_sync is not None
        assert listener.status.lag is not None
    finally:
        listener.stop()
    assert not listener.running
    assert listener.status.state is SyncState.STOPPED


def test_a_burst_of_changes_is_delivered_once_each_in_order(db, other):
    collector = Collector()
    listener = ChangeListener(db, collector, reader=ChangeReader(db))
    listener.start()
    try:
        for entity_id in range(1, 51):
            commit_change(other, entity_id)
        assert collector.wait_for(lambda: len(collector.changes) >= 50, 5)
        time.sleep(0.3)  # nothing more may arrive
        assert collector.entity_ids() == list(range(1, 51))
        assert collector.seqs() == sorted(set(collector.seqs()))
    finally:
        listener.stop()


def test_stop_is_prompt_and_leaves_no_thread(db):
    listener = ChangeListener(db, Collector(), safety_poll_s=30)
    listener.start()
    time.sleep(0.3)
    started = time.monotonic()
    listener.stop()
    assert time.monotonic() - started < 1.0
    assert not listener.running
    assert not any(t.name == "desk-sync" for t in threading.enumerate())


def _hold_open_change(db: Database, entered: threading.Event, release: threading.Event) -> None:
    with db.write() as session:
        journal = Journal(session, None, datetime.now(UTC))
        journal.changed("ticket", 999_001, "update")
        journal.finish()
        entered.set()
        assert release.wait(20)


def test_a_late_commit_is_delivered_on_postgresql(postgresql_database_url):
    db, slow_db, fast_db = (Database(postgresql_database_url) for _ in range(3))
    collector = Collector()
    listener = ChangeListener(db, collector, reader=ChangeReader(db))
    release = threading.Event()
    try:
        listener.start()
        entered = threading.Event()
        slow = threading.Thread(target=_hold_open_change, args=(slow_db, entered, release))
        slow.start()
        assert entered.wait(10)
        commit_change(fast_db, 999_002)  # a later sequence number commits first
        assert collector.wait_for(lambda: 999_002 in collector.entity_ids(), 2)
        release.set()
        slow.join(10)
        assert collector.wait_for(lambda: 999_001 in collector.entity_ids(), 2)
        time.sleep(0.3)
        assert collector.entity_ids() == [999_002, 999_001]
    finally:
        release.set()
        listener.stop()
        for each in (db, slow_db, fast_db):
            each.dispose()
