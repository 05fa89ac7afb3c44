from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette

from desk_app.store import Queries, Service
from desk_app.ui.inbox_model import UNREAD_ROLE, Column
from desk_app.ui.inbox_view import UNREAD_GUTTER
from desk_app.ui.styles import accent
from tests.ui.conftest import new_ticket, settle


def _unread(window, ticket_id: int) -> bool:
    row = window.model.row_of(ticket_id)
    assert row is not None
    return bool(window.model.index(row, Column.SUBJECT).data(UNREAD_ROLE))


def _bold(window, ticket_id: int) -> bool:
    row = window.model.row_of(ticket_id)
    font = window.model.index(row, Column.SUBJECT).data(Qt.ItemDataRole.FontRole)
    return font is not None and font.bold()


def _has_dot(window, ticket_id: int) -> bool:
    """Look for the dot's colour in the gutter left of the subject: the accent colour, or the
    highlighted-text colour on the selected row, whose background is the accent."""
    row = window.model.row_of(ticket_id)
    rect = window.inbox.visualRect(window.model.index(row, Column.SUBJECT))
    image = window.inbox.viewport().grab().toImage()
    palette = window.inbox.palette()
    selected = window.inbox.selectionModel().isRowSelected(row)
    wanted = palette.color(QPalette.ColorRole.HighlightedText) if selected else accent(palette)
    for x in range(rect.left(), rect.left() + UNREAD_GUTTER):
        for y in range(rect.top(), rect.bottom()):
            found = QColor(image.pixel(x, y))
            if (
                abs(found.red() - wanted.red())
                + abs(found.green() - wanted.green())
                + abs(found.blue() - wanted.blue())
                < 30
            ):
                return True
    return False


def test_unread_rows_stand_out_until_opened(qtbot, db, clock, ctx, team, open_window):
    system = Service(db, None, clock)
    older = new_ticket(system, "Older question", "o@example.com")
    clock.advance(minutes=1)
    newer = new_ticket(system, "Newer question", "n@example.com")
    window = open_window(ctx, view="all_open")
    # The newest ticket opened by itself and is read now; the other one still stands out.
    assert window.ticket_pane.ticket_id == newer
    assert not _unread(window, newer) and not _bold(window, newer)
    assert _unread(window, older) and _bold(window, older)
    assert _has_dot(window, older)
    assert not _has_dot(window, newer)
    window.inbox.setFocus()  # the dot must show on a selected row too
    window.inbox.select_row(window.model.row_of(older))
    assert _has_dot(window, older)
    assert [r.unread for r in ctx.queries.rows([older, newer])] == [True, False]

    position = window.model.row_of(older)
    settle(qtbot, window)
    # Refreshed in place: same row, same selection, no longer unread.
    assert window.model.row_of(older) == position
    assert window.inbox.currentIndex().row() == position
    assert not _unread(window, older) and not _bold(window, older)
    assert not _has_dot(window, older)
    assert ctx.queries.rows([older])[0].unread is False
    # Another agent's reads are their own.
    assert Queries(db, team.lead, clock).rows([older])[0].unread is True


def test_a_new_customer_message_makes_a_read_ticket_unread_again(
    qtbot, db, clock, ctx, open_window
):
    system = Service(db, None, clock)
    ticket = new_ticket(system, "Follow-up", "f@example.com")
    window = open_window(ctx, view="all_open")
    assert not _unread(window, ticket)
    clock.advance(minutes=5)
    system.add_inbound_message(ticket, body="Any news?")
    window.tickets_changed(ticket)
    settle(qtbot, window)
    assert _unread(window, ticket) and _bold(window, ticket)
