"""Prepared statements on both databases: the values SQLAlchemy would store, and its errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from desk_app.store.fast_rows import Prepared
from desk_app.store.models import AuditEvent, Customer, CustomerIdentity

AT = datetime(2026, 11, 23, 9, 30, 15, 250_000, tzinfo=UTC)
_NEW_CUSTOMER = Prepared(
    sa.insert(Customer).returning(Customer.id),
    (
        "name",
        "organisation",
        "notes",
        "language",
        "tags",
        "merged_into_id",
        "version",
        "created_at",
        "updated_at",
    ),
)
_NEW_IDENTITY = Prepared(sa.insert(CustomerIdentity), ("customer_id", "kind", "value"))
_BY_VALUE = Prepared(
    sa.select(CustomerIdentity.customer_id, CustomerIdentity.kind)
    .where(CustomerIdentity.value == sa.bindparam("value"), CustomerIdentity.kind == "email")
    .limit(1)
)


def _customer(connection: sa.Connection, name: str) -> int:
    values = {
        "name": name,
        "organisation": "",
        "notes": "",
        "language": None,
        "tags": "",
        "merged_into_id": None,
        "version": 1,
        "created_at": AT,
        "updated_at": AT,
    }
    customer_id: int = _NEW_CUSTOMER.scalar(connection, values)
    return customer_id


def test_rows_read_back_as_the_orm_writes_them(db):
    with db.write() as session:
        connection = session.connection()
        customer_id = _customer(connection, "Aiko")
        _NEW_IDENTITY.execute(
            connection, {"customer_id": customer_id, "kind": "email", "value": "a@example.com"}
        )
        assert _BY_VALUE.first(connection, {"value": "a@example.com"}) == (customer_id, "email")
        assert _BY_VALUE.first(connection, {"value": "b@example.com"}) is None
    with db.read() as session:
        customer = session.get_one(Customer, customer_id)
        assert (customer.name, customer.created_at) == ("Aiko", AT)
        # The stored text sorts and compares like SQLAlchemy's own (the views rely on it).
        found = session.scalar(sa.select(Customer.id).where(Customer.created_at == AT))
        assert found == customer_id


def test_a_duplicate_raises_sqlalchemys_integrity_error(db):
    with pytest.raises(sa.exc.IntegrityError), db.write() as session:
        connection = session.connection()
        customer_id = _customer(connection, "Boris")
        row = {"customer_id": customer_id, "kind": "email", "value": "b@example.com"}
        _NEW_IDENTITY.execute(connection, row)
        _NEW_IDENTITY.execute(connection, row)
    with db.read() as session:  # and the transaction was rolled back whole
        assert session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 0


def test_an_insert_must_name_every_column_with_a_python_default(db):
    incomplete = Prepared(sa.insert(AuditEvent), ("at", "entity", "entity_id", "action"))
    with db.write() as session:
        connection = session.connection()
        incomplete.execute(connection, {"at": AT, "entity": "x", "entity_id": 1, "action": "y"})
    partial = Prepared(sa.insert(Customer), ("name", "created_at", "updated_at"))
    with pytest.raises(ValueError, match="Python-side default"), db.write() as session:
        partial.execute(session.connection(), {"name": "x", "created_at": AT, "updated_at": AT})
