"""The template manager: create, edit, duplicate, delete, filters, the syntax check with line
and column, preview against a ticket, and effectiveness columns that sort."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from desk_app.store import Service
from desk_app.store.template_store import TemplateFields, TemplateStore
from desk_app.ui.template_manager import TemplateManager
from tests.ui.conftest import new_ticket
from tests.ui.unsaved_answers import CANCEL, DISCARD, SAVE, answer_unsaved, offscreen_box


def _idle(qtbot, ctx) -> None:
    qtbot.waitUntil(lambda: ctx.runner.pending == 0, timeout=5000)


def _discard_at_teardown(dialog: TemplateManager) -> None:
    if dialog.isVisible() and dialog.is_dirty():
        answer_unsaved(DISCARD, [])  # closing asks, at the end of a test too


@pytest.fixture
def manager(qtbot, make_ctx, team, db, clock):
    ctx = make_ctx(team.lead)
    ctx.departments = ctx.queries.departments()
    dialog = TemplateManager(ctx)
    qtbot.addWidget(dialog, before_close_func=_discard_at_teardown)
    dialog.resize(1100, 700)
    dialog.show()
    dialog.load()
    _idle(qtbot, ctx)
    return dialog


def _row_titles(dialog) -> list[str]:
    proxy = dialog.proxy
    return [proxy.index(row, 0).data() for row in range(proxy.rowCount())]


def test_create_edit_duplicate_delete(qtbot, manager, db, clock, team):
    ctx = manager._ctx
    manager.new_template()
    manager.title_edit.setText("Refund issued")
    manager.shortcut_edit.setText("/refund")
    manager.tags_edit.setText("billing money")
    manager.scope_edit.setCurrentIndex(manager.scope_edit.findData("department"))
    manager.department_edit.setCurrentIndex(manager.department_edit.findData(team.billing))
    qtbot.keyClicks(manager.body_edit, "Hello {{ customer.first_name }}")
    qtbot.mouseClick(manager.save_button, Qt.MouseButton.LeftButton)
    _idle(qtbot, ctx)
    assert _row_titles(manager) == ["Refund issued"]
    stored = TemplateStore(db, team.lead, clock).get("/refund")
    assert (stored.scope, stored.department, stored.tags) == (
        "department",
        "Billing",
        ["billing", "money"],
    )

    manager.title_edit.setText("Refund sent")
    qtbot.mouseClick(manager.save_button, Qt.MouseButton.LeftButton)
    _idle(qtbot, ctx)
    assert TemplateStore(db, team.lead, clock).get(stored.id).version == 2

    qtbot.mouseClick(manager.duplicate_button, Qt.MouseButton.LeftButton)
    _idle(qtbot, ctx)
    assert sorted(_row_titles(manager)) == ["Refund sent", "Refund sent (copy)"]
    assert manager._editing.template is not None
    assert manager._editing.template.scope == "personal"

    # Delete takes two presses; nothing happens on the first.
    qtbot.mouseClick(manager.delete_button, Qt.MouseButton.LeftButton)
    assert manager.delete_button.text() == "Press again to delete"
    assert len(_row_titles(manager)) == 2
    qtbot.mouseClick(manager.delete_button, Qt.MouseButton.LeftButton)
    _idle(qtbot, ctx)
    assert _row_titles(manager) == ["Refund sent"]


def test_a_colleagues_newer_edit_is_a_clear_conflict_and_keeps_the_text(
    qtbot, manager, db, clock, team
):
    ctx = manager._ctx
    store = TemplateStore(db, team.lead, clock)
    template = store.create(TemplateFields("Greeting", "Hi"))
    manager.load()
    _idle(qtbot, ctx)
    manager.select(template.id)
    TemplateStore(db, team.admin, clock).edit(
        template.id, TemplateFields("Greeting", "Hello there"), expected_version=1
    )
    manager.body_edit.setPlainText("Hi, my version")
    qtbot.mouseClick(manager.save_button, Qt.MouseButton.LeftButton)
    _idle(qtbot, ctx)
    assert "changed by Ada Admin" in manager.message.text()
    assert manager.body_edit.toPlainText() == "Hi, my version"
    assert store.get(template.id).body == "Hello there"


def test_syntax_check_names_line_and_column_and_blocks_saving(qtbot, manager, db, clock, team):
    manager.new_template()
    manager.title_edit.setText("Broken")
    manager.body_edit.setPlainText("Hello\n  Dear {{ customer.name }")
    assert manager.check() is False
    assert manager.check_label.text() == "⚠ Body, line 2, column 8: unexpected '}'"
    qtbot.mouseClick(manager.save_button, Qt.MouseButton.LeftButton)
    _idle(qtbot, manager._ctx)
    assert manager.message.text() == "Fix the mistake shown before saving."
    assert TemplateStore(db, team.lead, clock).templates() == []
    manager.body_edit.setPlainText("Hi {{ customer.frist_name }} {{ input.order }}")
    assert manager.check() is True
    assert "customer.frist_name is unknown" in manager.check_label.text()
    assert "Asks for: order." in manager.check_label.text()


def test_filters_and_sortable_effectiveness(qtbot, manager, db, clock, team):
    ctx = manager._ctx
    lena = TemplateStore(db, team.lead, clock)
    good = lena.create(TemplateFields("Good", "g", language="en"))
    weak = lena.create(TemplateFields("Weak", "w", language="ja"))
    lena.create(TemplateFields("Mine", "m", scope="personal"))
    agent = Service(db, team.anna, clock)
    system = Service(db, None, clock)
    for n in range(2):
        ticket = new_ticket(system, f"Q{n}", f"q{n}@example.com", department="Support")
        agent.reply(ticket, "answer", template_ids=[good.id], status_after="solved")
    ticket = new_ticket(system, "Q9", "q9@example.com", department="Support")
    agent.reply(ticket, "answer", template_ids=[weak.id, good.id], status_after="solved")
    clock.advance(days=1)
    system.add_inbound_message(ticket, "no, still broken")
    manager.load()
    _idle(qtbot, ctx)
    rows = {row.title: row for row in manager.table_model.rows}
    assert (rows["Good"].uses, rows["Good"].solved_first_time, rows["Good"].tickets) == (3, 2, 3)
    good_row = _row_titles(manager).index("Good")
    assert manager.proxy.index(good_row, 5).data() == "67% of 3"
    assert manager.proxy.index(_row_titles(manager).index("Mine"), 5).data() == "—"

    manager.table.sortByColumn(5, Qt.SortOrder.DescendingOrder)
    assert _row_titles(manager) == ["Good", "Weak", "Mine"]
    manager.table.sortByColumn(4, Qt.SortOrder.AscendingOrder)
    assert _row_titles(manager)[0] == "Mine"

    manager.scope_filter.setCurrentIndex(manager.scope_filter.findData("personal"))
    assert _row_titles(manager) == ["Mine"]
    manager.scope_filter.setCurrentIndex(0)
    manager.language_filter.setCurrentIndex(manager.language_filter.findData("ja"))
    assert _row_titles(manager) == ["Weak"]


def test_preview_against_a_chosen_ticket(qtbot, manager, db, clock, team, tmp_path):
    ctx = manager._ctx
    ticket = new_ticket(
        Service(db, None, clock), "Lost parcel", "p@example.com", customer_name="Pat Doe"
    )
    manager.new_template()
    manager.title_edit.setText("Parcel")
    manager.subject_edit.setText("Re: {{ ticket.subject }}")
    manager.body_edit.setPlainText("Hi {{ customer.first_name }}, order {{ input.order }}")
    manager.preview_ticket.setValue(ticket)
    qtbot.mouseClick(manager.preview_button, Qt.MouseButton.LeftButton)
    _idle(qtbot, ctx)
    assert manager.preview_text.toPlainText() == (
        "Subject: Re: Lost parcel\nHi Pat, order ⟦input.order⟧"
    )
    assert manager.preview_missing.text() == "Unfilled for this ticket: input.order"
    manager.preview_ticket.setValue(ticket + 100)
    qtbot.mouseClick(manager.preview_button, Qt.MouseButton.LeftButton)
    _idle(qtbot, ctx)
    assert "does not exist" in manager.preview_missing.text()

    target = Path(tmp_path) / "manager.png"
    assert manager.grab().save(str(target))
    # Nothing in the editor column is squeezed below what it needs.
    for widget in (manager.check_label, manager.save_button, manager.preview_button):
        assert widget.height() >= widget.minimumSizeHint().height()
    assert manager.body_edit.height() >= 120


# --- unsaved edits (issue 16, item 2) ---------------------------------------------------------


def _two_templates(manager, db, team, clock) -> tuple[int, int]:
    store = TemplateStore(db, team.lead, clock)
    first = store.create(TemplateFields(title="Alpha", body="Hello", language="en"))
    second = store.create(TemplateFields(title="Beta", body="Bye", language="en"))
    manager.load(select_id=first.id)
    _idle(qtbot_of(manager), manager._ctx)
    return first.id, second.id


def qtbot_of(manager):
    return manager._qtbot


@pytest.fixture
def edited(qtbot, manager, db, team, clock):
    """Alpha open in the editor with its body changed, and Beta next to it."""
    manager._qtbot = qtbot
    alpha, beta = _two_templates(manager, db, team, clock)
    assert manager.title_edit.text() == "Alpha"
    manager.body_edit.setPlainText("Hello, edited")
    return manager, alpha, beta


def _click_row(qtbot, manager, title: str) -> None:
    row = _row_titles(manager).index(title)
    rect = manager.table.visualRect(manager.proxy.index(row, 0))
    qtbot.mouseClick(manager.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


@offscreen_box
def test_switching_template_with_an_edit_asks_and_cancel_keeps_it(qtbot, edited, db, team, clock):
    manager, alpha, _beta = edited
    asked: list[str] = []
    answer_unsaved(CANCEL, asked)
    _click_row(qtbot, manager, "Beta")
    assert asked == ["Save your changes to “Alpha”?"]
    assert manager.body_edit.toPlainText() == "Hello, edited"
    assert manager.title_edit.text() == "Alpha"
    current = manager.proxy.index(manager.table.currentIndex().row(), 0).data()
    assert current == "Alpha"
    assert TemplateStore(db, team.lead, clock).get(alpha).body == "Hello"


@offscreen_box
def test_switching_template_discard_moves_on_without_saving(qtbot, edited, db, team, clock):
    manager, alpha, _beta = edited
    asked: list[str] = []
    answer_unsaved(DISCARD, asked)
    _click_row(qtbot, manager, "Beta")
    assert asked
    assert manager.title_edit.text() == "Beta"
    assert manager.body_edit.toPlainText() == "Bye"
    assert TemplateStore(db, team.lead, clock).get(alpha).body == "Hello"


@offscreen_box
def test_switching_template_save_saves_then_moves_on(qtbot, edited, db, team, clock):
    manager, alpha, _beta = edited
    asked: list[str] = []
    answer_unsaved(SAVE, asked)
    _click_row(qtbot, manager, "Beta")
    _idle(qtbot, manager._ctx)
    qtbot.waitUntil(lambda: manager.title_edit.text() == "Beta", timeout=5000)
    assert TemplateStore(db, team.lead, clock).get(alpha).body == "Hello, edited"
    assert manager.body_edit.toPlainText() == "Bye"
    assert not manager.is_dirty()


@offscreen_box
def test_a_failed_save_does_not_move_on(qtbot, edited, db, team, clock):
    manager, alpha, _beta = edited
    # A colleague saves first: ours is refused, and the edit and the selection stay.
    TemplateStore(db, team.lead, clock).edit(
        alpha, TemplateFields(title="Alpha", body="Theirs", language="en"), expected_version=1
    )
    answer_unsaved(SAVE, [])
    _click_row(qtbot, manager, "Beta")
    _idle(qtbot, manager._ctx)
    assert manager.message.text().startswith("Could not save the template")
    assert manager.title_edit.text() == "Alpha"
    assert manager.body_edit.toPlainText() == "Hello, edited"


@offscreen_box
def test_escape_with_an_edit_asks_before_closing(qtbot, edited, db, team, clock):
    manager, alpha, _beta = edited
    asked: list[str] = []
    answer_unsaved(CANCEL, asked)
    qtbot.keyClick(manager.body_edit, Qt.Key.Key_Escape)
    assert asked and manager.isVisible()
    assert manager.body_edit.toPlainText() == "Hello, edited"

    answer_unsaved(SAVE, asked)
    manager.close()  # the window's close button goes the same way
    _idle(qtbot, manager._ctx)
    qtbot.waitUntil(lambda: not manager.isVisible(), timeout=5000)
    assert TemplateStore(db, team.lead, clock).get(alpha).body == "Hello, edited"


@offscreen_box
def test_escape_discard_closes_and_an_untouched_editor_does_not_ask(qtbot, edited, db, team, clock):
    manager, alpha, _beta = edited
    answer_unsaved(DISCARD, [])
    qtbot.keyClick(manager.body_edit, Qt.Key.Key_Escape)
    assert not manager.isVisible()
    assert TemplateStore(db, team.lead, clock).get(alpha).body == "Hello"


@offscreen_box
def test_new_and_duplicate_ask_about_the_edit(qtbot, edited, db, team, clock):
    manager, _alpha, _beta = edited
    asked: list[str] = []
    answer_unsaved(CANCEL, asked)
    manager.new_button.click()
    assert manager.title_edit.text() == "Alpha" and len(asked) == 1
    answer_unsaved(CANCEL, asked)
    manager.duplicate_button.click()
    _idle(qtbot, manager._ctx)
    assert len(asked) == 2 and _row_titles(manager) == ["Alpha", "Beta"]
    answer_unsaved(DISCARD, asked)
    manager.new_button.click()
    assert manager.title_edit.text() == "" and not manager.is_dirty()
    _click_row(qtbot, manager, "Beta")  # nothing typed in the new one: no question
    assert len(asked) == 3 and manager.title_edit.text() == "Beta"
