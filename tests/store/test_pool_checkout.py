"""A pooled PostgreSQL connection that the server closed is replaced, not handed out.

The pool used to ping every connection it handed out (a round trip per transaction). Now it
hands one out only if the server has not said anything on it while it sat in the pool: a
server that terminates a backend, or shuts down, says so before it closes the socket.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from desk_app.store import Database, Queries, Service
from tests.pg_control import own_server


def _department_names(db: Database) -> list[str]:
    return sorted(d.name for d in Queries(db, None).departments())


def test_a_terminated_backend_costs_a_reconnect_not_an_error(postgresql_database_url, pg_admin_url):
    db = Database(postgresql_database_url)
    try:
        system = Service(db, None)
        system.add_department("Support")  # leaves a connection in the pool
        admin = sa.create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            ended = connection.exec_driver_sql(
                # With a timeout it returns once the backend has exited (and so closed the socket).
                "SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity "
                "WHERE datname = %(name)s AND application_name = 'desk'",
                {"name": sa.make_url(postgresql_database_url).database},
            ).scalar_one()
        admin.dispose()
        assert ended >= 1
        system.add_department("Billing")
        assert _department_names(db) == ["Billing", "Support"]
    finally:
        db.dispose()


def test_a_restarted_server_costs_a_reconnect_not_an_error():
    with own_server() as server:
        db = Database(server.url)
        try:
            system = Service(db, None)
            system.add_department("Support")
            server.stop()
            server.start()
            system.add_department("Billing")
            assert _department_names(db) == ["Billing", "Support"]
        finally:
            db.dispose()


@pytest.mark.parametrize("with_poll", [True, False], ids=["poll", "select (Windows)"])
def test_a_closed_peer_is_seen_as_input_with_poll_or_select(monkeypatch, with_poll):
    import select
    import socket

    from desk_app.store.database import _has_input

    if not with_poll:
        monkeypatch.delattr(select, "poll", raising=False)
    ours, theirs = socket.socketpair()
    try:
        assert not _has_input(ours.fileno())  # idle and healthy
        theirs.close()  # what a terminated backend does
        assert _has_input(ours.fileno())
    finally:
        ours.close()
