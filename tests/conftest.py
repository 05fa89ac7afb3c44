"""Shared fixtures: real SQLite and real PostgreSQL for every store test.

PostgreSQL comes from DESK_TEST_DATABASE_URL when set (the role needs CREATEDB), otherwise from
a throwaway pgserver instance started once per test run. Each test gets a fresh database cloned
from a migrated template, so tests are isolated and migrations run once per run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import settings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from desk_app.store import Database, Service
from desk_app.store.database import normalise_url

# Property tests check results, not speed: speed goals live in benchmarks/. Hypothesis's default
# 200 ms deadline per example made them fail on a loaded CI machine (a first call that computes a
# country's holidays for three years took 469 ms there).
settings.register_profile("desk", deadline=None)
settings.load_profile("desk")

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(autouse=True)
def desk_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own settings, data and log directories."""
    home = tmp_path / "desk-home"
    monkeypatch.setenv("DESK_HOME", str(home))
    monkeypatch.delenv("DESK_DATABASE_URL", raising=False)
    monkeypatch.delenv("DESK_AGENT", raising=False)
    return home


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    explicit = os.environ.get("DESK_TEST_DATABASE_URL")
    if explicit:
        yield normalise_url(explicit)
        return
    import pgserver

    # Not under pytest's basetemp: a concurrent pytest run prunes old basetemp directories,
    # which would delete a running server's data directory.
    data_dir = Path(tempfile.mkdtemp(prefix="desk-test-pg-"))
    server = pgserver.get_server(data_dir, cleanup_mode="delete")
    try:
        yield normalise_url(server.get_uri())
    finally:
        server.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


def _admin_engine(admin_url: str) -> sa.Engine:
    return sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")


def _url_with_database(admin_url: str, name: str) -> str:
    return sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_template(pg_admin_url: str) -> Iterator[str]:
    name = f"desk_template_{uuid.uuid4().hex[:8]}"
    admin = _admin_engine(pg_admin_url)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    db = Database(_url_with_database(pg_admin_url, name))
    db.upgrade()
    db.dispose()
    yield name
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


def _fresh_database(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    """A new, migrated, empty database of the given backend; dropped afterwards."""
    if backend == "sqlite":
        target = tmp_path / "desk.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    admin_url = request.getfixturevalue("pg_admin_url")
    template = request.getfixturevalue("pg_template")
    name = f"desk_test_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine(admin_url)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _url_with_database(admin_url, name)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Parametrised over both backends: every test using it runs on SQLite and PostgreSQL."""
    yield from _fresh_database(request, request.param, tmp_path)


@pytest.fixture
def sqlite_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from _fresh_database(request, "sqlite", tmp_path)


@pytest.fixture
def postgresql_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from _fresh_database(request, "postgresql", tmp_path)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


class FakeClock:
    """A clock tests move by hand. Starts at a fixed Monday morning, UTC."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@dataclass(frozen=True)
class Team:
    """A small known team: two departments, an agent in each, a lead in both, an admin."""

    support: int
    billing: int
    anna: int  # agent, Support
    boris: int  # agent, Billing
    lead: int  # lead, Support and Billing
    admin: int


@pytest.fixture
def team(db: Database, clock: FakeClock) -> Team:
    system = Service(db, None, clock)
    support = system.add_department("Support")
    billing = system.add_department("Billing")
    return Team(
        support=support,
        billing=billing,
        anna=system.add_agent("Anna Ivanova", "anna@desk.test", departments=["Support"]),
        boris=system.add_agent("Boris Sato", "boris@desk.test", departments=["Billing"]),
        lead=system.add_agent(
            "Lena Lead", "lena@desk.test", role="lead", departments=["Support", "Billing"]
        ),
        admin=system.add_agent("Ada Admin", "ada@desk.test", role="admin"),
    )
