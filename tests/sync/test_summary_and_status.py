"""The plain-data parts: what a batch means for a window, and what the status bar says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from desk_app.store.change_feed import Change
from desk_app.sync import SyncState, SyncStatus
from desk_app.sync.backoff import Backoff
from desk_app.sync.summary import ChangeSummary
from desk_app.ui.sync_status import database_text

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _change(entity: str, entity_id: int) -> Change:
    return Change(1, entity, entity_id, "update", None, NOW)


def test_a_batch_names_tickets_customers_and_people():
    summary = ChangeSummary.of(
        [_change("ticket", 3), _change("message", 9), _change("customer", 4), _change("ticket", 3)]
    )
    assert summary.ticket_ids == {3}
    assert summary.customer_ids == {4}
    assert summary.counts and not summary.people
    other = ChangeSummary.of([_change("agent", 1)])
    summary.merge(other)
    assert summary.people
    assert not ChangeSummary.of([_change("mail_account", 1)])


def test_the_status_reads_as_a_short_phrase():
    assert SyncStatus().describe(NOW) == "connecting…"
    live = SyncStatus(SyncState.LIVE, NOW, timedelta(milliseconds=42))
    assert live.describe(NOW) == "live · lag 42 ms"
    away = SyncStatus(SyncState.RECONNECTING, NOW - timedelta(seconds=12))
    assert away.describe(NOW) == "reconnecting… (last sync 12 s ago)"
    assert database_text("team database desk on db.example") == "Team database desk on db.example"
    assert database_text("embedded database /Users/Ann/Desk.db").endswith("/Users/Ann/Desk.db")


def test_backoff_grows_to_a_cap_and_resets():
    backoff = Backoff(first_s=0.1, cap_s=1.0)
    delays = [backoff.next_delay() for _ in range(8)]
    assert delays[0] <= 0.1
    assert max(delays) <= 1.0
    assert delays[-1] > 0.5
    backoff.reset()
    assert backoff.next_delay() <= 0.1
