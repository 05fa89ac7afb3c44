"""The composer's send buttons follow its mode wherever the mode changes (issue 16 item 3:
"Send and…" stayed disabled on every ticket opened after adding an internal note)."""

from __future__ import annotations

from sqlalchemy import select

from desk_app.store import Service
from desk_app.store.models import Message
from tests.ui.conftest import new_ticket, settle


def _notes(db) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(Message.body_text).where(Message.direction == "note")))


def test_send_and_is_offered_again_on_the_next_ticket_after_a_note(
    qtbot, db, team, clock, ctx, open_window
):
    system = Service(db, None, clock)
    first = new_ticket(system, "Parcel", "olga@example.ru", department="Support")
    second = new_ticket(system, "Invoice", "ivan@example.ru", department="Support")
    window = open_window(ctx, ticket=first)
    pane = window.ticket_pane
    window.compose("note")
    assert not pane.composer._status_button.isEnabled()  # no "Send and…" for a note
    pane.composer.editor.setPlainText("Checked with the courier.")
    pane.composer.send_button.click()
    qtbot.waitUntil(lambda: _notes(db) == ["Checked with the courier."])
    settle(qtbot, window)
    window.open_ticket(second)
    qtbot.waitUntil(lambda: pane.detail is not None and pane.detail.id == second)
    settle(qtbot, window)
    assert pane.composer.kind == "reply"
    assert pane.composer.send_button.text() == "Send"
    assert pane.composer.send_button.isEnabled()
    assert pane.composer._status_button.isEnabled()
