"""Helpers for listener tests: a thread-safe collector and a way to commit one change."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from desk_app.store import Database
from desk_app.store.change_feed import Change
from desk_app.store.journal import Journal
from desk_app.sync import SyncStatus


class Collector:
    """Receives batches on the listener's thread; tests wait on it from theirs."""

    def __init__(self) -> None:
        self.changes: list[Change] = []
        self.arrived: dict[int, float] = {}  # entity_id -> monotonic arrival time
        self.statuses: list[SyncStatus] = []
        self._condition = threading.Condition()

    def __call__(self, batch: list[Change]) -> None:
        now = time.monotonic()
        with self._condition:
            self.changes.extend(batch)
            for change in batch:
                self.arrived.setdefault(change.entity_id, now)
            self._condition.notify_all()

    def status(self, status: SyncStatus) -> None:
        with self._condition:
            self.statuses.append(status)
            self._condition.notify_all()

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        with self._condition:
            return self._condition.wait_for(predicate, timeout)

    def entity_ids(self, entity: str = "ticket") -> list[int]:
        with self._condition:
            return [c.entity_id for c in self.changes if c.entity == entity]

    def seqs(self) -> list[int]:
        with self._condition:
            return [c.seq for c in self.changes]


def commit_change(db: Database, entity_id: int, entity: str = "ticket") -> None:
    """One write transaction with one change-log row (and its NOTIFY on PostgreSQL)."""
    with db.write() as session:
        journal = Journal(session, None, datetime.now(UTC))
        journal.changed(entity, entity_id, "update")
        journal.finish()
