"""The window at 1024x700, the smallest screen agents use (issue 16, item 6): the inbox keeps
rows with the On call panel open, the ticket's fields show their whole entries, the inbox
never scrolls sideways, the On call and workload lists show whole names, and a message strip
keeps its own height when a search finds nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QStyle, QStyleOptionComboBox

from desk_app.store import Service
from desk_app.store.paging_store import PagingStore
from desk_app.ui.inbox_columns import SUBJECT_MINIMUM, columns_to_hide
from desk_app.ui.inbox_model import Column
from desk_app.ui.inbox_view import DEFAULT_WIDTHS, MINIMUM_VISIBLE_ROWS
from desk_app.ui.main_window import MainWindow
from desk_app.ui.styles import configure_fonts
from desk_app.ui.theme import apply_theme
from desk_app.ui.window_sizing import fitted_size
from desk_app.ui.workload_board import AGENTS, CHART_LEAST, open_workload_board
from desk_app.ui.workload_board import Column as BoardColumn
from tests.conftest import FakeClock
from tests.ui.conftest import new_ticket, settle
from tests.worker.oncall_setup import FRIDAY_EVENING, nights_rotation, tokyo_office

SMALL = QSize(1024, 700)
# A name as long as real ones get (the tester's board cut "Emma (" off a name like it).
LONG_NAME = "Emma Clarke-Whitaker (nights)"


@pytest.fixture(autouse=True)
def desk_look(qapp: QApplication) -> Iterator[None]:
    """The fonts, theme and style sheet `desk` starts with (app.application()): the sizes
    here are the agent's, not the bare test application's smaller ones."""
    # The style's name, not the style: apply_theme sets another, and QApplication then deletes
    # the old one, so asking it for its name afterwards read freed memory (a crash, later).
    font, palette, sheet = qapp.font(), qapp.palette(), qapp.styleSheet()
    style = qapp.style().name()
    configure_fonts(qapp)
    apply_theme(qapp)
    yield
    qapp.setStyle(style)
    qapp.setPalette(palette)
    qapp.setStyleSheet(sheet)
    qapp.setFont(font)


def laid_out(qtbot, window: MainWindow) -> None:
    settle(qtbot, window)
    for _ in range(3):  # layout requests and the splitters' own posted events
        QApplication.processEvents()
        qtbot.wait(20)


def at_size(qtbot, window: MainWindow, size: QSize) -> None:
    window.resize(size)
    qtbot.waitUntil(lambda: window.size() == size)
    laid_out(qtbot, window)


def visible_rows(window: MainWindow) -> float:
    inbox = window.inbox
    return inbox.viewport().height() / inbox.verticalHeader().defaultSectionSize()


@pytest.fixture
def busy_inbox(db, team, clock) -> list[int]:
    system = Service(db, None, clock)
    tickets = []
    for n in range(20):
        clock.advance(minutes=1)
        tickets.append(
            new_ticket(
                system,
                f"Order {n} arrived damaged and the replacement never came",
                f"customer{n}@example.com",
                department="Support",
            )
        )
    return tickets


def test_the_inbox_keeps_rows_with_the_on_call_panel_open(qtbot, ctx, busy_inbox, open_window):
    window = open_window(ctx, view="all_open", ticket=busy_inbox[0])
    at_size(qtbot, window, SMALL)
    with qtbot.waitSignal(window.oncall.view.loaded, timeout=5000):
        window.oncall.show_panel()
    laid_out(qtbot, window)
    assert window.oncall.dock.isVisible() and window.dock.isVisible()
    # The tester saw no rows at all here.
    assert visible_rows(window) >= MINIMUM_VISIBLE_ROWS
    assert not window.inbox.horizontalScrollBar().isVisible()
    # The ticket pane below is not squeezed under what it needs (a cut-off composer).
    pane = window.ticket_pane
    assert pane.height() >= pane.minimumSizeHint().height()
    assert pane.composer.editor.isVisible()
    # The On call list still shows two whole rows (its buttons sit beside it), and scrolls.
    table = window.oncall.view.table
    assert table.model().rowCount() > 2
    assert table.viewport().height() >= 2 * table.verticalHeader().defaultSectionSize()


def test_the_default_split_leaves_the_conversation_more_than_two_lines(
    qtbot, ctx, busy_inbox, open_window
):
    window = open_window(ctx, view="all_open", ticket=busy_inbox[0])
    at_size(qtbot, window, SMALL)
    window.apply_default_split()
    laid_out(qtbot, window)
    conversation = window.ticket_pane.conversation
    assert conversation.height() >= 6 * conversation.fontMetrics().lineSpacing()
    assert visible_rows(window) >= MINIMUM_VISIBLE_ROWS


def _text_room(combo: QComboBox) -> int:
    """How wide the box's text can be drawn, as the style lays out the box."""
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    field = combo.style().subControlRect(
        QStyle.ComplexControl.CC_ComboBox,
        option,
        QStyle.SubControl.SC_ComboBoxEditField,
        combo,
    )
    return field.width()


def test_the_ticket_fields_show_their_longest_entry(
    qtbot, db, clock, team, make_ctx, busy_inbox, open_window
):
    system = Service(db, None, clock)
    system.add_agent(LONG_NAME, "emma@desk.test", departments=["Support"])
    system.add_department("Customer Success")
    window = open_window(make_ctx(team.lead), view="all_open", ticket=busy_inbox[0])
    at_size(qtbot, window, SMALL)
    header = window.ticket_pane.header
    assert header.department.findText("Customer Success") >= 0
    assert header.assignee.findText(LONG_NAME) >= 0
    for name, combo in header.fields().items():
        texts = [combo.itemText(i) for i in range(combo.count())]
        longest = max(combo.fontMetrics().horizontalAdvance(t) for t in texts)
        assert combo.isVisible(), name
        assert _text_room(combo) >= longest, (name, _text_room(combo), longest)
        # Inside the pane, not pushed past its edge.
        right = combo.mapTo(window.ticket_pane, combo.rect().topRight()).x()
        assert right <= window.ticket_pane.width(), name
    # On a wide window the four fields share one row again.
    at_size(qtbot, window, QSize(1920, 1080))
    tops = {combo.mapTo(header, combo.rect().topLeft()).y() for combo in header.fields().values()}
    assert len(tops) == 1


def test_the_inbox_does_not_scroll_sideways_at_1024(qtbot, ctx, busy_inbox, open_window):
    window = open_window(ctx, view="all_open")
    at_size(qtbot, window, SMALL)
    inbox, header = window.inbox, window.inbox.horizontalHeader()
    assert not inbox.horizontalScrollBar().isVisible()
    assert header.length() <= inbox.viewport().width()
    for column in (Column.SLA, Column.PRIORITY, Column.SUBJECT, Column.CUSTOMER, Column.STATUS):
        assert not header.isSectionHidden(column), column
    assert header.sectionSize(Column.SUBJECT) >= SUBJECT_MINIMUM
    # The priority column is as narrow as its header word allows (it was 75 px).
    assert header.sectionSize(Column.PRIORITY) <= (
        header.fontMetrics().horizontalAdvance("Priority") + 16
    )
    # On a wide screen every column is back, at the width it had.
    at_size(qtbot, window, QSize(1920, 1080))
    assert window.inbox.hidden_columns() == set()
    assert header.sectionSize(Column.DEPARTMENT) == DEFAULT_WIDTHS[Column.DEPARTMENT]
    assert not inbox.horizontalScrollBar().isVisible()


def test_columns_give_way_in_order_and_only_as_many_as_needed():
    widths = dict(DEFAULT_WIDTHS)
    everything = sum(w for c, w in widths.items() if c is not Column.SUBJECT) + SUBJECT_MINIMUM
    assert columns_to_hide(everything, widths) == set()
    assert columns_to_hide(everything - 1, widths) == {Column.CHANNEL}
    less = everything - widths[Column.CHANNEL] - 1
    assert columns_to_hide(less, widths) == {Column.CHANNEL, Column.DEPARTMENT}
    # However narrow, the SLA, priority, subject, customer and status stay.
    assert columns_to_hide(100, widths) == {
        Column.CHANNEL,
        Column.DEPARTMENT,
        Column.ASSIGNEE,
        Column.UPDATED,
    }


def test_a_strip_keeps_its_own_height_when_a_search_finds_nothing(
    qtbot, ctx, busy_inbox, open_window
):
    window = open_window(ctx, view="all_open")
    at_size(qtbot, window, SMALL)
    window.banner.show_message("error", "The server could not be reached.")
    window.run_search("no ticket says this")
    qtbot.waitUntil(lambda: window.empty_state.isVisible(), timeout=5000)
    laid_out(qtbot, window)
    banner = window.banner
    assert banner.isVisible()
    natural = (
        banner.heightForWidth(banner.width())
        if banner.hasHeightForWidth()
        else banner.sizeHint().height()
    )
    assert banner.height() == natural
    assert banner.height() <= banner.sizeHint().height() + 2


# Friday night in Tokyo (tests/ui/test_night_view.py): the clock every fixture shares.
@pytest.mark.parametrize("clock", [FakeClock(FRIDAY_EVENING + timedelta(minutes=10))])
def test_the_on_call_list_shows_why_whole(qtbot, db, team, clock, make_ctx, open_window):
    tokyo_office(db, team.admin, clock)
    nights_rotation(db, clock, (team.anna, team.boris))
    system = Service(db, None, clock)
    outage = new_ticket(
        system, "Checkout down", "c@example.com", department="Billing", priority="urgent"
    )
    paging = PagingStore(db, clock)
    assert paging.open_page(outage) is not None
    # Paged and e-mailed twice: the longest reason the list gives.
    PagingStore(db, clock).set_page_address(team.anna, "anna@pager.test")
    assert len(paging.claim_due_mails()) == 1
    clock.advance(minutes=30)
    assert len(paging.claim_due_mails()) == 1
    ctx = make_ctx(team.anna)
    window = open_window(ctx, view="all_open")
    at_size(qtbot, window, SMALL)
    panel = window.oncall
    with qtbot.waitSignal(panel.view.loaded, timeout=5000):
        panel.show_panel()
    laid_out(qtbot, window)
    table, model = panel.view.table, panel.view.model
    why = model.index(0, 0).data()
    assert why == "Page not acknowledged: Anna Ivanova (e-mailed 2×)"
    assert table.columnWidth(0) >= table.sizeHintForColumn(0)
    assert not table.horizontalScrollBar().isVisible()
    # Whatever a column cannot show is in the cell's tooltip, as plain text.
    for column in range(model.columnCount()):
        text = model.index(0, column).data()
        assert model.index(0, column).data(Qt.ItemDataRole.ToolTipRole) == text


def test_the_workload_board_shows_whole_names(
    qtbot, db, team, clock, make_ctx, busy_inbox, open_window
):
    system = Service(db, None, clock)
    emma = system.add_agent(LONG_NAME, "emma@desk.test", departments=["Support"])
    system.assign(busy_inbox[0], agent=emma)
    window = open_window(make_ctx(team.lead))
    # As it opens on a 1024x700 screen (the test screen is smaller: 800x800).
    assert fitted_size(QSize(1120, 560), QRect(0, 0, 1024, 700)) == QSize(922, 560)
    board = open_workload_board(window.ctx, window, window.live.changed, lambda _t: None)
    board.resize(922, 560)
    qtbot.waitUntil(lambda: board.loads_done >= 1, timeout=5000)
    board.tabs.setCurrentIndex(1)
    qtbot.wait(20)
    table = board.tables[AGENTS]
    model = board.models[AGENTS]
    row = next(r for r, load in enumerate(model.loads) if load.name == LONG_NAME)
    needed = table.sizeHintForColumn(BoardColumn.NAME)
    assert table.columnWidth(BoardColumn.NAME) >= needed
    assert not table.horizontalScrollBar().isVisible()
    tip = model.index(row, BoardColumn.NAME).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith(LONG_NAME + "\n")
    # The chart beside it keeps what is left, and scrolls rather than cut a figure off.
    chart = board.charts[AGENTS]
    area = chart.parentWidget().parentWidget()
    assert area.width() >= CHART_LEAST
