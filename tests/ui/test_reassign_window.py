"""Moves from the window: the inbox's context menu on many rows, drag and drop onto the
navigation pane (real Qt drag events into its viewport), the A key and the ticket header."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from PySide6.QtCore import QItemSelectionModel, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from desk_app.store import Service
from desk_app.store.models import AuditEvent, Message, Notification, Ticket
from desk_app.store.template_store import TemplateStore
from desk_app.ui.navigation import DROP_ROLE
from desk_app.ui.reassign_dialog import ReassignDialog
from desk_app.ui.ticket_mime import TICKETS_MIME, ticket_ids_of
from tests.ui.conftest import new_ticket, settle

# A popup (the context menu, the refusal's tooltip) asks the platform to raise it and grab the
# keyboard, which the offscreen plugin used in tests cannot do; it says so, and only that is
# let through.
popup = pytest.mark.qt_log_ignore(r"This plugin does not support (raise\(\)|grabbing)")


def _tickets(db, clock, count: int, department: str | None = "Support") -> list[int]:
    system = Service(db, None, clock)
    ids = []
    for n in range(count):
        clock.advance(seconds=1)
        ids.append(new_ticket(system, f"Ticket {n}", f"c{n}@example.com", department=department))
    return ids


def _select(window, ticket_ids: list[int]) -> None:
    selection = window.inbox.selectionModel()
    selection.clearSelection()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for ticket_id in ticket_ids:
        selection.select(window.model.index(window.model.row_of(ticket_id), 1), flags)
    assert sorted(window.inbox.selected_ticket_ids()) == sorted(ticket_ids)


def _dialog(qtbot, window) -> ReassignDialog:
    qtbot.waitUntil(lambda: window.reassign.dialog is not None, timeout=3000)
    dialog = window.reassign.dialog
    qtbot.waitUntil(dialog.is_settled, timeout=5000)
    return dialog


def _action(menu, text: str):
    return next(a for a in menu.actions() if a.text().replace("&", "") == text)


def _department_rows(db, ids: list[int]) -> dict[int, tuple[int | None, int | None, int]]:
    with db.read() as session:
        rows = session.execute(
            sa.select(Ticket.id, Ticket.department_id, Ticket.assignee_id, Ticket.version).where(
                Ticket.id.in_(ids)
            )
        ).all()
    return {r.id: (r.department_id, r.assignee_id, r.version) for r in rows}


def _drag_over(window, key: str, mime) -> tuple[QDragMoveEvent, object]:
    """Enter the navigation pane and move over the entry with this key, as Qt delivers a drag."""
    navigation = window.navigation
    index = navigation.nav.index(navigation.nav.row_of(key))
    point = navigation.visualRect(index).center()
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPoint(2, 2), Qt.DropAction.MoveAction, mime, buttons, keys)
    QApplication.sendEvent(navigation.viewport(), enter)
    assert enter.isAccepted()  # tickets are welcome in the pane; the entry decides
    move = QDragMoveEvent(point, Qt.DropAction.MoveAction, mime, buttons, keys)
    QApplication.sendEvent(navigation.viewport(), move)
    return move, index


def _drop(window, key: str, mime) -> QDropEvent:
    navigation = window.navigation
    index = navigation.nav.index(navigation.nav.row_of(key))
    point = QPointF(navigation.visualRect(index).center())
    drop = QDropEvent(
        point,
        Qt.DropAction.MoveAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(navigation.viewport(), drop)
    return drop


@popup
def test_many_selected_rows_move_through_the_context_menu_with_audit_rows(
    qtbot, db, clock, make_ctx, team, open_window
):
    ids = _tickets(db, clock, 5)
    window = open_window(make_ctx(team.lead), view="all_open")
    moving = ids[:3]
    _select(window, moving)
    window.inbox.customContextMenuRequested.emit(QPoint(20, 20))
    menu = window.reassign.menu
    assert menu is not None and menu.isVisible()
    assert _action(menu, "Assign 3 tickets to me").isEnabled()
    departments = _action(menu, "Move to department").menu()
    assert not _action(departments, "Support").isEnabled()  # where they are already
    menu.hide()
    _action(departments, "Billing").trigger()

    # Between departments the team wants a reason: the dialog asks, Billing already chosen.
    dialog = _dialog(qtbot, window)
    assert dialog.windowTitle() == "Move 3 tickets"
    assert dialog.department.currentData() == team.billing
    assert not dialog.move_button.isEnabled()
    qtbot.keyClicks(dialog.reason, "invoices are Billing's")
    qtbot.keyClicks(dialog.note, "Moved from Support in bulk")
    qtbot.mouseClick(dialog.move_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.reassign.dialog is None, timeout=5000)
    settle(qtbot, window)

    rows = _department_rows(db, ids)
    assert {rows[t][0] for t in moving} == {team.billing}
    assert {rows[t][0] for t in ids[3:]} == {team.support}
    with db.read() as session:
        audit = session.execute(
            sa.select(AuditEvent.ticket_id, AuditEvent.reason, AuditEvent.actor_agent_id).where(
                AuditEvent.field == "department", AuditEvent.new_value == "Billing"
            )
        ).all()
        assert sorted(a.ticket_id for a in audit) == sorted(moving)
        assert {(a.reason, a.actor_agent_id) for a in audit} == {
            ("invoices are Billing's", team.lead)
        }
        notes = session.scalars(
            sa.select(Message.ticket_id).where(Message.body_text == "Moved from Support in bulk")
        ).all()
        assert sorted(notes) == sorted(moving)
        # Billing hears about it once, not three times.
        notices = session.scalars(
            sa.select(Notification.text).where(Notification.department_id == team.billing)
        ).all()
        assert notices == ["3 tickets were assigned to your department by Lena Lead: "
                           "invoices are Billing's"]  # fmt: skip
    assert "Moved 3 tickets to Billing" in window.banner.text
    # The rows show where the tickets went.
    qtbot.waitUntil(
        lambda: window.model.ticket_row(window.model.row_of(moving[0])).department == "Billing",
        timeout=5000,
    )


@popup
def test_assign_to_me_from_the_context_menu_takes_every_selected_row(
    qtbot, db, clock, make_ctx, team, open_window
):
    ids = _tickets(db, clock, 3)
    window = open_window(make_ctx(team.anna), view="all_open")
    _select(window, ids[:2])
    window.inbox.customContextMenuRequested.emit(QPoint(20, 20))
    menu = window.reassign.menu
    menu.hide()
    _action(menu, "Assign 2 tickets to me").trigger()
    settle(qtbot, window)
    rows = _department_rows(db, ids)
    assert [rows[t][1] for t in ids] == [team.anna, team.anna, None]
    # An agent's menu offers no other department.
    departments = _action(menu, "Move to department").menu()
    billing = _action(departments, "Billing")
    assert not billing.isEnabled()
    assert billing.toolTip() == "Not allowed: an agent may not move tickets to another department."


def test_dragging_selected_rows_onto_a_department_moves_them_after_asking_why(
    qtbot, db, clock, make_ctx, team, open_window
):
    ids = _tickets(db, clock, 4)
    window = open_window(make_ctx(team.lead), view="all_open")
    _select(window, ids[1:3])
    mime = window.inbox.drag_data()
    assert mime.hasFormat(TICKETS_MIME)
    assert sorted(ticket_ids_of(mime)) == sorted(ids[1:3])

    key = f"department:{team.billing}"
    move, index = _drag_over(window, key, mime)
    assert move.isAccepted()
    assert index.data(DROP_ROLE) == "accept"  # the target is highlighted
    # Not onto a queue that is not a department.
    other, other_index = _drag_over(window, "unassigned", mime)
    assert not other.isAccepted()
    assert other_index.data(DROP_ROLE) is None and index.data(DROP_ROLE) is None
    _drag_over(window, key, mime)
    drop = _drop(window, key, mime)
    assert drop.isAccepted()
    assert index.data(DROP_ROLE) is None  # the highlight ends with the drop

    dialog = _dialog(qtbot, window)
    assert dialog.windowTitle() == "Move 2 tickets"
    assert dialog.department.currentData() == team.billing
    qtbot.keyClicks(dialog.reason, "refunds")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.reassign.dialog is None, timeout=5000)
    settle(qtbot, window)
    rows = _department_rows(db, ids)
    assert [rows[t][0] for t in ids] == [team.support, team.billing, team.billing, team.support]
    with db.read() as session:
        reasons = session.scalars(
            sa.select(AuditEvent.reason).where(
                AuditEvent.field == "department", AuditEvent.ticket_id.in_(ids[1:3])
            )
        ).all()
    assert reasons == ["refunds", "refunds"]


def test_a_drop_moves_at_once_where_the_team_asks_for_no_reason(
    qtbot, db, clock, make_ctx, team, open_window
):
    TemplateStore(db, team.admin, clock).set_team_setting(
        "reason_required_between_departments", False
    )
    ids = _tickets(db, clock, 2)
    window = open_window(make_ctx(team.lead), view="all_open")
    _select(window, ids)
    key = f"department:{team.billing}"
    mime = window.inbox.drag_data()
    _drag_over(window, key, mime)
    assert _drop(window, key, mime).isAccepted()
    settle(qtbot, window)
    assert window.reassign.dialog is None
    assert {row[0] for row in _department_rows(db, ids).values()} == {team.billing}
    assert "Moved 2 tickets to Billing." in window.banner.text


@popup
def test_an_agent_dropping_on_another_department_is_refused_and_nothing_changes(
    qtbot, db, clock, make_ctx, team, open_window
):
    ids = _tickets(db, clock, 2)
    unsorted = _tickets(db, clock, 1, department=None)
    window = open_window(make_ctx(team.anna), view="all_open")
    before = _department_rows(db, ids)
    _select(window, ids)
    key = f"department:{team.billing}"
    mime = window.inbox.drag_data()

    move, index = _drag_over(window, key, mime)
    assert not move.isAccepted()
    assert index.data(DROP_ROLE) == "refuse"
    refusal = "Not allowed: an agent may not move tickets to another department."
    assert window.statusBar().currentMessage() == refusal
    drop = _drop(window, key, mime)
    assert not drop.isAccepted()
    settle(qtbot, window)
    assert window.reassign.dialog is None
    assert _department_rows(db, ids) == before
    with db.read() as session:
        assert (
            session.scalar(
                sa.select(sa.func.count()).where(
                    AuditEvent.ticket_id.in_(ids), AuditEvent.field == "department"
                )
            )
            == 0
        )

    # Filing an unsorted ticket into her own department is hers to do, and needs no reason.
    _select(window, unsorted)
    support = f"department:{team.support}"
    mime = window.inbox.drag_data()
    move, _index = _drag_over(window, support, mime)
    assert move.isAccepted()
    assert _drop(window, support, mime).isAccepted()
    settle(qtbot, window)
    assert _department_rows(db, unsorted)[unsorted[0]][0] == team.support


def test_the_a_key_and_the_header_open_the_dialog_for_a_move_between_departments(
    qtbot, db, clock, make_ctx, team, open_window
):
    ids = _tickets(db, clock, 3)
    ctx = make_ctx(team.lead)
    window = open_window(ctx, view="all_open", ticket=ids[0])
    qtbot.waitUntil(lambda: window.ticket_pane.detail is not None, timeout=3000)

    # A with several rows selected: the dialog for all of them.
    _select(window, ids[1:])
    window.inbox.setFocus()
    qtbot.keyClick(window.inbox, Qt.Key.Key_A)
    dialog = _dialog(qtbot, window)
    assert dialog.windowTitle() == "Move 2 tickets"
    dialog.reject()
    qtbot.waitUntil(lambda: window.reassign.dialog is None, timeout=3000)

    # The header's department field asks for the reason instead of failing for want of one.
    window.open_ticket(ids[0])
    qtbot.waitUntil(lambda: window.ticket_pane.detail.id == ids[0], timeout=3000)
    settle(qtbot, window)
    header = window.ticket_pane.header
    header.department.setCurrentIndex(header.department.findData(team.billing))
    header.department.activated.emit(header.department.currentIndex())
    dialog = _dialog(qtbot, window)
    assert dialog.windowTitle() == "Move ticket"
    assert dialog.department.currentData() == team.billing
    assert dialog.tickets[0].version == window.ticket_pane.detail.version
    assert header.department.currentData() == team.support  # not moved yet
    qtbot.keyClicks(dialog.reason, "customer asked about an invoice")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.reassign.dialog is None, timeout=5000)
    settle(qtbot, window)
    assert ctx.queries.ticket(ids[0]).department_id == team.billing
    qtbot.waitUntil(lambda: header.department.currentData() == team.billing, timeout=5000)
    assert "customer asked about an invoice" in window.ticket_pane.conversation.toPlainText()
