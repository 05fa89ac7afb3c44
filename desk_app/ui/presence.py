"""Presence in the window: tell colleagues what this agent is doing, show what they are doing.

Publishing goes through the task runner's side lane (never the GUI thread, never in front of
what the agent opens): at once when the agent opens a ticket or starts or stops writing a reply,
and every REFRESH seconds to stay alive. Reading who else is on the open ticket (on the refresh
lane) happens when the change feed says presence changed there, when a ticket is shown, and on
the same refresh (rows expire without a change being logged).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, QTimer

from desk_app.core.errors import DeskError
from desk_app.store.presence import REFRESH, Colleague, PresenceStore
from desk_app.ui.context import DeskContext
from desk_app.ui.ticket_pane import TicketPane

PUBLISH_DELAY_MS = 300  # typing flips "viewing"/"replying" at most this often


class PresenceController(QObject):
    def __init__(
        self,
        ctx: DeskContext,
        pane: TicketPane,
        visible_ticket_ids: Callable[[], Iterable[int]] = tuple,
        show_marks: Callable[[dict[int, list[Colleague]]], None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._pane = pane
        self._visible = visible_ticket_ids
        self._show_marks = show_marks
        self.store = PresenceStore(ctx.queries.db, uuid.uuid4().hex, ctx.clock)
        self._published: tuple[int | None, str | None] | None = None
        self._stopped = False
        self._refresh = QTimer(self)
        self._refresh.setInterval(int(REFRESH.total_seconds() * 1000))
        self._refresh.timeout.connect(self._heartbeat)
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(PUBLISH_DELAY_MS)
        self._soon.timeout.connect(lambda: self.publish(force=False))
        pane.activity_changed.connect(self._soon.start)
        pane.loaded.connect(lambda _ticket_id: self.read())

    def start(self) -> None:
        self._refresh.start()
        self.publish(force=True)

    def stop(self) -> None:
        """Leave at once (queued ahead of the runner's shutdown, so it still runs)."""
        self._stopped = True
        self._refresh.stop()
        self._soon.stop()
        if self._ctx.agent is not None:
            store = self.store
            self._ctx.runner.side_write(store.withdraw, failed=lambda _error: None)

    def _heartbeat(self) -> None:
        self.publish(force=True)
        self.read()

    def publish(self, *, force: bool) -> None:
        agent = self._ctx.agent
        if agent is None or self._stopped:
            return
        state = (self._pane.ticket_id, self._pane.activity())
        if not force and state == self._published:
            return
        self._published = state
        store, (ticket_id, activity) = self.store, state
        # On the side lane, after earlier publishes: waiting for the writer lock there delays
        # nothing the agent opens.
        self._ctx.runner.side_write(
            lambda: store.publish(agent.id, ticket_id, activity),
            failed=self._ignore_unavailable,
        )

    def changed(self, ticket_ids: set[int]) -> None:
        """The change feed says presence changed on these tickets."""
        wanted = set(self._visible())
        if self._pane.ticket_id is not None:
            wanted.add(self._pane.ticket_id)
        if ticket_ids & wanted:
            self.read()

    def read(self) -> None:
        if self._stopped:
            return
        open_id = self._pane.ticket_id
        wanted = set(self._visible())
        if open_id is not None:
            wanted.add(open_id)
        store = self.store
        self._ctx.runner.refresh(
            lambda: store.on_tickets(wanted),
            lambda found: self._arrived(open_id, found),
            failed=self._ignore_unavailable,
        )

    def _arrived(self, open_id: int | None, found: dict[int, list[Colleague]]) -> None:
        if self._stopped:
            return
        if open_id is not None and open_id == self._pane.ticket_id:
            self._pane.show_presence([c.describe() for c in found.get(open_id, [])])
        if self._show_marks is not None:
            self._show_marks(found)

    def _ignore_unavailable(self, error: BaseException) -> None:
        # Presence is a courtesy: while the database is away the offline banner says so.
        if not isinstance(error, DeskError):
            self._ctx.runner.report(error)
