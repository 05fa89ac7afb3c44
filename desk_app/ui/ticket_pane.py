"""The ticket pane: header, conversation and composer for the ticket under the cursor.

Loads run on the task runner; a generation number drops answers for a ticket the agent has
already moved away from (or closed). A change made elsewhere re-reads the open ticket on the
runner's refresh lane, at most one read at a time: a busy worker changing the ticket many times a
second costs one read after another, never a queue of them. Commands carry the version that was
loaded, so a stale write becomes a banner naming what changed instead of silently overwriting a
colleague's work.

No double answers: the reply draft remembers the newest message on screen when the agent began
it (kept in the local drafts file until it is sent or discarded). A customer message or reply
that arrives after that is announced in the composer, and Send asks Send anyway / Edit /
Discard until the agent has shown it; the service is told the draft's mark, not what the window
happens to display, so a message it drew but the agent never read still stops the send.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QCursor, QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desk_app.core.attachment_safety import Risk, Verdict, judge
from desk_app.core.draft_watch import ShownMessage, arrived_since, newest, safe_seen
from desk_app.core.enums import Direction, DraftKind
from desk_app.core.errors import CollisionError, ConflictError, DeskError, Unavailable
from desk_app.core.reply_route import NoRoute
from desk_app.store.records import DraftRecord, OpResult, TicketDetail
from desk_app.sync.local_drafts import LocalDraft
from desk_app.ui.banner import Banner
from desk_app.ui.collision_bar import CollisionBar
from desk_app.ui.composer import Composer
from desk_app.ui.context import DeskContext
from desk_app.ui.conversation import ConversationView
from desk_app.ui.plain import plain_label
from desk_app.ui.plurals import english_plural
from desk_app.ui.template_picker import TicketTemplates
from desk_app.ui.ticket_header import UNASSIGNED, TicketHeader

FIELD_NAMES = {
    "status": "the status",
    "priority": "the priority",
    "department": "the department",
    "assignee": "the assignee",
}


class TicketPane(QWidget):
    ticket_changed = Signal(int)  # a command here changed this ticket
    customer_shown = Signal(object)  # CustomerRecord of the open ticket, or None
    loaded = Signal(int)
    read_marked = Signal(int)  # the store now records that this agent has seen the ticket
    activity_changed = Signal()  # what the agent does here changed (for presence)
    # ticket id, department: a move the reassignment dialog should ask about (a reason)
    move_requested = Signal(int, int)

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        # Does a move from one department to another need asking about first? The window sets
        # it from the team's rules; by default the header moves at once.
        self.asks_before_moving: Callable[[int, int], bool] = lambda _from, _to: False
        self._generation = 0
        self._loading = False  # the newest load is still out
        self._refresh_again = False  # a change arrived while it was: read once more after it
        self._ticket_id: int | None = None
        self._detail: TicketDetail | None = None
        self._busy = False
        self._offline: str | None = None  # why commands are off, while the database is away
        # The newest message the agent was shown a collision for: sending again means "anyway".
        self._acknowledged_message_id = 0
        # Where the open ticket's reply draft began (None: no reply draft yet), the news the
        # open prompt is about, and what the agent chose to answer past with Send anyway.
        self._reply_mark: int | None = None
        self._prompt_ids: tuple[int, ...] = ()
        self._sent_despite: tuple[int, ...] = ()
        self._own_ids: set[int] = set()  # what this window added to the open ticket
        self._restore_pending: int | None = None  # the ticket whose drafts a load must restore
        self._mark_pending: int | None = None  # the ticket to mark as read once it is shown
        self._files = Path(tempfile.mkdtemp(prefix="desk-attachments-"))
        # The last attachment warning and Save as… dialog (non-modal), for the agent and tests.
        self.run_warning: QMessageBox | None = None
        self.save_dialog: QFileDialog | None = None

        self.banner = Banner()
        self.header = TicketHeader()
        self.header.change_requested.connect(self._field_changed)
        self.conversation = ConversationView(ctx.network)
        self.conversation.attachment_clicked.connect(self._attachment_clicked)
        self.conversation.retry_clicked.connect(self.retry_delivery)
        self.composer = Composer()
        self.composer.send_requested.connect(self._send)
        self.composer.draft_changed.connect(self._save_draft)
        self.composer.text_started.connect(self._draft_started)
        self.composer.text_emptied.connect(self._draft_emptied)
        self.composer.show_new_requested.connect(self.show_new_messages)
        self.composer.use_templates(TicketTemplates(ctx, lambda: self._ticket_id))
        self.collision = CollisionBar()
        self.collision.send_anyway.connect(self._send_anyway)
        self.collision.edit.connect(self._edit_after_prompt)
        self.collision.discard.connect(self._discard_after_collision)
        self.presence_label = plain_label("")
        self.presence_label.setObjectName("presence")
        self.presence_label.hide()
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("conversationSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.conversation)
        self.splitter.addWidget(self.composer)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)

        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.header)
        column.addWidget(self.presence_label)
        column.addWidget(self.banner)
        column.addWidget(self.splitter, 1)
        column.addWidget(self.collision)
        self.placeholder = plain_label("Select a ticket to read the conversation.")
        self.placeholder.setObjectName("muted")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

    # --- loading ----------------------------------------------------------------------------

    @property
    def ticket_id(self) -> int | None:
        return self._ticket_id

    @property
    def detail(self) -> TicketDetail | None:
        return self._detail

    def set_people(self) -> None:
        self.header.set_people(self._ctx.departments, self._ctx.agents)

    def open_ticket(self, ticket_id: int | None) -> None:
        if ticket_id == self._ticket_id and self._detail is not None:
            return
        self.composer.flush_draft()
        self.banner.hide()
        self.collision.hide()
        self.show_presence([])
        self._acknowledged_message_id = 0
        self._reply_mark = None
        self._prompt_ids = self._sent_despite = ()
        self._own_ids = set()
        self._ticket_id = ticket_id
        self.activity_changed.emit()
        if ticket_id is None:
            self._generation += 1  # a load still out for the previous ticket is dropped
            self._loading = self._refresh_again = False
            self._mark_pending = None
            self._detail = None
            self.stack.setCurrentIndex(0)
            self.customer_shown.emit(None)
            return
        self._mark_pending = ticket_id
        self._load(ticket_id, restore_drafts=True)

    def _mark_read(self, detail: TicketDetail) -> None:
        # Marked once shown, up to the newest customer message shown: a customer message that
        # the load did not show (or that lands later) keeps the ticket unread. Not before the
        # load, and on the side lane: a write waits for the database's writer lock, which a
        # busy worker holds often, and the agent's next open would wait for it too.
        if self._ctx.agent is None:
            return
        ticket_id, service = detail.id, self._ctx.service
        seen = max(
            (m.created_at for m in detail.messages if m.direction == Direction.INBOUND),
            default=detail.created_at,
        )
        self._ctx.runner.side_write(
            lambda: service.mark_read(ticket_id, seen_until=seen),
            lambda _none: self.read_marked.emit(ticket_id),
        )

    def reload(self) -> None:
        if self._ticket_id is not None:
            self._load(self._ticket_id, restore_drafts=False)

    def refresh(self) -> None:
        """The open ticket changed elsewhere: read it again on the refresh lane, or once the
        load still out is in (it may predate the change)."""
        if self._ticket_id is None:
            return
        if self._loading:
            self._refresh_again = True
            return
        self._load(self._ticket_id, restore_drafts=False, refresh=True)

    def _load(self, ticket_id: int, *, restore_drafts: bool, refresh: bool = False) -> None:
        # A reload (a live change) that overtakes the opening load drops the latter's answer:
        # it must then restore the drafts itself, or the composer keeps the previous ticket's.
        restore_drafts = restore_drafts or self._restore_pending == ticket_id
        self._restore_pending = ticket_id if restore_drafts else None
        self._generation += 1
        # Read after whatever asked for a refresh so far: it covers those asks.
        self._loading, self._refresh_again = True, False
        generation, queries = self._generation, self._ctx.queries

        def work() -> tuple[TicketDetail, list[DraftRecord]]:
            return queries.ticket(ticket_id), queries.drafts(ticket_id) if restore_drafts else []

        submit = self._ctx.runner.refresh if refresh else self._ctx.runner.run
        submit(
            work,
            lambda result: self._arrived(generation, restore_drafts, *result),
            lambda error: self._load_failed(generation, error),
        )

    def _arrived(
        self, generation: int, restore: bool, detail: TicketDetail, drafts: list[DraftRecord]
    ) -> None:
        if generation != self._generation:
            return
        self._loading = False
        if restore:
            self._restore_pending = None
        self._detail = detail
        now = self._ctx.now()
        self.header.show_ticket(detail, self._ctx.time_zone, now)
        self.header.set_editable(not self._busy)
        self.conversation.show_ticket(detail, self._ctx.time_zone, now)
        if restore:
            name = detail.customer.name or (detail.customer.emails or [""])[0]
            restored = self._with_local_drafts(detail.id, drafts)
            self.composer.load(name, restored)
            if restored.get(DraftKind.REPLY.value, "").strip():
                self._restore_reply_mark(detail.id)
        self.composer.set_reply_warning(self._no_route_text(detail.reply_route))
        self._update_news()
        self.stack.setCurrentIndex(1)
        self.customer_shown.emit(detail.customer)
        self.loaded.emit(detail.id)
        if self._mark_pending == detail.id:
            self._mark_pending = None
            self._mark_read(detail)
        if self._refresh_again:
            self.refresh()

    def _load_failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self._loading = self._refresh_again = False
        if isinstance(error, DeskError):
            self.banner.show_message("error", str(error), ("Retry", self.reload))
            return
        self._ctx.runner.report(error)

    # --- commands ---------------------------------------------------------------------------

    def _run_command(
        self,
        what: str,
        work: Callable[[], OpResult],
        done: Callable[[OpResult], None] | None = None,
        failed: Callable[[], None] | None = None,
        collided: Callable[[CollisionError], None] | None = None,
    ) -> None:
        """Run a ticket command; whatever happens, show the ticket as it now is."""
        ticket_id = self._ticket_id
        if ticket_id is None:
            return
        self._set_busy(True)

        def succeeded(result: OpResult) -> None:
            self._set_busy(False)
            if done is not None:
                done(result)
            self.ticket_changed.emit(ticket_id)
            if self._ticket_id == ticket_id:
                self.reload()

        def went_wrong(error: BaseException) -> None:
            self._set_busy(False)
            if failed is not None:
                failed()
            if isinstance(error, CollisionError) and collided is not None:
                collided(error)
            elif isinstance(error, ConflictError):
                self.banner.show_message(
                    "warning", f"Could not {what}: someone else changed this ticket first. {error}"
                )
                self.ticket_changed.emit(ticket_id)
            elif isinstance(error, DeskError):
                self.banner.show_message("error", f"Could not {what}: {error}")
            else:
                self._ctx.runner.report(error)
            if self._ticket_id == ticket_id:
                self.reload()

        self._ctx.runner.run(work, succeeded, went_wrong)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.header.set_editable(not busy and self._offline is None)
        self.composer.set_busy(busy)
        if not busy and self._offline is not None:
            self.composer.send_button.setEnabled(False)

    def set_offline(self, reason: str | None) -> None:
        """While the database is away: reading and typing go on, commands wait with a reason."""
        self._offline = reason
        self.header.set_editable(reason is None and not self._busy)
        self.header.setToolTip(reason or "")
        self.composer.send_button.setEnabled(reason is None and not self._busy)
        self.composer.send_button.setToolTip(reason or "Send (Ctrl+Enter)")
        if reason is not None:
            self.composer.draft_state.setText(
                self.tr("Drafts are kept on this computer while offline")
            )

    # --- presence ---------------------------------------------------------------------------

    def activity(self) -> str | None:
        """What to tell colleagues: replying once a reply has text, else viewing."""
        if self._ticket_id is None:
            return None
        replying = self.composer.kind == DraftKind.REPLY and self.composer.text().strip()
        return "replying" if replying else "viewing"

    def show_presence(self, phrases: list[str]) -> None:
        """'Anna Ivanova is replying' above the conversation, or nothing."""
        self.presence_label.setText(" · ".join(phrases))
        self.presence_label.setVisible(bool(phrases))

    def _field_changed(self, field: str, value: object) -> None:
        detail = self._detail
        if detail is None:
            return
        if self._offline is not None:
            self.banner.show_message("warning", self._offline)
            self.header.show_ticket(detail, self._ctx.time_zone, self._ctx.now())
            return
        service, version, ticket_id = self._ctx.service, detail.version, detail.id
        current = {
            "status": detail.status,
            "priority": detail.priority,
            "department": detail.department_id,
            "assignee": detail.assignee_id or UNASSIGNED,
        }[field]
        if value == current:
            return
        work: Callable[[], OpResult]
        if field == "status":
            work = lambda: service.set_status(ticket_id, str(value), expected_version=version)  # noqa: E731
        elif field == "priority":
            work = lambda: service.set_priority(ticket_id, str(value), expected_version=version)  # noqa: E731
        elif field == "department":
            if value is None:
                self.banner.show_message("warning", "A ticket cannot be moved out of departments.")
                self.header.show_ticket(detail, self._ctx.time_zone, self._ctx.now())
                return
            department = int(str(value))
            moving_from = detail.department_id
            if moving_from is not None and self.asks_before_moving(moving_from, department):
                # The combo goes back to where the ticket is until the dialog has moved it.
                self.header.show_ticket(detail, self._ctx.time_zone, self._ctx.now())
                self.move_requested.emit(ticket_id, department)
                return
            work = lambda: service.assign(  # noqa: E731
                ticket_id, department=department, expected_version=version
            )
        elif value == UNASSIGNED:
            work = lambda: service.assign(ticket_id, unassign=True, expected_version=version)  # noqa: E731
        else:
            agent = int(str(value))
            work = lambda: service.assign(ticket_id, agent=agent, expected_version=version)  # noqa: E731
        self._run_command(f"change {FIELD_NAMES[field]}", work)

    def change_field(self, field: str, value: object) -> None:
        """For bulk actions and tests: the same path a combo box takes."""
        self._field_changed(field, value)

    def _send(self, kind: str, body: str, status_after: object) -> None:
        detail = self._detail
        if detail is None or self._busy:
            return
        if self._offline is not None:
            # The text stays in the composer and on disk until the server is back.
            self._save_draft(kind, body)
            self.banner.show_message("warning", f"Not sent: {self._offline}")
            return
        if kind == DraftKind.REPLY and detail.reply_route is not None:
            # Queued, it would only sit there until the worker failed it. The text is kept as
            # the draft (the send had stopped the draft timer) and stays in the composer.
            self._save_draft(kind, body)
            self.composer.draft_state.setText(self.tr("Kept as a draft"))
            why = self._no_route_text(detail.reply_route)
            self.banner.show_message(
                "warning", self.tr("Not sent: {why} The reply is kept as a draft.").format(why=why)
            )
            return
        service, ticket_id = self._ctx.service, detail.id
        after = str(status_after) if status_after else None
        # Not the ticket version: a colleague changing the priority must not block a reply;
        # a message added since the agent last looked must (see Service.reply).
        if kind == DraftKind.NOTE:
            seen = max([m.id for m in detail.messages] + [self._acknowledged_message_id])
            work: Callable[[], OpResult] = lambda: service.add_note(  # noqa: E731
                ticket_id, body, seen_message_id=seen
            )
        else:
            if self._reply_mark is None:
                self._set_reply_mark(newest(self._shown()))
            mark = self._reply_mark if self._reply_mark is not None else 0
            news = arrived_since(self._shown(), mark)
            if news:
                # Nothing is queued while the agent decides.
                self._ask_about(news, after)
                return
            seen = safe_seen(self._shown(), mark, self._own_ids)
            template_ids = self.composer.template_ids(kind)
            despite, self._sent_despite = self._sent_despite, ()
            work = lambda: service.reply(  # noqa: E731
                ticket_id,
                body,
                status_after=after,
                seen_message_id=seen,
                template_ids=template_ids,
                sent_despite=despite,
            )
        self.collision.hide()
        # Show it at once; the stored message replaces it when the reload arrives.
        self.conversation.add_pending(kind, body)
        agent = self._ctx.agent

        def sent(result: OpResult) -> None:
            if result.message_id is not None and self._ticket_id == ticket_id:
                self._own_ids.add(result.message_id)
            self.composer.clear_sent(kind)
            if agent is not None:
                self._ctx.local_drafts.forget(ticket_id, agent.id, kind)
            if kind == DraftKind.REPLY and self._ticket_id == ticket_id:
                self._reply_mark = None
                self._update_news()
            self.activity_changed.emit()

        def not_sent() -> None:
            # Whatever went wrong, the text is kept: the composer still shows it and it is saved
            # as the draft (the send had stopped the draft timer).
            self.conversation.drop_pending()
            self._save_draft(kind, body)

        self._run_command(
            "add the note" if kind == DraftKind.NOTE else "send the reply",
            work,
            done=sent,
            failed=not_sent,
            collided=lambda error: self._collided(kind, after, error),
        )

    def _no_route_text(self, route: NoRoute | None) -> str:
        """Why a reply cannot be sent, and what to do about it ("" when it can)."""
        if route is None:
            return ""
        if route is NoRoute.NO_ACCOUNT:
            return self.tr(
                "No mail account can send replies: an administrator adds one with the command "
                "“desk account add”."
            )
        if route is NoRoute.UNREADABLE_ADDRESS:
            return self.tr(
                "The customer's e-mail address could not be read: add it in the customer's details."
            )
        return self.tr("The customer has no e-mail address: add one in the customer's details.")

    def _collided(self, kind: str, status_after: str | None, error: CollisionError) -> None:
        """Something new arrived that the window had not shown yet: the reload (already under
        way) shows it; the text stays in the composer until they choose."""
        self._acknowledged_message_id = max(error.new_message_ids)
        self._prompt_ids = tuple(error.new_message_ids)
        self.collision.ask(kind, status_after, str(error))

    def _ask_about(self, news: list[int], status_after: str | None) -> None:
        """Send was pressed with news the agent has not shown: ask before anything goes."""
        self._prompt_ids = tuple(news)
        count = len(news)
        text = self.tr(
            "%n new message(s) arrived while you were writing. Nothing was sent: read "
            "them, then send anyway, edit or discard.",
            "",
            count,
        )
        self.collision.ask(DraftKind.REPLY.value, status_after, english_plural(text, count))

    @property
    def asking(self) -> bool:
        """The Send anyway / Edit / Discard question is open."""
        return self.collision.isVisible()

    def _send_anyway(self, kind: str, status_after: object) -> None:
        if kind == DraftKind.REPLY and self._prompt_ids:
            # The agent answers past exactly what they were told about; anything newer
            # still stops the send (and asks again).
            self._sent_despite = self._prompt_ids
            self._set_reply_mark(max([*self._prompt_ids, self._reply_mark or 0]))
        self._prompt_ids = ()
        self.composer.set_mode(kind)
        self.composer.send(str(status_after) if status_after else None)

    def _edit_after_prompt(self) -> None:
        self._prompt_ids = ()
        self.composer.editor.setFocus()

    def _discard_after_collision(self, kind: str) -> None:
        ticket_id, agent = self._ticket_id, self._ctx.agent
        self._prompt_ids = self._sent_despite = ()
        self.composer.clear_sent(kind)
        if kind == DraftKind.REPLY:
            self._reply_mark = None
            self._update_news()
        if ticket_id is not None and agent is not None:
            self._ctx.local_drafts.forget(ticket_id, agent.id, kind)
            service = self._ctx.service
            self._ctx.runner.run(lambda: service.discard_draft(ticket_id, kind))
        self.activity_changed.emit()

    # --- news while writing ---------------------------------------------------------------

    def _shown(self) -> list[ShownMessage]:
        detail = self._detail
        return [] if detail is None else [ShownMessage(m.id, m.direction) for m in detail.messages]

    def _set_reply_mark(self, message_id: int) -> None:
        self._reply_mark = message_id
        ticket_id, agent = self._ticket_id, self._ctx.agent
        if ticket_id is not None and agent is not None:
            self._ctx.local_drafts.remember_start(
                ticket_id, agent.id, DraftKind.REPLY.value, message_id
            )
        self._update_news()

    def _restore_reply_mark(self, ticket_id: int) -> None:
        """A saved reply draft began where this computer noted it; a draft that only the
        database had (written on another computer) begins with what is on screen now."""
        agent = self._ctx.agent
        start = None
        if agent is not None:
            start = self._ctx.local_drafts.start_of(ticket_id, agent.id, DraftKind.REPLY.value)
        if start is None:
            self._set_reply_mark(newest(self._shown()))
        else:
            self._reply_mark = start

    def _draft_started(self, kind: str) -> None:
        if kind == DraftKind.REPLY and self._reply_mark is None and self._detail is not None:
            self._set_reply_mark(newest(self._shown()))

    def _draft_emptied(self, kind: str) -> None:
        # An emptied draft is no draft; but news not yet shown stays news.
        if kind != DraftKind.REPLY or self._reply_mark is None:
            return
        if arrived_since(self._shown(), self._reply_mark):
            return
        self._reply_mark = None
        ticket_id, agent = self._ticket_id, self._ctx.agent
        if ticket_id is not None and agent is not None:
            self._ctx.local_drafts.forget_start(ticket_id, agent.id, DraftKind.REPLY.value)

    def new_message_ids(self) -> list[int]:
        """What arrived since the reply draft began and the agent has not shown."""
        if self._reply_mark is None:
            return []
        return arrived_since(self._shown(), self._reply_mark)

    def _update_news(self) -> None:
        self.composer.set_new_messages(len(self.new_message_ids()))

    def show_new_messages(self) -> None:
        """Show: scroll to the news, highlight it, and count it as read by this draft."""
        news = self.new_message_ids()
        if not news:
            return
        self.conversation.highlight_messages(news)
        self._set_reply_mark(max(news))
        if self._prompt_ids and max(self._prompt_ids) <= max(news):
            # The question was about these: now read, a Send goes without asking.
            self._prompt_ids = ()
            self.collision.hide()

    # --- drafts -----------------------------------------------------------------------------

    def _with_local_drafts(self, ticket_id: int, stored: list[DraftRecord]) -> dict[str, str]:
        """The database's drafts, overridden by any this computer holds that it never got."""
        drafts = {d.kind: d.body for d in stored}
        if self._ctx.agent is not None:
            for kind in (DraftKind.REPLY.value, DraftKind.NOTE.value):
                local = self._ctx.local_drafts.get(ticket_id, self._ctx.agent.id, kind)
                if local is not None:
                    drafts[kind] = local.body
        return drafts

    def _save_draft(self, kind: str, body: str) -> None:
        """On disk here first, then in the database; the local copy goes once the database
        has the same text. Offline, the local copy is what survives."""
        ticket_id, agent = self._ticket_id, self._ctx.agent
        if ticket_id is None or agent is None:
            return
        local = self._ctx.local_drafts
        local.save(LocalDraft(ticket_id, agent.id, kind, body, self._ctx.now()))
        self.activity_changed.emit()
        service = self._ctx.service

        def work() -> None:
            service.save_draft(ticket_id, kind, body)
            local.confirmed(ticket_id, agent.id, kind, body)

        def kept_locally(error: BaseException) -> None:
            if isinstance(error, Unavailable):
                self.composer.draft_state.setText(self.tr("Draft kept on this computer (offline)"))
            elif isinstance(error, DeskError):
                self.banner.show_message("error", f"Could not save the draft: {error}")
            else:
                self._ctx.runner.report(error)

        self._ctx.runner.run(work, failed=kept_locally)

    def flush_draft_now(self) -> None:
        """On close: the draft must be in the database before the process ends."""
        self.composer.flush_draft()

    def retry_delivery(self, message_id: int) -> None:
        """The failed reply's Retry link: queue it again (same text and Message-ID)."""
        service = self._ctx.service
        ticket_id = self._ticket_id
        if ticket_id is None:
            return
        self._run_command(
            "retry the reply",
            lambda: service.retry_replies(ticket_id, message_id=message_id),
        )

    # --- attachments ------------------------------------------------------------------------

    def _attachment_clicked(self, attachment_id: int, filename: str) -> None:
        menu = QMenu(self)
        menu.addAction(self.tr("Open"), lambda: self.open_attachment(attachment_id))
        menu.addAction(self.tr("Save as…"), lambda: self._save_attachment(attachment_id, filename))
        menu.popup(QCursor.pos())

    def open_attachment(self, attachment_id: int) -> None:
        """Hand the file to the desktop's opener, unless it can run: then only Save as…"""
        queries, folder = self._ctx.queries, self._files

        def work() -> tuple[str, Verdict, Path | None]:
            record, content = queries.attachment(attachment_id)
            verdict = judge(record.filename, content)
            if not verdict.safe:
                return record.filename, verdict, None  # not even written where it could run
            # Only the base name: a crafted filename must not write outside the folder.
            target = folder / f"{record.id}-{Path(record.filename).name or 'attachment'}"
            target.write_bytes(content)
            return record.filename, verdict, target

        def show(result: tuple[str, Verdict, Path | None]) -> None:
            filename, verdict, path = result
            if path is None:
                self._warn_runnable(attachment_id, filename, verdict)
                return
            QDesktopServices.openUrl(QUrl.fromLocalFile(path))

        self._ctx.runner.run(work, show)

    def _warn_runnable(self, attachment_id: int, filename: str, verdict: Verdict) -> None:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Desk will not open this file"))
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(
            self.tr(
                "This file can run programs on your computer; Desk will not open it. "
                "Save it and scan it first."
            )
        )
        box.setInformativeText(f"{filename}\n{self._risk_text(verdict)}")
        # The informative text carries the customer's file name: never rich text.
        for label in box.findChildren(QLabel):
            label.setTextFormat(Qt.TextFormat.PlainText)
        save = box.addButton(self.tr("Save as…"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        save.clicked.connect(lambda: self._save_attachment(attachment_id, filename))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.run_warning = box
        box.open()

    def _risk_text(self, verdict: Verdict) -> str:
        if verdict.risk == Risk.HIDDEN_NAME:
            return self.tr("Its name hides its real type behind direction marks.")
        if verdict.risk in (Risk.MACRO_NAME, Risk.MACRO_CONTENT):
            return self.tr("It is an Office document with macros ({0}).").format(verdict.detail)
        if verdict.risk == Risk.RUNNABLE_NAME:
            return self.tr("Files ending in {0} run programs.").format(verdict.detail)
        return self.tr("Its content is a program or launcher ({0}).").format(verdict.detail)

    def _save_attachment(self, attachment_id: int, filename: str) -> None:
        """Save as…, without blocking the window (an open dialog must not stop live updates)."""
        dialog = QFileDialog(self, self.tr("Save attachment"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        # Only the base name: a crafted filename must not point the dialog elsewhere.
        dialog.selectFile(Path(filename.replace("\\", "/")).name)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda target: self._write_attachment(attachment_id, target))
        self.save_dialog = dialog
        dialog.open()

    def _write_attachment(self, attachment_id: int, target: str) -> None:
        if not target:
            return
        queries = self._ctx.queries

        def work() -> None:
            Path(target).write_bytes(queries.attachment(attachment_id)[1])

        self._ctx.runner.run(work, lambda _r: self._ctx.messages.info(f"Saved {target}"))
