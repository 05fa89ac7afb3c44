"""Losing the team database with the window open: a real PostgreSQL server is stopped and
started again under it. The window stays usable, says it is offline, keeps what the agent types
on this computer, switches off what needs the server, and catches up when the server is back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt

from desk_app.store import Database, Queries, Service
from desk_app.sync import SyncState
from desk_app.ui.context import DeskContext
from desk_app.ui.crash import CrashReporter
from desk_app.ui.main_window import MainWindow
from desk_app.ui.messages import MessageBridge
from desk_app.ui.tasks import TaskRunner
from tests.pg_control import OwnServer, own_server
from tests.ui.conftest import new_ticket, settle


@pytest.fixture(scope="module")
def server() -> Iterator[OwnServer]:
    with own_server() as running:
        yield running


@pytest.fixture
def team_db(server: OwnServer) -> Iterator[Database]:
    db = Database(server.url)
    system = Service(db, None)
    with db.write() as session:  # a clean slate on the module's server
        for table in ("drafts", "messages", "tickets", "customer_identities", "customers"):
            session.execute(sa.text(f"DELETE FROM {table}"))
    if not Queries(db, None).agents():
        system.add_department("Support")
        system.add_agent("Anna Ivanova", "anna@desk.test", departments=["Support"])
    yield db
    db.dispose()


def _window(qtbot, db: Database) -> tuple[MainWindow, DeskContext]:
    queries = Queries(db, None)
    anna = next(a for a in queries.agents() if a.email == "anna@desk.test")
    ctx = DeskContext(
        queries=Queries(db, anna.id),
        service=Service(db, anna.id),
        runner=TaskRunner(),
        messages=MessageBridge(),
        agent=anna,
        time_zone=UTC,
    )
    window = MainWindow(ctx, CrashReporter(show_dialog=False))
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    return window, ctx


def test_the_window_survives_a_database_restart_and_keeps_typed_text(qtbot, server, team_db):
    ticket = new_ticket(Service(team_db, None), "Где мой заказ?", "ivan@example.com")
    window, ctx = _window(qtbot, team_db)
    try:
        window.start(view="all_open", ticket=ticket)
        settle(qtbot, window)
        qtbot.waitUntil(lambda: window.ticket_pane.detail is not None, timeout=10_000)
        qtbot.waitUntil(lambda: window.live.status.state is SyncState.LIVE, timeout=10_000)
        shown = window.model.rowCount()

        server.stop()
        qtbot.waitUntil(lambda: window.offline.offline, timeout=15_000)
        banner = window.offline_banner
        assert banner.isVisible()
        assert banner.text.startswith("Offline — reconnecting… (last sync")
        # What the window already shows stays; commands that need the server are off, saying why.
        assert window.model.rowCount() == shown
        assert not window.window_actions["assign"].isEnabled()
        assert "offline" in window.window_actions["assign"].statusTip()
        assert not window.ticket_pane.composer.send_button.isEnabled()
        assert "offline" in window.ticket_pane.composer.send_button.toolTip().lower()

        # The agent keeps writing; the draft lands on disk although the database is away.
        composer = window.ticket_pane.composer
        composer.editor.setFocus()
        # (QTest types ASCII only; insertPlainText is what an input method does.)
        composer.editor.insertPlainText("Добрый день! Заказ в пути.")
        qtbot.waitUntil(
            lambda: ctx.local_drafts.get(ticket, ctx.agent.id, "reply") is not None, timeout=5000
        )
        # Ctrl+Enter while offline sends nothing and keeps the text.
        qtbot.keyClick(composer.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        assert composer.text() == "Добрый день! Заказ в пути."
        assert "Not sent" in window.ticket_pane.banner.text

        server.start()
        qtbot.waitUntil(lambda: not window.offline.offline, timeout=30_000)
        assert not banner.isVisible()
        assert window.window_actions["assign"].isEnabled()
        # The locally kept draft reached the database and left the local file.
        qtbot.waitUntil(lambda: ctx.local_drafts.pending() == [], timeout=10_000)
        drafts = Queries(team_db, ctx.agent.id).drafts(ticket)
        assert [(d.kind, d.body) for d in drafts] == [("reply", "Добрый день! Заказ в пути.")]
        assert composer.send_button.isEnabled()
    finally:
        window.close()
        ctx.runner.shutdown()


def test_drafts_kept_offline_reach_the_database_when_the_app_next_starts(qtbot, server, team_db):
    """The app was closed (or crashed) while offline: the next start pushes the draft."""
    from desk_app.sync.local_drafts import LocalDraft

    ticket = new_ticket(Service(team_db, None), "Invoice", "olga@example.com")
    window, ctx = _window(qtbot, team_db)
    agent_id = ctx.agent.id
    ctx.local_drafts.save(LocalDraft(ticket, agent_id, "note", "Call her back", ctx.now()))
    try:
        window.start(view="all_open")
        settle(qtbot, window)
        qtbot.waitUntil(lambda: ctx.local_drafts.pending() == [], timeout=10_000)
        drafts = Queries(team_db, agent_id).drafts(ticket)
        assert [(d.kind, d.body) for d in drafts] == [("note", "Call her back")]
    finally:
        window.close()
        ctx.runner.shutdown()
