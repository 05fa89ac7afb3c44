"""Pool workers end when the process that started them is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from desk_app.core.process_pool import process_pool
from tests.processes import running


def test_a_pool_does_its_work():
    with process_pool(2, "spawn") as pool:
        assert sorted(pool.map(abs, [-3, -1, 2])) == [1, 2, 3]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_workers_end_when_their_parent_is_killed(start_method):
    script = textwrap.dedent(
        f"""
        import os, time
        from desk_app.core.process_pool import process_pool
        if __name__ == "__main__":
            pool = process_pool(2, {start_method!r})
            print(*{{pool.submit(os.getpid).result() for _ in range(20)}}, flush=True)
            time.sleep(600)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert workers and all(running(pid) for pid in workers)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 15
        while any(running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(running(pid) for pid in workers), "pool workers outlived their parent"
    finally:
        parent.kill()
        parent.wait()
