"""UI fixtures: a real SQLite database with the known team, a task runner, and the window.

`db` is overridden here to SQLite only: the widgets are the same on both backends, and the
store tests already cover PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC

import pytest
from pytestqt.qtbot import QtBot

from desk_app.store import Database, Queries, Service
from desk_app.ui.context import DeskContext
from desk_app.ui.crash import CrashReporter
from desk_app.ui.main_window import MainWindow
from desk_app.ui.messages import MessageBridge
from desk_app.ui.tasks import TaskRunner
from tests.store.helpers import loopback_account


@pytest.fixture
def db(sqlite_database_url: str) -> Iterator[Database]:
    database = Database(sqlite_database_url)
    yield database
    database.dispose()


@pytest.fixture
def team(team, db, clock, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """The known team, with a mail account replies can be sent from: the window refuses to
    queue a reply with nowhere to go (issue 16 item 5). Tests that set up their own accounts,
    or check what happens without one, are marked no_mail_account."""
    if request.node.get_closest_marker("no_mail_account") is None:
        loopback_account(db, "outbox", clock=clock)
    return team


@pytest.fixture
def make_ctx(db, clock) -> Iterator[Callable[[int | None], DeskContext]]:
    runners: list[TaskRunner] = []

    def make(agent_id: int | None) -> DeskContext:
        queries = Queries(db, agent_id, clock)
        agent = next((a for a in queries.agents() if a.id == agent_id), None)
        runner = TaskRunner()
        runners.append(runner)
        return DeskContext(
            queries=queries,
            service=Service(db, agent_id, clock),
            runner=runner,
            messages=MessageBridge(),
            agent=agent,
            time_zone=UTC,
            clock=clock,
        )

    yield make
    for runner in runners:
        runner.shutdown()


@pytest.fixture
def ctx(make_ctx, team) -> DeskContext:
    return make_ctx(team.anna)


def settle(qtbot: QtBot, window: MainWindow, timeout: int = 5000) -> None:
    """Wait until the task runner has delivered everything queued so far."""
    qtbot.waitUntil(window.is_settled, timeout=timeout)


@pytest.fixture
def open_window(qtbot: QtBot) -> Iterator[Callable[..., MainWindow]]:
    windows: list[tuple[MainWindow, CrashReporter]] = []

    def open_(ctx: DeskContext, view: str | None = None, ticket: int | None = None) -> MainWindow:
        crash = CrashReporter(show_dialog=False)
        window = MainWindow(ctx, crash)
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        window.start(view=view, ticket=ticket)
        settle(qtbot, window)
        windows.append((window, crash))
        return window

    yield open_
    for window, crash in windows:
        window.close()
        # Any bug a task hit must fail the test, not hide in a dialog nobody sees.
        assert crash.reports == [], crash.reports


def new_ticket(service: Service, subject: str, email: str, **kwargs: object) -> int:
    kwargs.setdefault("body", f"Body of {subject}")
    result = service.create_ticket(subject=subject, customer_email=email, **kwargs)  # type: ignore[arg-type]
    assert result.ticket_id is not None
    return result.ticket_id
