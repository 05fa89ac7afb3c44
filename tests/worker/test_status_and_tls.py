"""Plain status for people: auth failures, unreachable servers, certificates; and IDLE."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest

from desk_app.worker.runner import MailWorker, WorkerOptions
from tests.worker.conftest import FAST, add_account, run_once, wait_for
from tests.worker.mails import simple


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def sqlite_db(sqlite_database_url):
    from desk_app.store import Database

    database = Database(sqlite_database_url)
    yield database
    database.dispose()


def test_wrong_password_is_reported_as_auth_failed(db, store, account_id, clock):
    worker = MailWorker(db, FAST, clock=clock, password_for=lambda _n: "wrong")
    summary = run_once(worker)
    assert summary.accounts[0].error.startswith("auth failed")
    account = store.account("support")
    assert account.last_error.startswith("auth failed") and account.last_sync_at is None
    assert "wrong" not in account.last_error


def test_a_dead_server_is_reported_as_unreachable(db, store, smtp_server, imap_server, clock):
    store.add_account(
        "support",
        address="s@desk.test",
        username="u",
        imap_host="127.0.0.1",
        imap_port=free_port(),
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        security="none",
    )
    worker = MailWorker(db, FAST, clock=clock, password_for=lambda _n: "pw")
    summary = run_once(worker)
    assert summary.accounts[0].error.startswith("server unreachable")
    assert "refused" in store.account("support").last_error


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_unknown_ca_is_refused_unless_trusted(
    sqlite_db, clock, imap_tls_server, smtp_server, mail_certificates, security
):
    from desk_app.store import Service
    from desk_app.store.mail_store import MailStore

    Service(sqlite_db, None, clock).add_department("Support")
    store = MailStore(sqlite_db, None, clock)
    port = imap_tls_server.tls_port if security == "ssl" else imap_tls_server.port
    add_account(
        store,
        imap_tls_server,
        smtp_server,
        imap_port=port,
        security=security,
        imap_host="localhost",
    )
    imap_tls_server.append(simple()[0])
    password = imap_tls_server.password
    refused = run_once(MailWorker(sqlite_db, FAST, clock=clock, password_for=lambda _n: password))
    assert refused.accounts[0].error.startswith("certificate invalid"), refused.accounts[0].error
    assert store.account("support").last_error.startswith("certificate invalid")
    trusted = MailWorker(
        sqlite_db,
        WorkerOptions(ca_file=str(mail_certificates.ca_cert)),
        clock=clock,
        password_for=lambda _n: password,
    )
    summary = run_once(trusted)
    assert summary.accounts[0].stored == 1 and summary.accounts[0].error is None


def _run_in_thread(worker: MailWorker) -> threading.Thread:
    thread = threading.Thread(target=lambda: asyncio.run(worker.run_forever()), daemon=True)
    thread.start()
    return thread


def test_idle_wakes_the_worker_when_mail_arrives(sqlite_db, imap_server, smtp_server):
    from desk_app.store import Service
    from desk_app.store.mail_store import MailStore

    Service(sqlite_db, None).add_department("Support")
    store = MailStore(sqlite_db, None)
    add_account(store, imap_server, smtp_server)
    # Polling once every 10 minutes: only IDLE can make the mail show up within seconds.
    options = WorkerOptions(poll_seconds=600, renew_seconds=1)
    worker = MailWorker(sqlite_db, options, password_for=lambda _n: imap_server.password)
    thread = _run_in_thread(worker)
    try:
        assert wait_for(lambda: store.account("support").last_sync_at is not None)
        time.sleep(0.5)  # the worker is in IDLE now
        started = time.monotonic()
        imap_server.append(simple("Arrived during IDLE")[0])
        assert wait_for(lambda: store.folder_position(1, "INBOX")[1] > 0, timeout=10)
        assert time.monotonic() - started < 10
    finally:
        worker.stop()
        thread.join(15)
    assert not thread.is_alive()


def test_idle_survives_fragmented_server_responses(sqlite_db, pymap_process_factory, smtp_server):
    """Broken IDLE responses are only a wake-up: the worker reconnects and keeps importing."""
    from desk_app.store import Service
    from desk_app.store.mail_store import MailStore

    process = pymap_process_factory(fragmented_writes=True)
    imap = process.new_account()
    Service(sqlite_db, None).add_department("Support")
    store = MailStore(sqlite_db, None)
    add_account(store, imap, smtp_server)
    options = WorkerOptions(poll_seconds=600, renew_seconds=1)
    worker = MailWorker(sqlite_db, options, password_for=lambda _n: imap.password)
    thread = _run_in_thread(worker)
    try:
        for n in range(5):
            imap.append(simple(f"Burst {n}")[0])
            time.sleep(0.3)
        assert wait_for(lambda: store.folder_position(1, "INBOX")[1] >= max(imap.uids()))
    finally:
        worker.stop()
        thread.join(15)
        imap.close()
    assert not thread.is_alive()


def test_a_lease_held_elsewhere_is_taken_over_once_it_expires(
    db, store, account_id, clock, imap_server
):
    from datetime import timedelta

    # A worker on another machine holds the account and then stops renewing (it died).
    assert store.acquire_lease(f"mail:{account_id}", "otherhost:1:abc", timedelta(seconds=30))
    imap_server.append(simple()[0])
    worker = MailWorker(db, FAST, clock=clock, password_for=lambda _n: imap_server.password)
    waiting = run_once(worker)
    assert waiting.accounts[0].skipped and waiting.accounts[0].stored == 0
    clock.advance(seconds=29)
    assert run_once(worker).accounts[0].skipped
    clock.advance(seconds=2)
    assert run_once(worker).accounts[0].stored == 1
