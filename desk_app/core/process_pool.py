"""Process pools whose workers end with the process that started them.

A ProcessPoolExecutor's workers wait on a queue whose writing end they hold themselves, so when
the parent is killed (SIGKILL, out of memory, a crash) nothing wakes them: they would sit in
memory for good, each with a database connection. Each worker here watches its parent and
exits once it is gone.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

PARENT_CHECK_S = 1.0


def process_pool(workers: int, start_method: str) -> ProcessPoolExecutor:
    """A pool of `workers` processes started by "fork" or "spawn"."""
    return ProcessPoolExecutor(
        workers,
        mp_context=get_context(start_method),
        initializer=_follow_parent,
        initargs=(os.getpid(),),
    )


def _follow_parent(parent: int) -> None:
    threading.Thread(
        target=_exit_when_orphaned, args=(parent,), name="desk-parent-watch", daemon=True
    ).start()


def _exit_when_orphaned(parent: int) -> None:
    # An orphan is adopted by another process (init, or a subreaper): its parent id changes.
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(1)
