"""Plain helpers for the store tests: read tables directly, bypassing the service layer."""

from __future__ import annotations

import sqlalchemy as sa

from desk_app.core.clock import Clock, utc_now
from desk_app.store import Database
from desk_app.store.mail_store import MailStore
from desk_app.store.models import AuditEvent, Base, ChangeLogEntry

# Every table of the model (the search table included, whatever it is called today).
TABLES = tuple(table.name for table in Base.metadata.sorted_tables)


def table_counts(db: Database) -> dict[str, int]:
    with db.engine.connect() as connection:
        return {
            name: connection.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one()
            for name in TABLES
        }


def row_snapshot(db: Database) -> dict[str, list[tuple]]:
    """Every row of every business table, for 'nothing changed' assertions."""
    with db.engine.connect() as connection:
        return {
            name: sorted(
                (
                    tuple(map(repr, row))
                    for row in connection.execute(sa.text(f"SELECT * FROM {name}"))
                ),
            )
            for name in TABLES
        }


def audit_rows(db: Database, **where: object) -> list[AuditEvent]:
    with db.read() as session:
        query = sa.select(AuditEvent).order_by(AuditEvent.id)
        for key, value in where.items():
            query = query.where(getattr(AuditEvent, key) == value)
        return list(session.scalars(query))


def change_rows(db: Database, **where: object) -> list[ChangeLogEntry]:
    with db.read() as session:
        query = sa.select(ChangeLogEntry).order_by(ChangeLogEntry.seq)
        for key, value in where.items():
            query = query.where(getattr(ChangeLogEntry, key) == value)
        return list(session.scalars(query))


def max_seq(db: Database) -> int:
    with db.engine.connect() as connection:
        return connection.execute(
            sa.text("SELECT coalesce(max(seq), 0) FROM change_log")
        ).scalar_one()


def loopback_account(
    db: Database,
    name: str = "support",
    *,
    department: str | None = None,
    clock: Clock = utc_now,
) -> int:
    """A plain mail account `<name>@desk.test` on loopback without TLS, added by the system.
    For tests that need an account to exist (replies have somewhere to go, mail has an
    account to arrive through), not a server to talk to."""
    return MailStore(db, None, clock).add_account(
        name,
        address=f"{name}@desk.test",
        username=name,
        imap_host="127.0.0.1",
        smtp_host="127.0.0.1",
        security="none",
        department=department,
    )
