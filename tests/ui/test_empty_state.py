"""The empty inbox: a setup guide on a desk with nothing in it yet (ticked from the database),
what an agent can do meanwhile, and the short friendly line on a working team's empty view."""

from __future__ import annotations

from collections.abc import Callable

from pytestqt.qtbot import QtBot

from desk_app.store import Database, Service
from desk_app.ui.context import DeskContext
from desk_app.ui.empty_state import DONE, TO_DO
from desk_app.ui.main_window import MainWindow
from tests.conftest import Team
from tests.ui.conftest import new_ticket, settle


def guide_marks(window: MainWindow) -> dict[str, bool]:
    """Each checklist step's text → done, as the marks on screen say."""
    steps = window.empty_state.steps
    return {step.text: step.done for step in steps if step.done is not None}


def marks_on_screen(window: MainWindow) -> tuple[int, int]:
    """How many steps the page marks done, and how many still to do."""
    page = window.empty_state.widget()
    shown = [label.text() for label in page.findChildren(type(window.empty_state.line))]
    return shown.count(DONE), shown.count(TO_DO)


def wait_for_guide(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: bool(window.empty_state.steps), timeout=5000)


def test_a_fresh_desk_shows_the_admin_the_setup_checklist(
    qtbot: QtBot,
    db: Database,
    make_ctx: Callable[[int | None], DeskContext],
    open_window: Callable[..., MainWindow],
) -> None:
    admin = Service(db, None).add_agent("Ada Admin", "ada@desk.test", role="admin")
    window = open_window(make_ctx(admin))
    wait_for_guide(qtbot, window)
    assert window.empty_state.isVisible() and not window.inbox.isVisible()
    assert not window.ticket_pane.isVisible()  # the guide has the pane's room
    marks = list(guide_marks(window).values())
    # mail account, departments, agents, SLA rules, templates: none done yet
    assert marks == [False] * 5
    commands = " | ".join(window.empty_state.command_texts())
    assert "desk account add" in commands and "desk departments add" in commands
    assert "desk agents add" in commands and "desk --demo" in commands
    buttons = window.empty_state.buttons()
    assert set(buttons) == {"sla_rules", "manage_templates"}
    assert marks_on_screen(window) == (0, 5)


def test_the_checklist_ticks_what_is_done(
    qtbot: QtBot,
    db: Database,
    make_ctx: Callable[[int | None], DeskContext],
    open_window: Callable[..., MainWindow],
) -> None:
    system = Service(db, None)
    admin = system.add_agent("Ada Admin", "ada@desk.test", role="admin")
    system.add_department("Support")
    system.add_agent("Anna Ivanova", "anna@desk.test", departments=["Support"])
    window = open_window(make_ctx(admin))
    wait_for_guide(qtbot, window)
    # mail account no, departments yes, agents yes, SLA no, templates no
    assert list(guide_marks(window).values()) == [False, True, True, False, False]
    assert marks_on_screen(window) == (2, 3)


def test_the_guides_buttons_open_their_dialogs(
    qtbot: QtBot,
    db: Database,
    make_ctx: Callable[[int | None], DeskContext],
    open_window: Callable[..., MainWindow],
) -> None:
    admin = Service(db, None).add_agent("Ada Admin", "ada@desk.test", role="admin")
    window = open_window(make_ctx(admin))
    wait_for_guide(qtbot, window)
    opened: list[str] = []
    window.window_actions["sla_rules"].triggered.disconnect()
    window.window_actions["sla_rules"].triggered.connect(lambda: opened.append("sla_rules"))
    window.empty_state.buttons()["sla_rules"].click()
    assert opened == ["sla_rules"]


def test_an_agent_on_a_fresh_desk_sees_what_they_can_do(
    qtbot: QtBot,
    db: Database,
    make_ctx: Callable[[int | None], DeskContext],
    open_window: Callable[..., MainWindow],
) -> None:
    system = Service(db, None)
    system.add_agent("Ada Admin", "ada@desk.test", role="admin")
    system.add_department("Support")
    anna = system.add_agent("Anna Ivanova", "anna@desk.test", departments=["Support"])
    window = open_window(make_ctx(anna))
    wait_for_guide(qtbot, window)
    assert guide_marks(window) == {}  # no checklist: setting up is not an agent's job
    assert set(window.empty_state.buttons()) == {"manage_templates", "search", "shortcuts"}
    assert window.empty_state.command_texts() == []
    texts = " ".join(step.text for step in window.empty_state.steps)
    assert "Ctrl+1" in texts


def test_a_working_teams_empty_view_keeps_the_short_line(
    qtbot: QtBot,
    team: Team,
    ctx: DeskContext,
    open_window: Callable[..., MainWindow],
) -> None:
    new_ticket(ctx.service, "Where is my order?", "zoe@example.com")  # unassigned
    window = open_window(ctx, view="mine")  # Anna has none of her own
    settle(qtbot, window)
    qtbot.wait(50)
    settle(qtbot, window)
    assert window.empty_state.isVisible()
    assert window.empty_state.steps == []
    assert window.empty_state.line.text() == "No tickets here. Nice work."
    assert window.ticket_pane.isVisible()
    window.show_view("unassigned")
    settle(qtbot, window)
    assert window.inbox.isVisible() and not window.empty_state.isVisible()


def test_a_team_without_tickets_yet_sees_its_mailbox_ticked(
    qtbot: QtBot,
    team: Team,
    make_ctx: Callable[[int | None], DeskContext],
    open_window: Callable[..., MainWindow],
) -> None:
    """Departments, agents and a mail account (the UI fixture's) are there; no SLA rules,
    no templates, and no ticket has come in yet."""
    window = open_window(make_ctx(team.admin))
    wait_for_guide(qtbot, window)
    assert list(guide_marks(window).values()) == [True, True, True, False, False]
    assert "mail account is connected" in window.empty_state.intro
