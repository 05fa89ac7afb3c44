"""The ticket's history in plain words (issue 16, item 9): "System changed escalation to no
lead to notify" and "changed department to None" read as what happened."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from desk_app.store import Service
from desk_app.store.records import AuditRecord
from desk_app.store.sla_store import import_rules
from desk_app.ui.audit_words import describe
from tests.store.test_escalations import escalate_all, rules_with
from tests.ui.conftest import new_ticket, settle

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def event(
    field: str | None,
    new: str | None,
    *,
    actor: str | None = None,
    action: str = "update",
    reason: str | None = None,
) -> AuditRecord:
    return AuditRecord(1, AT, actor, action, field, None, new, reason, 2)


@pytest.mark.parametrize(
    ("record", "said"),
    [
        # The escalation rows, as store/escalations.py writes them (and wrote them before).
        (
            event("escalation", "no lead to notify", reason="first response breached"),
            "Desk escalated the ticket but found no team lead to tell (first response breached)",
        ),
        (
            event("escalation", "leads notified: Lena Lead"),
            "Desk told 1 team lead about the escalation: Lena Lead",
        ),
        (
            event("escalation", "leads notified: Lena Lead, Oleg Park"),
            "Desk told 2 team leads about the escalation: Lena Lead, Oleg Park",
        ),
        # People's changes.
        (
            event("department", "Billing", actor="Lena", reason="refund question"),
            "Lena moved the ticket to Billing (refund question)",
        ),
        (event("department", None, actor="Lena"), "Lena took the ticket out of its department"),
        (
            event("assignee", "Anna Ivanova", actor="Lena"),
            "Lena assigned the ticket to Anna Ivanova",
        ),
        (event("assignee", None, actor="Lena"), "Lena unassigned the ticket"),
        (event("status", "solved", actor="Anna"), "Anna set the status to solved"),
        (event("priority", None, actor="Anna"), "Anna cleared the priority"),  # never "to None"
        (event("sla_policy", None), "Desk cleared the sla policy"),
        (event("sla_policy", "Gold"), "Desk changed the sla policy to Gold"),
        # Routing.
        (
            event("routing_rule", "Refunds", action="route"),
            "The routing rule “Refunds” took the ticket",
        ),
        (event("department", "Billing", action="route"), "Routing moved the ticket to Billing"),
        (event("tags", "vip", action="route"), "Routing changed the tags to vip"),
        # After hours: the worker's phrases, said by Desk rather than "System".
        (
            event("on_call", "paged Kenji (Nights)", action="page"),
            "Desk: paged Kenji (Nights)",
        ),
        # A name is shown as written, even one that looks like a placeholder.
        (event("department", "%2 %1", actor="%1"), "%1 moved the ticket to %2 %1"),
    ],
)
def test_history_lines_say_what_happened(qapp, record: AuditRecord, said: str) -> None:
    assert describe(record) == said


def test_an_escalation_without_a_lead_reads_plainly_in_the_timeline(
    qtbot, db, clock, ctx, team, open_window
):
    system = Service(db, None, clock)
    system.add_department("Night shift")
    import_rules(db, rules_with({"notify_leads": True}), team.admin, clock)
    ticket = new_ticket(system, "Printer on fire", "carol@example.com", department="Night shift")
    clock.advance(minutes=61)
    assert len(escalate_all(db, clock)) == 1
    window = open_window(ctx, view="all_open", ticket=ticket)
    window.open_ticket(ticket)
    qtbot.waitUntil(
        lambda: window.ticket_pane.detail is not None and window.ticket_pane.detail.id == ticket,
        timeout=5000,
    )
    settle(qtbot, window)
    text = window.ticket_pane.conversation.toPlainText()
    assert "Desk escalated the ticket but found no team lead to tell" in text
    assert "changed escalation" not in text and "System" not in text
