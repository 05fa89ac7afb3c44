from PySide6.QtCore import QItemSelectionModel, Qt

from desk_app.core.views import SortKey, View, ViewKind
from desk_app.store import Service
from desk_app.ui import inbox_model
from desk_app.ui.inbox_model import PAGE_SIZE, TICKET_ID_ROLE, Column, InboxModel
from tests.ui.conftest import new_ticket


def _wait_loaded(qtbot, model: InboxModel) -> None:
    qtbot.waitUntil(lambda: not model.is_loading and model._ctx.runner.pending == 0, timeout=5000)


def _seed(db, clock, count: int) -> list[int]:
    system = Service(db, None, clock)
    ids = []
    for n in range(count):
        clock.advance(minutes=1)
        ids.append(new_ticket(system, f"Ticket {n:03d}", f"c{n}@example.com"))
    return ids


def test_inbox_model_passes_the_model_tester_while_paging(qtbot, qtmodeltester, db, clock, ctx):
    _seed(db, clock, PAGE_SIZE + 20)
    model = InboxModel(ctx)
    model.show_view(View(ViewKind.ALL_OPEN))
    _wait_loaded(qtbot, model)
    assert model.rowCount() == PAGE_SIZE
    qtmodeltester.check(model)
    # The tester itself may have asked for the next page; either way it arrives by signal.
    if model.canFetchMore():
        model.fetchMore()
    _wait_loaded(qtbot, model)
    assert model.rowCount() == PAGE_SIZE + 20
    assert not model.canFetchMore()
    qtmodeltester.check(model)


def test_rows_show_the_inbox_columns_newest_first(qtbot, db, clock, ctx, team):
    system = Service(db, None, clock)
    first = new_ticket(system, "Printer on fire", "a@example.com", department="Support")
    clock.advance(minutes=5)
    second = new_ticket(system, "Счёт не пришёл", "b@example.com", priority="urgent")
    clock.advance(minutes=5)
    Service(db, team.anna, clock).assign(first, agent=team.anna)
    model = InboxModel(ctx)
    model.show_view(View(ViewKind.ALL_OPEN))
    _wait_loaded(qtbot, model)
    assert [model.ticket_id(r) for r in range(model.rowCount())] == [first, second]
    row = model.row_of(first)
    assert row is not None

    def cell(column: Column) -> object:
        return model.index(row, column).data(Qt.ItemDataRole.DisplayRole)

    assert cell(Column.SUBJECT) == "Printer on fire"
    assert cell(Column.CUSTOMER) == "a@example.com"
    assert cell(Column.DEPARTMENT) == "Support"
    assert cell(Column.ASSIGNEE) == "Anna Ivanova"
    assert cell(Column.STATUS) == "Open"
    assert cell(Column.CHANNEL) == "Email"
    assert cell(Column.UPDATED) == "just now"
    unassigned = model.row_of(second)
    assert model.index(unassigned, Column.ASSIGNEE).data() == "Unassigned"
    # Nobody has opened the new ticket yet: it is unread, so its subject is bold.
    assert model.index(unassigned, Column.SUBJECT).data(Qt.ItemDataRole.FontRole).bold()


def test_sorting_by_header_runs_in_sql(qtbot, db, clock, ctx):
    _seed(db, clock, 3)
    model = InboxModel(ctx)
    model.show_view(View(ViewKind.ALL_OPEN))
    _wait_loaded(qtbot, model)
    subjects = lambda: [  # noqa: E731
        model.index(r, Column.SUBJECT).data() for r in range(model.rowCount())
    ]
    assert subjects() == ["Ticket 002", "Ticket 001", "Ticket 000"]
    model.sort(Column.SUBJECT, Qt.SortOrder.AscendingOrder)
    _wait_loaded(qtbot, model)
    assert model.sort_key is SortKey.SUBJECT and not model.descending
    assert subjects() == ["Ticket 000", "Ticket 001", "Ticket 002"]
    # Columns without an SQL ordering are ignored rather than sorted in Python.
    model.sort(Column.CUSTOMER, Qt.SortOrder.AscendingOrder)
    assert model.sort_key is SortKey.SUBJECT


def _select(model: InboxModel, ticket_id: int) -> QItemSelectionModel:
    selection = QItemSelectionModel(model)
    row = model.row_of(ticket_id)
    assert row is not None
    selection.select(
        model.index(row, 0),
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
    )
    model.pinned = lambda: [model.ticket_id(i.row()) for i in selection.selectedRows()]
    return selection


def _ids(model: InboxModel) -> list[int | None]:
    return [model.ticket_id(r) for r in range(model.rowCount())]


def test_refresh_updates_rows_in_place_keeping_the_selection(qtbot, db, clock, ctx, team):
    ids = _seed(db, clock, 4)
    model = InboxModel(ctx)
    model.show_view(View(ViewKind.ALL_OPEN))
    _wait_loaded(qtbot, model)
    selection = _select(model, ids[1])
    target_row = model.row_of(ids[1])
    Service(db, team.lead, clock).set_priority(ids[1], "urgent")
    with qtbot.waitSignal(model.dataChanged, timeout=3000):
        model.refresh_tickets([ids[1]])
    # Still in the view: repainted where it is, even though its update time moved it up.
    assert model.row_of(ids[1]) == target_row
    assert model.index(target_row, Column.PRIORITY).data() == "Urgent"
    assert [i.row() for i in selection.selectedRows()] == [target_row]


def test_rows_that_leave_the_view_go_unless_selected(qtbot, qtmodeltester, db, clock, ctx, team):
    ids = _seed(db, clock, 5)  # shown newest first: ids[4] .. ids[0]
    model = InboxModel(ctx)
    model.show_view(View(ViewKind.ALL_OPEN))
    _wait_loaded(qtbot, model)
    selection = _select(model, ids[1])
    lead = Service(db, team.lead, clock)
    lead.set_status(ids[1], "solved")  # selected: stays, showing its new status
    lead.set_status(ids[3], "solved")  # not selected: leaves "All open"
    with qtbot.waitSignal(model.rowsRemoved, timeout=3000):
        model.refresh_tickets([ids[1], ids[3]])
    _wait_loaded(qtbot, model)
    assert _ids(model) == [ids[4], ids[2], ids[1], ids[0]]
    assert model.index(model.row_of(ids[1]), Column.STATUS).data() == "Solved"
    assert [model.ticket_id(i.row()) for i in selection.selectedRows()] == [ids[1]]
    qtmodeltester.check(model)


def test_a_new_ticket_is_inserted_at_its_sorted_place(qtbot, qtmodeltester, db, clock, ctx):
    ids = _seed(db, clock, 5)
    model = InboxModel(ctx)
    model.show_view(View(ViewKind.ALL_OPEN))
    _wait_loaded(qtbot, model)
    selection = _select(model, ids[2])
    clock.advance(minutes=1)
    newest = new_ticket(Service(db, None, clock), "Ticket 002b", "n@example.com")
    with qtbot.waitSignal(model.rowsInserted, timeout=3000):
        model.refresh_tickets([newest])
    _wait_loaded(qtbot, model)
    # Newest first: at the top; the selection moved down with its ticket.
    assert _ids(model) == [newest, ids[4], ids[3], ids[2], ids[1], ids[0]]
    assert [model.ticket_id(i.row()) for i in selection.selectedRows()] == [ids[2]]
    assert model.index(0, Column.SUBJECT).data() == "Ticket 002b"

    # Sorted by subject, a ticket goes between its neighbours (the database orders them).
    model.sort(Column.SUBJECT, Qt.SortOrder.AscendingOrder)
    _wait_loaded(qtbot, model)
    clock.advance(minutes=1)
    middle = new_ticket(Service(db, None, clock), "Ticket 002a", "m@example.com")
    with qtbot.waitSignal(model.rowsInserted, timeout=3000):
        model.refresh_tickets([middle])
    _wait_loaded(qtbot, model)
    subjects = [model.index(r, Column.SUBJECT).data() for r in range(model.rowCount())]
    assert subjects == [
        "Ticket 000",
        "Ticket 001",
        "Ticket 002",
        "Ticket 002a",
        "Ticket 002b",
        "Ticket 003",
        "Ticket 004",
    ]
    qtmodeltester.check(model)


def test_a_new_ticket_beyond_the_loaded_rows_waits_for_its_page(qtbot, db, clock, ctx):
    _seed(db, clock, PAGE_SIZE + 5)
    model = InboxModel(ctx)
    model.show_view(View(ViewKind.ALL_OPEN))
    model.sort(Column.SUBJECT, Qt.SortOrder.AscendingOrder)
    _wait_loaded(qtbot, model)
    assert model.rowCount() == PAGE_SIZE and model.canFetchMore()
    last = new_ticket(Service(db, None, clock), "Zebra crossing", "z@example.com")
    model.refresh_tickets([last])
    _wait_loaded(qtbot, model)
    assert model.rowCount() == PAGE_SIZE and model.row_of(last) is None
    model.fetchMore()
    _wait_loaded(qtbot, model)
    assert model.rowCount() == PAGE_SIZE + 6
    assert model.row_of(last) == PAGE_SIZE + 5


def test_row_data_is_cached_for_a_bounded_number_of_rows(qtbot, monkeypatch, db, clock, ctx):
    monkeypatch.setattr(inbox_model, "ROW_CACHE", 150)
    ids = _seed(db, clock, 2 * PAGE_SIZE + 30)
    model = InboxModel(ctx)
    model.show_view(View(ViewKind.ALL_OPEN))
    _wait_loaded(qtbot, model)
    while model.canFetchMore():
        model.fetchMore()
        _wait_loaded(qtbot, model)
    # Every id is kept, row data only for the most recently used rows.
    assert model.rowCount() == len(ids)
    assert model.cached_rows <= 150
    assert model.ticket_row(0) is None
    # Painting an evicted row asks for its page again, in one query by id.
    with qtbot.waitSignal(model.dataChanged, timeout=3000):
        assert model.index(0, Column.SUBJECT).data() is None
    _wait_loaded(qtbot, model)
    assert model.index(0, Column.SUBJECT).data() == f"Ticket {len(ids) - 1:03d}"
    assert all(model.ticket_row(r) is not None for r in range(PAGE_SIZE))
    assert model.cached_rows <= 150
    # The ticket id is known without the row data.
    assert model.index(len(ids) - 1, 0).data(TICKET_ID_ROLE) == ids[0]


def test_search_results_fill_the_model(qtbot, db, clock, ctx):
    system = Service(db, None, clock)
    wanted = new_ticket(system, "Refund for order 5521", "r@example.com")
    new_ticket(system, "Password reset", "p@example.com")
    model = InboxModel(ctx)
    model.show_search("refund")
    _wait_loaded(qtbot, model)
    assert [model.ticket_id(r) for r in range(model.rowCount())] == [wanted]
    assert not model.canFetchMore()
