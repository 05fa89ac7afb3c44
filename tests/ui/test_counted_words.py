"""Other words the window says (issue 16, item 9), pinned: where a ticket goes without routing
rules, and the SLA alert that sums up a burst."""

from __future__ import annotations

from tests.ui.test_routing_editor import open_editor


def test_without_rules_the_editor_says_where_new_tickets_go(qtbot, make_ctx, team):
    editor = open_editor(qtbot, make_ctx(team.lead))
    assert editor.rules == []
    assert editor.status.text() == (
        "No rules yet: each new ticket stays in the department of the mailbox it came to, "
        "unassigned."
    )
