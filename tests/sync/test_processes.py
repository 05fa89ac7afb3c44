"""Separate client processes (the benchmark script, small): every change reaches every client
exactly once, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "sync_bench.py"


def test_every_client_process_gets_every_change_once(database_url):
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    arguments = ["--clients", "3", "--changes", "40", "--rate", "40", "--backend", backend]
    finished = subprocess.run(
        [sys.executable, str(SCRIPT), *arguments, "--database-url", database_url],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    assert result["backend"] == backend
    assert result["deliveries"] == 3 * 40
    assert result["missed"] == 0
    assert result["duplicated"] == 0
