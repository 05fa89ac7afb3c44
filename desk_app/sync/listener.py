"""The change listener: one background thread per desktop that turns wake-ups into batches of
changes, each delivered exactly once, and keeps going when the database goes away.

Why a plain thread and not the GUI's task runner: waiting for a notification blocks, and the
runner's single worker must stay free for the agent's own commands.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

import psycopg
import sqlalchemy as sa

from desk_app.core.clock import Clock, utc_now
from desk_app.core.errors import Unavailable
from desk_app.store.change_feed import Change, ChangeReader
from desk_app.store.database import Database
from desk_app.sync.backoff import Backoff
from desk_app.sync.status import SyncState, SyncStatus
from desk_app.sync.wakeups import SQLITE_POLL_S, Wakeups, open_wakeups

log = logging.getLogger(__name__)

# A notification can be lost (a dropped connection, a proxy in between); reading the log this
# often bounds how stale a desktop can get without anyone noticing.
SAFETY_POLL_S = 2.0
JOIN_TIMEOUT_S = 10.0

# What "the database went away" looks like from here; anything else is a bug, which is logged
# and retried too, because a dead listener silently freezes every desktop.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    Unavailable,
    sa.exc.DBAPIError,
    psycopg.Error,
    sqlite3.Error,
    OSError,
)

OnChanges = Callable[[list[Change]], None]
OnStatus = Callable[[SyncStatus], None]


class ChangeListener:
    """Call start(), then stop() (which also joins). `on_changes` and `on_status` run on the
    listener's thread; they must be quick and must not raise (the Qt bridge only emits)."""

    def __init__(
        self,
        db: Database,
        on_changes: OnChanges,
        *,
        on_status: OnStatus | None = None,
        reader: ChangeReader | None = None,
        clock: Clock = utc_now,
        safety_poll_s: float = SAFETY_POLL_S,
        sqlite_poll_s: float = SQLITE_POLL_S,
        backoff: Backoff | None = None,
        name: str = "desk-sync",
    ) -> None:
        self.db = db
        self._on_changes = on_changes
        self._on_status = on_status
        # A reader made before the window's first load starts the feed no later than what the
        # window shows; without one, the feed starts at the present once connected.
        self._reader = reader
        self._clock = clock
        self._safety_poll_s = safety_poll_s
        self._sqlite_poll_s = sqlite_poll_s
        self._backoff = backoff or Backoff()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._wakeups: Wakeups | None = None
        self._status = SyncStatus()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.connections = 0  # how many times the wake-up connection was opened (tests)

    # --- control ----------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = JOIN_TIMEOUT_S) -> None:
        self._stopping.set()
        with self._lock:
            if self._wakeups is not None:
                self._wakeups.interrupt()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def wake(self) -> None:
        """Read the change log now (after a command of our own, or from a test)."""
        with self._lock:
            if self._wakeups is not None:
                self._wakeups.interrupt()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def status(self) -> SyncStatus:
        return self._status

    @property
    def position(self) -> int | None:
        return None if self._reader is None else self._reader.position

    @property
    def wakeups(self) -> Wakeups | None:
        return self._wakeups

    # --- the loop ---------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._connected_loop()
            except CONNECTION_ERRORS as error:
                self._lost(error)
            except Exception as error:
                log.exception("change listener failed; restarting it")
                self._lost(error)
        self._set_status(replace(self._status, state=SyncState.STOPPED))

    def _connected_loop(self) -> None:
        wakeups = open_wakeups(self.db, self._sqlite_poll_s)
        with self._lock:
            self._wakeups = wakeups
        self.connections += 1
        try:
            if self._reader is None:
                self._reader = ChangeReader(self.db)
            # Whatever committed while we were away (or before LISTEN took effect) is read now;
            # the reader's position makes this a catch-up, not a gap.
            self._sync(self._reader, connected=True)
            self._backoff.reset()
            while not self._stopping.is_set():
                wakeups.wait(self._safety_poll_s)
                if self._stopping.is_set():
                    break
                self._sync(self._reader)
        finally:
            with self._lock:
                self._wakeups = None
            wakeups.close()

    def _sync(self, reader: ChangeReader, *, connected: bool = False) -> None:
        wakeups = self._wakeups
        changes = reader.poll(wakeups.fetch if wakeups is not None else None)
        now = self._clock()
        status = replace(self._status, state=SyncState.LIVE, last_sync=now, error=None)
        if changes:
            status = replace(status, lag=now - newest(changes))
            self._on_changes(changes)
        changed_state = status.state is not self._status.state
        self._status = status
        if changes or changed_state or connected:
            self._notify_status()

    def _lost(self, error: BaseException) -> None:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if self._status.state is not SyncState.RECONNECTING:
            log.warning("change listener lost the %s: %s", self.db.describe(), message)
        self._set_status(replace(self._status, state=SyncState.RECONNECTING, error=message))
        self._stopping.wait(self._backoff.next_delay())

    def _set_status(self, status: SyncStatus) -> None:
        self._status = status
        self._notify_status()

    def _notify_status(self) -> None:
        if self._on_status is not None:
            self._on_status(self._status)


def newest(changes: list[Change]) -> datetime:
    return max(change.at for change in changes)
