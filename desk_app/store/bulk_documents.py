"""Search documents for a bulk load, built in other processes while this one writes rows.

Building a ticket's document (folding, CJK bigrams, stems) is pure work on its text, about a third
of a load's time; writing rows is the rest and must stay in the loading process (ids, one
transaction per batch). So the loader hands each batch's texts to a small process pool one
batch ahead and collects the documents when it writes that batch.

The pool starts with "spawn": the loading process may hold database connections and, in the GUI,
Qt threads, neither of which a forked child may safely inherit. Workers run core.search_text's
index_texts, so they import that module only, not the store. A frozen (PyInstaller) app never
starts a pool, since spawning there re-runs the app itself; and, as with any spawned process,
a script that loads in bulk must keep its work under `if __name__ == "__main__":`.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType

from desk_app.core.process_pool import process_pool
from desk_app.core.search_text import index_texts

# One ticket's searchable texts, as store.search.document_parts gives them.
DocumentJob = tuple[str, ...]
# Fewer tickets than this are quicker to index here than to send to another process.
MIN_PARALLEL_TICKETS = 1_000
MAX_WORKERS = 4


def default_workers() -> int:
    """One worker per core beyond the one this process writes rows on (none on one core)."""
    if getattr(sys, "frozen", False):
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(0, min(MAX_WORKERS, (cores or 1) - 1))


class PendingDocuments:
    """A batch's documents, being built in the pool (or built on demand here)."""

    def __init__(self, jobs: list[DocumentJob], futures: list[Future[list[str]]]) -> None:
        self.jobs = jobs
        self._futures = futures

    def result(self) -> list[str]:
        if not self._futures:
            return index_texts(self.jobs)
        try:
            return [document for future in self._futures for document in future.result()]
        except (BrokenProcessPool, OSError):
            # A worker died (killed, out of memory): the documents are still needed, and only
            # this process can be trusted to make them now.
            return index_texts(self.jobs)


class DocumentBuilder:
    """Hands batches of document jobs to worker processes; with no workers, builds on demand."""

    def __init__(self, workers: int) -> None:
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, jobs: list[DocumentJob]) -> PendingDocuments:
        if self._workers < 1 or len(jobs) < MIN_PARALLEL_TICKETS:
            return PendingDocuments(jobs, [])
        try:
            if self._pool is None:
                self._pool = process_pool(self._workers, "spawn")
            share = -(-len(jobs) // self._workers)
            futures = [
                self._pool.submit(index_texts, jobs[start : start + share])
                for start in range(0, len(jobs), share)
            ]
        except (BrokenProcessPool, OSError):
            self._workers = 0  # cannot start processes here: carry on in this one
            return PendingDocuments(jobs, [])
        return PendingDocuments(jobs, futures)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> DocumentBuilder:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
