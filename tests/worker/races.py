"""Two workers doing the same thing at the same moment, each with its own database engine (as
two worker processes would have), to show that exactly one of them wins."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from desk_app.store import Database

T = TypeVar("T")


def race(url: str, work: Callable[[Database], T], workers: int = 2) -> list[T]:
    """Runs `work` on `workers` threads released together; returns what each returned."""
    databases = [Database(url) for _ in range(workers)]
    start = threading.Barrier(workers)
    results: list[T] = []

    def run(worker_db: Database) -> None:
        start.wait()
        results.append(work(worker_db))

    threads = [threading.Thread(target=run, args=(d,)) for d in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for worker_db in databases:
        worker_db.dispose()
    assert len(results) == workers, "a racing worker failed or hung: see its traceback above"
    return results
