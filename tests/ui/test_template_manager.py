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


def _idle(qtbot, ctx) -> None:
    qtbot.waitUntil(lambda: ctx.runner.pending == 0, timeout=5000)


@pytest.fixture
def manager(qtbot, make_ctx, team, db, clock):
    ctx = make_ctx(team.lead)
    ctx.departments = ctx.queries.departments()
    dialog = TemplateManager(ctx)
    qtbot.addWidget(dialog)
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
