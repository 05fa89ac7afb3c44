"""Shared helpers for benchmark scripts: timing, percentiles and throwaway databases."""

from __future__ import annotations

import contextlib
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    if not ordered:
        return {"p50": 0.0, "p95": 0.0}

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {
        "p50": round(statistics.median(ordered), 2),
        "p95": round(at(0.95), 2),
        "max": round(ordered[-1], 2),
    }


def time_ms(action: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


@contextlib.contextmanager
def database_url(explicit: str | None, backend: str) -> Iterator[str]:
    """The given URL, or a throwaway SQLite file or pgserver instance."""
    if explicit:
        yield explicit
        return
    with tempfile.TemporaryDirectory(prefix="desk-bench-") as folder:
        if backend == "sqlite":
            yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
            return
        import pgserver

        server = pgserver.get_server(Path(folder) / "pg", cleanup_mode="delete")
        try:
            yield server.get_uri()
        finally:
            server.cleanup()
