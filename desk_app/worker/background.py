"""The worker in a background thread, for the desktop app's "sync mail in this window".

The GUI owns one BackgroundMailSync: start() when syncing is switched on, stop() and then
wait() when it is switched off or the window closes. The thread has its own database engine
and event loop, so nothing here touches Qt or the GUI thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from desk_app.store import Database
from desk_app.worker.runner import MailWorker, WorkerOptions

log = logging.getLogger(__name__)


class BackgroundMailSync:
    def __init__(self, database_url: str, options: WorkerOptions | None = None) -> None:
        self.database_url = database_url
        self.options = options or WorkerOptions()
        self._thread: threading.Thread | None = None
        self._worker: MailWorker | None = None
        self._ready = threading.Event()
        self._stop_requested = threading.Event()
        self.error: BaseException | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._ready.clear()
        self._stop_requested.clear()
        self.error = None
        self._thread = threading.Thread(target=self._run, name="desk-mail-sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the worker to stop; it finishes the message it is on (use wait())."""
        self._stop_requested.set()
        self._ready.wait(5)
        if self._worker is not None:
            self._worker.stop()

    def wait(self, timeout: float | None = None) -> bool:
        """True once the thread has ended."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        db: Database | None = None
        try:
            db = Database(self.database_url)
            self._worker = MailWorker(db, self.options)
            self._ready.set()
            if self._stop_requested.is_set():
                return
            asyncio.run(self._worker.run_forever())
        except BaseException as exc:  # reported to the GUI through .error, and logged
            self.error = exc
            log.exception("background mail sync stopped with an error")
        finally:
            self._ready.set()
            if db is not None:
                db.dispose()
