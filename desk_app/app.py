"""Composition root: builds the store objects, the task runner and the main window. No logic of
its own beyond choosing who is signed in and, for screenshots, when the window is ready."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from desk_app import launch
from desk_app.core.errors import DeskError, NotFound, PermissionDenied, UsageError
from desk_app.logs import configure_logging
from desk_app.store import Database, Queries, Service
from desk_app.store.credentials import current_agent_for_connection
from desk_app.store.records import AgentRecord
from desk_app.ui.context import DeskContext
from desk_app.ui.crash import CrashReporter
from desk_app.ui.main_window import MainWindow
from desk_app.ui.messages import MessageBridge
from desk_app.ui.settings import APPLICATION, ORGANISATION
from desk_app.ui.styles import configure_fonts
from desk_app.ui.tasks import TaskRunner
from desk_app.ui.theme import apply_theme

if TYPE_CHECKING:
    from desk_app.ui.mail_sync import MailSync

log = logging.getLogger("desk")

SCREENSHOT_TIMEOUT_S = 30.0
# SQLite's page cache per connection in the window (the store's default is 64 MB, for bulk
# work): reading pages of 100 rows gains little from more, and scrolling through 100k tickets
# would otherwise fill it and hold about 60 MB more at the peak.
WINDOW_SQLITE_CACHE_MB = 16
# Mail sync starts this long after the window was shown: the agent's first look at the inbox
# (a fraction of a second) comes first, mail can wait a moment.
MAIL_START_DELAY_MS = 2_000

# Runs in place of the event loop (the UI benchmark measures in it); returns the exit code.
GuiSession = Callable[[QApplication, MainWindow], int]


def run_gui(
    database_url: str,
    agent_email: str | None,
    *,
    screenshot: Path | None = None,
    size: tuple[int, int] = (1440, 900),
    view: str | None = None,
    ticket: int | None = None,
    panel: str | None = None,
    session: GuiSession | None = None,
) -> int:
    """Open the workstation (or render it to `screenshot` and exit); returns the exit code."""
    if screenshot is not None:
        # Decided before the QApplication exists; a screenshot never needs a display.
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    configure_logging()
    app = application()
    db = Database(database_url, sqlite_cache_mb=WINDOW_SQLITE_CACHE_MB)
    try:
        # One indexed read at start-up, before there is a window to keep responsive.
        agent = identify(db, agent_email, interactive=screenshot is None and session is None)
    except DeskError as error:
        db.dispose()
        if screenshot is None:
            QMessageBox.critical(None, "Desk cannot start", str(error))
        print(f"desk: {error}", file=sys.stderr)
        return error.exit_code
    crash = CrashReporter(show_dialog=screenshot is None)
    window = build_window(db, agent, crash)
    runner = window.ctx.runner
    log.info("desk started for %s on %s", agent.email if agent else "-", db.describe())
    try:
        if screenshot is not None:
            return _screenshot(app, window, screenshot, size, view, ticket, panel)
        crash.install_excepthook()
        window.show_on_screen()
        window.start(view=view, ticket=ticket)
        launch.started()  # imports and the window are done: collect garbage from here on
        mail = DeferredMailSync(window, database_url, enabled_by_default=db.is_sqlite)
        try:
            return session(app, window) if session is not None else int(app.exec())
        finally:
            mail.stop()
    finally:
        window.close()
        runner.shutdown()
        db.dispose()


class DeferredMailSync(QObject):
    """The mail worker, started a moment after the window was shown: the agent's first look
    at the inbox comes first. The worker itself runs in a process of its own (ui.mail_sync);
    this module is imported only then, being needed only then."""

    def __init__(self, window: MainWindow, database_url: str, *, enabled_by_default: bool) -> None:
        super().__init__(window)
        self._window = window
        self._url = database_url
        self._enabled = enabled_by_default
        self.mail: MailSync | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(MAIL_START_DELAY_MS)
        self._timer.timeout.connect(self._build)
        self._timer.start()

    def _build(self) -> None:
        from desk_app.ui.mail_sync import MailSync

        self.mail = MailSync(
            self._window, self._window.ctx, self._url, enabled_by_default=self._enabled
        )

    def stop(self) -> None:
        self._timer.stop()
        if self.mail is not None:
            self.mail.stop()


def build_window(db: Database, agent: AgentRecord | None, crash: CrashReporter) -> MainWindow:
    """The workstation for `agent` on `db`, not yet shown or started (the benchmark uses it)."""
    ctx = DeskContext(
        queries=Queries(db, agent.id if agent else None),
        service=Service(db, agent.id if agent else None),
        runner=TaskRunner(),
        messages=MessageBridge(),
        agent=agent,
        time_zone=agent_zone(agent),
    )
    return MainWindow(ctx, crash)


def application() -> QApplication:
    """The QApplication with Desk's names, fonts, theme and style sheet."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("Desk")
    configure_fonts(app)
    apply_theme(app)
    return app


def identify(db: Database, agent_email: str | None, *, interactive: bool) -> AgentRecord | None:
    """Who is using the window: the agent named (--as, DESK_AGENT, settings), else the one
    the team database signed in as, else (first run) whoever the person says they are.
    Screenshots, tests and benchmarks are not interactive: they take the first active agent."""
    queries = Queries(db, None)
    if agent_email:
        try:
            agent = queries.agent_by_email(agent_email)
        except NotFound:
            if not interactive:
                raise
            agent = None  # remembered from an earlier run but gone since: ask again
        if agent is not None:
            if not agent.is_active:
                raise PermissionDenied(f"not allowed: {agent.email} is deactivated")
            return agent
    mapped = current_agent_for_connection(db)
    if mapped is not None:
        if not mapped.is_active:
            raise PermissionDenied(f"not allowed: {mapped.email} is deactivated")
        return mapped
    if interactive:
        from desk_app.ui.identity_dialog import ask_who_you_are

        chosen = ask_who_you_are(db)
        if chosen is None:
            raise UsageError("Desk needs to know who you are; start it again to choose")
        return chosen
    return signed_in_agent(queries, None)


def signed_in_agent(queries: Queries, agent_email: str | None) -> AgentRecord | None:
    """The named agent, or else the first active agent by id (a single-user install)."""
    if agent_email:
        return queries.agent_by_email(agent_email)
    active = sorted((a for a in queries.agents() if a.is_active), key=lambda a: a.id)
    return active[0] if active else None


def agent_zone(agent: AgentRecord | None) -> ZoneInfo:
    try:
        return ZoneInfo(agent.time_zone if agent and agent.time_zone else "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _screenshot(
    app: QApplication,
    window: MainWindow,
    target: Path,
    size: tuple[int, int],
    view: str | None,
    ticket: int | None,
    panel: str | None = None,
) -> int:
    """panel: "oncall" opens the On call panel in the window; "workload" renders the workload
    board (at `size`, its "By agent" tab for "workload-agents") instead of the window."""
    window.saves_layout = False
    window.resize(*size)
    window.show()
    window.start(view=view, ticket=ticket)
    wait_until_settled(app, window)
    shown: QWidget = window
    if panel == "oncall":
        window.oncall.show_panel()
        wait_until_settled(app, window)
    elif panel in ("workload", "workload-agents"):
        from desk_app.ui.workload_board import open_workload_board

        board = open_workload_board(window.ctx, window, window.live.changed, lambda _t: None)
        board.resize(*size)
        board.tabs.setCurrentIndex(1 if panel == "workload-agents" else 0)
        wait_until_settled(app, window)
        shown = board
    target.parent.mkdir(parents=True, exist_ok=True)
    saved = shown.grab().save(str(target))
    if shown is not window:
        shown.close()  # a top-level of its own: closing the window would leave it open
    if not saved:
        print(f"desk: could not write {target}", file=sys.stderr)
        return 1
    return 0


def wait_until_settled(app: QApplication, window: MainWindow) -> None:
    """Pump events until no database work is queued for a few rounds (or give up)."""
    deadline = time.monotonic() + SCREENSHOT_TIMEOUT_S
    quiet_rounds = 0
    while time.monotonic() < deadline and quiet_rounds < 5:
        app.processEvents()
        time.sleep(0.02)
        quiet_rounds = quiet_rounds + 1 if window.is_settled() else 0
    app.processEvents()
