"""The change feed delivers every committed change exactly once, even out of commit order."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from desk_app.store import Database, Service
from desk_app.store.change_feed import ChangeReader
from desk_app.store.journal import Journal


def test_changes_after_the_cursor_are_delivered_once(db, team, clock):
    reader = ChangeReader(db)
    service = Service(db, team.anna, clock)
    created = service.create_ticket(subject="Hello", customer_email="h@example.com", body="Hi")
    first = reader.poll()
    assert ("ticket", created.ticket_id, "insert") in {(c.entity, c.entity_id, c.op) for c in first}
    assert [c.seq for c in first] == sorted(c.seq for c in first)
    assert reader.poll() == []
    service.set_status(created.ticket_id, "pending")
    second = reader.poll()
    assert [(c.entity, c.entity_id, c.op) for c in second] == [
        ("ticket", created.ticket_id, "update")
    ]
    assert second[0].actor_agent_id == team.anna


def test_a_new_reader_starts_at_the_present_or_a_given_position(db, team, clock):
    service = Service(db, team.anna, clock)
    created = service.create_ticket(subject="Old", customer_email="o@example.com")
    assert ChangeReader(db).poll() == []
    replay = ChangeReader(db, position=0).poll()
    assert ("ticket", created.ticket_id) in {(c.entity, c.entity_id) for c in replay}


def _hold_open_change(db: Database, entered: threading.Event, release: threading.Event) -> None:
    """A writer that takes a sequence number, then waits before committing."""
    with db.write() as session:
        journal = Journal(session, None, db_now(session))
        journal.changed("ticket", 999_001, "update")
        entered.set()
        assert release.wait(20)


def db_now(session):
    from datetime import UTC, datetime

    return datetime.now(UTC)


def test_a_change_that_commits_late_is_not_skipped_on_postgresql(postgresql_database_url):
    db = Database(postgresql_database_url)
    other = Database(postgresql_database_url)
    try:
        reader = ChangeReader(db)
        entered, release = threading.Event(), threading.Event()
        slow = threading.Thread(target=_hold_open_change, args=(other, entered, release))
        slow.start()
        assert entered.wait(10)
        # A later number commits first.
        with db.write() as session:
            Journal(session, None, db_now(session)).changed("ticket", 999_002, "update")
        early = reader.poll()
        assert [c.entity_id for c in early] == [999_002]
        release.set()
        slow.join(10)
        late = reader.poll()
        assert [c.entity_id for c in late] == [999_001]
        assert reader.poll() == []
        # Once nothing is running, the watermark has moved past both writers.
        with db.read() as session:
            newest_txid = session.scalar(sa.text("SELECT max(txid) FROM change_log"))
        reader.poll()
        assert reader.position > newest_txid
    finally:
        release.set()
        db.dispose()
        other.dispose()


@pytest.mark.parametrize("writers", [4])
def test_concurrent_writers_are_all_seen_exactly_once(db, team, clock, writers):
    reader = ChangeReader(db)
    url = db.url
    errors: list[BaseException] = []

    def write(n: int) -> None:
        own = Database(url)
        try:
            service = Service(own, team.anna, clock)
            for i in range(25):
                service.create_ticket(subject=f"w{n}-{i}", customer_email=f"w{n}@example.com")
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    seen: list[int] = []
    while any(t.is_alive() for t in threads):
        seen += [c.entity_id for c in reader.poll() if c.entity == "ticket"]
    for thread in threads:
        thread.join()
    seen += [c.entity_id for c in reader.poll() if c.entity == "ticket"]
    assert errors == []
    assert sorted(seen) == sorted(set(seen))
    assert len(seen) == writers * 25


class _ConnectionLostWhileReading(ChangeReader):
    """The database goes away after the rows were read, before the transaction closed."""

    fail = True

    def _fetch(self, via=None):
        rows = super()._fetch(via)
        if self.fail:
            from desk_app.core.errors import Unavailable

            raise Unavailable("lost the connection")
        return rows


def test_a_poll_that_fails_while_reading_moves_nothing(db, team, clock):
    from desk_app.core.errors import Unavailable

    reader = _ConnectionLostWhileReading(db)
    created = Service(db, team.anna, clock).create_ticket(
        subject="Keep me", customer_email="k@example.com"
    )
    with pytest.raises(Unavailable):
        reader.poll()
    reader.fail = False
    assert ("ticket", created.ticket_id) in {(c.entity, c.entity_id) for c in reader.poll()}
    assert reader.poll() == []
