"""Background executors for database work, with results handed back on the GUI thread.

Three lanes, one thread each:
- the ordered lane (`run`) for commands and for the reads the agent asked for (open a ticket,
  search, a page of the inbox): it keeps the order of commands the agent gave (a reply is stored
  before the status change typed after it).
- the refresh lane (`refresh`) for re-reading what the window already shows because something
  changed elsewhere (the change feed, a recount): a burst of changes from a busy worker queues
  there, never in front of what the agent is waiting for. Refreshes only read, so running them
  beside the other lanes is safe: SQLite in WAL mode and PostgreSQL both let readers run beside a
  writer, and a refresh submitted after a command finished sees it. Their consumers keep at most
  one refresh in flight each (ui/coalesce.py), so the lane stays short however many changes come.
  A refresh also waits (a moment at most) while the ordered lane works, so what the agent asked
  for has the interpreter and the database to itself.
- the side lane (`side_write`) for writes that record what the agent does (presence, read marks)
  and need no order with their commands. A write waits for the database's writer lock, which a
  busy worker holds much of the time; on the ordered lane every read behind it would wait too.
  Both writing lanes take the lock up front (BEGIN IMMEDIATE), so they simply take turns, as
  they do with the worker's process.

Each task is a plain callable that opens its own session through Queries or Service, so nothing
ORM-shaped crosses threads.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from desk_app.core.errors import DeskError

log = logging.getLogger(__name__)

T = TypeVar("T")
# How long a refresh waits for the ordered lane to finish before it starts anyway: the agent's
# read goes first, and a steady stream of them (scrolling) still lets refreshes through.
REFRESH_YIELD_S = 0.25
Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class TaskRunner(QObject):
    """Runs callables on the ordered lane (or the refresh lane); `done`/`failed` callbacks run
    on the GUI thread."""

    # Emitted from the worker thread; Qt queues it onto the GUI thread because this object
    # lives there. Payload: task id, result or None, exception or None.
    _finished = Signal(int, object, object)
    known_error = Signal(object)  # a DeskError, for the message banner
    bug = Signal(object)  # any other exception, for the crash reporter
    busy_changed = Signal(bool)
    idle = Signal()

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        workers: int = 1,
        name: str = "desk-db",
        refresh_yield_s: float = REFRESH_YIELD_S,
    ) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        # Threads are made lazily: a runner that never refreshes never starts that thread.
        self._refreshes = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{name}-refresh")
        self._side = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{name}-side")
        self._refresh_yield_s = refresh_yield_s
        # Work queued or running on the ordered lane; refreshes wait for it (a moment at most).
        self._ordered = 0
        self._ordered_lock = threading.Lock()
        self._ordered_idle = threading.Event()
        self._ordered_idle.set()
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[Done | None, Failed | None]] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._finished.connect(self._deliver)

    @property
    def pending(self) -> int:
        return len(self._callbacks)

    def run(
        self,
        work: Callable[[], T],
        done: Callable[[T], None] | None = None,
        failed: Failed | None = None,
    ) -> int:
        """Queue work on the ordered lane: commands, and reads the agent is waiting for.
        `failed` may handle an error itself, otherwise the default policy applies (known errors
        become a message, anything else a crash report)."""
        with self._ordered_lock:
            self._ordered += 1
            self._ordered_idle.clear()
        return self._submit(self._executor, work, done, failed, self._ordered_call)

    def refresh(
        self,
        work: Callable[[], T],
        done: Callable[[T], None] | None = None,
        failed: Failed | None = None,
    ) -> int:
        """Queue a read that refreshes what is already on screen on the refresh lane, where it
        never delays the ordered lane. Only for reads: writes keep their order on `run`."""
        return self._submit(self._refreshes, work, done, failed, self._refresh_call)

    def side_write(
        self,
        work: Callable[[], T],
        done: Callable[[T], None] | None = None,
        failed: Failed | None = None,
    ) -> int:
        """Queue a write that needs no order with the agent's commands (presence, read marks)
        on the side lane, where waiting for the writer lock delays nothing the agent asked
        for. Side writes keep their order among themselves."""
        return self._submit(self._side, work, done, failed)

    def _submit(
        self,
        lane: ThreadPoolExecutor,
        work: Callable[[], T],
        done: Callable[[T], None] | None,
        failed: Failed | None,
        call: Callable[[int, Callable[[], object]], None] | None = None,
    ) -> int:
        if self._closed:
            log.warning("task submitted after shutdown was ignored")
            if call == self._ordered_call:
                self._ordered_done()
            return 0
        task_id = next(self._ids)
        if not self._callbacks:
            self.busy_changed.emit(True)
        self._callbacks[task_id] = (done, failed)
        lane.submit(call or self._call, task_id, work)
        return task_id

    def _ordered_call(self, task_id: int, work: Callable[[], object]) -> None:
        try:
            self._call(task_id, work)
        finally:
            self._ordered_done()

    def _ordered_done(self) -> None:
        with self._ordered_lock:
            self._ordered -= 1
            if self._ordered == 0:
                self._ordered_idle.set()

    def _refresh_call(self, task_id: int, work: Callable[[], object]) -> None:
        self._ordered_idle.wait(self._refresh_yield_s)
        self._call(task_id, work)

    def _call(self, task_id: int, work: Callable[[], object]) -> None:
        try:
            result = work()
        except BaseException as exc:  # a bug in a task must reach the crash dialog, not vanish
            self._emit(task_id, None, exc)
        else:
            self._emit(task_id, result, None)

    def _emit(self, task_id: int, result: object, error: BaseException | None) -> None:
        with self._lock:
            if not self._closed:
                self._finished.emit(task_id, result, error)

    def _deliver(self, task_id: int, result: object, error: object) -> None:
        done, failed = self._callbacks.pop(task_id, (None, None))
        try:
            if isinstance(error, BaseException):
                if failed is not None:
                    failed(error)
                else:
                    self.report(error)
            elif done is not None:
                done(result)
        finally:
            if not self._callbacks:
                self.busy_changed.emit(False)
                self.idle.emit()

    def report(self, error: BaseException) -> None:
        """The default error policy, also used by handlers that only care about some errors."""
        if isinstance(error, DeskError):
            self.known_error.emit(error)
        else:
            self.bug.emit(error)

    def wait_for(self, work: Callable[[], T]) -> T:
        """Run work on the worker and block until it is done. Only for shutdown, where the
        window must flush a draft before the process ends."""
        return self._executor.submit(work).result()

    def shutdown(self, *, wait: bool = True) -> None:
        """Finish queued work (drafts and commands must not be lost), then drop late results.
        With wait=False (network fetches nobody will see) queued work is cancelled instead.
        Queued refreshes are always cancelled: nobody will see them."""
        if self._closed:
            return
        self._refreshes.shutdown(wait=wait, cancel_futures=True)
        self._side.shutdown(wait=wait, cancel_futures=not wait)
        self._executor.shutdown(wait=wait, cancel_futures=not wait)
        with self._lock:
            self._closed = True
        self._callbacks.clear()
