"""Deadline alerts on the desktop: once per ticket and state, restart-proof, click opens."""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from desk_app.store import Service
from desk_app.store.sla_store import import_rules
from desk_app.ui.sla_alerts import SlaAlerts
from desk_app.ui.window_sizing import pin_minimum_size
from desk_app.worker.escalation import escalate_overdue
from tests.store.test_escalations import rules_with
from tests.ui.conftest import new_ticket, settle


def make_alerts(qtbot: QtBot, ctx, opened: list[int]) -> SlaAlerts:
    """The alerts with their in-window strip inside a shown window, as the main window has it."""
    host = QWidget()
    qtbot.addWidget(host)
    alerts = SlaAlerts(ctx, opened.append, host)
    QVBoxLayout(host).addWidget(alerts.notice)
    host.resize(600, 80)
    pin_minimum_size(host, 600, 80)
    host.show()
    return alerts


def refreshed(qtbot: QtBot, alerts: SlaAlerts, ctx) -> None:
    before = ctx.runner.pending
    alerts.refresh()
    assert ctx.runner.pending == before + 1
    qtbot.waitUntil(lambda: ctx.runner.pending == 0, timeout=5000)


def test_amber_then_red_once_each_and_not_again_after_a_restart(qtbot, db, team, clock, ctx):
    import_rules(db, rules_with(None), team.admin, clock)
    service = Service(db, team.lead, clock)
    mine = new_ticket(service, "Mine", "a@example.com", department="Support")
    service.assign(mine, agent=team.anna)
    new_ticket(service, "Unassigned in Support", "b@example.com", department="Support")
    new_ticket(service, "Billing's", "c@example.com", department="Billing")
    opened: list[int] = []
    alerts = make_alerts(qtbot, ctx, opened)
    assert alerts.tray is None  # offscreen: the in-window path
    refreshed(qtbot, alerts, ctx)
    assert alerts.shown_alerts == []

    clock.advance(minutes=31)  # 29 minutes left of a 60-minute first response: amber
    refreshed(qtbot, alerts, ctx)
    titles = sorted(alert.text for alert in alerts.shown_alerts)
    assert titles == ["Mine", "Unassigned in Support"]
    assert alerts.notice.isVisible()
    assert "Due in 29m" in alerts.notice.text
    assert alerts.notice.property("level") == "warning"

    alerts.check_now()  # a recompute or a timer firing again changes nothing
    assert len(alerts.shown_alerts) == 2

    clock.advance(minutes=30)  # one minute past due: red
    alerts.check_now()
    red = [a for a in alerts.shown_alerts if a.level == "error"]
    assert sorted(a.ticket_id for a in red) == sorted({a.ticket_id for a in alerts.shown_alerts})
    assert red[-1].title.startswith("SLA breached")
    assert alerts.notice.property("level") == "error"

    alerts.notice.action_button.click()
    assert opened == [red[-1].ticket_id]

    alerts.stop()
    restarted = make_alerts(qtbot, ctx, opened)
    refreshed(qtbot, restarted, ctx)
    assert restarted.shown_alerts == []


def test_a_breach_seen_first_after_a_restart_shows_red_only(qtbot, db, team, clock, ctx):
    import_rules(db, rules_with(None), team.admin, clock)
    new_ticket(Service(db, None, clock), "Late", "a@example.com", department="Support")
    clock.advance(minutes=65)
    alerts = make_alerts(qtbot, ctx, [])
    refreshed(qtbot, alerts, ctx)
    assert [a.level for a in alerts.shown_alerts] == ["error"]
    clock.advance(hours=1)
    alerts.check_now()
    assert len(alerts.shown_alerts) == 1


def test_the_exact_moment_is_scheduled_from_the_watched_tickets(qtbot, db, team, clock, ctx):
    import_rules(db, rules_with(None), team.admin, clock)
    new_ticket(Service(db, None, clock), "Soon", "a@example.com", department="Support")
    clock.advance(minutes=29, seconds=40)  # amber in 20 seconds
    alerts = make_alerts(qtbot, ctx, [])
    refreshed(qtbot, alerts, ctx)
    assert [ticket.subject for ticket in alerts._watched] == ["Soon"]
    assert alerts.shown_alerts == []
    timer = alerts._next
    assert timer.isActive()
    # The watch query runs every 30 s; the alert must come at its moment, not with the query.
    assert 19_000 <= timer.remainingTime() <= 20_100
    clock.advance(seconds=20)
    timer.timeout.emit()
    assert [alert.level for alert in alerts.shown_alerts] == ["warning"]


def test_old_breaches_and_far_deadlines_are_not_fetched(qtbot, db, team, clock, ctx):
    import_rules(db, rules_with(None), team.admin, clock)
    new_ticket(Service(db, None, clock), "Long ago", "a@example.com", department="Support")
    clock.advance(hours=5)
    new_ticket(Service(db, None, clock), "Just in", "b@example.com", department="Support")
    alerts = make_alerts(qtbot, ctx, [])
    refreshed(qtbot, alerts, ctx)
    assert alerts._watched == [] and alerts.shown_alerts == []


def test_a_lead_sees_the_workers_escalation(qtbot, db, team, clock, make_ctx):
    import_rules(db, rules_with({"notify_leads": True}), team.admin, clock)
    ticket_id = new_ticket(Service(db, None, clock), "Fire", "a@example.com", department="Billing")
    clock.advance(minutes=61)
    escalate_overdue(db, clock)
    lead_ctx = make_ctx(team.lead)
    opened: list[int] = []
    alerts = make_alerts(qtbot, lead_ctx, opened)
    refreshed(qtbot, alerts, lead_ctx)
    escalated = [a for a in alerts.shown_alerts if a.title.startswith("Escalated")]
    assert len(escalated) == 1
    assert "SLA breach: first response" in escalated[0].text
    assert escalated[0].ticket_id == ticket_id
    alerts.stop()
    again = make_alerts(qtbot, lead_ctx, opened)
    refreshed(qtbot, again, lead_ctx)
    assert not [a for a in again.shown_alerts if a.title.startswith("Escalated")]


def test_the_window_shows_alerts_and_opens_the_ticket(qtbot, db, team, clock, ctx, open_window):
    import_rules(db, rules_with(None), team.admin, clock)
    system = Service(db, None, clock)
    ticket_id = new_ticket(system, "Window", "a@example.com", department="Support")
    clock.advance(minutes=61)
    window = open_window(ctx)
    qtbot.waitUntil(lambda: window.sla_alerts.notice.isVisible(), timeout=5000)
    assert "SLA breached: #" in window.sla_alerts.notice.text
    window.sla_alerts.notice.action_button.click()
    settle(qtbot, window)
    qtbot.waitUntil(lambda: window.ticket_pane.ticket_id == ticket_id, timeout=5000)


def test_many_at_once_become_one_summary_and_an_old_backlog_stays_quiet(
    qtbot, db, team, clock, ctx
):
    import_rules(db, rules_with(None), team.admin, clock)
    system = Service(db, None, clock)
    backlog = new_ticket(system, "Amber for a while", "old@example.com", department="Support")
    clock.advance(minutes=15)
    ids = [
        new_ticket(system, f"Burst {n}", f"b{n}@example.com", department="Support")
        for n in range(5)
    ]
    clock.advance(minutes=30, seconds=30)  # the burst just turned amber; the backlog 15 min ago
    alerts = make_alerts(qtbot, ctx, [])
    refreshed(qtbot, alerts, ctx)
    [summary] = alerts.shown_alerts
    assert summary.title == "5 tickets need attention"
    assert summary.text.startswith("5 about to breach: #")  # not "5 about to: #"
    assert summary.ticket_id in ids
    assert f"#{backlog}" not in summary.text


def test_a_long_target_found_by_the_wide_query_is_reread_before_it_alerts(
    qtbot, db, team, clock, ctx
):
    rules = rules_with(None)
    rules["policies"][0]["targets"] = [
        {"kind": "resolution", "minutes": 6000, "business_hours": False}
    ]
    import_rules(db, rules, team.admin, clock)
    system = Service(db, None, clock)
    solved_soon = new_ticket(system, "Solved meanwhile", "a@example.com", department="Support")
    new_ticket(system, "Still open", "b@example.com", department="Support")
    # Amber at 25% of 100 hours: 75 hours in. Two minutes before, only the wide query sees them.
    clock.advance(hours=75, minutes=-2)
    alerts = make_alerts(qtbot, ctx, [])
    refreshed(qtbot, alerts, ctx)
    assert sorted(t.subject for t in alerts._watched) == ["Solved meanwhile", "Still open"]
    Service(db, team.anna, clock).set_status(solved_soon, "solved")
    clock.advance(minutes=3)
    refreshed(qtbot, alerts, ctx)  # not time for the wide query again: the ids are re-read
    assert [alert.text for alert in alerts.shown_alerts] == ["Still open"]
