"""The agent workstation: navigation, inbox, ticket pane and the customer history dock.

The window only wires parts together and remembers its layout; each part owns its widgets and
its calls to the store (through the task runner).
"""

from __future__ import annotations

import html

from PySide6.QtCore import QByteArray, QSize, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desk_app.core.errors import DeskError, Unavailable
from desk_app.core.views import View, ViewKind
from desk_app.store.presence import Colleague
from desk_app.store.records import AgentRecord, CustomerRecord, DepartmentRecord
from desk_app.sync.summary import ChangeSummary
from desk_app.ui.actions import WindowActions
from desk_app.ui.assign_notices import AssignNotices
from desk_app.ui.banner import Banner
from desk_app.ui.coalesce import OneInFlight
from desk_app.ui.context import DeskContext
from desk_app.ui.crash import CrashReporter
from desk_app.ui.customer_sidebar import CustomerSidebar
from desk_app.ui.empty_state import EmptyState
from desk_app.ui.inbox_model import InboxModel
from desk_app.ui.inbox_overlay import InboxOverlay
from desk_app.ui.inbox_view import InboxView
from desk_app.ui.live_sync import LiveSync
from desk_app.ui.navigation import ONCALL_KEY, SEARCH_KEY, NavigationPane, view_key
from desk_app.ui.night_view import OnCallPanel
from desk_app.ui.offline import OfflineController
from desk_app.ui.plain import plain_label, rich_label, tooltip
from desk_app.ui.plurals import english_plural
from desk_app.ui.presence import PresenceController
from desk_app.ui.reassign import Reassigner
from desk_app.ui.search_box import SearchBox
from desk_app.ui.settings import ui_settings
from desk_app.ui.shortcuts import ShortcutSheet
from desk_app.ui.sla_alerts import SlaAlerts
from desk_app.ui.sync_status import SyncStatusLabels
from desk_app.ui.ticket_pane import TicketPane
from desk_app.ui.window_menus import build_menus
from desk_app.ui.window_sizing import default_placement

# The change feed (live_sync) refreshes what colleagues change as it happens. This slow poll
# stays as a fallback for what the feed cannot see: views whose membership depends on the clock
# (an SLA about to breach) rather than on a change. It is one indexed COUNT per view.
POLL_MS = 20_000
# Commands that need the database: switched off, with the reason, while it is away.
SERVER_ACTIONS = (
    "assign",
    "status",
    "priority",
    "take",
    "solve",
    "edit_customer",
    "merge_customer",
)
# SLA countdowns tick once a second; repainting is limited to the rows on screen.
TICK_MS = 1_000
OPEN_DELAY_MS = 60  # collapses key-repeat on j/k into one ticket load
DEFAULT_VIEW = "mine"
# The banner's level while it says the inbox shows a narrowed view (a workload board drill-down).
NARROWED = "narrowed"
INBOX_SHARE = 0.5
CONVERSATION_ROOM = 80  # px over the ticket pane's minimum: four more lines of conversation
MINIMUM_SIZE = QSize(960, 600)


class MainWindow(QMainWindow):
    views_menu: QMenu  # Go → Views: made by window_menus.build_menus, filled by _started

    def __init__(self, ctx: DeskContext, crash: CrashReporter | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.crash = crash or CrashReporter(self)
        self._current_key = ""
        self._last_view_key = DEFAULT_VIEW
        # One recount at a time; asks meanwhile collapse into one more (ui/coalesce.py).
        self._counts = OneInFlight(self._count)
        self._keep_scroll: tuple[int, int] | None = None  # (ticket id, position) across a reload
        self._pending_ticket: int | None = None
        self._pending_open: int | None = None
        self._closed = False
        who = ctx.agent.display_name if ctx.agent else "nobody signed in"
        self.setWindowTitle(f"Desk — {who}")
        self.setObjectName("deskMainWindow")
        # See window_sizing: an explicit minimum is never pushed to the platform again.
        self.setMinimumSize(MINIMUM_SIZE)

        ctx.runner.known_error.connect(self._known_error)
        ctx.runner.bug.connect(self.crash.report)
        ctx.runner.busy_changed.connect(self._busy_changed)
        ctx.messages.posted.connect(self._message_posted)

        self.navigation = NavigationPane()
        self.navigation.view_chosen.connect(self.show_view)
        self.model = InboxModel(ctx)
        self.model.loaded.connect(self._page_loaded)
        # Search results show as soon as their first page is read; the total follows.
        self.model.search_total.connect(self.navigation.nav.set_search_count)
        self.inbox = InboxView()
        self.inbox.setModel(self.model)
        self.inbox.current_ticket_changed.connect(self._cursor_moved)
        self.inbox.ticket_activated.connect(self.focus_ticket)
        self.banner = Banner()
        # Deadline alerts: a tray message, or this strip where there is no system tray.
        self.sla_alerts = SlaAlerts(ctx, self.open_ticket, self)
        # "Assigned to you" notices: a strip of their own, so an SLA alert cannot hide one.
        self.notices = AssignNotices(ctx, self.open_ticket, self.show_view, self)
        # An empty view: a short line, or on a desk with nothing in it yet, the setup guide.
        self.empty_state = EmptyState(ctx, self._run_action)
        self.empty_state.hide()
        self.empty_state.guide_shown.connect(self._guide_shown)
        self.ticket_pane = TicketPane(ctx)
        self.ticket_pane.ticket_changed.connect(self.tickets_changed)
        self.ticket_pane.customer_shown.connect(self._customer_shown)
        self.ticket_pane.read_marked.connect(self._read_marked)
        self.ticket_pane.loaded.connect(self._ticket_loaded)
        self.sidebar = CustomerSidebar(ctx)
        self.sidebar.ticket_chosen.connect(self.open_ticket)
        self.sidebar.customer_changed.connect(self._customer_changed)

        self.inbox_column = inbox_column = QWidget()
        column = QVBoxLayout(inbox_column)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.offline_banner = Banner()
        self.offline_banner.setObjectName("banner")
        # The strips float over the bottom of the list (ui/inbox_overlay.py): one appearing
        # or going must never move the rows under the agent's pointer.
        self.inbox_overlay = InboxOverlay(
            inbox_column,
            self.inbox,
            [self.offline_banner, self.banner, self.sla_alerts.notice, self.notices.strip],
        )
        column.addWidget(self.inbox, 1)
        column.addWidget(self.empty_state, 1)
        self.work_splitter = QSplitter(Qt.Orientation.Vertical)
        self.work_splitter.setObjectName("workSplitter")
        self.work_splitter.setChildrenCollapsible(False)
        self.work_splitter.addWidget(inbox_column)
        self.work_splitter.addWidget(self.ticket_pane)
        self._default_split = True  # until a saved layout or the agent says otherwise
        self._opens_maximised = False  # set by _place_on_screen on a first start
        # A screenshot at 1024x700 must not become the agent's layout for the next start.
        self.saves_layout = True
        self.main_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.main_splitter.setObjectName("mainSplitter")
        self.main_splitter.setChildrenCollapsible(False)
        self.main_splitter.addWidget(self.navigation)
        self.main_splitter.addWidget(self.work_splitter)
        self.main_splitter.setStretchFactor(1, 1)
        self.main_splitter.setSizes([190, 1000])
        self.setCentralWidget(self.main_splitter)

        self.dock = QDockWidget("Customer", self)
        self.dock.setObjectName("customerDock")
        self.dock.setWidget(self.sidebar)
        self.dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetMovable
        )
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.resizeDocks([self.dock], [280], Qt.Orientation.Horizontal)

        self.search = SearchBox()
        self.search.search_requested.connect(self.run_search)
        self.search.search_cleared.connect(lambda: self.show_view(self._last_view_key))
        self.search.escape_pressed.connect(self.back_to_list)
        self.model.search_current = lambda text: not self.search.typed_past(text)
        self._build_search_corner()
        # Before the menus: Ticket → Move to… and the A key call into it.
        self.reassign = Reassigner(self)
        self.window_actions = WindowActions()
        self._build_menus()
        self._build_status_bar()
        # After the menus and status bar: the panel adds its entries and indicator to them.
        self.oncall = OnCallPanel(
            ctx,
            self,
            self.focus_ticket,
            lambda pages: self.navigation.nav.set_key_count(ONCALL_KEY, pages),
            self.window_actions,
        )

        self._open_timer = QTimer(self)
        self._open_timer.setSingleShot(True)
        self._open_timer.setInterval(OPEN_DELAY_MS)
        self._open_timer.timeout.connect(self._open_pending)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self.poll)
        self._ticks = 0
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self._tick_countdowns)
        self.live = LiveSync(ctx, self)
        self.live.changed.connect(self.apply_changes)
        self.live.counts_due.connect(self.refresh_counts)
        self.live.status_changed.connect(self._sync_status_changed)
        self.live.notices_due.connect(self.notices.check)
        self.presence = PresenceController(
            ctx, self.ticket_pane, self._visible_ticket_ids, self._show_presence, self
        )
        self.offline = OfflineController(
            ctx,
            self.offline_banner,
            self.ticket_pane,
            [self.window_actions[name] for name in SERVER_ACTIONS],
            self._reconnected,
            self,
        )
        self._restore_layout()

    def _run_action(self, name: str) -> None:
        self.window_actions[name].trigger()

    def _guide_shown(self, shown: bool) -> None:
        """The setup guide takes the room of the ticket pane, which has nothing to show."""
        self.ticket_pane.setHidden(shown)

    def _tick_countdowns(self) -> None:
        """Once a second: the countdowns on screen, and every minute the 'updated' ages."""
        self._ticks += 1
        first = max(self.inbox.rowAt(0), 0)
        last = self.inbox.rowAt(self.inbox.viewport().height() - 1)
        self.model.tick(first, last if last >= 0 else None, ages=self._ticks % 60 == 0)
        self.ticket_pane.header.tick(self.ctx.now())
        self.sync_labels.tick(self.live.status, self.ctx.now())
        self.offline.tick(self.ctx.now())

    # --- building ---------------------------------------------------------------------------

    def _build_search_corner(self) -> None:
        # The search box and who is signed in share the menu bar's row instead of a toolbar of
        # their own: one row less of chrome, one more ticket in the inbox.
        # Parented at once: PySide does not hand ownership over in setCornerWidget.
        corner = QWidget(self.menuBar())
        corner.setObjectName("menuCorner")
        row = QHBoxLayout(corner)
        row.setContentsMargins(12, 3, 8, 3)
        row.setSpacing(16)
        row.addWidget(self.search)
        agent = self.ctx.agent
        self.signed_in = rich_label(
            f"Signed in as <b>{html.escape(agent.display_name)}</b>" if agent else "Not signed in"
        )
        self.signed_in.setToolTip(tooltip(agent.email) if agent else "")
        row.addWidget(self.signed_in)
        self.menuBar().setCornerWidget(corner, Qt.Corner.TopRightCorner)

    def _build_menus(self) -> None:
        build_menus(self)

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.busy_label = plain_label("")
        self.busy_label.setObjectName("muted")
        status.addPermanentWidget(self.busy_label)
        self.sync_labels = SyncStatusLabels(status, self.ctx.queries.db.describe())

    # --- start-up ---------------------------------------------------------------------------

    def start(self, view: str | None = None, ticket: int | None = None) -> None:
        """Load who and what exists, then show the first view. Nothing here blocks."""
        queries = self.ctx.queries
        self._pending_ticket = ticket
        wanted = view or self._last_view_key

        def work() -> tuple[list[DepartmentRecord], list[AgentRecord], list[View]]:
            return queries.departments(), queries.agents(), queries.standard_views()

        # First on the runner: the feed's starting point must not come after the first loads.
        self.live.start()
        # The first page comes next, before the people, views and counts: what the agent
        # waits for. A view named by key needs no lookup; one named by department waits.
        first = view_from_key(wanted)
        if first is not None:
            self.model.show_view(first)
        self.ctx.runner.run(work, lambda result: self._started(wanted, *result))
        self._poll.start()
        self._tick.start()
        self.sla_alerts.start()
        self.presence.start()
        self.oncall.start()
        self.reassign.start()
        self.notices.start()
        # Drafts typed during an outage that ended with the app closed (or crashed).
        self.offline.push_local_drafts()

    def _started(
        self,
        wanted: str,
        departments: list[DepartmentRecord],
        agents: list[AgentRecord],
        views: list[View],
    ) -> None:
        self.ctx.departments, self.ctx.agents = departments, agents
        self.ticket_pane.set_people()
        self.navigation.nav.set_views(views, departments)
        for old in self.views_menu.actions():
            self.window_actions.forget(old.objectName())
        self.views_menu.clear()
        for number, entry in enumerate(e for e in self.navigation.nav.entries if e.view):
            action = self.views_menu.addAction(entry.label)
            key = entry.key
            action.triggered.connect(lambda _c=False, k=key: self.show_view(k))
            if number < 9:
                action.setShortcut(f"Ctrl+{number + 1}")
                self.addAction(action)
            label = self.tr("Show the view %1").replace("%1", entry.label)
            self.window_actions.register(f"view:{key}", action, label)
        key = self._resolve_view_key(wanted, departments)
        self.show_view(key, reload=self.model.view != view_from_key(key))
        if self._pending_ticket is not None:
            self.ticket_pane.open_ticket(self._pending_ticket)
        self.refresh_counts()

    def _resolve_view_key(self, wanted: str, departments: list[DepartmentRecord]) -> str:
        """Accept a view key ("mine", "department:3") or a department's name."""
        if self.navigation.nav.row_of(wanted) is not None and wanted != SEARCH_KEY:
            return wanted
        for department in departments:
            if department.name.lower() == wanted.lower():
                return f"department:{department.id}"
        return DEFAULT_VIEW

    # --- views and search -------------------------------------------------------------------

    def show_view(self, key: str, *, reload: bool = True) -> None:
        if key == SEARCH_KEY:
            text = self.search.text().strip()
            if text:
                self.run_search(text)
            else:
                self.navigation.select_key(self._current_key)
                self.search.focus_for_search()
            return
        if key == ONCALL_KEY:  # a panel beside the current view, not a view of its own
            self.navigation.select_key(self._current_key)
            self.oncall.show_panel()
            return
        entry = next((e for e in self.navigation.nav.entries if e.key == key), None)
        if entry is None or entry.view is None:
            return
        self._end_narrowing()
        self._current_key = self._last_view_key = key
        self.navigation.select_key(key)
        if reload:
            self.model.show_view(entry.view)
        self.refresh_counts()

    def show_narrowed(self, view: View, description: str, ticket_id: int | None = None) -> None:
        """A drill-down from the workload board ("Billing's breached tickets"): the view under
        its wider entry in the pane, with a note that offers the whole view again; ticket_id
        is opened in it (the oldest waiting ticket)."""
        key = view_key(view.widened())
        self.show_view(key, reload=not view.is_narrowed)
        if view.is_narrowed:
            self.model.show_view(view)
            self.banner.show_message(
                NARROWED, f"Showing {description} only.", ("Show all", lambda: self.show_view(key))
            )
        if ticket_id is not None:
            self._pending_ticket = ticket_id
            self.ticket_pane.open_ticket(ticket_id)
        self.activateWindow()  # from the board, which may sit in front of the window

    def _end_narrowing(self) -> None:
        if self.banner.property("level") == NARROWED:
            self.banner.hide()

    def run_search(self, text: str) -> None:
        self._end_narrowing()
        self._current_key = SEARCH_KEY
        self.navigation.select_key(SEARCH_KEY)
        self.model.show_search(text)

    def _page_loaded(self) -> None:
        rows = self.model.rowCount()
        if rows == 0:
            self.empty_state.show_for(self.model.search_text)
        else:
            self.ticket_pane.show()  # the setup guide may have had its room
        self.empty_state.setVisible(rows == 0)
        self.inbox.setVisible(rows > 0)
        pending = self._pending_ticket
        if pending is not None:
            row = self.model.row_of(pending)
            if row is not None:
                self._pending_ticket = None
                self.inbox.select_row(row)
        elif self.inbox.currentIndex().row() < 0 and rows and self.ticket_pane.ticket_id is None:
            self.inbox.select_row(0)

    def refresh_counts(self) -> None:
        if self.navigation.nav.views() and not self._closed:
            self._counts.ask()

    def _count(self) -> None:
        """One recount on the refresh lane: the counts beside the views follow the data, the
        agent does not wait for them."""
        views, queries = self.navigation.nav.views(), self.ctx.queries

        def done(counts: dict[View, int]) -> None:
            self.navigation.nav.set_counts(counts)
            self._counts.finished()

        def failed(error: BaseException) -> None:
            self.ctx.runner.report(error)
            self._counts.finished()

        self.ctx.runner.refresh(lambda: queries.view_counts(views), done, failed)

    def tickets_changed(self, *ticket_ids: int) -> None:
        """Something changed these tickets (us, or the change feed): repaint them in place."""
        self.model.refresh_tickets(list(ticket_ids))
        self.refresh_counts()
        if set(ticket_ids) & set(self.sidebar.ticket_ids()):
            self.sidebar.refresh()

    # --- live sync --------------------------------------------------------------------------

    def apply_changes(self, summary: ChangeSummary) -> None:
        """What colleagues (or the worker) committed: refresh only what it touched. Counts come
        separately, throttled (LiveSync.counts_due). Every refresh here is a read on the
        runner's refresh lane, at most one in flight per view or panel, so a busy worker's
        burst of changes never queues in front of what the agent opens or searches."""
        ids = summary.ticket_ids
        if ids:
            self.model.refresh_tickets(sorted(ids))
        if summary.customer_ids:
            # Rows show the customer's name; which rows belong to a customer is not known here,
            # so the rows on screen are re-read (one query).
            self._refresh_visible_rows()
        open_id = self.ticket_pane.ticket_id
        if open_id is not None and open_id in ids and self.ticket_pane.detail is not None:
            self._reload_open_ticket(open_id)
        # The customer shown now, not one a load still out was for: refreshing an earlier
        # one would put another ticket's customer beside the open ticket.
        customer = self.sidebar.customer
        if customer is not None and (
            customer.id in summary.customer_ids or ids & set(self.sidebar.ticket_ids())
        ):
            self.sidebar.refresh()
        if summary.people:
            self._reload_people()
        if summary.presence_ticket_ids:
            self.presence.changed(summary.presence_ticket_ids)
        self.oncall.changed(ids)

    def _reload_open_ticket(self, ticket_id: int) -> None:
        """Reload without touching the composer (its text stays; drafts are not re-read), and
        keep the conversation where the agent was reading unless they were at the end, where
        the new message should come into view."""
        bar = self.ticket_pane.conversation.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 4
        self._keep_scroll = None if at_end else (ticket_id, bar.value())
        self.ticket_pane.refresh()

    def _ticket_loaded(self, ticket_id: int) -> None:
        keep, self._keep_scroll = self._keep_scroll, None
        if keep is None or keep[0] != ticket_id:
            return
        bar = self.ticket_pane.conversation.verticalScrollBar()
        # Queued after the conversation's own scroll-to-end, which also waits for layout.
        QTimer.singleShot(0, lambda: bar.setValue(keep[1]))

    def _reload_people(self) -> None:
        queries = self.ctx.queries

        def done(result: tuple[list[DepartmentRecord], list[AgentRecord]]) -> None:
            self.ctx.departments, self.ctx.agents = result
            self.ticket_pane.set_people()

        self.ctx.runner.run(lambda: (queries.departments(), queries.agents()), done)

    def _sync_status_changed(self, _status: object) -> None:
        self.sync_labels.show(self.live.status, self.ctx.now())
        self.offline.status_changed(self.live.status)

    def _reconnected(self) -> None:
        """Back online: the feed has caught up; reload what may have failed meanwhile."""
        self.banner.hide()
        self._refresh_visible_rows()
        self.ticket_pane.reload()
        self.refresh_counts()

    def _show_presence(self, found: dict[int, list[Colleague]]) -> None:
        self.model.set_presence(
            {ticket: [(c.name, c.activity) for c in people] for ticket, people in found.items()}
        )

    def _visible_ticket_ids(self) -> list[int]:
        first = self.inbox.rowAt(0)
        if first < 0:
            return []
        last = self.inbox.rowAt(self.inbox.viewport().height() - 1)
        last = last if last >= 0 else self.model.rowCount() - 1
        ids = (self.model.ticket_id(row) for row in range(first, last + 1))
        return [i for i in ids if i is not None]

    def _refresh_visible_rows(self) -> None:
        ids = self._visible_ticket_ids()
        if ids:
            self.model.refresh_tickets(ids)

    def _read_marked(self, ticket_id: int) -> None:
        self.model.mark_read(ticket_id)
        self.model.refresh_tickets([ticket_id])

    def poll(self) -> None:
        self._refresh_visible_rows()
        self.refresh_counts()

    def refresh_all(self) -> None:
        self.banner.hide()
        self.model.reload()
        self.ticket_pane.reload()
        self.refresh_counts()

    # --- tickets ----------------------------------------------------------------------------

    def _cursor_moved(self, ticket_id: object) -> None:
        self._pending_open = ticket_id if isinstance(ticket_id, int) else None
        self._open_timer.start()

    def _open_pending(self) -> None:
        self.ticket_pane.open_ticket(self._pending_open)

    def open_ticket(self, ticket_id: int) -> None:
        row = self.model.row_of(ticket_id)
        if row is not None:
            self.inbox.select_row(row)
        self.ticket_pane.open_ticket(ticket_id)

    def focus_ticket(self, ticket_id: int | None) -> None:
        if ticket_id is None:
            return
        self._open_timer.stop()
        self.ticket_pane.open_ticket(ticket_id)
        self.ticket_pane.conversation.setFocus()

    def back_to_list(self) -> None:
        self.inbox.setFocus()

    def compose(self, kind: str) -> None:
        if self.ticket_pane.detail is None:
            return
        self.ticket_pane.composer.set_mode(kind)
        self.ticket_pane.composer.editor.setFocus()

    def pick(self, field: str) -> None:
        if self.ticket_pane.detail is None:
            return
        combo = self.ticket_pane.header.fields()[field]
        combo.setFocus()
        combo.showPopup()

    def _bulk(self, what: str, change: str, value: object) -> None:
        ids = self.inbox.selected_ticket_ids()
        if not ids:
            return
        service = self.ctx.service

        def work() -> list[int]:
            for ticket_id in ids:
                if change == "assign":
                    service.assign(ticket_id, agent=int(str(value)))
                else:
                    service.set_status(ticket_id, str(value))
            return ids

        def done(changed: list[int]) -> None:
            n = len(changed)
            self.ctx.messages.info(f"{what}: " + english_plural(self.tr("%n ticket(s)", "", n), n))
            self.tickets_changed(*changed)
            self.ticket_pane.reload()

        def failed(error: BaseException) -> None:
            self.ctx.runner.report(error)
            self.tickets_changed(*ids)
            self.ticket_pane.reload()

        self.ctx.runner.run(work, done, failed)

    def take_selected(self) -> None:
        self.reassign.assign_to_me()

    def solve_selected(self) -> None:
        self._bulk("Marked solved", "status", "solved")

    def _customer_shown(self, customer: object) -> None:
        record = customer if isinstance(customer, CustomerRecord) else None
        self.sidebar.show_customer(record, self.ticket_pane.ticket_id)

    def _customer_changed(self, _customer_id: int) -> None:
        self.poll()
        self.ticket_pane.reload()

    # --- messages ---------------------------------------------------------------------------

    def _known_error(self, error: object) -> None:
        text = str(error)
        if isinstance(error, Unavailable):
            self.banner.show_message("error", text, ("Retry", self.refresh_all))
        elif isinstance(error, DeskError):
            self.banner.show_message("error", text)

    def _message_posted(self, level: str, text: str) -> None:
        self.banner.show_message(level, text)

    def _busy_changed(self, busy: bool) -> None:
        self.busy_label.setText("Working…" if busy else "")

    def show_shortcuts(self) -> None:
        ShortcutSheet(self.window_actions, self).open()

    def show_about(self) -> None:
        QMessageBox.about(
            self, "About Desk", "Desk — a helpdesk workstation for customer-support agents."
        )

    def toggle_orientation(self) -> None:
        vertical = self.work_splitter.orientation() == Qt.Orientation.Vertical
        self.work_splitter.setOrientation(
            Qt.Orientation.Horizontal if vertical else Qt.Orientation.Vertical
        )
        self.window_actions["layout"].setText(
            "Ticket pane &below the list" if vertical else "Ticket pane &beside the list"
        )

    # --- layout memory ----------------------------------------------------------------------

    def _restore_layout(self) -> None:
        settings = ui_settings()
        geometry = settings.value("window/geometry")
        # Qt's restoreGeometry moves a window saved on a screen that is gone (or saved larger
        # than today's screen) back onto a current one; with nothing saved, use the screen.
        if not (isinstance(geometry, QByteArray) and self.restoreGeometry(geometry)):
            self._place_on_screen()
        for key, restore in (
            ("window/state", self.restoreState),
            ("window/mainSplitter", self.main_splitter.restoreState),
            ("window/workSplitter", self._restore_work_splitter),
            ("window/conversationSplitter", self.ticket_pane.splitter.restoreState),
            ("inbox/header", self.inbox.restore_header),
        ):
            value = settings.value(key)
            if isinstance(value, QByteArray):
                restore(value)
        last = settings.value("inbox/lastView")
        if isinstance(last, str) and last:
            self._last_view_key = last
        if self.work_splitter.orientation() == Qt.Orientation.Horizontal:
            self.window_actions["layout"].setText(self.tr("Ticket pane &below the list"))

    def _place_on_screen(self) -> None:
        """The first start: most of the screen, or all of a small one (window_sizing)."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return
        placement = default_placement(screen.availableGeometry(), self.minimumSize())
        self.setGeometry(placement.geometry)
        self._opens_maximised = placement.maximised

    def show_on_screen(self) -> None:
        """Show as placed: maximised on a small screen the first time, else as remembered
        (restoreGeometry brings back a maximised window maximised by itself)."""
        if self._opens_maximised:
            self.showMaximized()
        else:
            self.show()

    def _restore_work_splitter(self, state: QByteArray) -> bool:
        restored = self.work_splitter.restoreState(state)
        self._default_split = self._default_split and not restored
        return restored

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._default_split:
            self._default_split = False
            self.apply_default_split()

    def apply_default_split(self) -> None:
        """The inbox gets INBOX_SHARE of the height (about ten rows at 1440x900) and the ticket
        pane the rest; side by side, the list gets a bit more than half the width."""
        vertical = self.work_splitter.orientation() == Qt.Orientation.Vertical
        total = self.work_splitter.height() if vertical else self.work_splitter.width()
        share = INBOX_SHARE if vertical else 0.55
        inbox = round(total * share)
        if vertical:
            # On a short window half leaves the conversation two lines: it gets some room
            # over its minimum first, as long as the list keeps its own minimum of rows.
            list_least = self.inbox_column.minimumSizeHint().height()
            pane_least = self.ticket_pane.minimumSizeHint().height() + CONVERSATION_ROOM
            inbox = max(
                list_least, min(inbox, total - self.work_splitter.handleWidth() - pane_least)
            )
        self.work_splitter.setSizes([inbox, total - inbox])

    def save_layout(self) -> None:
        settings = ui_settings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        settings.setValue("window/mainSplitter", self.main_splitter.saveState())
        settings.setValue("window/workSplitter", self.work_splitter.saveState())
        settings.setValue("window/conversationSplitter", self.ticket_pane.splitter.saveState())
        settings.setValue("inbox/header", self.inbox.horizontalHeader().saveState())
        settings.setValue("inbox/lastView", self._last_view_key)
        settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closed:
            self._closed = True
            self._poll.stop()
            self._tick.stop()
            self.sla_alerts.stop()
            self.oncall.stop()
            # Joined here: the listener's thread must not outlive the window it reports to.
            self.live.stop()
            if self.saves_layout:
                self.save_layout()
            # Queue the last draft, then let the worker finish everything already queued.
            self.ticket_pane.flush_draft_now()
            self.presence.stop()
            self.ctx.runner.shutdown()
            self.ctx.network.shutdown(wait=False)
        super().closeEvent(event)

    @property
    def current_view_key(self) -> str:
        return self._current_key

    def is_settled(self) -> bool:
        """No database work queued or about to be: for screenshots and tests."""
        return (
            self.ctx.runner.pending == 0
            and not self._open_timer.isActive()
            and not self.model.count_due
        )


def view_from_key(key: str) -> View | None:
    """The view a key names ("mine", "department:3"), or None for anything else (a
    department's name, which needs the departments to resolve)."""
    kind, _, department = key.partition(":")
    try:
        if kind == ViewKind.DEPARTMENT:
            return View(ViewKind.DEPARTMENT, int(department))
        return View(ViewKind(kind)) if not department else None
    except ValueError:
        return None


__all__ = ["MainWindow", "view_key"]
