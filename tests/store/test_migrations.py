"""Schema creation and the version gate, on a brand-new SQLite file and PostgreSQL database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from desk_app.core.errors import Unavailable
from desk_app.store import Database, Queries, Service


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database that exists but has never seen Desk."""
    if request.param == "sqlite":
        # An empty file is an empty SQLite database (`desk db upgrade` creating a missing one
        # is tested in test_database.py).
        fresh = tmp_path / "fresh.sqlite3"
        fresh.touch()
        yield f"sqlite:///{fresh}"
        return
    admin_url = request.getfixturevalue("pg_admin_url")
    name = f"desk_empty_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def empty_db(empty_url: str) -> Iterator[Database]:
    database = Database(empty_url)
    yield database
    database.dispose()


def _tables(db: Database) -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_empty_database_upgrades_to_current(empty_db):
    assert empty_db.schema_state() == "empty"
    assert empty_db.current_revision() is None
    empty_db.upgrade()
    assert empty_db.schema_state() == "current"
    assert empty_db.current_revision() == empty_db.head_revision()
    assert {
        "departments",
        "agents",
        "agent_departments",
        "customers",
        "customer_identities",
        "tickets",
        "messages",
        "attachments",
        "outbox",
        "drafts",
        "audit_events",
        "change_log",
        "alembic_version",
    } <= _tables(empty_db)
    # Upgrading again is a no-op, and the database is immediately usable, search included.
    empty_db.upgrade()
    empty_db.ensure_schema(upgrade=False)
    created = Service(empty_db, None).create_ticket(
        subject="Первый тикет 最初", customer_email="first@example.com", body="hello world"
    )
    queries = Queries(empty_db, None)
    assert [r.id for r in queries.search("最初")] == [created.ticket_id]
    assert [r.id for r in queries.search("тикет")] == [created.ticket_id]


def test_ensure_schema_upgrades_when_allowed(empty_db):
    empty_db.ensure_schema(upgrade=True)
    assert empty_db.schema_state() == "current"


def test_ensure_schema_without_upgrade_refuses_empty_database(empty_db):
    with pytest.raises(Unavailable, match="desk db upgrade") as caught:
        empty_db.ensure_schema(upgrade=False)
    assert "no Desk schema" in str(caught.value)
    assert caught.value.exit_code == 6
    assert empty_db.schema_state() == "empty"
    assert "tickets" not in _tables(empty_db)


def test_newer_schema_is_refused(empty_db):
    empty_db.upgrade()
    with empty_db.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    assert empty_db.schema_state() == "newer"
    for upgrade in (False, True):
        with pytest.raises(Unavailable, match="newer Desk") as caught:
            empty_db.ensure_schema(upgrade=upgrade)
        assert "9999_future" in str(caught.value)
    with pytest.raises(Unavailable, match="newer Desk"):
        empty_db.upgrade()
    # Refusing touched nothing: the stamp is still the newer one.
    assert empty_db.current_revision() == "9999_future"


def test_migrated_test_database_is_current(db):
    assert db.schema_state() == "current"
    db.ensure_schema(upgrade=False)


def test_unreachable_database_is_unavailable(tmp_path):
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("x")
    with pytest.raises((Unavailable, OSError)):
        Database(f"sqlite:///{blocked}/desk.sqlite3").schema_state()


def test_unreachable_postgresql_is_unavailable():
    database = Database("postgresql://desk:desk@127.0.0.1:1/desk")
    try:
        with pytest.raises(Unavailable, match="cannot reach"):
            database.schema_state()
    finally:
        database.dispose()


def test_every_migration_upgrades_a_database_full_of_work(empty_db):
    """Each revision upgrades a database that already holds agents, tickets and their audit
    trail (on SQLite a table copy would trip over the foreign keys), and steps back down."""
    from alembic import command

    config = empty_db.alembic_config()

    def alembic(action, revision: str) -> None:
        with empty_db.engine.begin() as connection:
            config.attributes["connection"] = connection
            action(config, revision)

    alembic(command.upgrade, "0002")
    # Data written with the oldest schema this test can use the service layer on: the head's
    # models would name columns 0002 lacks, so insert the rows in plain SQL.
    with empty_db.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO departments (id, name, created_at) VALUES (1, 'Support', "
            "'2026-11-01 09:00:00+00:00')"
        )
        connection.exec_driver_sql(
            "INSERT INTO agents (id, display_name, email, role, time_zone, is_active, "
            "created_at) VALUES (1, 'Anna', 'anna@desk.test', 'admin', 'UTC', TRUE, "
            "'2026-11-01 09:00:00+00:00')"
        )
        connection.exec_driver_sql(
            "INSERT INTO agent_departments (agent_id, department_id) VALUES (1, 1)"
        )
    heads = ["0003", "0004", "0005", "0006", "0007", "head"]
    for revision in heads:
        alembic(command.upgrade, revision)
    agent = Queries(empty_db, None).agent_by_email("anna@desk.test")
    assert (agent.available, agent.db_user, agent.departments) == (True, None, ["Support"])
    created = Service(empty_db, agent.id).create_ticket(
        subject="Upgraded", customer_email="c@example.com", body="Still here", department="Support"
    )
    alembic(command.downgrade, "0007")
    alembic(command.upgrade, "head")
    assert Queries(empty_db, None).ticket(created.ticket_id).subject == "Upgraded"
