"""Priority reads as priority, not as a second traffic light (issue 16, item 7): a column
headed "Priority", drawn as indigo bars; red, amber and green stay the SLA's."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage

from desk_app.store import Service
from desk_app.ui.inbox_model import ROW_ROLE, Column
from desk_app.ui.styles import LIGHT_COLOURS
from tests.ui.conftest import new_ticket

PRIORITIES = ("low", "normal", "high", "urgent")


def _near(colour: QColor, other: QColor, within: int = 70) -> bool:
    return (
        abs(colour.red() - other.red())
        + abs(colour.green() - other.green())
        + abs(colour.blue() - other.blue())
    ) < within


def _cell(window, row: int) -> QImage:
    inbox = window.inbox
    rect = inbox.visualRect(inbox.model().index(row, Column.PRIORITY))
    return inbox.viewport().grab(rect).toImage()


def _colours(image: QImage) -> list[QColor]:
    return [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())]


def test_the_priority_column_has_a_translatable_header_and_fits_it(
    qtbot, db, clock, ctx, open_window
):
    new_ticket(Service(db, None, clock), "Refund", "r@example.com", department="Support")
    window = open_window(ctx, view="all_open")
    model = window.inbox.model()
    horizontal = Qt.Orientation.Horizontal
    assert model.headerData(Column.PRIORITY, horizontal) == "Priority"
    assert "urgent" in model.headerData(Column.PRIORITY, horizontal, Qt.ItemDataRole.ToolTipRole)
    header = window.inbox.horizontalHeader()
    width = header.sectionSize(Column.PRIORITY)
    assert header.fontMetrics().horizontalAdvance("Priority") < width <= 90  # narrow, legible
    assert header.sectionResizeMode(Column.PRIORITY) == header.ResizeMode.Fixed


def test_priority_is_drawn_in_no_sla_colour_and_more_bars_mean_more_urgent(
    qtbot, db, clock, ctx, open_window
):
    system = Service(db, None, clock)
    for priority in PRIORITIES:
        new_ticket(
            system,
            f"A {priority} one",
            f"{priority}@example.com",
            department="Support",
            priority=priority,
        )
    window = open_window(ctx, view="all_open")
    inbox = window.inbox
    inbox.clearSelection()
    inbox.selectionModel().clearCurrentIndex()
    qtbot.wait(20)
    sla = [QColor(c) for c in LIGHT_COLOURS.values()]
    inked: dict[str, int] = {}
    for row in range(inbox.model().rowCount()):
        ticket = inbox.model().index(row, 0).data(ROW_ROLE)
        colours = _colours(_cell(window, row))
        background = colours[0]
        drawn = [c for c in colours if not _near(c, background, 12)]
        assert drawn, ticket.priority  # something is painted
        for colour in drawn:
            assert not any(_near(colour, light) for light in sla), (ticket.priority, colour.name())
        # The ink is the saturated colour; the empty bars are a pale tint of it.
        inked[ticket.priority] = sum(1 for c in drawn if c.hsvSaturationF() > 0.5)
    assert sorted(inked) == sorted(PRIORITIES)
    counts = [inked[p] for p in PRIORITIES]
    assert counts == sorted(counts) and len(set(counts)) == 4, inked


def _ink_counts(image: QImage) -> tuple[int, list[QColor]]:
    colours = [c for c in _colours(image) if c.alpha() > 200]
    return sum(1 for c in colours if c.hsvSaturationF() > 0.5), colours


def test_the_ticket_headers_priority_box_shows_the_same_bars_not_traffic_lights(qtbot):
    from desk_app.ui.ticket_header import TicketHeader

    header = TicketHeader()
    qtbot.addWidget(header)
    sla = [QColor(c) for c in LIGHT_COLOURS.values()]
    inked = []
    for row, priority in enumerate(PRIORITIES):
        assert header.priority.itemData(row) == priority
        icon = header.priority.itemIcon(row)
        assert not icon.isNull(), priority
        count, colours = _ink_counts(icon.pixmap(16, 16).toImage())
        for colour in colours:
            assert not any(_near(colour, light) for light in sla), (priority, colour.name())
        inked.append(count)
    assert inked == sorted(inked) and len(set(inked)) == 4, inked
