"""Reading the change log: every committed change exactly once, never skipping a late commit.

Sequence numbers are handed out inside write transactions, so on PostgreSQL change 10 may
commit after change 11, and a reader that moved a cursor to 11 would never see 10. So on
PostgreSQL the reader's position is a transaction id instead: every change row records the
transaction that wrote it, and each poll reads the rows of all transactions from its watermark
on, then moves the watermark to the oldest transaction still running. A transaction older than
that has finished, so all its rows were visible to this poll; anything newer is read again next
time. Rows already delivered are remembered until the watermark passes them, so each is
delivered once, as soon as it is committed.

SQLite writers are serialised (BEGIN IMMEDIATE), so sequence numbers commit in order there and
the position is simply the highest sequence number read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from desk_app.store.database import Database
from desk_app.store.models import ChangeLogEntry


@dataclass(frozen=True)
class Change:
    seq: int
    entity: str
    entity_id: int
    op: str
    actor_agent_id: int | None
    at: datetime


class ChangeReader:
    """Polls the change log from a position: a sequence number on SQLite, a transaction-id
    watermark on PostgreSQL. With no position, it starts at the present."""

    def __init__(self, db: Database, position: int | None = None) -> None:
        self.db = db
        self._delivered: dict[int, int] = {}  # seq -> txid, for rows at or above the watermark
        self.position = self._present() if position is None else position

    def poll(self, via: FetchRows | None = None) -> list[Change]:
        """Changes committed since the last poll, each delivered once, in sequence order.

        via: on PostgreSQL, a way to run the poll on a connection already open in autocommit
        (the listener's own LISTEN connection), saving the pool checkout and its ping.

        The reader's state changes only after the read has finished cleanly: if the connection
        dies while reading, the next poll reads the same rows again instead of having moved
        past them."""
        oldest_running, rows = self._fetch(via)
        if oldest_running is None:  # SQLite: sequence numbers commit in order
            changes = [_change(row) for row in rows]
            if changes:
                self.position = changes[-1].seq
            return changes
        fresh = [row for row in rows if row[0] not in self._delivered]
        self._delivered.update((row[0], row[6] or 0) for row in fresh)
        self.position = max(self.position, oldest_running)
        self._delivered = {
            seq: txid for seq, txid in self._delivered.items() if txid >= self.position
        }
        return [_change(row) for row in fresh]

    def _fetch(self, via: FetchRows | None = None) -> tuple[int | None, list[tuple[Any, ...]]]:
        """Rows (seq, entity, entity_id, op, actor, at, txid) after the position, and on
        PostgreSQL the oldest running transaction."""
        if self.db.is_sqlite:
            with self.db.read() as session:
                query = _SELECT.where(_LOG.c.seq > self.position)
                return None, [tuple(row) for row in session.execute(query)]
        # The watermark and the rows come from ONE statement, hence one snapshot, in
        # autocommit: one round trip per poll. Fifty desktops poll on every change, so the
        # BEGIN / SET ISOLATION / two SELECTs / ROLLBACK of a session would cost five.
        parameters = {"position": self.position}
        if via is not None:
            rows = via(POSTGRES_POLL_SQL, parameters)
        else:
            with self.db.autocommit() as connection:
                rows = [tuple(r) for r in connection.exec_driver_sql(POSTGRES_POLL_SQL, parameters)]
        # The LEFT JOIN gives one row of NULLs when nothing is new.
        return int(rows[0][0]), [tuple(row[1:]) for row in rows if row[1] is not None]

    def _present(self) -> int:
        with self.db.read() as session:
            if self.db.is_sqlite:
                # An aggregate always returns exactly one row, and COALESCE makes its value 0 on an
                # empty log: never None.
                newest = select(func.coalesce(func.max(ChangeLogEntry.seq), 0))
                return int(session.execute(newest).scalar_one())
            return _oldest_running_transaction(session)


_LOG = ChangeLogEntry.__table__
_SELECT = select(
    _LOG.c.seq,
    _LOG.c.entity,
    _LOG.c.entity_id,
    _LOG.c.op,
    _LOG.c.actor_agent_id,
    _LOG.c.at,
    _LOG.c.txid,
).order_by(_LOG.c.seq)
# pg_current_snapshot() is the statement's own snapshot, so "every transaction older than
# oldest_running has finished" holds for exactly the rows this statement sees.
POSTGRES_POLL_SQL = """
    SELECT s.oldest_running, c.seq, c.entity, c.entity_id, c.op, c.actor_agent_id, c.at, c.txid
    FROM (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS oldest_running) AS s
    LEFT JOIN change_log AS c ON c.txid >= %(position)s
    ORDER BY c.seq
"""

# Runs a statement with named parameters on an open autocommit connection, returns its rows.
FetchRows = Callable[[str, Mapping[str, object]], list[tuple[Any, ...]]]


def _change(row: tuple[Any, ...]) -> Change:
    seq, entity, entity_id, op, actor, at, _txid = row
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return Change(int(seq), entity, int(entity_id), op, actor, at)


def _oldest_running_transaction(session: Session) -> int:
    """Every transaction with a smaller id has finished, as of this session's snapshot."""
    return int(session.scalar(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")))
