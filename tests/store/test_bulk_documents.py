"""Search documents built in worker processes are the ones this process would build."""

from __future__ import annotations

import os
import signal

import pytest

from desk_app.core.search_text import index_text
from desk_app.store import bulk_documents
from desk_app.store.bulk_documents import DocumentBuilder

JOBS = [
    (f"Refund for order {n}", "Anna Müller", "", "anna@example.com", "返金を。", "Доставка")
    for n in range(30)
]


@pytest.fixture(autouse=True)
def small_batches_in_parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk_documents, "MIN_PARALLEL_TICKETS", 1)


def test_workers_build_what_this_process_would():
    with DocumentBuilder(2) as builder:
        pending = builder.submit(JOBS)
        assert builder._pool is not None  # really in other processes
        assert pending.result() == [index_text(*job) for job in JOBS]


def test_documents_are_still_built_when_a_worker_dies():
    with DocumentBuilder(1) as builder:
        assert builder.submit(JOBS[:1]).result() == [index_text(*JOBS[0])]
        pool = builder._pool
        assert pool is not None
        for process in list(pool._processes.values()):  # type: ignore[attr-defined]
            os.kill(process.pid, signal.SIGKILL)
            process.join()
        assert builder.submit(JOBS).result() == [index_text(*job) for job in JOBS]


def test_no_workers_builds_here():
    with DocumentBuilder(0) as builder:
        pending = builder.submit(JOBS)
        assert builder._pool is None
        assert pending.result() == [index_text(*job) for job in JOBS]
