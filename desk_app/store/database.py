"""Engines and transactions for both databases, and the schema version gate.

SQLite: WAL so readers never block the writer, foreign keys on, a busy timeout, and write
transactions opened with BEGIN IMMEDIATE so two writers queue instead of failing half-way.
PostgreSQL: psycopg 3, pool pre-ping so a restarted server costs one retry, not an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import make_url
from sqlalchemy.orm import Session, sessionmaker

from desk_app.core.errors import InvalidInput, PermissionDenied, Unavailable

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
_REVISION_LINE = re.compile(r"^(down_revision|revision)\s*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_CACHE_MB = 64
_WRITE = "desk_write"
_BULK = "desk_bulk"
# SQLite's default: a commit that leaves the WAL longer than this many pages copies it back.
SQLITE_AUTOCHECKPOINT = 1000
INSUFFICIENT_PRIVILEGE = "42501"


def normalise_url(url: str) -> str:
    """Accept postgres:// and postgresql:// as given by most tools, and use psycopg 3."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError as exc:
        raise InvalidInput(f"'{url}' is not a database URL") from exc
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise InvalidInput(f"unsupported database '{parsed.drivername}': use sqlite or postgresql")
    return parsed.render_as_string(hide_password=False)


def _configure_sqlite(engine: Engine, cache_mb: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA cache_size={-1024 * cache_mb}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        options = connection.get_execution_options()
        # A bulk load's commits skip the automatic checkpoint: it would copy pages back to the
        # database file that the next batch changes again. Database.checkpoint() copies them
        # once at the end. The setting lives on the SQLite connection, so it is put back as
        # soon as that connection begins anything else.
        wanted = 0 if options.get(_BULK) else SQLITE_AUTOCHECKPOINT
        info = connection.connection.info
        if info.get("autocheckpoint", SQLITE_AUTOCHECKPOINT) != wanted:
            connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint={wanted}")
            info["autocheckpoint"] = wanted
        connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get(_WRITE) else "BEGIN")


def create_engine(url: str, *, sqlite_cache_mb: int = SQLITE_CACHE_MB) -> Engine:
    url = normalise_url(url)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False})
        _configure_sqlite(engine, sqlite_cache_mb)
        return engine
    engine = sa.create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        connect_args={"connect_timeout": 5, "application_name": "desk"},
    )
    # Each agent signs in with their own role; the password comes from the keyring.
    from desk_app.store import credentials

    credentials.attach(engine)
    return engine


class Database:
    """One database: its engine, sessions for reading and writing, and its schema state."""

    def __init__(self, url: str, *, sqlite_cache_mb: int = SQLITE_CACHE_MB) -> None:
        """`sqlite_cache_mb`: SQLite's page cache per connection. Imports and reports gain
        from a large one; the desktop, which reads pages of 100 rows, keeps its memory."""
        self.url = normalise_url(url)
        self.engine = create_engine(self.url, sqlite_cache_mb=sqlite_cache_mb)
        self.backend = self.engine.dialect.name
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.backend == "sqlite"

    def describe(self) -> str:
        url = make_url(self.url)
        if self.is_sqlite:
            return f"embedded database {url.database}"
        return f"team database {url.database} on {url.host or 'localhost'}"

    @contextmanager
    def read(self) -> Iterator[Session]:
        with _unavailable_on_connection_errors(self), self._sessions() as session:
            yield session

    @contextmanager
    def write(self, *, bulk: bool = False) -> Iterator[Session]:
        """One write transaction: commits on success, rolls back on any exception. bulk: one
        of many large transactions in a row (store.bulk), followed by checkpoint()."""
        with _unavailable_on_connection_errors(self), self._sessions() as session:
            # The first connection() call begins the transaction; the option makes SQLite take
            # the write lock up front (BEGIN IMMEDIATE) instead of failing on upgrade later.
            session.connection(execution_options={_WRITE: True, _BULK: bulk})
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def autocommit(self) -> Iterator[sa.Connection]:
        """A connection without a transaction, for a single statement that needs no more (one
        round trip instead of BEGIN, the statement and ROLLBACK)."""
        with _unavailable_on_connection_errors(self), self.engine.connect() as connection:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")

    def checkpoint(self) -> None:
        """SQLite: copy the write-ahead log into the database file now and empty it (after a
        bulk load). Other databases: nothing to do."""
        if self.is_sqlite:
            with self.autocommit() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def dispose(self) -> None:
        self.engine.dispose()

    # --- schema -----------------------------------------------------------------------------

    # Alembic is imported only when the schema is checked or changed: it pulls in Mako and
    # costs 0.4 s of start-up that the GUI would otherwise pay before its first paint.
    def alembic_config(self) -> Config:
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        return config

    def head_revision(self) -> str:
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(self.alembic_config()).get_current_head()
        assert head is not None
        return head

    def current_revision(self) -> str | None:
        # Read straight from Alembic's table: every start-up asks, and Alembic itself is only
        # needed when there is something to upgrade.
        with _unavailable_on_connection_errors(self), self.engine.connect() as connection:
            if not sa.inspect(connection).has_table(VERSION_TABLE):
                return None
            stored = sorted(
                connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalars()
            )
        # Several rows would mean branches this Desk never made: a revision it does not know.
        return ",".join(stored) if stored else None

    def schema_state(self) -> str:
        """'current', 'empty', 'outdated' or 'newer' (written by a later Desk than this one)."""
        current = self.current_revision()
        if current is None:
            return "empty"
        known, head = migration_revisions()
        if head is None:
            return self._schema_state_by_alembic(current)
        if current == head:
            return "current"
        return "outdated" if current in known else "newer"

    def _schema_state_by_alembic(self, current: str) -> str:
        """For a history the quick scan does not follow (a merge of two branches)."""
        if current == self.head_revision():
            return "current"
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(self.alembic_config())
        try:
            script.get_revision(current)
        except Exception:
            return "newer"
        return "outdated"

    def upgrade(self) -> None:
        if self.schema_state() == "newer":
            raise Unavailable(self._newer_message())
        from alembic import command

        with _unavailable_on_connection_errors(self), self.engine.begin() as connection:
            config = self.alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def ensure_schema(self, *, upgrade: bool) -> None:
        """Refuse to work on a schema this Desk does not understand; upgrade if allowed."""
        state = self.schema_state()
        if state == "current":
            return
        if state == "newer":
            raise Unavailable(self._newer_message())
        if upgrade:
            self.upgrade()
            return
        raise Unavailable(
            f"the {self.describe()} has "
            + ("no Desk schema yet" if state == "empty" else "an older Desk schema")
            + "; run `desk db upgrade` to prepare it"
        )

    def _newer_message(self) -> str:
        return (
            f"the {self.describe()} was upgraded by a newer Desk (schema "
            f"{self.current_revision()}); this Desk knows up to {self.head_revision()}. "
            "Install the newer Desk to use it."
        )


@cache
def migration_revisions() -> tuple[frozenset[str], str | None]:
    """(every revision this Desk ships, the newest one), read from the migration files' own
    `revision = ...` lines: a few small files instead of importing Alembic (and Mako) on
    every start. The newest is None unless there is exactly one (then Alembic decides).
    tests/ui/test_start_up.py checks that Alembic agrees."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        for kind, value in _REVISION_LINE.findall(script.read_text(encoding="utf-8")):
            (revisions if kind == "revision" else parents).add(value)
    heads = revisions - parents
    return frozenset(revisions), (next(iter(heads)) if len(heads) == 1 else None)


@contextmanager
def _unavailable_on_connection_errors(db: Database) -> Iterator[None]:
    """Turn 'cannot reach the database' into a known error; let everything else through."""
    try:
        yield
    except sa.exc.OperationalError as exc:
        if _is_connection_problem(exc):
            raise Unavailable(f"cannot reach the {db.describe()}: {_first_line(exc)}") from exc
        raise
    except sa.exc.InterfaceError as exc:
        raise Unavailable(f"lost the connection to the {db.describe()}") from exc
    except sa.exc.ProgrammingError as exc:
        # A hardened team database (`desk db harden`) refusing this agent's role: a missing
        # privilege or a row-level security policy. That is a known "not allowed", not a bug.
        if getattr(exc.orig, "sqlstate", None) == INSUFFICIENT_PRIVILEGE:
            raise PermissionDenied(
                f"not allowed by the {db.describe()}: {_first_line(exc)}"
            ) from exc
        raise


def _is_connection_problem(exc: sa.exc.OperationalError) -> bool:
    if exc.connection_invalidated:
        return True
    text = str(exc.orig).lower()
    markers = ("connection", "could not connect", "server closed", "unable to open", "terminat")
    return any(marker in text for marker in markers)


def _first_line(exc: sa.exc.DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
