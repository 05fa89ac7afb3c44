"""The SLA admin dialog: edit calendars and policies, errors beside the field, a live preview
from the real calendar code, and a save that imports the rules and recomputes the tickets."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from desk_app.core.sla import TargetKind
from desk_app.store import Queries, Service
from desk_app.store.sla_store import export_rules, import_rules
from desk_app.ui.sla_admin import SlaAdminDialog
from tests.store.test_escalations import EVERYTHING, rules_with
from tests.ui.conftest import new_ticket, settle
from tests.ui.unsaved_answers import CANCEL, DISCARD, SAVE, answer_unsaved, offscreen_box

TOKYO = {
    "name": "Tokyo office",
    "timezone": "Asia/Tokyo",
    "hours": {"mon-fri": "09:00-12:00, 13:00-18:00"},
    "country": "JP",
    "holidays": [],
}


def _discard_at_teardown(dialog: SlaAdminDialog) -> None:
    if dialog.isVisible() and dialog.dirty:
        answer_unsaved(DISCARD, [])  # closing asks, at the end of a test too


def open_dialog(qtbot, make_ctx, agent_id: int) -> SlaAdminDialog:
    ctx = make_ctx(agent_id)
    ctx.departments = ctx.queries.departments()
    dialog = SlaAdminDialog(ctx)
    qtbot.addWidget(dialog, before_close_func=_discard_at_teardown)
    dialog.show()
    dialog.load()
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled() or ctx.runner.pending == 0)
    qtbot.waitUntil(lambda: ctx.runner.pending == 0)
    return dialog


def test_the_preview_uses_the_real_calendar(qtbot, db, team, clock, make_ctx, tmp_path: Path):
    rules = rules_with(EVERYTHING)
    rules["calendars"].append(TOKYO)
    rules["policies"][0]["calendar"] = "Tokyo office"
    rules["policies"][0]["targets"][0] = {
        "kind": "first_response",
        "minutes": 120,
        "business_hours": True,
    }
    import_rules(db, rules, team.admin, clock)
    dialog = open_dialog(qtbot, make_ctx, team.admin)
    # Monday 09:00 UTC is 18:00 in Tokyo: closed; two business hours run Tuesday 09:00-11:00.
    text = dialog.policy_preview.text()
    assert "A ticket created now" in text
    assert "First response: <b>Tue 24 Nov 2026, 02:00</b>" in text  # 11:00 JST, shown in UTC
    assert "Resolution: <b>Mon 23 Nov 2026, 19:00</b>" in text  # 600 calendar minutes
    assert "Next response: counted from the customer's next message" in text
    dialog.grab().save(str(tmp_path / "sla_admin_policy.png"))

    dialog.tabs.setCurrentIndex(1)
    dialog.calendar_list.setCurrentRow(1)
    assert dialog.calendar_form.name.text() == "Tokyo office"
    assert "closed now; opens Tue 24 Nov 09:00 (Asia/Tokyo)" in dialog.calendar_preview.text()
    # A split shift on Monday that overlaps: the error sits under Monday, the preview goes.
    monday = dialog.calendar_form.days[0]
    monday.setText("09:00-12:00, 11:00-18:00")
    monday.textEdited.emit(monday.text())
    error = dialog.calendar_form.errors.labels["hours.mon"]
    assert error.isVisible() and "overlap" in error.text()
    assert dialog.calendar_preview.text() == ""
    dialog.grab().save(str(tmp_path / "sla_admin_calendar.png"))


def test_field_errors_sit_beside_their_field(qtbot, db, team, clock, make_ctx):
    import_rules(db, rules_with(EVERYTHING), team.admin, clock)
    dialog = open_dialog(qtbot, make_ctx, team.admin)
    form = dialog.policy_form
    enabled, _minutes, _clock = form.targets[TargetKind.FIRST_RESPONSE]
    form.breach_of["first_response"].setChecked(True)
    enabled.setChecked(False)  # escalation names a target the policy no longer has
    label = form.errors.labels["escalation"]
    assert label.isVisible()
    assert label.text() == "the policy has no first_response target"
    assert dialog.policy_preview.text() == "No preview until the policy is valid."
    enabled.setChecked(True)
    assert not label.isVisible()
    form.name.setText("")
    form.name.textEdited.emit("")
    assert form.errors.labels["name"].text() == "a policy needs a name"


def test_saving_imports_the_rules_and_recomputes_tickets(qtbot, db, team, clock, make_ctx):
    import_rules(db, rules_with(None), team.admin, clock)
    ticket_id = new_ticket(Service(db, None, clock), "Due", "a@example.com", department="Support")
    before = Queries(db, None, clock).ticket(ticket_id).first_response_due_at
    dialog = open_dialog(qtbot, make_ctx, team.admin)
    form = dialog.policy_form
    _enabled, minutes, _clock = form.targets[TargetKind.FIRST_RESPONSE]
    minutes.setValue(30)
    form.escalate.setChecked(True)
    form.notify_leads.setChecked(True)
    form.move_to.setCurrentIndex(form.move_to.findData("Billing"))
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Saved"), timeout=10_000)
    assert "due times of 1 ticket recomputed" in dialog.status.text()
    after = Queries(db, None, clock).ticket(ticket_id).first_response_due_at
    assert before is not None and after is not None
    assert (before - after).total_seconds() == 30 * 60
    policy = export_rules(db)["policies"][0]
    assert policy["escalation"] == {
        "breach_of": [],
        "raise_priority": None,
        "notify_leads": True,
        "move_to": "Billing",
    }
    assert [t["minutes"] for t in policy["targets"]] == [30, 120, 600]


def test_an_invalid_document_is_not_saved_and_points_at_the_item(qtbot, db, team, clock, make_ctx):
    import_rules(db, rules_with(None), team.admin, clock)
    dialog = open_dialog(qtbot, make_ctx, team.admin)
    dialog.tabs.setCurrentIndex(1)
    dialog._add_calendar()
    form = dialog.calendar_form
    form.timezone.setCurrentText("Mars/Olympus")
    assert form.errors.labels["timezone"].text() == "unknown time zone 'Mars/Olympus'"
    dialog._add_policy()
    dialog.tabs.setCurrentIndex(0)
    dialog.save_button.click()
    assert dialog.status.text().startswith("Not saved: calendars[1] (New calendar)")
    assert dialog.tabs.currentIndex() == 1 and dialog.calendar_list.currentRow() == 1
    assert [p["name"] for p in export_rules(db)["policies"]] == ["Standard"]  # unchanged


def test_policies_can_be_reordered(qtbot, db, team, clock, make_ctx):
    import_rules(db, rules_with(None), team.admin, clock)
    dialog = open_dialog(qtbot, make_ctx, team.admin)
    dialog._add_policy()
    dialog._move_policy(-1)
    assert [p["name"] for p in dialog.document["policies"]] == ["New policy", "Standard"]
    assert dialog.policy_list.currentRow() == 0


def test_only_admins_can_save(qtbot, db, team, clock, make_ctx):
    import_rules(db, rules_with(None), team.admin, clock)
    for agent_id in (team.anna, team.lead):
        dialog = open_dialog(qtbot, make_ctx, agent_id)
        assert not dialog.save_button.isEnabled()
        assert dialog.policy_list.count() == 1  # they can still read them


def test_the_menu_opens_the_editor(qtbot, db, team, clock, make_ctx, open_window):
    import_rules(db, rules_with(None), team.admin, clock)
    window = open_window(make_ctx(team.admin))
    window.window_actions["sla_rules"].trigger()
    settle(qtbot, window)
    [dialog] = window.findChildren(SlaAdminDialog)
    qtbot.waitUntil(lambda: dialog.policy_list.count() == 1, timeout=5000)
    dialog.close()


# --- unsaved edits and read-only (issue 16, items 2 and 8) ---------------------------------


def _edited(qtbot, db, team, clock, make_ctx) -> SlaAdminDialog:
    import_rules(db, rules_with(None), team.admin, clock)
    dialog = open_dialog(qtbot, make_ctx, team.admin)
    _enabled, minutes, _clock = dialog.policy_form.targets[TargetKind.FIRST_RESPONSE]
    minutes.setValue(30)
    assert dialog.dirty
    return dialog


def _first_response_minutes(db) -> int:
    return export_rules(db)["policies"][0]["targets"][0]["minutes"]


@offscreen_box
def test_closing_with_unsaved_rules_cancel_keeps_them(qtbot, db, team, clock, make_ctx):
    dialog = _edited(qtbot, db, team, clock, make_ctx)
    before = _first_response_minutes(db)
    asked: list[str] = []
    answer_unsaved(CANCEL, asked)
    qtbot.keyClick(dialog.policy_list, Qt.Key.Key_Escape)
    assert asked == ["Save your changes to the SLA rules?"]
    assert dialog.isVisible() and dialog.document["policies"][0]["targets"][0]["minutes"] == 30
    assert _first_response_minutes(db) == before != 30


@offscreen_box
def test_closing_with_unsaved_rules_save_saves_then_closes(qtbot, db, team, clock, make_ctx):
    dialog = _edited(qtbot, db, team, clock, make_ctx)
    answer_unsaved(SAVE, [])
    dialog.close()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    assert _first_response_minutes(db) == 30


@offscreen_box
def test_closing_with_unsaved_rules_discard_closes(qtbot, db, team, clock, make_ctx):
    dialog = _edited(qtbot, db, team, clock, make_ctx)
    before = _first_response_minutes(db)
    answer_unsaved(DISCARD, [])
    qtbot.keyClick(dialog.policy_list, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert _first_response_minutes(db) == before


def test_a_lead_is_told_why_and_gets_a_read_only_form(qtbot, db, team, clock, make_ctx, tmp_path):
    import_rules(db, rules_with(None), team.admin, clock)
    dialog = open_dialog(qtbot, make_ctx, team.lead)
    assert dialog.read_only_note.isVisible()
    assert dialog.read_only_note.text().startswith("Only admins can change the SLA rules")
    assert not dialog.policy_form.isEnabled() and not dialog.calendar_form.isEnabled()
    assert not any(button.isEnabled() for button in dialog.list_buttons)
    assert "would be due at" in dialog.policy_preview.text()  # the preview still works
    dialog.resize(1024, 700)
    dialog.grab().save(str(tmp_path / "sla-read-only.png"))
    admin = open_dialog(qtbot, make_ctx, team.admin)
    assert not admin.read_only_note.isVisible() and admin.policy_form.isEnabled()
