""" "Sync mail in this window": the mail worker in a child process, and its status.

On by default for the embedded database (one desk, no separate worker running); a team on
PostgreSQL usually runs `desk worker` as a service, and the lease keeps two from working the same
account at once either way. The status bar says how each account is doing, in plain words.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu

from desk_app.store.mail_store import MailStore
from desk_app.store.records import AccountRecord
from desk_app.ui.context import DeskContext
from desk_app.ui.plain import plain_label
from desk_app.ui.settings import ui_settings
from desk_app.worker.background import BackgroundMailSync
from desk_app.worker.options import WorkerOptions

SETTING = "mail/sync_in_window"
STATUS_MS = 15_000


def mail_status_text(accounts: list[AccountRecord], syncing: bool) -> str:
    if not accounts:
        return "Mail: no accounts (desk account add)"
    parts = []
    for account in accounts:
        if account.last_error:
            state = account.last_error
        elif account.last_sync_at:
            state = f"synced {account.last_sync_at.astimezone():%H:%M}"
        else:
            state = "not synced yet"
        extra = []
        if account.queued:
            extra.append(f"{account.queued} queued")
        if account.failed:
            extra.append(f"{account.failed} failed")
        parts.append(f"{account.name}: {state}" + (f" ({', '.join(extra)})" if extra else ""))
    prefix = "Mail" if syncing else "Mail (not synced here)"
    return f"{prefix} — " + "; ".join(parts)


class MailSync(QObject):
    def __init__(
        self,
        window: QMainWindow,
        ctx: DeskContext,
        database_url: str,
        *,
        enabled_by_default: bool,
        options: WorkerOptions | None = None,
    ) -> None:
        super().__init__(window)
        self._ctx = ctx
        self._store = MailStore(ctx.queries.db, None)
        self._sync = BackgroundMailSync(database_url, options)
        self.label = plain_label()
        window.statusBar().addPermanentWidget(self.label)
        self.action = QAction("Sync Mail in This Window", window)
        self.action.setCheckable(True)
        self.action.setStatusTip("Fetch and send mail from this desktop while it is open")
        menu = _menu(window, "&File")
        if menu is not None:
            # Above the last entry (Quit); appended to a menu that has none.
            entries = menu.actions()
            if entries:
                menu.insertAction(entries[-1], self.action)
            else:
                menu.addAction(self.action)
        wanted = ui_settings().value(SETTING, enabled_by_default, type=bool)
        self.action.setChecked(bool(wanted))
        self.action.toggled.connect(self._toggled)
        self._timer = QTimer(self)
        self._timer.setInterval(STATUS_MS)
        self._timer.timeout.connect(self.refresh_status)
        self._timer.start()
        if self.action.isChecked():
            self._sync.start()
        self.refresh_status()

    @property
    def running(self) -> bool:
        return self._sync.running

    @property
    def worker_pid(self) -> int | None:
        return self._sync.pid if self._sync.running else None

    def refresh_status(self) -> None:
        store, sync = self._store, self._sync

        def show(accounts: list[AccountRecord]) -> None:
            text = mail_status_text(accounts, self.running)
            self.label.setText(f"{sync.error.capitalize()} — {text}" if sync.error else text)

        self._ctx.runner.run(lambda: store.accounts(), show)

    def stop(self) -> None:
        """Stop the worker and wait for it: it finishes the message it is storing."""
        self._timer.stop()
        self._sync.stop()
        self._sync.wait(15)

    def _toggled(self, on: bool) -> None:
        ui_settings().setValue(SETTING, on)
        if on:
            self._sync.start()
        else:
            self._sync.stop()
        self.refresh_status()


def _menu(window: QMainWindow, title: str) -> QMenu | None:
    for action in window.menuBar().actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and action.text() == title:
            return menu
    return None
