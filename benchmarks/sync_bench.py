"""Sync benchmark: N listening client processes, one writer committing M changes at a steady rate.

    python benchmarks/sync_bench.py --clients 50 --changes 1000            # throwaway pgserver
    python benchmarks/sync_bench.py --backend sqlite --clients 2 --changes 1000
    python benchmarks/sync_bench.py --clients 10 --database-url postgresql://...

Each client is a separate process running a ChangeListener (LISTEN/NOTIFY on PostgreSQL,
PRAGMA data_version on SQLite) and records, per change, the wall-clock time its callback got
it. The writer commits one change-log row per transaction (with its NOTIFY), numbered, and notes
the time each commit returned. Latency is arrival minus commit (a NOTIFY can beat the writer's
own COMMIT reply, so tiny negatives are counted as 0).

Prints progress to stderr and one JSON object as the last line of stdout.
Goals: 50 clients x 1,000 changes on PostgreSQL (loopback): p99 <= 250 ms, 0 missed, 0 duplicated;
2 clients on SQLite: p99 <= 500 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path

from _common import peak_rss_mb

from desk_app.store import Database
from desk_app.store.change_feed import Change, ChangeReader
from desk_app.store.journal import Journal
from desk_app.sync import ChangeListener, SyncState

BENCH_ENTITY = "bench"
READY_TIMEOUT_S = 120.0
DRAIN_TIMEOUT_S = 30.0


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 2)


# --- the client process ----------------------------------------------------------------------


def client(url: str, ready: Event, finish: Event, results: Connection) -> None:
    """Listen until told to finish; send back {entity_id: [arrival times]} and reconnect count."""
    db = Database(url)
    arrivals: dict[int, list[float]] = {}
    lock = threading.Lock()

    def on_changes(batch: list[Change]) -> None:
        now = time.time()
        with lock:
            for change in batch:
                if change.entity == BENCH_ENTITY:
                    arrivals.setdefault(change.entity_id, []).append(now)

    live = threading.Event()
    listener = ChangeListener(
        db,
        on_changes,
        on_status=lambda status: live.set() if status.state is SyncState.LIVE else None,
        reader=ChangeReader(db),
    )
    listener.start()
    if live.wait(READY_TIMEOUT_S):
        ready.set()
    finish.wait()
    listener.stop()
    with lock:
        results.send((arrivals, listener.connections))
    results.close()
    db.dispose()


# --- the writer ------------------------------------------------------------------------------


def write_changes(url: str, count: int, rate: float) -> dict[int, float]:
    """Commit `count` numbered changes at `rate` per second; return commit-returned times."""
    db = Database(url)
    committed: dict[int, float] = {}
    started = time.monotonic()
    try:
        for number in range(1, count + 1):
            delay = started + (number - 1) / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            with db.write() as session:
                journal = Journal(session, None, datetime.now(UTC))
                journal.changed(BENCH_ENTITY, number, "update")
                journal.finish()
            committed[number] = time.time()
    finally:
        db.dispose()
    return committed


# --- databases -------------------------------------------------------------------------------


@contextlib.contextmanager
def throwaway_database(backend: str, clients: int) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="desk-sync-bench-") as folder:
        if backend == "sqlite":
            yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
            return
        import pgserver

        server = pgserver.get_server(Path(folder) / "pg", cleanup_mode="delete")
        try:
            # Each desktop holds two connections (the listener's and one pooled for reads);
            # the default of 100 is too few for 50 desktops plus the writer.
            needed = 2 * clients + 20
            if needed > 100:
                raise_max_connections(server, needed)
            yield server.get_uri()
        finally:
            server.cleanup()


def raise_max_connections(server: object, wanted: int) -> None:
    import sqlalchemy as sa
    from pgserver._commands import pg_ctl

    uri: str = server.get_uri()  # type: ignore[attr-defined]
    engine = sa.create_engine(
        uri.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as connection:
        connection.exec_driver_sql(f"ALTER SYSTEM SET max_connections = {int(wanted)}")
    engine.dispose()
    data_dir: Path = server.pgdata  # type: ignore[attr-defined]
    user = server.system_user  # type: ignore[attr-defined]
    socket_dir = sa.make_url(uri).query["host"]
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=user, timeout=60)
    pg_ctl(
        ["-w", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(data_dir / "log"), "start"],
        pgdata=data_dir,
        user=user,
        timeout=60,
    )


# --- the run ---------------------------------------------------------------------------------


def run(url: str, clients: int, changes: int, rate: float) -> dict[str, object]:
    db = Database(url)
    db.upgrade()
    backend = db.backend
    db.dispose()
    # fork: the parent holds no connections or threads at this point, and 50 spawned
    # interpreters re-importing SQLAlchemy would cost more memory than this machine has spare.
    context = mp.get_context("fork")
    finish = context.Event()
    readies, pipes, processes = [], [], []
    progress(f"starting {clients} client process(es) on {backend}")
    for _ in range(clients):
        ready = context.Event()
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=client, args=(url, ready, finish, sender), daemon=True)
        process.start()
        sender.close()
        readies.append(ready)
        pipes.append(receiver)
        processes.append(process)
    deadline = time.monotonic() + READY_TIMEOUT_S
    for ready in readies:
        if not ready.wait(max(0.0, deadline - time.monotonic())):
            raise SystemExit("a client did not become live in time")
    progress(f"all clients live; writing {changes} changes at {rate:g}/s")
    started = time.monotonic()
    committed = write_changes(url, changes, rate)
    write_s = time.monotonic() - started
    progress(f"writer done in {write_s:.1f} s; waiting for the clients to drain")
    time.sleep(min(DRAIN_TIMEOUT_S, 3.0))  # past the listeners' 2-second safety net
    finish.set()
    latencies: list[float] = []
    missed = duplicated = reconnects = 0
    for receiver in pipes:
        arrivals, connections = receiver.recv()
        reconnects += connections - 1
        counts = Counter({number: len(times) for number, times in arrivals.items()})
        missed += sum(1 for number in committed if number not in counts)
        duplicated += sum(n - 1 for n in counts.values() if n > 1)
        for number, times in arrivals.items():
            if number in committed:
                latencies.append(max(0.0, (times[0] - committed[number]) * 1000))
    for process in processes:
        process.join(30)
    latencies.sort()
    return {
        "benchmark": "sync",
        "backend": backend,
        "clients": clients,
        "changes": changes,
        "rate_per_s": rate,
        "write_seconds": round(write_s, 2),
        "latency_ms": {
            "p50": percentile(latencies, 0.50),
            "p95": percentile(latencies, 0.95),
            "p99": percentile(latencies, 0.99),
            "max": round(latencies[-1], 2) if latencies else 0.0,
        },
        "deliveries": len(latencies),
        "missed": missed,
        "duplicated": duplicated,
        "reconnects": reconnects,
        "cpus": os.cpu_count(),
        "parent_peak_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0, help="changes per second")
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if args.database_url:
        result = run(args.database_url, args.clients, args.changes, args.rate)
    else:
        with throwaway_database(args.backend, args.clients) as url:
            result = run(url, args.clients, args.changes, args.rate)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
