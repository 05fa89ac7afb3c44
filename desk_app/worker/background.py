"""The worker in a child process, for the desktop app's "sync mail in this window".

The GUI owns one BackgroundMailSync: start() when syncing is switched on, stop() and then
wait() when it is switched off or the window closes.

Why a process and not a thread: the worker's passes (storing mail, escalating a backlog of
breached tickets, opening pages) are Python work, and in a thread of the window they hold the
interpreter lock the window needs to paint; on a large database the window's view switches took
four times as long while a backlog was worked off. In its own process the worker runs on another
core, its memory is not the window's, and a crash in it cannot take the window down.

The parent hands the child its database URL and options on stdin (not the command line, where
`ps` would show a password in a URL) and then keeps stdin open. The child stops when stdin
closes: when stop() closes it, and when the window process dies in any way, even killed, since
the operating system closes the pipe then. It finishes the message it is storing first, as the
headless `desk worker` does on SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import subprocess
import sys
import threading
from dataclasses import asdict, fields
from datetime import timedelta
from typing import IO, Any

from desk_app.worker.options import WorkerOptions

log = logging.getLogger(__name__)

# How long stop() + wait() give the child to finish its message before it is killed.
KILL_AFTER_S = 20.0


class BackgroundMailSync:
    def __init__(self, database_url: str, options: WorkerOptions | None = None) -> None:
        self.database_url = database_url
        self.options = options or WorkerOptions()
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = False
        self.error: str | None = None  # why the child ended on its own, in words

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        if self.running:
            return
        self.error = None
        self._stopping = False
        process = subprocess.Popen(
            [sys.executable, "-m", "desk_app.worker.background"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
        )
        self._process = process
        spec = {"database_url": self.database_url, "options": options_to_json(self.options)}
        try:
            assert process.stdin is not None
            process.stdin.write(json.dumps(spec).encode() + b"\n")
            process.stdin.flush()
        except OSError as exc:  # it died at once; wait() reports how
            log.warning("the mail worker process did not take its settings: %s", exc)
        threading.Thread(target=self._watch, args=(process,), daemon=True).start()

    def stop(self) -> None:
        """Ask the worker to stop; it finishes the message it is on (use wait())."""
        self._stopping = True
        if self._process is not None and self._process.stdin is not None:
            with contextlib.suppress(OSError):
                self._process.stdin.close()

    def wait(self, timeout: float | None = KILL_AFTER_S) -> bool:
        """True once the child has ended; one that outlives the timeout is killed."""
        process = self._process
        if process is None:
            return True
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("the mail worker did not stop in %s s; killing it", timeout)
            process.kill()
            process.wait()
        return True

    def _watch(self, process: subprocess.Popen[bytes]) -> None:
        code = process.wait()
        if code != 0 and not self._stopping:
            self.error = f"the mail worker stopped unexpectedly (exit code {code}); see the log"
            log.error("%s", self.error)


def options_to_json(options: WorkerOptions) -> dict[str, Any]:
    return {
        key: value.total_seconds() if isinstance(value, timedelta) else value
        for key, value in asdict(options).items()
    }


def options_from_json(data: dict[str, Any]) -> WorkerOptions:
    durations = {f.name for f in fields(WorkerOptions) if f.type in ("timedelta", timedelta)}
    values: dict[str, Any] = {
        key: timedelta(seconds=value) if key in durations else value for key, value in data.items()
    }
    return WorkerOptions(**values)


# --- the child ---------------------------------------------------------------------------


def child_main(stdin: IO[bytes]) -> int:
    from desk_app.logs import configure_logging

    configure_logging(name="worker.log")
    try:
        spec = json.loads(stdin.readline() or b"{}")
        if "database_url" not in spec:
            return 0  # the parent went away before it said anything
        _work(spec, stdin)
    except Exception:
        log.exception("the mail worker stopped with an error")
        return 1
    return 0


def _work(spec: dict[str, Any], stdin: IO[bytes]) -> None:
    from desk_app.store import Database
    from desk_app.worker.runner import MailWorker, stop_on_signals

    db = Database(spec["database_url"])
    worker = MailWorker(db, options_from_json(spec.get("options", {})))

    def stop_when_parent_goes() -> None:
        stdin.read()  # returns at end of file: stop() or the parent's death closed the pipe
        worker.stop()

    async def run() -> None:
        stop_on_signals(worker)
        await worker.run_forever()

    threading.Thread(target=stop_when_parent_goes, name="desk-parent-watch", daemon=True).start()
    try:
        asyncio.run(run())
    finally:
        db.dispose()


if __name__ == "__main__":
    raise SystemExit(child_main(sys.stdin.buffer))
