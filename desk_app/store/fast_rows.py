"""Writing many rows without the ORM: COPY on PostgreSQL, executemany on SQLite.

For bulk loads and full recomputes, where SQLAlchemy's per-value processing costs more than the
database's work. Values must already be valid (they come from typed records, never from users).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Table
from sqlalchemy import exc as exc_types
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from desk_app.store.types import UTCDateTime

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

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


# --- statements run for every e-mail ---------------------------------------------------------


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the parameters, in the order a positional driver takes them
    positional: bool
    constants: dict[str, Any]  # values the statement carries itself (LIMIT 1, 'inbound')
    stamps: frozenset[str]  # UTC datetimes: text on SQLite, as given on PostgreSQL
    sqlite: bool

    def arguments(self, params: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        values = {**self.constants, **params} if self.constants else dict(params)
        if self.sqlite:
            for name in self.stamps:
                value = values[name]
                if value is not None:
                    values[name] = sqlite_text(value)
        if self.positional:
            return tuple(values[name] for name in self.names)
        return {name: values[name] for name in self.names}


class Prepared:
    """A Core statement compiled once per database and run on the driver.

    For the statements ingest runs for every e-mail: a Core execution spends 50-70 us in
    SQLAlchemy (cache key, parameter processing, result set-up) where SQLite needs a few.
    On SQLite, which runs in this process, the statement goes to the sqlite3 connection
    directly and driver errors are raised as SQLAlchemy's (IntegrityError stays
    IntegrityError); PostgreSQL statements cost a round trip anyway and use exec_driver_sql,
    which keeps SQLAlchemy's disconnect handling. No engine events fire for them.

    Values are passed as given, except UTC datetimes, which become the text SQLAlchemy stores
    on SQLite. An INSERT names the columns it is given (`columns`): every other column gets
    its database default, never a Python-side one, so all columns with a Python default must
    be listed (compiling refuses otherwise). Rows come back as plain tuples."""

    def __init__(self, statement: ClauseElement, columns: Sequence[str] = ()) -> None:
        self._statement = statement
        self._columns = list(columns)
        self._compiled: dict[str, _Compiled] = {}

    def execute(self, connection: Connection, params: Mapping[str, Any]) -> int:
        """Run it; the number of rows it changed."""
        cursor = self._run(connection, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def first(self, connection: Connection, params: Mapping[str, Any]) -> Sequence[Any] | None:
        cursor = self._run(connection, params)
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        return None if row is None else tuple(row)

    def scalar(self, connection: Connection, params: Mapping[str, Any]) -> Any:
        """The first column of the first row (an INSERT's RETURNING id), or None."""
        row = self.first(connection, params)
        return None if row is None else row[0]

    def all(self, connection: Connection, params: Mapping[str, Any]) -> list[Sequence[Any]]:
        cursor = self._run(connection, params)
        try:
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def run_many(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        compiled = self._for(connection.dialect)
        arguments = [compiled.arguments(row) for row in rows]
        if not compiled.sqlite:
            connection.exec_driver_sql(compiled.sql, arguments)
            return
        with _as_sqlalchemy_errors(connection.dialect, compiled.sql, arguments):
            _sqlite(connection).executemany(compiled.sql, arguments).close()

    def _run(self, connection: Connection, params: Mapping[str, Any]) -> Any:
        compiled = self._for(connection.dialect)
        arguments = compiled.arguments(params)
        if not compiled.sqlite:
            return connection.exec_driver_sql(compiled.sql, arguments)
        with _as_sqlalchemy_errors(connection.dialect, compiled.sql, arguments):
            return _sqlite(connection).execute(compiled.sql, arguments)

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = self._compile(dialect)
        return compiled

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = cast(
            SQLCompiler,
            self._statement.compile(dialect=dialect, column_keys=self._columns or None),
        )
        binds = compiled.binds
        names = tuple(compiled.positiontup or ()) if compiled.positional else None
        if names is None:
            names = tuple(name for name in binds if not name.startswith("%("))
        constants: dict[str, Any] = {}
        for name in names:
            bind = binds[name]
            if bind.expanding:
                raise ValueError(f"{name}: an IN list cannot be prepared; write its values")
            if name in self._columns:
                continue
            if bind.required:
                continue  # given at run time
            if self._columns:
                raise ValueError(f"column {name} has a Python-side default: list it")
            constants[name] = bind.effective_value
        stamps = frozenset(n for n in names if isinstance(binds[n].type, UTCDateTime))
        return _Compiled(
            sql=compiled.string,
            names=names,
            positional=compiled.positional,
            constants=constants,
            stamps=stamps,
            sqlite=dialect.name == "sqlite",
        )


def _sqlite(connection: Connection) -> Any:
    """The sqlite3 connection under SQLAlchemy's, inside the transaction SQLAlchemy began."""
    return connection.connection.driver_connection


@contextmanager
def _as_sqlalchemy_errors(dialect: Dialect, sql: str, arguments: Any) -> Iterator[None]:
    """Driver errors as SQLAlchemy raises them, so callers catch one kind (IntegrityError for
    a duplicate, OperationalError for a locked database)."""
    dbapi_error = dialect.loaded_dbapi.Error
    try:
        yield
    except dbapi_error as exc:
        raise exc_types.DBAPIError.instance(
            sql, arguments, exc, dbapi_error, dialect=dialect
        ) from exc
