"""Mail fixtures: a real pymap IMAP server and a real aiosmtpd SMTP server on loopback.

- ``imap_server``: an :class:`ImapAccount` with fresh, empty mailboxes on a session-wide pymap
  subprocess (plain IMAP, no STARTTLS). Other processes reach the same mailboxes with
  ``host``/``port``/``username``/``password``.
- ``imap_tls_server``: the same on a second pymap subprocess that offers STARTTLS on ``port`` and
  implicit TLS on ``tls_port`` with a certificate from a throwaway CA (``certificates.ca_cert``).
- ``pymap_process_factory``: private pymap processes for tests that stop or restart the server.
- ``smtp_server`` / ``smtp_auth_server``: a fresh aiosmtpd server per test (the latter requires
  AUTH as ``username``/``password``); ``smtp_server_factory(**options)`` for other variants.
- ``dovecot_server``: an :class:`ImapAccount` with fresh, empty mailboxes on a session-wide
  throwaway Dovecot (tests/mail/dovecot.py). Skipped where Dovecot is not installed, except
  with ``DESK_REQUIRE_DOVECOT=1`` (CI), where that fails instead.

See tests/mail/servers.py for the helper methods and for what pymap supports.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.mail.dovecot import DovecotProcess, dovecot_missing, skip_or_fail
from tests.mail.servers import (
    ImapAccount,
    PymapProcess,
    SmtpTestServer,
    TestCertificates,
    make_certificates,
    remove_tree,
)


@pytest.fixture(scope="session")
def mail_workdir() -> Iterator[Path]:
    # Not under pytest's basetemp, which a concurrent pytest run may prune while servers run.
    path = Path(tempfile.mkdtemp(prefix="desk-test-mail-"))
    yield path
    remove_tree(path)


@pytest.fixture(scope="session")
def mail_certificates(mail_workdir: Path) -> TestCertificates:
    return make_certificates(mail_workdir / "certs")


@pytest.fixture(scope="session")
def pymap_process(mail_workdir: Path) -> Iterator[PymapProcess]:
    process = PymapProcess(mail_workdir)
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def pymap_tls_process(
    mail_workdir: Path, mail_certificates: TestCertificates
) -> Iterator[PymapProcess]:
    process = PymapProcess(mail_workdir, certificates=mail_certificates)
    process.start()
    yield process
    process.stop()


def _fresh_account(process: PymapProcess) -> Iterator[ImapAccount]:
    if not process.running:  # a test stopped or crashed the shared server: bring it back
        process.start()
    account = process.new_account()
    yield account
    account.close()


@pytest.fixture
def imap_server(pymap_process: PymapProcess) -> Iterator[ImapAccount]:
    yield from _fresh_account(pymap_process)


@pytest.fixture
def imap_tls_server(pymap_tls_process: PymapProcess) -> Iterator[ImapAccount]:
    yield from _fresh_account(pymap_tls_process)


@pytest.fixture(scope="session")
def dovecot_process() -> Iterator[DovecotProcess]:
    skip_or_fail(dovecot_missing())
    process = DovecotProcess()
    process.start()
    yield process
    process.stop()


@pytest.fixture
def dovecot_server(dovecot_process: DovecotProcess) -> Iterator[ImapAccount]:
    account = dovecot_process.new_account()
    yield account
    account.close()


@pytest.fixture
def pymap_process_factory(mail_workdir: Path) -> Iterator[Callable[..., PymapProcess]]:
    """Start private pymap processes (``factory(certificates=..., port=...)``); all are stopped
    at teardown."""
    started: list[PymapProcess] = []

    def factory(**options: Any) -> PymapProcess:
        process = PymapProcess(mail_workdir, **options)
        started.append(process)
        process.start()
        return process

    yield factory
    for process in started:
        process.stop()


@pytest.fixture
def smtp_server_factory() -> Iterator[Callable[..., SmtpTestServer]]:
    """Start SMTP servers with any :class:`SmtpTestServer` options; all stop at teardown."""
    started: list[SmtpTestServer] = []

    def factory(**options: Any) -> SmtpTestServer:
        server = SmtpTestServer(**options)
        started.append(server)
        server.start()
        return server

    yield factory
    for server in started:
        server.stop()


@pytest.fixture
def smtp_server(smtp_server_factory: Callable[..., SmtpTestServer]) -> SmtpTestServer:
    return smtp_server_factory()


@pytest.fixture
def smtp_auth_server(smtp_server_factory: Callable[..., SmtpTestServer]) -> SmtpTestServer:
    return smtp_server_factory(require_auth=True)
