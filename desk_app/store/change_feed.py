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

from dataclasses import dataclass
from datetime import datetime

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

    def poll(self) -> list[Change]:
        """Changes committed since the last poll, each delivered once, in sequence order.

        The reader's state changes only after the read transaction has closed cleanly: if the
        connection dies while reading (or on the closing ROLLBACK), the next poll reads the
        same rows again instead of having moved past them."""
        with self.db.read() as session:
            if self.db.is_sqlite:
                rows = self._rows(session, ChangeLogEntry.seq > self.position)
                oldest_running = None
            else:
                # The watermark and the rows must come from one snapshot.
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
                oldest_running = _oldest_running_transaction(session)
                rows = self._rows(session, ChangeLogEntry.txid >= self.position)
            changes = [(_change(row), row.txid) for row in rows]
        if oldest_running is None:
            if changes:
                self.position = changes[-1][0].seq
            return [change for change, _ in changes]
        fresh = [(change, txid) for change, txid in changes if change.seq not in self._delivered]
        self._delivered.update((change.seq, txid or 0) for change, txid in fresh)
        self.position = max(self.position, oldest_running)
        self._delivered = {
            seq: txid for seq, txid in self._delivered.items() if txid >= self.position
        }
        return [change for change, _ in fresh]

    def _rows(self, session: Session, condition: object) -> list[ChangeLogEntry]:
        query = select(ChangeLogEntry).where(condition).order_by(ChangeLogEntry.seq)
        return list(session.scalars(query))

    def _present(self) -> int:
        with self.db.read() as session:
            if self.db.is_sqlite:
                return int(session.scalar(select(func.coalesce(func.max(ChangeLogEntry.seq), 0))))
            return _oldest_running_transaction(session)


def _change(row: ChangeLogEntry) -> Change:
    return Change(row.seq, row.entity, row.entity_id, row.op, row.actor_agent_id, row.at)


def _oldest_running_transaction(session: Session) -> int:
    """Every transaction with a smaller id has finished, as of this session's snapshot."""
    return int(session.scalar(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")))
