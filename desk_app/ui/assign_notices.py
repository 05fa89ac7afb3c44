"""Assignment notices in the window: "#42 Refund was assigned to you by Lena Lead: billing".

The assigning transaction writes the notice (store.notifications) and a change-log row, so the
change feed says when to look (LiveSync.notices_due): nothing here polls. The newest unread
notice shows in a message strip above the inbox (the same Banner the window's other messages
use), with Open (the ticket, or the list a bulk move went to) and dismiss.

Opening or dismissing marks a notice read. Notices to the agent have a read mark in the
database; notices to a department have none (one row is shared by all its members), so this
desktop remembers, per database and agent, up to when it has shown them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from desk_app.store.notifications import NotificationRecord, NotificationStore
from desk_app.sync.local_drafts import database_key
from desk_app.ui.banner import Banner
from desk_app.ui.context import DeskContext
from desk_app.ui.plain import tooltip
from desk_app.ui.settings import ui_settings

KIND = "assigned"


class AssignNotices(QObject):
    shown = Signal(list)  # the notices now on the strip (empty: none), for tests

    def __init__(
        self,
        ctx: DeskContext,
        open_ticket: Callable[[int], None],
        show_view: Callable[[str], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._open_ticket = open_ticket
        self._show_view = show_view
        self.strip = Banner()
        self.strip.setAccessibleName("Assignment notices")
        self.strip.dismissed.connect(self.dismiss)
        self.notices: list[NotificationRecord] = []  # on the strip, oldest first
        self._handled: set[int] = set()  # opened or dismissed here (the read mark may lag)
        self._seen_shared: list[datetime] = []  # when the department notices handled were made
        self._since: datetime | None = None
        self._checking = False
        self._again = False
        agent = ctx.agent
        self._key = (
            f"assignNotices/{database_key(ctx.queries.db.url)}/{agent.id}/departmentsSince"
            if agent is not None
            else ""
        )

    def start(self) -> None:
        """Read what arrived since this desktop last showed notices (the first time: from now
        on, not a department's whole history)."""
        if self.ctx.agent is None:
            return
        stored = ui_settings().value(self._key)
        try:
            self._since = datetime.fromisoformat(stored) if isinstance(stored, str) else None
        except ValueError:
            self._since = None
        if self._since is None:
            self._remember_since(self.ctx.now())
        self.check()

    def check(self) -> None:
        """Read the unread notices (the change feed reported one, or at start)."""
        agent = self.ctx.agent
        if agent is None:
            return
        if self._checking:
            self._again = True  # the running read may predate the notice that asked for this
            return
        self._checking = True
        store, since = NotificationStore(self.ctx.queries.db, self.ctx.clock), self._since

        def finished() -> None:
            self._checking = False
            if self._again:
                self._again = False
                self.check()

        def done(unread: list[NotificationRecord]) -> None:
            finished()
            self._show([n for n in unread if self._wanted(n)])

        def failed(error: BaseException) -> None:
            finished()
            self.ctx.runner.report(error)

        self.ctx.runner.run(lambda: store.unread(agent.id, since=since), done, failed)

    def _wanted(self, notice: NotificationRecord) -> bool:
        if notice.kind != KIND or notice.id in self._handled:
            return False
        agent = self.ctx.agent
        if notice.agent_id is None and agent is not None:
            # A move the agent made into their own department tells the department, them
            # included; the notice does not record who acted, only its words do.
            # ("… by NAME" or "… by NAME: reason", as Service._notify_assigned writes it)
            by_me = f" by {agent.display_name}"
            return not (notice.text.endswith(by_me) or f"{by_me}: " in notice.text)
        return True

    def _show(self, notices: list[NotificationRecord]) -> None:
        self.notices = notices
        if not notices:
            self.strip.hide()
            self.shown.emit([])
            return
        newest = notices[-1]
        text = newest.text
        if len(notices) > 1:
            text += " — " + self.tr("and %n more", "", len(notices) - 1)
        self.strip.show_message("info", text, ("Open", lambda: self.open(newest)), fades=False)
        self.strip.label.setToolTip(tooltip("\n".join(n.text for n in reversed(notices))))
        self.shown.emit(list(notices))

    def open(self, notice: NotificationRecord) -> None:
        """Open what the notice is about and count it as read; the others stay on the strip."""
        if notice.ticket_id is not None:
            self._open_ticket(notice.ticket_id)
        elif notice.agent_id is not None:
            self._show_view("mine")
        elif notice.department_id is not None:
            self._show_view(f"department:{notice.department_id}")
        self._mark_read([notice])
        self._show([n for n in self.notices if n.id != notice.id])

    def dismiss(self) -> None:
        """The strip's ✕: everything it stood for is read."""
        notices, self.notices = self.notices, []
        self._mark_read(notices)
        self.shown.emit([])

    def _mark_read(self, notices: list[NotificationRecord]) -> None:
        agent = self.ctx.agent
        if agent is None or not notices:
            return
        self._handled.update(n.id for n in notices)
        own = [n.id for n in notices if n.agent_id is not None]
        if own:
            store = NotificationStore(self.ctx.queries.db, self.ctx.clock)
            self.ctx.runner.run(lambda: store.mark_read(agent.id, own))
        self._seen_shared.extend(n.created_at for n in notices if n.agent_id is None)
        if not self._seen_shared:
            return
        # Only as far as every department notice up to then has been seen: an older one still
        # on the strip must come back after a restart (the store reads after `since`).
        seen_until = max(self._seen_shared)
        waiting = [
            n.created_at for n in self.notices if n.agent_id is None and n.id not in self._handled
        ]
        if waiting:
            seen_until = min(seen_until, min(waiting) - timedelta(microseconds=1))
        if self._since is None or seen_until > self._since:
            self._remember_since(seen_until)

    def _remember_since(self, at: datetime) -> None:
        self._since = at
        settings = ui_settings()
        settings.setValue(self._key, at.isoformat())
        settings.sync()
