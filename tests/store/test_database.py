"""Engine settings and transactions of the Database object."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from desk_app.core.errors import InvalidInput, Unavailable
from desk_app.store import Database
from desk_app.store.database import SQLITE_BUSY_TIMEOUT_MS, normalise_url
from desk_app.store.models import Department


def test_sqlite_pragmas(sqlite_database_url):
    db = Database(sqlite_database_url)
    try:
        with db.engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar_one() == "wal"
            assert pragma("PRAGMA foreign_keys").scalar_one() == 1
            assert pragma("PRAGMA busy_timeout").scalar_one() == SQLITE_BUSY_TIMEOUT_MS
        # Every pooled connection is configured, not just the first one.
        with db.engine.connect() as one, db.engine.connect() as two:
            for connection in (one, two):
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    finally:
        db.dispose()


def test_sqlite_enforces_foreign_keys(sqlite_database_url):
    db = Database(sqlite_database_url)
    try:
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO agent_departments (agent_id, department_id) VALUES (999, 999)"
            )
    finally:
        db.dispose()


def test_write_rolls_back_on_error(db):
    with pytest.raises(RuntimeError), db.write() as session:
        session.add(Department(name="Ghost", created_at=sa.func.now()))
        session.flush()
        raise RuntimeError("boom")
    with db.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Department)) == 0


def test_describe_names_the_database(db):
    text = db.describe()
    assert ("embedded database" in text) == db.is_sqlite
    assert ("team database" in text) == (not db.is_sqlite)


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgres://u:p@h/d", "postgresql+psycopg"),
        ("postgresql://u:p@h/d", "postgresql+psycopg"),
        ("sqlite:///x.db", "sqlite"),
    ],
)
def test_normalise_url(url, driver):
    assert sa.make_url(normalise_url(url)).drivername == driver
    assert ":p@" in normalise_url(url) or driver == "sqlite"


@pytest.mark.parametrize("url", ["mysql://u@h/d", "not a url", ""])
def test_normalise_url_refuses_other_databases(url):
    with pytest.raises(InvalidInput):
        normalise_url(url)


def test_autocommit_statements_are_committed_on_sqlite(sqlite_database_url):
    # autocommit() once ran its statements inside a BEGIN that was rolled back on return.
    db = Database(sqlite_database_url)
    try:
        with db.autocommit() as connection:
            connection.exec_driver_sql(
                "INSERT INTO departments (name, created_at) VALUES ('Kept', '2026-01-01')"
            )
            assert not connection.connection.dbapi_connection.in_transaction
    finally:
        db.dispose()
    other = Database(sqlite_database_url)
    try:
        with other.read() as session:
            assert session.scalar(sa.select(Department.name)) == "Kept"
    finally:
        other.dispose()


def test_a_write_in_a_read_session_is_refused_at_once_on_sqlite(sqlite_database_url):
    """A read transaction that turns into a write gets "database is locked" from SQLite without
    waiting whenever another writer is busy: read sessions refuse every write, so such code
    fails in tests, not now and then at a desk."""
    db = Database(sqlite_database_url)
    try:
        with pytest.raises(sa.exc.OperationalError, match="readonly"), db.read() as session:
            session.add(Department(name="Sneaky", created_at=sa.func.now()))
            session.flush()
        # The same pooled connection writes again once it is used for a write.
        with db.write() as session:
            session.add(Department(name="Proper", created_at=sa.func.now()))
        with db.autocommit() as connection:
            connection.exec_driver_sql("UPDATE departments SET name = 'Proper too'")
        with db.read() as session:
            assert session.scalars(sa.select(Department.name)).all() == ["Proper too"]
    finally:
        db.dispose()


def test_a_missing_sqlite_database_is_not_created_by_opening_it(tmp_path: Path):
    target = tmp_path / "typo" / "desk.sqlite3"
    db = Database(f"sqlite:///{target}")
    try:
        assert db.current_revision() is None
        for attempt in (db.schema_state, lambda: db.ensure_schema(upgrade=True)):
            with pytest.raises(Unavailable, match=r"no database at .*desk db upgrade"):
                attempt()
        with pytest.raises(Unavailable, match="no database at"), db.read() as session:
            session.scalar(sa.select(Department.id))
        assert not (tmp_path / "typo").exists()
        # Within an existing folder neither: no empty file is left behind.
        (tmp_path / "typo").mkdir()
        with pytest.raises(Unavailable, match="no database at"), db.write():
            pass
        assert list((tmp_path / "typo").iterdir()) == []
    finally:
        db.dispose()


def test_upgrade_creates_the_database_and_its_folders(tmp_path: Path):
    target = tmp_path / "new" / "folder" / "desk.sqlite3"
    db = Database(f"sqlite:///{target}")
    try:
        db.upgrade()
        assert db.schema_state() == "current"
    finally:
        db.dispose()
    connection = sqlite3.connect(target)
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    connection.close()


def test_ensure_schema_creates_only_when_told(tmp_path: Path):
    target = tmp_path / "first-start" / "desk.sqlite3"
    db = Database(f"sqlite:///{target}")
    try:
        db.ensure_schema(upgrade=True, create=True)  # the window's first start
        assert db.schema_state() == "current"
    finally:
        db.dispose()
