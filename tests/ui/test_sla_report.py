"""The SLA report view: a date range, and compliance per department and per agent."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import QDate

from desk_app.store import Service
from desk_app.store.sla_store import import_rules
from desk_app.ui.sla_report import SlaReportDialog
from tests.store.test_escalations import rules_with
from tests.ui.conftest import new_ticket, settle


def cell_texts(table, row: int) -> list[str]:
    return [table.item(row, column).text() for column in range(table.columnCount())]


def test_compliance_per_department_and_agent(qtbot, db, team, clock, ctx, tmp_path: Path):
    import_rules(db, rules_with(None), team.admin, clock)
    lead = Service(db, team.lead, clock)
    on_time = new_ticket(lead, "On time", "a@example.com", department="Support")
    late = new_ticket(lead, "Late", "b@example.com", department="Support")
    lead.assign(on_time, agent=team.anna)
    lead.assign(late, agent=team.anna)
    clock.advance(minutes=30)
    Service(db, team.anna, clock).reply(on_time, "Done quickly")
    clock.advance(minutes=60)
    Service(db, team.anna, clock).reply(late, "Sorry for the wait")

    dialog = SlaReportDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.load()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=5000)
    departments = dialog.tables["department"]
    assert departments.rowCount() == 1
    assert cell_texts(departments, 0)[:4] == ["Support", "1", "1", "50.0%"]
    agents = dialog.tables["agent"]
    assert cell_texts(agents, 0)[:4] == ["Anna Ivanova", "1", "1", "50.0%"]
    assert dialog.status.text() == "2 targets decided in the range"
    dialog.grab().save(str(tmp_path / "sla_report.png"))


def test_a_range_without_tickets_and_a_backwards_range(qtbot, db, team, clock, ctx):
    import_rules(db, rules_with(None), team.admin, clock)
    dialog = SlaReportDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    earlier = date(2020, 1, 1)
    dialog.since_edit.setDate(QDate(earlier.year, earlier.month, earlier.day))
    later = earlier + timedelta(days=3)
    dialog.until_edit.setDate(QDate(later.year, later.month, later.day))
    dialog.load()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=5000)
    assert dialog.tables["department"].rowCount() == 0
    assert dialog.status.text() == "No decided targets here."
    dialog.until_edit.setDate(QDate(2019, 12, 1))
    dialog.load()
    assert dialog.status.text() == "The end date is before the start date."


def test_the_menu_opens_the_report(qtbot, db, team, clock, ctx, open_window):
    import_rules(db, rules_with(None), team.admin, clock)
    window = open_window(ctx)
    window.window_actions["sla_report"].trigger()
    settle(qtbot, window)
    dialogs = window.findChildren(SlaReportDialog)
    assert len(dialogs) == 1 and dialogs[0].isVisible()
    qtbot.waitUntil(lambda: dialogs[0].report is not None, timeout=5000)
    dialogs[0].close()
