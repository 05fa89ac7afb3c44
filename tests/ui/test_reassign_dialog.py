"""The reassignment dialog on its own: the agent list (load, duty, order), the reason rule,
keyboard use, and what the service says shown in the dialog."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from PySide6.QtCore import Qt

from desk_app.store import Service
from desk_app.store.models import AuditEvent, Message
from desk_app.store.sla_store import import_rules
from desk_app.store.template_store import TemplateStore
from desk_app.ui.reassign_dialog import REASON_HINT, MovingTicket, ReassignDialog
from tests.store.test_duty import OFFICE_HOURS
from tests.ui.conftest import new_ticket

# 10:00 and 20:00 in Tokyo, where Billing keeps office hours (OFFICE_HOURS).
TOKYO_MORNING = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
TOKYO_EVENING = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)


def _dialog(qtbot, ctx, ticket_ids, **kwargs) -> ReassignDialog:
    tickets = [MovingTicket.of(ctx.queries.ticket(t)) for t in ticket_ids]
    dialog = ReassignDialog(ctx, tickets, **kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    _settle(qtbot, dialog)
    return dialog


def _settle(qtbot, dialog: ReassignDialog) -> None:
    qtbot.waitUntil(dialog.is_settled, timeout=5000)


def _rows(dialog: ReassignDialog) -> list[tuple[str, str, str]]:
    return [
        (item.text(0), item.text(1), item.text(2))
        for item in (
            dialog.agents.topLevelItem(r) for r in range(dialog.agents.topLevelItemCount())
        )
        if item is not None and not item.isHidden()
    ]


def _choose_department(qtbot, dialog: ReassignDialog, department_id: int) -> None:
    dialog.department.setCurrentIndex(dialog.department.findData(department_id))
    _settle(qtbot, dialog)


def test_agents_show_their_load_and_duty_on_duty_first_least_loaded_first(
    qtbot, db, clock, make_ctx, team
):
    system = Service(db, None, clock)
    carla = system.add_agent("Carla Chen", "carla@desk.test", departments=["Billing"])
    dmitri = system.add_agent("Dmitri Orlov", "dmitri@desk.test", departments=["Billing"])
    import_rules(db, OFFICE_HOURS, team.admin, clock)
    clock.now = TOKYO_MORNING
    lead = Service(db, team.lead, clock)
    for who, count in ((team.lead, 3), (carla, 1), (team.boris, 2)):
        for n in range(count):
            ticket = new_ticket(system, f"Load {who}-{n}", f"l{who}{n}@example.com",
                                department="Billing")  # fmt: skip
            lead.assign(ticket, agent=who)
    system.edit_agent(team.boris, available=False)
    moving = new_ticket(system, "Which invoice?", "q@example.com", department="Billing")
    ctx = make_ctx(team.lead)

    dialog = _dialog(qtbot, ctx, [moving])
    assert dialog.windowTitle() == "Move ticket"
    assert dialog.department.currentData() == team.billing
    assert _rows(dialog) == [
        ("Unassigned", "", "department queue"),
        ("Dmitri Orlov", "0", "on duty"),
        ("Carla Chen", "1", "on duty"),
        ("Lena Lead", "3", "on duty"),
        ("Boris Sato", "2", "away"),
    ]
    dialog.close()

    # After Tokyo's office hours nobody of Billing is on duty (no one is on call).
    clock.now = TOKYO_EVENING
    evening = _dialog(qtbot, ctx, [moving])
    assert _rows(evening)[1:] == [
        ("Dmitri Orlov", "0", "off hours"),
        ("Carla Chen", "1", "off hours"),
        ("Boris Sato", "2", "away"),
        ("Lena Lead", "3", "off hours"),
    ]
    # Within the department no reason is asked for, and typing picks the agent; Enter moves.
    assert not evening.reason_required()
    qtbot.keyClicks(evening.filter, "carl")
    assert _rows(evening) == [("Carla Chen", "1", "off hours")]
    assert evening.chosen_agent() == carla
    with qtbot.waitSignal(evening.moved, timeout=5000) as moved:
        qtbot.keyClick(evening.filter, Qt.Key.Key_Return)
    assert moved.args[0].ticket_ids == [moving]
    assert "Carla Chen" in moved.args[0].summary
    assert ctx.queries.ticket(moving).assignee_id == carla
    assert not evening.isVisible()
    assert dmitri  # listed above, least loaded


def test_a_reason_is_required_between_departments_unless_the_team_says_otherwise(
    qtbot, db, clock, make_ctx, team
):
    system = Service(db, None, clock)
    ticket = new_ticket(system, "Refund please", "r@example.com", department="Support")
    ctx = make_ctx(team.lead)
    dialog = _dialog(qtbot, ctx, [ticket])
    assert dialog.department.currentData() == team.support
    assert dialog.move_button.isEnabled()  # same department: nothing to explain
    assert dialog.hint.isHidden()

    _choose_department(qtbot, dialog, team.billing)
    assert dialog.reason_required()
    assert not dialog.move_button.isEnabled()
    assert dialog.hint.text() == REASON_HINT and dialog.hint.isVisible()
    assert dialog.reason_label.text() == "&Reason (required)"
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)  # Enter does nothing without a reason
    assert dialog.isVisible()
    qtbot.keyClicks(dialog.reason, "billing question")
    assert dialog.move_button.isEnabled() and dialog.hint.isHidden()
    qtbot.keyClicks(dialog.note, "Customer paid twice")
    with qtbot.waitSignal(dialog.moved, timeout=5000):
        qtbot.mouseClick(dialog.move_button, Qt.MouseButton.LeftButton)
    detail = ctx.queries.ticket(ticket)
    assert detail.department_id == team.billing and detail.assignee_id is None
    with db.read() as session:
        moved = session.execute(
            sa.select(AuditEvent.new_value, AuditEvent.reason, AuditEvent.actor_agent_id).where(
                AuditEvent.ticket_id == ticket, AuditEvent.field == "department"
            )
        ).one()
        assert tuple(moved) == ("Billing", "billing question", team.lead)
        assert (
            session.scalar(
                sa.select(Message.body_text).where(
                    Message.ticket_id == ticket, Message.direction == "note"
                )
            )
            == "Customer paid twice"
        )

    TemplateStore(db, team.admin, clock).set_team_setting(
        "reason_required_between_departments", False
    )
    relaxed = _dialog(qtbot, ctx, [ticket])
    _choose_department(qtbot, relaxed, team.support)
    assert not relaxed.reason_required()
    assert relaxed.move_button.isEnabled()
    assert relaxed.reason_label.text() == "&Reason"


def test_many_tickets_move_in_one_go_and_an_agent_may_not_move_them_away(
    qtbot, db, clock, make_ctx, team
):
    system = Service(db, None, clock)
    ids = [
        new_ticket(system, f"Bulk {n}", f"b{n}@example.com", department="Support")
        for n in range(12)
    ]
    anna = _dialog(qtbot, make_ctx(team.anna), ids)
    assert anna.windowTitle() == "Move 12 tickets"
    assert "12 tickets, now in Support" in anna.summary.text()
    _choose_department(qtbot, anna, team.billing)
    assert not anna.move_button.isEnabled()
    assert anna.hint.text() == ("Not allowed: an agent may not move tickets to another department.")
    anna.close()

    # Within her own department she hands them all to herself.
    anna = _dialog(qtbot, make_ctx(team.anna), ids)
    qtbot.keyClicks(anna.filter, "anna")
    with qtbot.waitSignal(anna.moved, timeout=5000) as moved:
        qtbot.keyClick(anna.filter, Qt.Key.Key_Enter)
    assert moved.args[0].ticket_ids == sorted(ids)
    assert moved.args[0].summary == "Moved 12 tickets to Support, Anna Ivanova."
    assert {make_ctx(team.anna).queries.ticket(t).assignee_id for t in ids} == {team.anna}


def test_a_conflict_is_shown_in_the_dialog_which_then_moves_the_current_version(
    qtbot, db, clock, make_ctx, team
):
    system = Service(db, None, clock)
    ticket = new_ticket(system, "Contested", "c@example.com", department="Support")
    ctx = make_ctx(team.lead)
    dialog = _dialog(qtbot, ctx, [ticket])
    Service(db, team.admin, clock).set_priority(ticket, "urgent")

    qtbot.keyClicks(dialog.filter, "anna")
    with qtbot.waitSignal(dialog.changed, timeout=5000):
        qtbot.keyClick(dialog.filter, Qt.Key.Key_Return)
    _settle(qtbot, dialog)
    assert dialog.isVisible()
    assert "Someone else changed this ticket first" in dialog.error_text
    assert "Ada Admin changed priority from normal to urgent" in dialog.error_text
    assert ctx.queries.ticket(ticket).assignee_id is None  # nothing overwritten
    assert dialog.tickets[0].version == ctx.queries.ticket(ticket).version

    with qtbot.waitSignal(dialog.moved, timeout=5000):
        qtbot.mouseClick(dialog.move_button, Qt.MouseButton.LeftButton)
    assert ctx.queries.ticket(ticket).assignee_id == team.anna


def test_what_the_service_refuses_is_shown_in_the_dialog_not_as_a_crash(
    qtbot, db, clock, make_ctx, team
):
    system = Service(db, None, clock)
    carla = system.add_agent("Carla Chen", "carla@desk.test", departments=["Support"])
    ticket = new_ticket(system, "For Carla", "f@example.com", department="Support")
    ctx = make_ctx(team.lead)
    dialog = _dialog(qtbot, ctx, [ticket])
    qtbot.keyClicks(dialog.filter, "carla")
    assert dialog.chosen_agent() == carla
    system.edit_agent(carla, active=False)  # after the list was read

    qtbot.mouseClick(dialog.move_button, Qt.MouseButton.LeftButton)
    _settle(qtbot, dialog)
    assert dialog.isVisible()
    assert dialog.error_text == "Not moved: Carla Chen is no longer active"
    assert dialog.error.isVisible()
    assert ctx.queries.ticket(ticket).assignee_id is None
