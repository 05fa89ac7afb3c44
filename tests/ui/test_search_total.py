"""Search in the window: the first page of results shows at once, the total comes after it,
from a count of its own, and the rest pages in as the agent scrolls."""

from __future__ import annotations

from desk_app.store import Service
from desk_app.ui.inbox_model import PAGE_SIZE
from desk_app.ui.navigation import COUNT_ROLE, COUNTING, SEARCH_KEY
from tests.ui.conftest import new_ticket, settle

MATCHES = PAGE_SIZE + 30


def _search_count(window):  # type: ignore[no-untyped-def]
    nav = window.navigation.nav
    return nav.index(nav.row_of(SEARCH_KEY)).data(COUNT_ROLE)


def test_rows_show_while_the_total_is_still_being_counted(qtbot, db, clock, ctx, open_window):
    system = Service(db, None, clock)
    for n in range(MATCHES):
        clock.advance(seconds=1)
        new_ticket(system, f"Refund question {n}", f"r{n}@example.com")
    new_ticket(system, "Password reset", "p@example.com")
    window = open_window(ctx, view="all_open")
    model = window.model

    seen: list[tuple[int, object]] = []  # (rows, search count) each time a page lands
    model.loaded.connect(lambda: seen.append((model.rowCount(), _search_count(window))))
    totals: list[object] = []
    model.search_total.connect(totals.append)

    window.run_search("refund")
    # Counting until the count's own query answers: the first page does not wait for it.
    assert _search_count(window) == COUNTING
    with qtbot.waitSignal(model.search_total, timeout=5000, check_params_cb=lambda t: t == MATCHES):
        pass
    assert seen[0] == (PAGE_SIZE, COUNTING)
    assert totals == [None, MATCHES]
    assert _search_count(window) == MATCHES
    nav = window.navigation.nav
    assert nav.index(nav.row_of(SEARCH_KEY)).data() == "Search results"

    # The rest of the matches page in; each one once, newest tickets first by page.
    assert model.canFetchMore()
    model.fetchMore()
    settle(qtbot, window)
    ids = [model.ticket_id(r) for r in range(model.rowCount())]
    assert len(ids) == len(set(ids)) == MATCHES
    assert not model.canFetchMore()


def test_a_new_search_drops_the_count_of_the_one_before(qtbot, db, clock, ctx, open_window):
    system = Service(db, None, clock)
    for n in range(3):
        new_ticket(system, f"Invoice copy {n}", f"i{n}@example.com")
    new_ticket(system, "Refund please", "r@example.com")
    window = open_window(ctx, view="all_open")
    totals: list[object] = []
    window.model.search_total.connect(totals.append)
    window.run_search("invoice")
    window.run_search("refund")  # before the first search's page or count came back
    settle(qtbot, window)
    assert totals == [None, None, 1]
    assert _search_count(window) == 1
    assert window.model.rowCount() == 1


def test_results_for_text_typed_past_are_not_drawn(qtbot, db, clock, ctx, open_window):
    system = Service(db, None, clock)
    new_ticket(system, "Invoice copy", "i@example.com")
    new_ticket(system, "Invitation to the webinar", "w@example.com")
    window = open_window(ctx, view="all_open")
    model = window.model
    drawn: list[tuple[str | None, int]] = []
    model.loaded.connect(lambda: drawn.append((model.search_text, model.rowCount())))
    # The box's search for "inv" is under way when the agent types on: "invo" is pending.
    window.run_search("inv")
    window.search.setText("invo")
    assert window.search.typed_past("inv")
    with qtbot.waitSignal(window.search.search_requested, timeout=3000):
        pass
    settle(qtbot, window)
    assert [text for text, _rows in drawn] == ["invo"]
    assert model.search_text == "invo" and model.rowCount() == 1
