"""The window's memory stays bounded: its SQLite connections keep a smaller page cache than the
store's default (bulk imports want the large one, paging 100 rows at a time does not)."""

from __future__ import annotations

from desk_app.app import WINDOW_SQLITE_CACHE_MB
from desk_app.store import Database
from desk_app.store.database import SQLITE_CACHE_MB


def _cache_kib(database: Database) -> int:
    with database.engine.connect() as connection:
        return int(connection.exec_driver_sql("PRAGMA cache_size").scalar_one())


def test_the_window_database_keeps_a_smaller_page_cache(sqlite_database_url):
    window_db = Database(sqlite_database_url, sqlite_cache_mb=WINDOW_SQLITE_CACHE_MB)
    store_db = Database(sqlite_database_url)
    try:
        # Negative sizes are KiB (SQLite's convention).
        assert _cache_kib(window_db) == -1024 * WINDOW_SQLITE_CACHE_MB
        assert _cache_kib(store_db) == -1024 * SQLITE_CACHE_MB
        assert WINDOW_SQLITE_CACHE_MB < SQLITE_CACHE_MB
    finally:
        window_db.dispose()
        store_db.dispose()
