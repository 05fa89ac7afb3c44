"""Writing many rows without the ORM: COPY on PostgreSQL, executemany on SQLite.

For bulk loads and full recomputes, where SQLAlchemy's per-value processing costs more than the
database's work. Values must already be valid (they come from typed records, never from users).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

from desk_app.store.types import UTCDateTime

_ZERO = timedelta(0)


def sqlite_text(value: datetime) -> str:
    """The text SQLAlchemy writes for a UTC datetime on SQLite ('2026-11-23 17:10:00.000000')."""
    if value.utcoffset() != _ZERO:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


def sqlite_datetime(value: str | None) -> datetime | None:
    """Read back what sqlite_text (or SQLAlchemy) wrote."""
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _sqlite_values(
    table: Table, columns: list[str], rows: list[dict[str, Any]]
) -> list[tuple[Any, ...]]:
    # SQLite stores UTC datetimes as text in SQLAlchemy's format; convert only those columns.
    stamps = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, UTCDateTime)]
    values = []
    for row in rows:
        value = [row[c] for c in columns]
        for i in stamps:
            if value[i] is not None:
                value[i] = sqlite_text(value[i])
        values.append(tuple(value))
    return values


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
        return
    marks = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({names}) VALUES ({marks})",
        _sqlite_values(table, columns, rows),
    )


def insert_tuples(
    session: Session, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """Insert rows given as tuples in the order of columns, with values already in the form
    the database stores (on SQLite, timestamps as sqlite_text); the fastest way in."""
    if not rows:
        return
    names = ", ".join(f'"{c}"' for c in columns)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            write_row = copy.write_row
            for row in rows:
                write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def update_rows(session: Session, table: Table, key: str, rows: list[dict[str, Any]]) -> None:
    """UPDATE table SET <other columns> WHERE key = row[key], for every row."""
    if not rows:
        return
    columns = [c for c in rows[0] if c != key]
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        sets = ", ".join(f'"{c}" = %s' for c in columns)
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.executemany(
            f'UPDATE {table.name} SET {sets} WHERE "{key}" = %s',
            [[row[c] for c in columns] + [row[key]] for row in rows],
        )
        return
    sets = ", ".join(f'"{c}" = ?' for c in columns)
    values = _sqlite_values(table, [*columns, key], rows)
    connection.exec_driver_sql(f'UPDATE {table.name} SET {sets} WHERE "{key}" = ?', values)
