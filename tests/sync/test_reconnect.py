"""Losing the database in the middle of a stream of changes: every change arrives exactly once.

Two ways to lose it: the listener's own backend is terminated (a dropped connection), and the
PostgreSQL server itself is stopped and started again (on a server of this test's own, so the
session's shared server is never disturbed).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from desk_app.core.errors import Unavailable
from desk_app.store import Database
from desk_app.store.change_feed import ChangeReader
from desk_app.sync import ChangeListener, SyncState
from desk_app.sync.backoff import Backoff
from desk_app.sync.wakeups import PostgresWakeups
from tests.pg_control import OwnServer, own_server
from tests.sync.helpers import Collector, commit_change


class Writer(threading.Thread):
    """Commits numbered changes at a steady rate until stopped, retrying while the database
    is away. A commit whose outcome is unknown (the connection died during it) gets no second
    try under the same number, so 'delivered twice' can only mean the feed duplicated it."""

    def __init__(self, url: str, interval_s: float = 0.01) -> None:
        super().__init__(name="test-writer", daemon=True)
        self.url = url
        self.interval_s = interval_s
        self.committed: list[int] = []
        self.attempted: list[int] = []
        self.failures = 0
        self._stop_writing = threading.Event()
        self._numbers = itertools.count(1)

    def run(self) -> None:
        db = Database(self.url)
        try:
            while not self._stop_writing.is_set():
                number = next(self._numbers)
                self.attempted.append(number)
                try:
                    commit_change(db, number)
                except (Unavailable, sa.exc.DBAPIError):
                    self.failures += 1
                    time.sleep(0.05)
                    continue
                self.committed.append(number)
                time.sleep(self.interval_s)
        finally:
            db.dispose()

    def finish(self) -> None:
        self._stop_writing.set()
        self.join(30)


def _assert_exactly_once(collector: Collector, writer: Writer) -> None:
    expected = set(writer.committed)
    assert collector.wait_for(lambda: expected <= set(collector.entity_ids()), 15), sorted(
        expected - set(collector.entity_ids())
    )[:20]
    time.sleep(0.5)  # a duplicate would arrive now
    seen = collector.entity_ids()
    assert len(seen) == len(set(seen)), "a change was delivered twice"
    assert set(seen) <= set(writer.attempted)
    assert len(collector.seqs()) == len(set(collector.seqs()))


def _fast_backoff() -> Backoff:
    return Backoff(first_s=0.05, cap_s=0.5)


def test_a_terminated_listening_connection_loses_no_change(postgresql_database_url):
    db, admin = Database(postgresql_database_url), Database(postgresql_database_url)
    collector = Collector()
    listener = ChangeListener(
        db, collector, on_status=collector.status, reader=ChangeReader(db), backoff=_fast_backoff()
    )
    writer = Writer(postgresql_database_url)
    try:
        listener.start()
        assert collector.wait_for(lambda: listener.status.state is SyncState.LIVE, 5)
        writer.start()
        for _ in range(3):
            time.sleep(0.3)
            wakeups = listener.wakeups
            assert isinstance(wakeups, PostgresWakeups)
            with admin.write() as session:
                session.execute(
                    sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": wakeups.backend_pid}
                )
        time.sleep(0.3)
        writer.finish()
        _assert_exactly_once(collector, writer)
        assert listener.connections >= 4
        assert any(s.state is SyncState.RECONNECTING for s in collector.statuses)
        assert listener.status.state is SyncState.LIVE
    finally:
        writer.finish()
        listener.stop()
        db.dispose()
        admin.dispose()


@pytest.fixture(scope="module")
def server() -> Iterator[OwnServer]:
    with own_server() as running:
        yield running


def test_a_server_restart_mid_stream_loses_and_repeats_no_change(server):
    url = server.url
    db = Database(url)
    collector = Collector()
    listener = ChangeListener(
        db, collector, on_status=collector.status, reader=ChangeReader(db), backoff=_fast_backoff()
    )
    writer = Writer(url)
    try:
        listener.start()
        assert collector.wait_for(lambda: listener.status.state is SyncState.LIVE, 5)
        writer.start()
        time.sleep(0.5)
        server.stop()
        assert collector.wait_for(lambda: listener.status.state is SyncState.RECONNECTING, 5)
        time.sleep(0.5)
        server.start()
        assert collector.wait_for(lambda: listener.status.state is SyncState.LIVE, 10)
        time.sleep(0.5)
        writer.finish()
        _assert_exactly_once(collector, writer)
        assert writer.failures > 0  # the server really was away while changes were being made
        assert listener.connections >= 2
    finally:
        writer.finish()
        listener.stop()
        db.dispose()
