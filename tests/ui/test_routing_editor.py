"""The routing rules editor: ordered list, form, versioned save and the tester (ja/ru)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from desk_app.core.enums import Priority
from desk_app.core.routing import AssignBy, RoutingRule
from desk_app.store import Queries, Service
from desk_app.store.routing_store import load_snapshot, save_rules
from desk_app.ui.routing_editor import RoutingEditor
from tests.ui.conftest import new_ticket
from tests.ui.unsaved_answers import CANCEL, DISCARD, SAVE, answer_unsaved, offscreen_box

RULES = [
    RoutingRule(
        "Refunds",
        keywords=("返金", "возврат", "refund"),
        department="Billing",
        priority=Priority.HIGH,
        tags=("refund",),
        assign_by=AssignBy.ROUND_ROBIN,
    ),
    RoutingRule("Partners", senders=frozenset({"@partner.example"}), priority=Priority.URGENT),
    RoutingRule("Everything else", department="Support"),
]
RUSSIAN_MAIL = """From: Ольга Петрова <olga@partner.example>
To: support@desk.test
Subject: Заказ 77

Здравствуйте! Прошу оформить возврат денег за заказ.
"""


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: DESK_SHOTS to look at them, else the test's own directory."""
    return Path(os.environ.get("DESK_SHOTS") or tmp_path)


def _discard_at_teardown(editor: RoutingEditor) -> None:
    if editor.isVisible() and editor.dirty:
        answer_unsaved(DISCARD, [])  # closing asks, at the end of a test too


def open_editor(qtbot, ctx) -> RoutingEditor:
    editor = RoutingEditor(ctx)
    qtbot.addWidget(editor, before_close_func=_discard_at_teardown)
    editor.show()
    editor.load()
    qtbot.waitUntil(lambda: editor.version is not None, timeout=5000)
    qtbot.waitUntil(lambda: ctx.runner.pending == 0, timeout=5000)
    return editor


def names(editor: RoutingEditor) -> list[str]:
    return [editor.rule_list.item(i).text() for i in range(editor.rule_list.count())]


def saved(editor: RoutingEditor, qtbot) -> None:
    qtbot.waitUntil(lambda: editor.ctx.runner.pending == 0, timeout=5000)


def test_editing_reordering_and_saving(qtbot, db, team, clock, make_ctx, shots):
    save_rules(db, RULES, team.lead, clock)
    ctx = make_ctx(team.lead)
    ctx.departments = ctx.queries.departments()
    editor = open_editor(qtbot, ctx)
    assert names(editor) == ["1. Refunds", "2. Partners", "3. Everything else"]
    assert editor.form.keywords.text() == "返金, возврат, refund"

    # A new rule: Japanese and Russian delivery keywords, to Support, least-loaded.
    editor.list_buttons["add"].click()
    assert editor.rule_list.currentRow() == 3
    form = editor.form
    form.name.selectAll()
    qtbot.keyClicks(form.name, "Deliveries")
    # Typed through an input method in real life; insert() edits as typing does.
    form.subject_keywords.insert("配達、доставка")
    form.department.setCurrentIndex(form.department.findData("Support"))
    form.assign_by.setCurrentIndex(form.assign_by.findData(AssignBy.LEAST_LOADED.value))
    assert editor.rules[3]["subject_keywords"] == ["配達", "доставка"]
    assert editor.status.text() == "Unsaved changes."
    # It must come before the catch-all to ever fire.
    editor.list_buttons["up"].click()
    assert names(editor)[2:] == ["3. Deliveries", "4. Everything else"]
    editor.list_buttons["duplicate"].click()
    assert names(editor)[3] == "4. Deliveries (copy)"
    editor.list_buttons["delete"].click()
    assert len(names(editor)) == 4
    editor.grab().save(str(shots / "routing_editor.png"))

    editor.save_button.click()
    saved(editor, qtbot)
    assert editor.status.text().startswith("Saved 4 rules;")
    snapshot = load_snapshot(db)
    assert [r.name for r in snapshot.rules] == [
        "Refunds",
        "Partners",
        "Deliveries",
        "Everything else",
    ]
    deliveries = snapshot.rules[2]
    assert deliveries.subject_keywords == ("配達", "доставка")
    assert (deliveries.department, deliveries.assign_by) == ("Support", AssignBy.LEAST_LOADED)
    assert snapshot.version == 2 and snapshot.changed_by == "Lena Lead"


def test_a_rule_that_cannot_work_is_named_and_not_saved(qtbot, db, team, clock, make_ctx):
    ctx = make_ctx(team.lead)
    ctx.departments = ctx.queries.departments()
    editor = open_editor(qtbot, ctx)
    assert names(editor) == [] and not editor.form.isEnabled()
    editor.list_buttons["add"].click()
    # Choosing an assignee needs a department to choose from.
    editor.form.assign_by.setCurrentIndex(1)
    assert "needs a department" in editor.form.error.text()
    editor.save_button.click()
    assert editor.status.text().startswith("Not saved: Rule 1 (New rule)")
    assert load_snapshot(db).rules == []


@offscreen_box
def test_a_stale_save_is_refused_with_who_changed_the_rules(qtbot, db, team, clock, make_ctx):
    save_rules(db, RULES, team.lead, clock)
    ctx = make_ctx(team.lead)
    ctx.departments = ctx.queries.departments()
    editor = open_editor(qtbot, ctx)
    save_rules(db, RULES[:1], team.admin, clock, expected_version=1)  # a colleague saves
    editor.list_buttons["delete"].click()
    editor.save_button.click()
    saved(editor, qtbot)
    assert "changed by Ada Admin" in editor.status.text()
    assert [r.name for r in load_snapshot(db).rules] == ["Refunds"]  # theirs stands
    answer_unsaved(DISCARD, [])  # Reload drops our unsaved deletion, so it asks first
    editor.reload_button.click()
    saved(editor, qtbot)
    assert names(editor) == ["1. Refunds"] and not editor.dirty


def test_the_tester_explains_the_match_for_russian_and_japanese(
    qtbot, db, team, clock, make_ctx, shots
):
    save_rules(db, RULES, team.lead, clock)
    ctx = make_ctx(team.lead)
    ctx.departments = ctx.queries.departments()
    editor = open_editor(qtbot, ctx)
    tester = editor.tester
    tester.pasted.setPlainText(RUSSIAN_MAIL)
    tester.try_button.click()
    qtbot.waitUntil(lambda: "would take it" in tester.result.text(), timeout=5000)
    text = tester.result.text()
    # Refunds is first, so it wins over Partners (the sender's domain) too.
    assert "Rule 1, “Refunds”" in text and "mentions 'возврат'" in text
    assert "move it to Billing" in text and "round-robin" in text
    assert "from olga@partner.example" in tester.read_as.text()
    assert editor.rule_list.item(0).font().bold()
    # Moving Partners first changes the answer at once, before any save.
    editor.rule_list.setCurrentRow(1)
    editor.list_buttons["up"].click()
    assert "Rule 1, “Partners”" in tester.result.text()
    assert "from olga@partner.example" in tester.result.text()
    assert editor.rule_list.item(0).font().bold() and not editor.rule_list.item(1).font().bold()
    editor.grab().save(str(shots / "routing_tester.png"))

    # Just some Japanese text: read as a body.
    tester.pasted.setPlainText("注文した商品の返金をお願いします。")
    tester.try_button.click()
    qtbot.waitUntil(lambda: "返金" in tester.result.text(), timeout=5000)
    assert "Rule 2, “Refunds”" in tester.result.text()


def test_the_tester_tries_a_recent_ticket_with_its_customers_tags(qtbot, db, team, clock, make_ctx):
    vip_rule = RoutingRule("VIP", customer_tags=frozenset({"vip"}), priority=Priority.HIGH)
    save_rules(db, [vip_rule, RULES[2]], team.lead, clock)
    system = Service(db, None, clock)
    ticket = new_ticket(system, "Где мой заказ?", "ivan@example.ru", department="Support")
    customer = Queries(db, None, clock).ticket(ticket).customer
    Service(db, team.lead, clock).edit_customer(customer.id, tags="vip")
    ctx = make_ctx(team.lead)
    ctx.departments = ctx.queries.departments()
    editor = open_editor(qtbot, ctx)
    tester = editor.tester
    assert tester.tickets.count() == 1
    tester.tickets.setCurrentIndex(0)
    tester.use_ticket.click()
    qtbot.waitUntil(lambda: "would take it" in tester.result.text(), timeout=5000)
    assert "“VIP”" in tester.result.text() and "customer tagged vip" in tester.result.text()


def test_agents_see_the_rules_but_cannot_change_them(qtbot, db, team, clock, ctx):
    save_rules(db, RULES, team.lead, clock)
    editor = open_editor(qtbot, ctx)  # Anna, an agent
    assert not editor.can_edit
    assert not editor.save_button.isEnabled() and not editor.form.isEnabled()
    assert not any(b.isEnabled() for b in editor.list_buttons.values())
    assert editor.rule_list.count() == 3
    assert editor.windowFlags() & Qt.WindowType.Dialog


# --- unsaved edits and read-only (issue 16, items 2 and 8) ---------------------------------


def _renamed(qtbot, db, team, clock, make_ctx) -> RoutingEditor:
    save_rules(db, RULES, team.lead, clock)
    editor = open_editor(qtbot, make_ctx(team.lead))
    editor.form.name.setText("Refunds, renamed")
    editor.form.name.textEdited.emit("Refunds, renamed")
    assert editor.dirty
    return editor


def _stored_names(db) -> list[str]:
    return [rule.name for rule in load_snapshot(db).rules]


@offscreen_box
def test_closing_with_unsaved_rules_cancel_keeps_them(qtbot, db, team, clock, make_ctx):
    editor = _renamed(qtbot, db, team, clock, make_ctx)
    asked: list[str] = []
    answer_unsaved(CANCEL, asked)
    qtbot.keyClick(editor.rule_list, Qt.Key.Key_Escape)
    assert asked == ["Save your changes to the routing rules?"]
    assert editor.isVisible() and editor.dirty
    assert names(editor)[0] == "1. Refunds, renamed"
    answer_unsaved(CANCEL, asked)
    editor.reload_button.click()  # Reload would replace the list: it asks too
    saved(editor, qtbot)
    assert len(asked) == 2 and names(editor)[0] == "1. Refunds, renamed"
    assert _stored_names(db)[0] == "Refunds"


@offscreen_box
def test_closing_with_unsaved_rules_save_saves_then_closes(qtbot, db, team, clock, make_ctx):
    editor = _renamed(qtbot, db, team, clock, make_ctx)
    answer_unsaved(SAVE, [])
    editor.close()
    saved(editor, qtbot)
    qtbot.waitUntil(lambda: not editor.isVisible(), timeout=5000)
    assert _stored_names(db)[0] == "Refunds, renamed"


@offscreen_box
def test_closing_with_unsaved_rules_discard_closes(qtbot, db, team, clock, make_ctx):
    editor = _renamed(qtbot, db, team, clock, make_ctx)
    answer_unsaved(DISCARD, [])
    qtbot.keyClick(editor.rule_list, Qt.Key.Key_Escape)
    assert not editor.isVisible()
    assert _stored_names(db)[0] == "Refunds"


def test_agents_are_told_in_the_dialog_why_they_cannot_save(
    qtbot, db, team, clock, ctx, make_ctx, shots
):
    save_rules(db, RULES, team.lead, clock)
    editor = open_editor(qtbot, ctx)  # Anna, an agent
    assert editor.read_only_note.isVisible()
    assert editor.read_only_note.text().startswith("Only leads and admins can change")
    editor.grab().save(str(shots / "routing-read-only.png"))
    lead = open_editor(qtbot, make_ctx(team.lead))
    assert not lead.read_only_note.isVisible()
