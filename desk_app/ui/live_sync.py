"""The change feed in the window: the listener's callbacks brought to the GUI thread, batched.

The listener runs on a thread of its own; this object lives on the GUI thread, so signals
emitted from the listener are queued onto it by Qt. Bursts are coalesced: rows and the open
ticket are refreshed at most every ROWS_MS, view counts at most every COUNTS_MS, so a colleague's
bulk action of 200 tickets costs a handful of queries, not 200.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from desk_app.store.change_feed import Change, ChangeReader
from desk_app.store.notifications import ENTITY as NOTIFICATION_ENTITY
from desk_app.sync import SyncStatus
from desk_app.sync.summary import ChangeSummary
from desk_app.ui.context import DeskContext

if TYPE_CHECKING:
    from desk_app.sync.listener import ChangeListener

ROWS_MS = 50
COUNTS_MS = 250  # at most four recounts a second


class LiveSync(QObject):
    changed = Signal(object)  # ChangeSummary, on the GUI thread, coalesced
    counts_due = Signal()
    notices_due = Signal()  # a notice (store.notifications) was written: read the unread ones
    status_changed = Signal(object)  # SyncStatus
    # Emitted from the listener's thread; connected to slots of this object, so Qt queues them.
    _batch = Signal(object)
    _status = Signal(object)

    def __init__(self, ctx: DeskContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._listener: ChangeListener | None = None
        self._stopped = False
        self._pending = ChangeSummary()
        self._notices = False
        self._batch.connect(self._received)
        self._status.connect(self.status_changed)
        self._rows_timer = QTimer(self)
        self._rows_timer.setSingleShot(True)
        self._rows_timer.setInterval(ROWS_MS)
        self._rows_timer.timeout.connect(self._flush)
        self._counts_timer = QTimer(self)
        self._counts_timer.setSingleShot(True)
        self._counts_timer.setInterval(COUNTS_MS)
        self._counts_timer.timeout.connect(self.counts_due)

    @property
    def listener(self) -> ChangeListener | None:
        return self._listener

    @property
    def status(self) -> SyncStatus | None:
        return None if self._listener is None else self._listener.status

    def start(self) -> None:
        """Fix the feed's starting point on the task runner, ahead of the window's first loads
        (the runner keeps order), so nothing committed between the two can fall in a gap."""
        db = self._ctx.queries.db
        self._ctx.runner.run(
            lambda: ChangeReader(db),
            self._start_listener,
            # Database away at start-up: the listener makes its reader once it gets through.
            lambda _error: self._start_listener(None),
        )

    def _start_listener(self, reader: ChangeReader | None) -> None:
        # The listener's module (psycopg with it) is imported on the task runner, queued behind
        # the first page: the reader already fixed where the feed starts, so nothing is missed
        # while the inbox paints first.
        def load() -> type[ChangeListener]:
            from desk_app.sync.listener import ChangeListener

            return ChangeListener

        self._ctx.runner.run(load, lambda listener: self._listen(listener, reader))

    def _listen(self, listener: type[ChangeListener], reader: ChangeReader | None) -> None:
        if self._stopped or self._listener is not None:
            return
        self._listener = listener(
            self._ctx.queries.db,
            self._batch.emit,
            on_status=self._status.emit,
            reader=reader,
            clock=self._ctx.clock,
        )
        self._listener.start()

    def stop(self) -> None:
        """Stop and join the listener thread; nothing is emitted after this returns."""
        self._stopped = True
        self._rows_timer.stop()
        self._counts_timer.stop()
        if self._listener is not None:
            self._listener.stop()

    def wake(self) -> None:
        if self._listener is not None:
            self._listener.wake()

    def _received(self, changes: list[Change]) -> None:
        if self._stopped:
            return
        summary = ChangeSummary.of(changes)
        self._pending.merge(summary)
        self._notices = self._notices or any(c.entity == NOTIFICATION_ENTITY for c in changes)
        if not self._rows_timer.isActive():
            self._rows_timer.start()
        # Throttle, not debounce: a steady stream still recounts four times a second.
        if summary.counts and not self._counts_timer.isActive():
            self._counts_timer.start()

    def _flush(self) -> None:
        summary, self._pending = self._pending, ChangeSummary()
        notices, self._notices = self._notices, False
        if summary:
            self.changed.emit(summary)
        if notices:
            self.notices_due.emit()
