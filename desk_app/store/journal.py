"""Audit events and the change log, written inside the transaction of the change they describe.

The change log is how other desktops learn about a change; the audit trail is how people do.
On PostgreSQL the transaction also sends NOTIFY, which the server delivers only at commit, so a
listener is never woken for a change it cannot yet read.

On PostgreSQL a command's change-log rows and notices wait until finish(), which writes them
all, takes the transaction id and sends the NOTIFY in ONE statement: nothing in a command reads
them back, and each separate INSERT, SELECT pg_current_xact_id() and pg_notify was a round trip
of its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event, insert, text
from sqlalchemy.orm import Session, SessionTransaction

from desk_app.store.fast_rows import Prepared
from desk_app.store.models import AuditEvent, ChangeLogEntry

NOTIFY_CHANNEL = "desk_changes"
_AUDIT_COLUMNS = (
    "at",
    "actor_agent_id",
    "entity",
    "entity_id",
    "ticket_id",
    "ticket_version",
    "action",
    "field",
    "old_value",
    "new_value",
    "reason",
)
_INSERT_AUDIT = Prepared(insert(AuditEvent), _AUDIT_COLUMNS)
_CHANGE_COLUMNS = ("entity", "entity_id", "op", "actor_agent_id", "at", "txid")
_INSERT_CHANGE = Prepared(insert(ChangeLogEntry).returning(ChangeLogEntry.seq), _CHANGE_COLUMNS)
# The transaction id is taken first (a MATERIALIZED CTE runs before the rows it feeds), so it
# is assigned before any row takes its sequence number, as _txid() guarantees for the others.
# Rows are numbered in the order the command logged them. A notification staged with its
# change-log row (notice()) is inserted here too: notices get their ids in the order they were
# staged, so the n-th smallest new id is the n-th notice. NOTIFY is delivered at commit,
# wherever in the transaction it is sent; its payload is the newest sequence number.
_POSTGRES_CHANGES_SQL = """
    WITH tx AS MATERIALIZED (SELECT pg_current_xact_id()::text::bigint AS txid),
    notice AS (
        INSERT INTO notifications (agent_id, department_id, ticket_id, kind, text, created_at)
        SELECT v.agent_id, v.department_id, v.ticket_id, v.kind, v.text, %(at)s::timestamptz
        FROM unnest(
            %(notice_agents)s::integer[], %(notice_departments)s::integer[],
            %(notice_tickets)s::bigint[], %(notice_kinds)s::varchar[], %(notice_texts)s::text[]
        ) WITH ORDINALITY AS v(agent_id, department_id, ticket_id, kind, text, n)
        ORDER BY v.n
        RETURNING id
    ),
    numbered AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM notice),
    written AS (
        INSERT INTO change_log (entity, entity_id, op, actor_agent_id, at, txid)
        SELECT c.entity, coalesce(c.entity_id, numbered.id), c.op,
            %(actor)s::integer, %(at)s::timestamptz, tx.txid
        FROM tx, unnest(
            %(entities)s::varchar[], %(ids)s::bigint[], %(ops)s::varchar[], %(notices)s::bigint[]
        ) WITH ORDINALITY AS c(entity, entity_id, op, notice, n)
        LEFT JOIN numbered ON numbered.n = c.notice
        ORDER BY c.n
        RETURNING seq
    )
    SELECT newest.seq, CASE WHEN %(notify)s THEN pg_notify(%(channel)s, newest.seq::text) END
    FROM (SELECT max(seq) AS seq FROM written) AS newest
"""
_JOURNALS = "desk_journals"


class Journal:
    """Collects what one command did and writes it in the command's transaction.

    core_rows: write the rows with prepared INSERTs (write_pending(), called by finish())
    instead of as ORM objects. For the hottest path (mail ingest, a transaction per e-mail),
    where the ORM's flush of four small objects cost more than the rest of the ticket; the
    caller writes pending rows before anything reads them back (the SLA recompute reads
    status changes from the audit trail)."""

    def __init__(
        self, session: Session, actor_id: int | None, at: datetime, *, core_rows: bool = False
    ) -> None:
        self.session = session
        self.actor_id = actor_id
        self.at = at
        self._last_seq: int | None = None
        self._transaction_id: int | None = None
        # Change-log rows go to the database with the command's other rows, not one flush
        # each: a command writes several and needs none of their numbers until finish().
        self._entries: list[ChangeLogEntry] = []
        self._core_rows = core_rows
        self._pending_audit: list[dict[str, Any]] = []
        self._pending_changes: list[dict[str, Any]] = []
        # PostgreSQL, ORM mode: what finish() writes. Change-log rows as (entity, entity_id,
        # op, notice): entity_id None for a staged notice's row, notice being its number.
        self._postgres = session.get_bind().dialect.name == "postgresql"
        self._staged: list[tuple[str, int | None, str, int | None]] = []
        self._notices: list[tuple[int | None, int | None, int | None, str, str]] = []

    def audit(
        self,
        entity: str,
        entity_id: int,
        action: str,
        *,
        ticket_id: int | None = None,
        ticket_version: int | None = None,
        field: str | None = None,
        old: object = None,
        new: object = None,
        reason: str | None = None,
    ) -> None:
        values = {
            "at": self.at,
            "actor_agent_id": self.actor_id,
            "entity": entity,
            "entity_id": entity_id,
            "ticket_id": ticket_id,
            "ticket_version": ticket_version,
            "action": action,
            "field": field,
            "old_value": None if old is None else str(old),
            "new_value": None if new is None else str(new),
            "reason": reason or None,
        }
        if self._core_rows:
            self._pending_audit.append(values)
        else:
            self.session.add(AuditEvent(**values))

    def changed(self, entity: str, entity_id: int, op: str) -> None:
        if self._staging:
            self._stage((entity, entity_id, op, None))
            return
        values = {
            "entity": entity,
            "entity_id": entity_id,
            "op": op,
            "actor_agent_id": self.actor_id,
            "at": self.at,
            "txid": self._txid(),
        }
        if self._core_rows:
            self._pending_changes.append(values)
            return
        entry = ChangeLogEntry(**values)
        self.session.add(entry)
        self._entries.append(entry)

    @property
    def _staging(self) -> bool:
        return self._postgres and not self._core_rows

    def _stage(self, row: tuple[str, int | None, str, int | None]) -> None:
        if not self._staged:
            # A command that never calls finish() still writes its rows, at commit.
            self.session.info.setdefault(_JOURNALS, []).append(self)
        self._staged.append(row)

    def notice(
        self,
        entity: str,
        *,
        agent_id: int | None,
        department_id: int | None,
        ticket_id: int | None,
        kind: str,
        text: str,
    ) -> bool:
        """Stage a notification (created now) and its change-log row (entity, "insert"), for
        finish() to write with the others: True. False: write it now (SQLite, core_rows), as
        nothing in a command reads a notice back."""
        if not self._staging:
            return False
        self._notices.append((agent_id, department_id, ticket_id, kind, text))
        self._stage((entity, None, "insert", len(self._notices)))
        return True

    def write_pending(self) -> None:
        """Write the rows collected in core_rows mode so far (nothing otherwise)."""
        if not (self._pending_audit or self._pending_changes):
            return
        connection = self.session.connection()
        if self._pending_audit:
            _INSERT_AUDIT.run_many(connection, self._pending_audit)
            self._pending_audit = []
        # One INSERT each, returning the number finish() reports: a command writes two or
        # three, and a prepared statement costs less per row than a many-row INSERT in Core.
        for row in self._pending_changes:
            seq = _INSERT_CHANGE.scalar(connection, row)
            self._last_seq = max(seq, self._last_seq or 0)
        self._pending_changes = []

    def _write_staged(self, *, notify: bool) -> None:
        """The staged change-log rows, the transaction id and (notify) the NOTIFY: one
        statement, one round trip."""
        if not self._staged:
            return
        entities, ids, ops, notices = zip(*self._staged, strict=True)
        notice_columns: list[list[Any]] = (
            [list(column) for column in zip(*self._notices, strict=True)]
            if self._notices
            else [[], [], [], [], []]
        )
        agents, departments, tickets, kinds, texts = notice_columns
        self._staged, self._notices = [], []
        parameters = {
            "actor": self.actor_id,
            "at": self.at,
            "entities": list(entities),
            "ids": list(ids),
            "ops": list(ops),
            "notices": list(notices),
            "notice_agents": agents,
            "notice_departments": departments,
            "notice_tickets": tickets,
            "notice_kinds": kinds,
            "notice_texts": texts,
            "notify": notify,
            "channel": NOTIFY_CHANNEL,
        }
        seq = (
            self.session.connection()
            .exec_driver_sql(_POSTGRES_CHANGES_SQL, parameters)
            .scalar_one()
        )
        self._last_seq = max(int(seq), self._last_seq or 0)

    def _txid(self) -> int | None:
        # Asking for the id also assigns one, before the change row takes its sequence number,
        # so a reader's snapshot can never show the number taken by a transaction it cannot see.
        if self._transaction_id is None and self.session.get_bind().dialect.name == "postgresql":
            self._transaction_id = current_txid(self.session)
        return self._transaction_id

    def finish(self) -> int | None:
        """Wake other desktops (PostgreSQL); returns the newest change sequence number."""
        self.write_pending()
        self.session.flush()
        if self._staged:
            self._write_staged(notify=True)
            return self._last_seq
        if self._entries:
            self._last_seq = max(entry.seq for entry in self._entries)
        if self._last_seq is not None and self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(
                text("SELECT pg_notify(:channel, :payload)"),
                {"channel": NOTIFY_CHANNEL, "payload": str(self._last_seq)},
            )
        return self._last_seq


def current_txid(session: Session) -> int:
    """This PostgreSQL transaction's id (assigning one if it has none yet)."""
    # On the connection: a session query would first flush the command's pending changes, an
    # UPDATE that the command's own flush at the end would then follow with another.
    return int(session.connection().scalar(text("SELECT pg_current_xact_id()::text::bigint")) or 0)


@event.listens_for(Session, "before_commit")
def _write_unfinished(session: Session) -> None:
    """Write the change-log rows of a command that logged changes but did not call finish()
    (as the ORM would have flushed them): rows without a NOTIFY, as before."""
    for journal in session.info.pop(_JOURNALS, ()):
        journal._write_staged(notify=False)


@event.listens_for(Session, "after_transaction_end")
def _forget_unwritten(session: Session, transaction: SessionTransaction) -> None:
    """Rows still staged when the transaction ends (it rolled back) were never written and
    never will be. A savepoint's end is not the transaction's: its rows stay staged."""
    if transaction.parent is None:
        for journal in session.info.pop(_JOURNALS, ()):
            journal._staged, journal._notices = [], []
