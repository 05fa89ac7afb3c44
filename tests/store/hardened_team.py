"""A hardened team database and its people's own login roles, for the `desk db harden` tests.

Every check connects as the agent's role with plain psycopg, the way someone holding only
their own credentials would, and asks PostgreSQL directly; then the app's own commands run on
a connection made with those credentials, to show that hardening leaves Desk working.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from psycopg import errors

from desk_app.core.clock import Clock
from desk_app.store import Database, Service, hardening
from desk_app.store.service import NewAttachment

PASSWORD = "agent-password-for-tests"
PEOPLE = ("anna", "kenji", "boris", "lena", "ada")
UNSOLVED = "status IN ('new', 'open', 'pending', 'on_hold')"


@dataclass
class Hardened:
    """A team database after `desk db harden`: who is who, and a ticket in each place."""

    url: str  # the owner's (the role that ran the migrations)
    db: Database
    groups: hardening.Groups
    roles: dict[str, str]  # person -> their login role
    agents: dict[str, int]  # person -> agent id
    support: int  # department ids
    billing: int
    support_ticket: int
    billing_ticket: int
    unsorted_ticket: int  # no department yet
    billing_message: int

    def url_for(self, person: str) -> str:
        return (
            sa.make_url(self.url)
            .set(username=self.roles[person], password=PASSWORD)
            .render_as_string(hide_password=False)
        )

    def connect(self, person: str) -> psycopg.Connection:
        """Plain psycopg, autocommit: exactly what hand-written SQL would get."""
        libpq = sa.make_url(self.url_for(person)).set(drivername="postgresql")
        return psycopg.connect(libpq.render_as_string(hide_password=False), autocommit=True)

    def database(self, person: str) -> Database:
        return Database(self.url_for(person))

    def owner_sql(self, sql: str, **params: object) -> list[tuple[Any, ...]]:
        with self.db.engine.begin() as connection:
            result = connection.execute(sa.text(sql), params)
            return [tuple(row) for row in result] if result.returns_rows else []

    def harden(self, **options: object) -> hardening.HardeningReport:
        return hardening.harden(self.db, self.groups, **options)  # type: ignore[arg-type]


def ids(connection: psycopg.Connection, sql: str, *params: object) -> set[int]:
    return {row[0] for row in connection.execute(sql, params)}


def changed(connection: psycopg.Connection, sql: str, *params: object) -> int:
    return connection.execute(sql, params).rowcount


def refused(connection: psycopg.Connection, sql: str, *params: object) -> str:
    """The statement fails with 42501 (a privilege or a row-level security policy)."""
    with pytest.raises(errors.InsufficientPrivilege) as refusal:
        connection.execute(sql, params)
    return str(refusal.value)


def set_read_others(team: Hardened, allowed: bool | None) -> None:
    team.owner_sql("DELETE FROM team_settings WHERE key = 'agents_read_other_departments'")
    if allowed is not None:
        team.owner_sql(
            "INSERT INTO team_settings (key, value) VALUES ('agents_read_other_departments', :v)",
            v="true" if allowed else "false",
        )


def create_login_roles(url: str, roles: dict[str, str]) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            allowed = connection.scalar(
                sa.text(
                    "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
                )
            )
            if not allowed:
                pytest.skip("the test database role cannot create roles (needs CREATEROLE)")
            for role in roles.values():
                connection.exec_driver_sql(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{PASSWORD}'")
    finally:
        engine.dispose()


def drop_roles(url: str, roles: list[str]) -> None:
    """Roles outlive databases: take this test's roles and their privileges away again."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            existing = [
                role
                for role in roles
                if connection.scalar(
                    sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
                )
            ]
            if existing:
                quoted = ", ".join(f'"{role}"' for role in existing)
                connection.exec_driver_sql(f"DROP OWNED BY {quoted}")
                connection.exec_driver_sql(f"DROP ROLE {quoted}")
    finally:
        engine.dispose()


def build_team(url: str, clock: Clock, *, prefix: str) -> Hardened:
    """Support (Anna, Kenji), Billing (Boris), a lead of Support only (Lena), an admin (Ada);
    a ticket in each department and one in none."""
    db = Database(url)
    system = Service(db, None, clock)
    support = system.add_department("Support")
    billing = system.add_department("Billing")
    agents = {
        "anna": system.add_agent("Anna Ivanova", "anna@desk.test", departments=["Support"]),
        "kenji": system.add_agent("Kenji Sato", "kenji@desk.test", departments=["Support"]),
        "boris": system.add_agent("Boris Petrov", "boris@desk.test", departments=["Billing"]),
        "lena": system.add_agent(
            "Lena Lead", "lena@desk.test", role="lead", departments=["Support"]
        ),
        "ada": system.add_agent("Ada Admin", "ada@desk.test", role="admin"),
    }
    roles = {person: f"{person}_{prefix}" for person in PEOPLE}
    with db.engine.begin() as connection:
        for person, role in roles.items():
            connection.execute(
                sa.text("UPDATE agents SET db_user = :role WHERE id = :id"),
                {"role": role, "id": agents[person]},
            )
    support_ticket = system.create_ticket(
        subject="Parcel never arrived",
        customer_email="olga@example.ru",
        department="Support",
        body="Где моя посылка?",
    ).ticket_id
    billing_result = system.create_ticket(
        subject="Refund for invoice 77",
        customer_email="ken@example.jp",
        department="Billing",
        body="請求書の返金をお願いします。",
        attachments=[NewAttachment("invoice.pdf", "application/pdf", b"%PDF-secret")],
    )
    unsorted_ticket = system.create_ticket(
        subject="Hello?", customer_email="who@example.com", body="Anyone there?"
    ).ticket_id
    assert support_ticket and unsorted_ticket
    assert billing_result.ticket_id and billing_result.message_id
    Service(db, agents["boris"], clock).reply(billing_result.ticket_id, "Refund issued.")
    return Hardened(
        url=url,
        db=db,
        groups=hardening.Groups(f"desk_{prefix}"),
        roles=roles,
        agents=agents,
        support=support,
        billing=billing,
        support_ticket=support_ticket,
        billing_ticket=billing_result.ticket_id,
        unsorted_ticket=unsorted_ticket,
        billing_message=billing_result.message_id,
    )


@pytest.fixture
def team(postgresql_database_url: str, clock: Clock) -> Iterator[Hardened]:
    prefix = uuid.uuid4().hex[:8]
    hardened = build_team(postgresql_database_url, clock, prefix=prefix)
    create_login_roles(postgresql_database_url, hardened.roles)
    try:
        set_read_others(hardened, False)
        report = hardened.harden()
        assert sorted(report.members) == sorted(hardened.roles.values())
        assert report.admins == [hardened.roles["ada"]]
        yield hardened
    finally:
        hardened.db.dispose()
        drop_roles(
            postgresql_database_url,
            [*hardened.roles.values(), hardened.groups.agent, hardened.groups.admin],
        )


def audited(
    connection: psycopg.Connection, agent_id: int, ticket_id: int, sql: str, *params: object
) -> int:
    """A hand-written ticket change made the way the app makes one: with its audit row in the
    same transaction. Returns the rows the change touched."""
    with connection.transaction():
        touched = connection.execute(sql, params).rowcount
        connection.execute(
            "INSERT INTO audit_events (at, actor_agent_id, entity, entity_id, ticket_id, action)"
            " VALUES (now(), %s, 'ticket', %s, %s, 'update')",
            (agent_id, ticket_id, ticket_id),
        )
    return touched
