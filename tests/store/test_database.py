"""Engine settings and transactions of the Database object."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from desk_app.core.errors import InvalidInput
from desk_app.store import Database
from desk_app.store.database import normalise_url
from desk_app.store.models import Department


def test_sqlite_pragmas(sqlite_database_url):
    db = Database(sqlite_database_url)
    try:
        with db.engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar_one() == "wal"
            assert pragma("PRAGMA foreign_keys").scalar_one() == 1
            assert pragma("PRAGMA busy_timeout").scalar_one() >= 5000
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
