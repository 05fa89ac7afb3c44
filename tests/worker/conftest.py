"""Worker fixtures: the real mail servers from tests/mail, a mail account on them, a worker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import keyring.core
import pytest

from desk_app.store.mail_store import MailStore
from desk_app.worker.runner import MailWorker, PassSummary, WorkerOptions
from tests.mail import conftest as mail_fixtures

# The real mail servers' fixtures from tests/mail, shared here.
dovecot_process = mail_fixtures.dovecot_process
dovecot_server = mail_fixtures.dovecot_server
imap_server = mail_fixtures.imap_server
imap_tls_server = mail_fixtures.imap_tls_server
mail_certificates = mail_fixtures.mail_certificates
mail_workdir = mail_fixtures.mail_workdir
pymap_process = mail_fixtures.pymap_process
pymap_process_factory = mail_fixtures.pymap_process_factory
pymap_tls_process = mail_fixtures.pymap_tls_process
smtp_auth_server = mail_fixtures.smtp_auth_server
smtp_server = mail_fixtures.smtp_server
smtp_server_factory = mail_fixtures.smtp_server_factory


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An explicitly chosen keyrings.alt plaintext file in a temporary directory (also for
    worker subprocesses, through the environment)."""
    data = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    previous = keyring.get_keyring()
    keyring.core.init_backend()
    yield data
    keyring.set_keyring(previous)


@pytest.fixture
def store(db, team, clock) -> MailStore:
    return MailStore(db, None, clock)


def add_account(store: MailStore, imap, smtp, *, name: str = "support", **options) -> int:
    values = {
        "address": "support@desk.test",
        "username": imap.username,
        "imap_host": imap.host,
        "imap_port": imap.port,
        "smtp_host": smtp.host,
        "smtp_port": smtp.port,
        "security": "none",
        "department": "Support",
        **options,
    }
    return store.add_account(name, **values)


@pytest.fixture
def account_id(store, imap_server, smtp_server) -> int:
    return add_account(store, imap_server, smtp_server)


FAST = WorkerOptions(poll_seconds=0.5, renew_seconds=1.0, send_seconds=0.2)


@pytest.fixture
def worker(db, clock, imap_server) -> MailWorker:
    return MailWorker(db, FAST, clock=clock, password_for=lambda _name: imap_server.password)


def run_once(worker: MailWorker) -> PassSummary:
    return asyncio.run(worker.run_once())


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    """Poll a condition from outside an event loop (worker threads and processes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False
