"""Composition root: builds the store objects, the task runner and the main window. No logic of
its own beyond choosing who is signed in and, for screenshots, when the window is ready."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtWidgets import QApplication, QMessageBox

from desk_app.config import paths
from desk_app.core.errors import DeskError
from desk_app.store import Database, Queries, Service
from desk_app.store.records import AgentRecord
from desk_app.ui.context import DeskContext
from desk_app.ui.crash import CrashReporter
from desk_app.ui.main_window import MainWindow
from desk_app.ui.messages import MessageBridge
from desk_app.ui.settings import APPLICATION, ORGANISATION
from desk_app.ui.styles import configure_fonts
from desk_app.ui.tasks import TaskRunner
from desk_app.ui.theme import apply_theme

log = logging.getLogger("desk")

SCREENSHOT_TIMEOUT_S = 30.0


def run_gui(
    database_url: str,
    agent_email: str | None,
    *,
    screenshot: Path | None = None,
    size: tuple[int, int] = (1440, 900),
    view: str | None = None,
    ticket: int | None = None,
) -> int:
    """Open the workstation (or render it to `screenshot` and exit); returns the exit code."""
    if screenshot is not None:
        # Decided before the QApplication exists; a screenshot never needs a display.
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    log_handler = _configure_logging()
    app = application()
    db = Database(database_url)
    try:
        # One indexed read at start-up, before there is a window to keep responsive.
        agent = signed_in_agent(Queries(db, None), agent_email)
    except DeskError as error:
        db.dispose()
        if screenshot is None:
            QMessageBox.critical(None, "Desk cannot start", str(error))
        print(f"desk: {error}", file=sys.stderr)
        logging.getLogger().removeHandler(log_handler)
        return error.exit_code
    crash = CrashReporter(show_dialog=screenshot is None)
    window = build_window(db, agent, crash)
    runner = window.ctx.runner
    log.info("desk started for %s on %s", agent.email if agent else "-", db.describe())
    try:
        if screenshot is not None:
            return _screenshot(app, window, screenshot, size, view, ticket)
        crash.install_excepthook()
        window.show()
        window.start(view=view, ticket=ticket)
        # The mail worker (and the IMAP/SMTP libraries it imports) starts once the first page
        # is on screen: start-up time is the agent's, mail can wait a moment.
        from desk_app.ui.mail_sync import MailSync

        mail = MailSync(window, window.ctx, database_url, enabled_by_default=db.is_sqlite)
        try:
            return int(app.exec())
        finally:
            mail.stop()
    finally:
        window.close()
        runner.shutdown()
        db.dispose()
        logging.getLogger().removeHandler(log_handler)
        log_handler.close()


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


def _configure_logging() -> logging.Handler:
    folder = paths().logs
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(folder / "desk.log", encoding="utf-8")
    except OSError:
        handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler


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
) -> int:
    window.resize(*size)
    window.show()
    window.start(view=view, ticket=ticket)
    wait_until_settled(app, window)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(target)):
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
