"""What moving and assigning say, in plain words with real plural forms (issue 16, item 9):
never "1 were already there" or "Assigned to you: 0 ticket(s)"."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from desk_app.store import Service
from desk_app.ui.reassign_dialog import MovingTicket, ReassignDialog
from tests.ui.conftest import settle
from tests.ui.test_reassign_window import _action, _select, _tickets, popup


def _dialog(qtbot, ctx, ticket_ids: list[int]) -> ReassignDialog:
    tickets = [MovingTicket.of(ctx.queries.ticket(t)) for t in ticket_ids]
    dialog = ReassignDialog(ctx, tickets)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(dialog.is_settled, timeout=5000)
    return dialog


def _move_to_anna(qtbot, dialog: ReassignDialog) -> str:
    qtbot.keyClicks(dialog.filter, "anna")
    with qtbot.waitSignal(dialog.moved, timeout=5000) as moved:
        qtbot.keyClick(dialog.filter, Qt.Key.Key_Enter)
    return str(moved.args[0].summary)


def test_the_move_dialog_counts_what_was_already_there(qtbot, db, clock, make_ctx, team):
    ids = _tickets(db, clock, 3)
    Service(db, team.lead, clock).assign(ids[0], agent=team.anna)
    anna = make_ctx(team.anna)
    dialog = _dialog(qtbot, anna, ids[:2])
    assert dialog.windowTitle() == "Move 2 tickets"
    assert _move_to_anna(qtbot, dialog) == (
        f"Moved #{ids[1]} to Support, Anna Ivanova. 1 ticket was already there."
    )
    Service(db, team.lead, clock).assign(ids[2], agent=team.anna)
    dialog = _dialog(qtbot, anna, ids)
    assert _move_to_anna(qtbot, dialog) == "Nothing to move: already in Support, Anna Ivanova."


@popup
def test_assign_to_me_says_what_changed_and_what_was_yours(
    qtbot, db, clock, make_ctx, team, open_window
):
    ids = _tickets(db, clock, 3)
    Service(db, team.lead, clock).assign(ids[0], agent=team.anna)
    window = open_window(make_ctx(team.anna), view="all_open")

    def assign(selected: list[int], menu_text: str) -> str:
        _select(window, selected)
        window.inbox.customContextMenuRequested.emit(QPoint(20, 20))
        menu = window.reassign.menu
        menu.hide()
        _action(menu, menu_text).trigger()
        settle(qtbot, window)
        return window.banner.text

    assert assign(ids[:2], "Assign 2 tickets to me") == (
        "Assigned 1 ticket to you. 1 ticket was yours already."
    )
    assert assign(ids[:2], "Assign 2 tickets to me") == "Nothing to assign: they are yours already."
    assert assign([ids[2]], "Assign to me") == "Assigned 1 ticket to you."
