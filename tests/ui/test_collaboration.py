"""Working beside colleagues: who is on a ticket, the prompt when the conversation grew while
the agent was writing, and two leads reassigning the same ticket at once. Real windows on one
real database; the change feed carries everything between them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import select

from desk_app.store import Service
from desk_app.store.models import Message
from desk_app.ui.inbox_model import Column
from tests.ui.conftest import new_ticket, settle


def _open(qtbot, window, ticket_id: int) -> None:
    window.open_ticket(ticket_id)
    qtbot.waitUntil(
        lambda: window.ticket_pane.detail is not None and window.ticket_pane.detail.id == ticket_id,
        timeout=5000,
    )
    settle(qtbot, window)


def _outbound(db) -> list[tuple[int | None, str]]:
    with db.read() as session:
        rows = session.scalars(
            select(Message).where(Message.direction == "outbound").order_by(Message.id)
        )
        return [(m.author_agent_id, m.body_text) for m in rows]


def _write_and_send(qtbot, window, text: str) -> None:
    composer = window.ticket_pane.composer
    qtbot.keyClicks(composer.editor, text)
    qtbot.keyClick(composer.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, window)


def test_a_reply_written_while_a_colleague_answered_is_held_until_the_agent_chooses(
    qtbot, db, clock, ctx, team, open_window
):
    ticket = new_ticket(Service(db, None, clock), "Refund please", "ivan@example.com")
    window = open_window(ctx, view="all_open", ticket=ticket)
    _open(qtbot, window, ticket)
    Service(db, team.lead, clock).reply(ticket, "Refund issued today.")

    _write_and_send(qtbot, window, "I will refund you.")
    pane = window.ticket_pane
    qtbot.waitUntil(lambda: pane.collision.isVisible(), timeout=5000)
    assert "Lena Lead replied" in pane.collision.label.text()
    assert _outbound(db) == [(team.lead, "Refund issued today.")]  # nothing of Anna's went out
    assert pane.composer.text() == "I will refund you."  # her text is still there
    qtbot.waitUntil(lambda: "Refund issued today." in pane.conversation.toPlainText(), timeout=5000)

    qtbot.mouseClick(pane.collision.send_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert _outbound(db) == [
        (team.lead, "Refund issued today."),
        (team.anna, "I will refund you."),
    ]
    assert not pane.collision.isVisible()
    assert pane.composer.text() == ""


def test_discarding_after_a_collision_drops_the_text_and_its_draft(
    qtbot, db, clock, ctx, team, open_window
):
    ticket = new_ticket(Service(db, None, clock), "Password", "olga@example.com")
    window = open_window(ctx, view="all_open", ticket=ticket)
    _open(qtbot, window, ticket)
    Service(db, None, clock).add_inbound_message(ticket, "Never mind, I found it!")

    _write_and_send(qtbot, window, "Here is the reset link")
    pane = window.ticket_pane
    qtbot.waitUntil(lambda: pane.collision.isVisible(), timeout=5000)
    assert "the customer wrote a new message" in pane.collision.label.text()
    qtbot.mouseClick(pane.collision.discard_button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    assert pane.composer.text() == ""
    assert _outbound(db) == []
    assert ctx.queries.drafts(ticket) == []
    assert ctx.local_drafts.pending() == []


def test_editing_after_a_collision_keeps_the_text_for_later(
    qtbot, db, clock, ctx, team, open_window
):
    ticket = new_ticket(Service(db, None, clock), "Delivery", "sato@example.com")
    window = open_window(ctx, view="all_open", ticket=ticket)
    _open(qtbot, window, ticket)
    Service(db, team.lead, clock).add_note(ticket, "Courier called: parcel is lost")

    _write_and_send(qtbot, window, "Your parcel is on its way")
    pane = window.ticket_pane
    qtbot.waitUntil(lambda: pane.collision.isVisible(), timeout=5000)
    qtbot.mouseClick(pane.collision.edit_button, Qt.MouseButton.LeftButton)
    assert pane.composer.text() == "Your parcel is on its way"
    # The text is kept as a draft, so it survives a restart as well.
    qtbot.waitUntil(
        lambda: [d.body for d in ctx.queries.drafts(ticket)] == ["Your parcel is on its way"],
        timeout=5000,
    )


def test_colleagues_see_who_is_replying_and_it_goes_when_they_leave(
    qtbot, db, clock, make_ctx, team, open_window
):
    ticket = new_ticket(Service(db, None, clock), "Shared ticket", "kim@example.com")
    anna = open_window(make_ctx(team.anna), view="all_open", ticket=ticket)
    lena = open_window(make_ctx(team.lead), view="all_open", ticket=ticket)
    _open(qtbot, anna, ticket)
    _open(qtbot, lena, ticket)
    label = anna.ticket_pane.presence_label
    qtbot.waitUntil(
        lambda: label.isVisible() and "Lena Lead is viewing" in label.text(), timeout=5000
    )

    qtbot.keyClicks(lena.ticket_pane.composer.editor, "Let me take this one")
    qtbot.waitUntil(lambda: "Lena Lead is replying" in label.text(), timeout=5000)
    # The inbox row says so too: a pen for whoever is writing, the sentence in the tooltip.
    row = anna.model.row_of(ticket)
    cell = anna.model.index(row, Column.ASSIGNEE)
    qtbot.waitUntil(lambda: cell.data().endswith("·  Lena ✎"), timeout=5000)
    assert cell.data(Qt.ItemDataRole.ToolTipRole) == "Lena Lead is replying"
    other = lena.ticket_pane.presence_label
    qtbot.waitUntil(lambda: "Anna Ivanova is viewing" in other.text(), timeout=5000)

    lena.close()
    qtbot.waitUntil(lambda: not label.isVisible(), timeout=5000)


def test_two_leads_reassigning_at_once_one_wins_the_other_sees_the_change(
    qtbot, db, clock, make_ctx, team, open_window
):
    ticket = new_ticket(
        Service(db, None, clock), "Move me", "move@example.com", department="Support"
    )
    lena = open_window(make_ctx(team.lead), view="all_open", ticket=ticket)
    ada = open_window(make_ctx(team.admin), view="all_open", ticket=ticket)
    _open(qtbot, lena, ticket)
    _open(qtbot, ada, ticket)
    # Ada's window must not learn of Lena's change before Ada acts: stop its feed.
    ada.live.stop()

    lena.ticket_pane.change_field("department", team.billing)
    # Between departments the team wants a reason: the header asks for it in the dialog.
    qtbot.waitUntil(lambda: lena.reassign.dialog is not None, timeout=3000)
    dialog = lena.reassign.dialog
    qtbot.waitUntil(dialog.is_settled, timeout=5000)
    qtbot.keyClicks(dialog.reason, "billing question")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: lena.reassign.dialog is None, timeout=5000)
    settle(qtbot, lena)
    ada.ticket_pane.change_field("assignee", team.anna)
    settle(qtbot, ada)

    banner = ada.ticket_pane.banner
    assert banner.isVisible()
    assert "Lena Lead changed department from Support to Billing" in banner.text
    detail = make_ctx(team.admin).queries.ticket(ticket)
    assert detail.department_id == team.billing and detail.assignee_id is None
    qtbot.waitUntil(
        lambda: ada.ticket_pane.header.department.currentData() == team.billing, timeout=5000
    )


def test_the_timeline_shows_who_moved_a_ticket_and_why(qtbot, db, clock, ctx, team, open_window):
    ticket = new_ticket(
        Service(db, None, clock), "Wrong queue", "q@example.com", department="Support"
    )
    Service(db, team.lead, clock).assign(ticket, department="Billing", reason="refund question")
    window = open_window(ctx, view="all_open", ticket=ticket)
    _open(qtbot, window, ticket)
    text = window.ticket_pane.conversation.toPlainText()
    assert "Lena Lead moved the ticket to Billing (refund question)" in text


def test_the_timeline_shows_pages_and_acknowledgements(qtbot, db, clock, ctx, team, open_window):
    from desk_app.store.journal import Journal

    ticket = new_ticket(Service(db, None, clock), "Site down", "d@example.com")
    with db.write() as session:
        journal = Journal(session, None, clock())
        journal.audit("ticket", ticket, "page", ticket_id=ticket, field="on_call",
                      new="paged Anna Ivanova (Nights)", reason="urgent after hours")  # fmt: skip
        journal.audit("ticket", ticket, "page_ack", ticket_id=ticket, field="on_call",
                      new="acknowledged by Anna Ivanova")  # fmt: skip
        journal.finish()
    window = open_window(ctx, view="all_open", ticket=ticket)
    _open(qtbot, window, ticket)
    text = window.ticket_pane.conversation.toPlainText()
    assert "Desk: paged Anna Ivanova (Nights) (urgent after hours)" in text
    assert "Desk: acknowledged by Anna Ivanova" in text
