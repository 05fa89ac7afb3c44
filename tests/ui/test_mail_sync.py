"""'Sync mail in this window': the worker in a background thread of the app, and its status."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from PySide6.QtWidgets import QMainWindow

from desk_app.core.views import View, ViewKind
from desk_app.mail.passwords import store_password
from desk_app.store import Queries
from desk_app.store.mail_store import MailStore
from desk_app.ui.mail_sync import MailSync, mail_status_text
from desk_app.worker.runner import WorkerOptions
from tests.worker import conftest as worker_fixtures

file_keyring = worker_fixtures.file_keyring
imap_server = worker_fixtures.imap_server
pymap_process = worker_fixtures.pymap_process
mail_workdir = worker_fixtures.mail_workdir
smtp_server = worker_fixtures.smtp_server
smtp_server_factory = worker_fixtures.smtp_server_factory
mail_certificates = worker_fixtures.mail_certificates

FAST = WorkerOptions(poll_seconds=0.3, renew_seconds=1.0, send_seconds=0.2)

# These set up their own mail accounts (or check what happens without one).
pytestmark = pytest.mark.no_mail_account


def _mail(subject: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Ольга <olga@example.ru>"
    message["To"] = "support@desk.test"
    message["Subject"] = subject
    message["Message-ID"] = "<sync-1@example.ru>"
    message.set_content("Заказ 77 не пришёл.")
    return bytes(message)


def test_the_window_fetches_mail_while_syncing_is_on(
    qtbot, db, team, ctx, imap_server, smtp_server, file_keyring
):
    store = MailStore(db, None)
    worker_fixtures.add_account(store, imap_server, smtp_server)
    store_password("support", imap_server.password)
    imap_server.append(_mail("Где мой заказ?"))
    window = QMainWindow()
    qtbot.addWidget(window)
    sync = MailSync(window, ctx, db.url, enabled_by_default=True, options=FAST)
    try:
        assert sync.running and sync.action.isChecked()
        queries = Queries(db, None)
        qtbot.waitUntil(lambda: queries.view_count(View(ViewKind.ALL_OPEN)) == 1, timeout=15_000)
        assert queries.view_page(View(ViewKind.ALL_OPEN))[0].subject == "Где мой заказ?"
        # The pass records its sync time after it stored the mail: wait for that, then ask
        # the status bar (its own timer would take 15 s).
        qtbot.waitUntil(lambda: store.accounts()[0].last_sync_at is not None, timeout=15_000)
        sync.refresh_status()
        qtbot.waitUntil(lambda: "support: synced" in sync.label.text(), timeout=15_000)
        sync.action.setChecked(False)  # the agent switches it off
        qtbot.waitUntil(lambda: not sync.running, timeout=15_000)
    finally:
        sync.stop()
    assert not sync.running


def test_status_text_says_how_each_account_is_doing():
    assert mail_status_text([], True) == "Mail: no accounts (desk account add)"
