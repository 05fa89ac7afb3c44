"""What the window does while the team database is away, and when it comes back.

The change listener is the one that knows: it holds a connection open and reports
"reconnecting" the moment it breaks. While it does, a banner says so with the time since the last
sync, commands that need the server are switched off with the reason in their tooltip, and
drafts keep saving on this computer (sync.local_drafts). When the listener is live again it has
already caught up from its cursor; this pushes the drafts kept locally to the database and
reloads what the window shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

from desk_app.core.errors import NotFound
from desk_app.store import Service
from desk_app.sync import SyncState, SyncStatus
from desk_app.sync.local_drafts import LocalDraft, LocalDrafts
from desk_app.sync.status import format_duration
from desk_app.ui.banner import Banner
from desk_app.ui.context import DeskContext
from desk_app.ui.plain import tooltip
from desk_app.ui.ticket_pane import TicketPane

REASON = "the database is offline; this will work again once it reconnects"


class OfflineController(QObject):
    def __init__(
        self,
        ctx: DeskContext,
        banner: Banner,
        pane: TicketPane,
        server_actions: Iterable[QAction],
        on_reconnected: Callable[[], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._banner = banner
        self._pane = pane
        self._actions = list(server_actions)
        self._on_reconnected = on_reconnected
        self._last_sync: datetime | None = None
        self.offline = False

    def status_changed(self, status: SyncStatus | None) -> None:
        if status is None:
            return
        self._last_sync = status.last_sync
        if status.state is SyncState.RECONNECTING and not self.offline:
            self._go_offline(status)
        elif status.state is SyncState.LIVE and self.offline:
            self._come_back()

    def tick(self, now: datetime) -> None:
        if self.offline:
            self._banner.label.setText(self._text(now))

    def push_local_drafts(self) -> None:
        """Give the database every draft only this computer has (after a reconnect, or at
        start-up after a crash while offline). Each stays local until confirmed."""
        agent = self._ctx.agent
        if agent is None:
            return
        local, service = self._ctx.local_drafts, self._ctx.service
        for draft in local.pending():
            if draft.agent_id == agent.id:
                # The task holds the store objects, never this QObject (which must not be
                # deleted on the database thread).
                self._ctx.runner.run(
                    lambda d=draft: _push(local, service, d),  # type: ignore[misc]
                    failed=lambda _error: None,  # still offline: it stays local for next time
                )

    def _go_offline(self, status: SyncStatus) -> None:
        self.offline = True
        self._banner.show_message("offline", self._text(self._ctx.now()))
        if status.error:
            self._banner.setToolTip(tooltip(status.error))
        for action in self._actions:
            action.setEnabled(False)
            action.setStatusTip(REASON)
            action.setToolTip(f"{action.text().replace('&', '')}: {REASON}")
        self._pane.set_offline(f"Offline: {REASON}.")

    def _come_back(self) -> None:
        self.offline = False
        self._banner.hide()
        self._banner.setToolTip("")
        for action in self._actions:
            action.setEnabled(True)
            action.setStatusTip("")
            action.setToolTip(action.text().replace("&", ""))
        self._pane.set_offline(None)
        self.push_local_drafts()
        self._on_reconnected()

    def _text(self, now: datetime) -> str:
        since = (
            f"last sync {format_duration(now - self._last_sync)} ago"
            if self._last_sync is not None
            else "not synced yet"
        )
        return (
            f"Offline — reconnecting… ({since}). You can keep reading and writing: drafts are "
            "kept on this computer, and sending and changes wait for the connection."
        )


def _push(local: LocalDrafts, service: Service, draft: LocalDraft) -> None:
    """Give the database one draft only this computer had (on a database thread)."""
    try:
        service.save_draft(draft.ticket_id, draft.kind, draft.body)
    except NotFound:
        local.forget(draft.ticket_id, draft.agent_id, draft.kind)  # the ticket is gone
        return
    local.confirmed(draft.ticket_id, draft.agent_id, draft.kind, draft.body)
