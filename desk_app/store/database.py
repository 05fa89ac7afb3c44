"""Engines and transactions for both databases, and the schema version gate.

SQLite: WAL so readers never block the writer, foreign keys on, a busy timeout, and write
transactions opened with BEGIN IMMEDIATE so two writers queue instead of failing half-way.
Read sessions are query-only, so a write slipped into one fails at once in tests instead of
now and then in use (a read transaction that turns into a write gets "database is locked" from
SQLite without waiting). Only `upgrade()` creates a database file (and its folders).
PostgreSQL: psycopg 3; a pooled connection the server has closed while it sat in the pool (a
restart, a terminated backend) is replaced on checkout, so a restarted server costs one
reconnect, not an error.
"""

from __future__ import annotations

import random
import re
import select
import sqlite3
import time
from collections.abc import Callable, Iterator
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
# A checkpoint that empties the log holds the write lock while it waits for readers: it waits
# this long at most, so writers queued behind it keep most of their own timeout.
SQLITE_CHECKPOINT_TIMEOUT_MS = 1_000
# Between tries for the write lock a writer sleeps up to this long. SQLite's own busy handler
# backs off to 100 ms, and a waiter that sleeps that long misses the few milliseconds between
# another writer's back-to-back transactions, again and again, until its timeout runs out.
_WRITE_LOCK_POLL_MAX_S = 0.004
SQLITE_BUSY = 5
SQLITE_CACHE_MB = 64
_WRITE = "desk_write"
_READ = "desk_read"
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
    where = str(engine.url.database)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # First, before anything that reads the file: opening a WAL database can meet another
        # connection's recovery or last-close checkpoint, and then it has to wait.
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA cache_size={-1024 * cache_mb}")
        _use_wal(cursor)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        options = connection.get_execution_options()
        # A bulk load's commits skip the automatic checkpoint: it would copy pages back to the
        # database file that the next batch changes again. Database.checkpoint() copies them
        # once at the end. The settings live on the SQLite connection, so each is put back as
        # soon as that connection begins anything else.
        wanted = 0 if options.get(_BULK) else SQLITE_AUTOCHECKPOINT
        _set_pragma(connection, "wal_autocheckpoint", wanted)
        _set_pragma(connection, "query_only", 1 if options.get(_READ) else 0)
        if options.get("isolation_level") == "AUTOCOMMIT":
            # autocommit(): each statement is its own transaction. A BEGIN here would hold
            # them all in one that is rolled back when the connection goes back to the pool.
            return
        if options.get(_WRITE):
            raw = connection.connection.driver_connection
            assert isinstance(raw, sqlite3.Connection)
            _begin_immediate(raw, where)
        else:
            connection.exec_driver_sql("BEGIN")


def _set_pragma(connection: sa.Connection, name: str, value: int) -> None:
    """Set a per-connection PRAGMA, only when it changes (remembered on the pooled connection)."""
    info = connection.connection.info
    if info.get(name, _PRAGMA_DEFAULTS[name]) != value:
        connection.exec_driver_sql(f"PRAGMA {name}={value}")
        info[name] = value


_PRAGMA_DEFAULTS = {"wal_autocheckpoint": SQLITE_AUTOCHECKPOINT, "query_only": 0}


def _is_busy(exc: sqlite3.Error) -> bool:
    code: int | None = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF == SQLITE_BUSY
    return "database is locked" in str(exc)


def _begin_immediate(dbapi_connection: sqlite3.Connection, where: str) -> None:
    """BEGIN IMMEDIATE, waiting for the write lock up to the busy timeout.

    SQLite's busy handler would wait too, but it sleeps up to 100 ms between tries: behind a
    writer that commits and begins again within a few milliseconds (the worker ingesting a
    batch, a script in a loop) it keeps missing the gap, and after 10 s says "database is
    locked". Trying again every few milliseconds gets in (tests/store/test_sqlite_writers.py)."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    delay = 0.0005
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    # As SQLAlchemy would have raised it, for _unavailable_on_connection_errors.
                    raise sa.exc.OperationalError("BEGIN IMMEDIATE", None, exc) from exc
            if time.monotonic() >= deadline:
                raise Unavailable(
                    f"the embedded database {where} is busy: another program kept it locked "
                    f"for {SQLITE_BUSY_TIMEOUT_MS // 1000} s; nothing was changed, try again"
                )
            time.sleep(random.uniform(delay / 2, delay))
            delay = min(delay * 2, _WRITE_LOCK_POLL_MAX_S)
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def _use_wal(cursor: sqlite3.Cursor) -> None:
    """Put the database in WAL mode unless it is already: the mode is recorded in the file, so
    only a new database switches (which takes the file's exclusive lock, waiting its turn)."""
    if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
        cursor.execute("PRAGMA journal_mode=WAL")


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL; None for an in-memory database or a non-SQLite URL."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.query.get("uri"):
        return None
    if not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _never() -> bool:
    return False


def create_engine(
    url: str, *, sqlite_cache_mb: int = SQLITE_CACHE_MB, may_create: Callable[[], bool] = _never
) -> Engine:
    """may_create: asked on each new SQLite connection whether a missing file may be created
    (by default never: the connection fails with "unable to open database file")."""
    url = normalise_url(url)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        file = sqlite_file(url)
        connect_args: dict[str, Any] = {"check_same_thread": False}
        if file is not None:
            # mode=rw: never create a missing file, so a typo in a path cannot leave a stray
            # empty database behind; only Database.upgrade() creates one.
            read_write = file.absolute().as_uri() + "?mode=rw"

            def connect() -> sqlite3.Connection:
                # The sqlite3 module's own busy timeout covers the open, before the PRAGMA.
                timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
                if may_create():
                    return sqlite3.connect(file, timeout=timeout, check_same_thread=False)
                return sqlite3.connect(
                    read_write, uri=True, timeout=timeout, check_same_thread=False
                )

            engine = sa.create_engine(url, creator=connect)
        else:
            engine = sa.create_engine(url, connect_args=connect_args)
        _configure_sqlite(engine, sqlite_cache_mb)
        return engine
    engine = sa.create_engine(
        url,
        pool_size=5,
        max_overflow=5,
        connect_args={"connect_timeout": 5, "application_name": "desk"},
    )
    event.listen(engine, "checkout", _replace_if_closed_by_server)
    # Each agent signs in with their own role; the password comes from the keyring.
    from desk_app.store import credentials

    credentials.attach(engine)
    return engine


def _replace_if_closed_by_server(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Checkout: hand out a pooled connection only if the server has not closed it meanwhile.

    Instead of SQLAlchemy's pre-ping, which costs every transaction a round trip. A server
    that restarts or terminates a backend tells the client so and closes the socket, so an
    idle connection it has dropped has something to read; a healthy idle one has nothing
    (Desk's pooled connections do not LISTEN). Raising DisconnectionError makes the pool
    replace the connection with a fresh one (tests/store/test_pool_checkout.py)."""
    if (
        dbapi_connection.closed
        or dbapi_connection.broken
        or _has_input(dbapi_connection.pgconn.socket)
    ):
        raise sa.exc.DisconnectionError("the server closed this pooled connection")


def _has_input(fd: int) -> bool:
    if not hasattr(select, "poll"):  # Windows: select() takes socket handles there
        try:
            readable, _, failed = select.select([fd], [], [fd], 0)
        except (OSError, ValueError):
            return False  # cannot tell: the first statement will say if it is gone
        return bool(readable or failed)
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


class Database:
    """One database: its engine, sessions for reading and writing, and its schema state."""

    def __init__(self, url: str, *, sqlite_cache_mb: int = SQLITE_CACHE_MB) -> None:
        """`sqlite_cache_mb`: SQLite's page cache per connection. Imports and reports gain
        from a large one; the desktop, which reads pages of 100 rows, keeps its memory."""
        self.url = normalise_url(url)
        self.file = sqlite_file(self.url)
        self._may_create = False
        self.engine = create_engine(
            self.url, sqlite_cache_mb=sqlite_cache_mb, may_create=lambda: self._may_create
        )
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
            if self.is_sqlite:
                # Query-only: a write here would fail under contention anyway (see the top).
                session.connection(execution_options={_READ: True})
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
    def read_statement(self) -> Iterator[Session | sa.Connection]:
        """Where to run a read that is ONE statement (whose own snapshot is all it needs).

        PostgreSQL: a connection in autocommit, so the statement is the only round trip (no
        BEGIN before it, no ROLLBACK after). SQLite: an ordinary read session, query-only as
        every read (it costs no round trips there)."""
        if self.is_sqlite:
            with self.read() as session:
                yield session
            return
        with self.autocommit() as connection:
            yield connection

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
                # Emptying the log waits for readers while holding the write lock; writers wait
                # behind it. So it gives up soon (the log is then emptied by a later checkpoint).
                connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_CHECKPOINT_TIMEOUT_MS}")
                try:
                    connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                finally:
                    connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")

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
        if not self.exists():
            return None  # asking would create the file
        with _unavailable_on_connection_errors(self), self.engine.connect() as connection:
            if not sa.inspect(connection).has_table(VERSION_TABLE):
                return None
            stored = sorted(
                connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalars()
            )
        # Several rows would mean branches this Desk never made: a revision it does not know.
        return ",".join(stored) if stored else None

    def schema_state(self) -> str:
        """'current', 'empty', 'outdated', 'newer' (written by a later Desk than this one) or,
        for SQLite, 'foreign': a database with tables of something else and no Desk schema."""
        if not self.exists():
            raise Unavailable(self._missing_message())
        current = self.current_revision()
        if current is None:
            return "foreign" if self._has_foreign_tables() else "empty"
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

    def exists(self) -> bool:
        """False for an SQLite file that is not there (yet); other databases: True."""
        return self.file is None or self._may_create or self.file.exists()

    def upgrade(self) -> None:
        """Bring the schema to this Desk's; an SQLite file and its folders are created first if
        missing. The only way a new database comes into being."""
        if self.file is not None and not self.file.exists():
            try:
                self.file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise Unavailable(f"cannot create {self.file}: {exc.strerror or exc}") from exc
            self._may_create = True
        state = self.schema_state()
        if state == "newer":
            raise Unavailable(self._newer_message())
        if state == "foreign":
            raise Unavailable(self._foreign_message())
        from alembic import command

        with _unavailable_on_connection_errors(self), self.engine.begin() as connection:
            config = self.alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def ensure_schema(self, *, upgrade: bool, create: bool = False) -> None:
        """Refuse to work on a schema this Desk does not understand; upgrade if allowed.
        create: a missing SQLite file is created (the window's first start, `desk demo`);
        otherwise it is Unavailable, and nothing is left behind."""
        if not self.exists():
            if create:
                self.upgrade()
                return
            raise Unavailable(self._missing_message())
        state = self.schema_state()
        if state == "current":
            return
        if state == "newer":
            raise Unavailable(self._newer_message())
        if state == "foreign":
            raise Unavailable(self._foreign_message())
        if upgrade:
            self.upgrade()
            return
        raise Unavailable(
            f"the {self.describe()} has "
            + ("no Desk schema yet" if state == "empty" else "an older Desk schema")
            + "; run `desk db upgrade` to prepare it"
        )

    def _has_foreign_tables(self) -> bool:
        # SQLite only: a file given by mistake (a browser's history, another program's data)
        # must not get Desk's tables added to it. A team database is made for Desk by its
        # admin, who may keep other schemas in it.
        if not self.is_sqlite:
            return False
        with _unavailable_on_connection_errors(self), self.engine.connect() as connection:
            names = connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).scalars()
            return any(True for _ in names)

    def _missing_message(self) -> str:
        return f"no database at {self.file}: run `desk db upgrade` to create one"

    def _foreign_message(self) -> str:
        return f"{self.file} is not a Desk database (it holds other tables and no Desk schema)"

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
        if db.file is not None and not db.exists():
            raise Unavailable(db._missing_message()) from exc
        if db.is_sqlite and _is_busy_error(exc):
            # SQLite waited its busy timeout for another connection and gave up.
            raise Unavailable(
                f"the {db.describe()} is busy: another program kept it locked; "
                "nothing was changed, try again"
            ) from exc
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
    except sa.exc.DatabaseError as exc:
        if db.is_sqlite and _is_not_a_database(exc):
            raise Unavailable(f"{db.file} is not an SQLite database, so not a Desk one") from exc
        raise


def _is_busy_error(exc: sa.exc.DBAPIError) -> bool:
    return isinstance(exc.orig, sqlite3.OperationalError) and _is_busy(exc.orig)


def _is_not_a_database(exc: sa.exc.DBAPIError) -> bool:
    # SQLITE_NOTADB (26): the file's first bytes are not an SQLite header.
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return code == 26 or "file is not a database" in str(exc.orig)


def _is_connection_problem(exc: sa.exc.OperationalError) -> bool:
    if exc.connection_invalidated:
        return True
    text = str(exc.orig).lower()
    markers = ("connection", "could not connect", "server closed", "unable to open", "terminat")
    return any(marker in text for marker in markers)


def _first_line(exc: sa.exc.DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
