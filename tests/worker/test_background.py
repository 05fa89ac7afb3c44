"""The worker in a child process of the window: it works, it stops when asked, it stops when the
window's process dies (even killed), and a child that dies is reported, not ignored."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta

from desk_app.worker.background import BackgroundMailSync, options_from_json, options_to_json
from desk_app.worker.runner import WorkerOptions
from tests.processes import running
from tests.worker.conftest import add_account, wait_for
from tests.worker.mails import simple


def test_options_survive_the_trip_to_the_child():
    options = WorkerOptions(poll_seconds=0.3, stalled_after=timedelta(minutes=2), use_idle=False)
    assert options_from_json(options_to_json(options)) == options


def test_the_child_fetches_mail_and_stops_on_request(
    sqlite_database_url, imap_server, smtp_server, file_keyring
):
    from desk_app.mail import passwords
    from desk_app.store import Database, Service
    from desk_app.store.mail_store import MailStore

    db = Database(sqlite_database_url)
    Service(db, None).add_department("Support")
    store = MailStore(db, None)
    add_account(store, imap_server, smtp_server)
    passwords.store_password("support", imap_server.password)  # the child reads the same keyring
    imap_server.append(simple()[0])
    sync = BackgroundMailSync(sqlite_database_url, WorkerOptions(poll_seconds=600))
    sync.start()
    try:
        assert sync.pid is not None and sync.pid != os.getpid()
        assert wait_for(lambda: store.folder_position(1, "INBOX")[1] > 0)
    finally:
        sync.stop()
        assert sync.wait(20)
    assert sync.error is None and not sync.running
    db.dispose()


def test_the_child_stops_when_the_window_process_is_killed(sqlite_database_url, tmp_path):
    script = textwrap.dedent(
        f"""
        import sys, time
        from desk_app.worker.background import BackgroundMailSync
        from desk_app.worker.runner import WorkerOptions
        sync = BackgroundMailSync({sqlite_database_url!r}, WorkerOptions(poll_seconds=600))
        sync.start()
        print(sync.pid, flush=True)
        time.sleep(600)
        """
    )
    window = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, DESK_HOME=str(tmp_path / "home")),
    )
    try:
        assert window.stdout is not None
        child = int(window.stdout.readline())
        assert running(child)
        time.sleep(1.0)  # the child is up and working, not still starting
        window.send_signal(signal.SIGKILL)
        window.wait()
        assert wait_for(lambda: not running(child), timeout=20), "the worker outlived the window"
    finally:
        window.kill()
        window.wait()
    assert list((tmp_path / "home").rglob("worker.log")), "it logs to a file of its own"


def test_a_child_that_cannot_work_is_reported(tmp_path):
    sync = BackgroundMailSync("nosuchdatabase://nowhere")
    sync.start()
    assert wait_for(lambda: not sync.running)
    assert wait_for(lambda: sync.error is not None)
    assert "stopped unexpectedly" in str(sync.error) and "exit code 1" in str(sync.error)
    sync.stop()
    assert sync.wait(5)
