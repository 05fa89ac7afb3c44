"""The window stays responsive while the worker is busy (issue 15 item 2): what the agent asks
for never waits behind refreshes, a burst of changes costs a read or two per view, and the
customer sidebar never shows another ticket's customer."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from desk_app.store import Database, Service
from desk_app.sync.summary import ChangeSummary
from desk_app.ui.presence import PUBLISH_DELAY_MS
from desk_app.ui.tasks import TaskRunner
from tests.ui.conftest import new_ticket, settle

GATE_S = 10.0  # a gated refresh gives up after this long, so a failing test cannot hang


def _gated(method: Callable[..., Any], gate: threading.Event) -> Callable[..., Any]:
    """The real query, started only once the gate opens: a refresh that takes as long as the
    test wants (a slow count on a busy database)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        gate.wait(GATE_S)
        return method(*args, **kwargs)

    return wrapper


def _counted(method: Callable[..., Any], calls: list[object]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return method(*args, **kwargs)

    return wrapper


def test_a_read_the_agent_asked_for_runs_before_queued_refreshes(qtbot):
    runner = TaskRunner()
    gate = threading.Event()
    finished: list[str] = []
    for n in range(3):
        runner.refresh(lambda: gate.wait(GATE_S), lambda _r, n=n: finished.append(f"refresh {n}"))
    runner.run(lambda: "ticket", finished.append)
    qtbot.waitUntil(lambda: finished == ["ticket"], timeout=3000)
    gate.set()
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=3000)
    assert finished == ["ticket", "refresh 0", "refresh 1", "refresh 2"]
    runner.shutdown()


def test_a_refresh_waits_while_a_read_the_agent_asked_for_runs(qtbot):
    runner = TaskRunner(refresh_yield_s=GATE_S)
    gate = threading.Event()
    events: list[str] = []

    def read() -> None:
        gate.wait(GATE_S)
        events.append("read done")

    runner.run(read)
    runner.refresh(lambda: events.append("refresh started"))
    qtbot.wait(100)  # the refresh lane had every chance to start
    gate.set()
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=3000)
    assert events == ["read done", "refresh started"]
    runner.shutdown()


def test_commands_keep_their_order_beside_refreshes(qtbot):
    runner = TaskRunner()
    gate = threading.Event()
    stored: list[str] = []
    runner.refresh(lambda: gate.wait(GATE_S))
    for command in ("reply", "status", "assign"):
        runner.run(lambda c=command: stored.append(c))
    qtbot.waitUntil(lambda: len(stored) == 3, timeout=3000)
    gate.set()
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=3000)
    assert stored == ["reply", "status", "assign"]
    runner.shutdown()


def test_open_search_and_sidebar_do_not_wait_for_a_slow_refresh(
    qtbot, db, clock, ctx, open_window, monkeypatch
):
    system = Service(db, None, clock)
    ticket = new_ticket(system, "Refund for order 12", "olga@example.com", department="Support")
    new_ticket(system, "Where is my parcel", "ken@example.com", department="Support")
    window = open_window(ctx, view="all_open")
    gate = threading.Event()
    monkeypatch.setattr(ctx.queries, "view_counts", _gated(ctx.queries.view_counts, gate))
    try:
        window.refresh_counts()  # a recount the busy database takes its time over
        window.focus_ticket(ticket)
        qtbot.waitUntil(
            lambda: (
                window.ticket_pane.detail is not None
                and window.ticket_pane.detail.id == ticket
                and window.sidebar.ticket_ids() == [ticket]
            ),
            timeout=3000,
        )
        assert window.sidebar.customer is not None
        assert list(window.sidebar.customer.emails) == ["olga@example.com"]
        window.run_search("refund")
        qtbot.waitUntil(
            lambda: window.model.search_text == "refund" and not window.model.is_loading,
            timeout=3000,
        )
        assert window.model.ticket_id(0) == ticket
        assert not gate.is_set()  # all of it while the recount was still out
    finally:
        gate.set()
    settle(qtbot, window)


def test_a_burst_of_changes_costs_at_most_two_reads_per_view(
    qtbot, db, clock, ctx, open_window, monkeypatch
):
    system = Service(db, None, clock)
    tickets = [
        new_ticket(system, f"Question {n}", f"c{n % 3}@example.com", department="Support")
        for n in range(6)
    ]
    window = open_window(ctx, view="all_open")
    window.focus_ticket(tickets[0])
    qtbot.waitUntil(lambda: window.sidebar.ticket_ids() != [], timeout=3000)
    settle(qtbot, window)
    customer = window.sidebar.customer
    assert customer is not None
    queries = ctx.queries
    calls: dict[str, list[object]] = {}
    for name in ("in_view", "ticket", "customer_tickets", "view_counts"):
        calls[name] = []
        monkeypatch.setattr(queries, name, _counted(getattr(queries, name), calls[name]))

    # Thirty batches from a busy worker, faster than the window can read them.
    for n in range(30):
        window.apply_changes(
            ChangeSummary(
                ticket_ids={tickets[0], tickets[1 + n % 5]},
                customer_ids={customer.id},
                counts=True,
            )
        )
        window.refresh_counts()
    settle(qtbot, window)

    assert 1 <= len(calls["in_view"]) <= 2  # the inbox: every changed ticket, read together
    assert 1 <= len(calls["ticket"]) <= 2  # the open ticket
    assert 1 <= len(calls["customer_tickets"]) <= 2  # the sidebar
    assert 1 <= len(calls["view_counts"]) <= 2  # the counts beside the views
    # Gathered, not lost: the last read covered every ticket asked about.
    read = {i for args in calls["in_view"] for i in args[1]}
    assert read == set(tickets)


def test_closing_the_ticket_drops_its_load_still_out(qtbot, db, clock, ctx, open_window):
    system = Service(db, None, clock)
    tickets = [new_ticket(system, f"Printer {n}", f"p{n}@example.com") for n in range(2)]
    window = open_window(ctx, view="all_open")
    # The window opened the first row by itself: the other one's load is the one still out.
    other = next(t for t in tickets if t != window.ticket_pane.ticket_id)
    window.ticket_pane.open_ticket(other)
    window.ticket_pane.open_ticket(None)  # before the load is in
    settle(qtbot, window)
    assert window.ticket_pane.detail is None
    assert window.ticket_pane.stack.currentIndex() == 0
    assert window.sidebar.customer is None


class _Writer(threading.Thread):
    """Another desktop's connection changing the tickets (and their customers) nonstop."""

    def __init__(self, url: str, clock: Any, tickets: list[int], customers: list[int]) -> None:
        super().__init__(daemon=True)
        self.db = Database(url)
        self.service = Service(self.db, None, clock)
        self.tickets, self.customers = tickets, customers
        self.stop = threading.Event()
        self.writes = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            n = 0
            while not self.stop.is_set():
                ticket = self.tickets[n % len(self.tickets)]
                if n % 3 == 0:
                    self.service.add_inbound_message(ticket, f"Any news? ({n})")
                elif n % 3 == 1:
                    priority = ("high", "normal")[n % 2]
                    self.service.set_priority(ticket, priority)
                else:
                    customer = self.customers[n % len(self.customers)]
                    self.service.edit_customer(customer, notes=f"Called again ({n})")
                self.writes += 1
                n += 1
                time.sleep(0.005)
        except BaseException as exc:  # reported by the test, not lost in a thread
            self.error = exc
        finally:
            self.db.dispose()


@pytest.mark.parametrize(
    ("read_each", "pause_ms"),
    [(True, 0), (True, 40), (False, 15)],
    ids=["read-each-at-once", "read-each-briefly", "skim-without-waiting"],
)
def test_the_sidebar_always_shows_the_open_tickets_customer(
    qtbot, db, clock, ctx, open_window, sqlite_database_url, read_each, pause_ms
):
    system = Service(db, None, clock)
    results = [
        system.create_ticket(
            subject=f"Order {n}",
            customer_email=f"customer{n % 4}@example.com",
            body="Where is it?",
            department="Support",
        )
        for n in range(8)
    ]
    tickets = [r.ticket_id for r in results if r.ticket_id is not None]
    customers = sorted({r.customer_id for r in results if r.customer_id is not None})
    window = open_window(ctx, view="all_open")
    qtbot.waitUntil(lambda: window.live.status is not None, timeout=5000)
    pane, sidebar = window.ticket_pane, window.sidebar
    wrong: list[str] = []

    def check(*_args: object) -> None:
        shown, detail = sidebar.customer, pane.detail
        if shown is None:
            return
        if detail is None or detail.customer.id != shown.id:
            wrong.append(f"ticket #{detail.id if detail else None} beside customer {shown.id}")

    pane.loaded.connect(check)
    sidebar.loaded.connect(check)
    writer = _Writer(sqlite_database_url, clock, tickets, customers)
    writer.start()
    try:
        for n in range(24):
            # Consecutive tickets belong to different customers (n % 4 above).
            ticket = tickets[n % len(tickets)]
            window.focus_ticket(ticket)
            shown = time.monotonic() + 5
            while read_each and (pane.detail is None or pane.detail.id != ticket):
                assert time.monotonic() < shown, f"ticket #{ticket} did not open"
                qtbot.wait(1)
                check()
            end = time.monotonic() + pause_ms / 1000
            while True:
                qtbot.wait(1)
                check()
                if time.monotonic() >= end:
                    break
        qtbot.waitUntil(lambda: writer.writes >= 30, timeout=10_000)
    finally:
        writer.stop.set()
        writer.join(10)
    assert writer.error is None, writer.error
    settle(qtbot, window, timeout=10_000)
    check()
    assert wrong == []
    last = tickets[23 % len(tickets)]
    assert pane.detail is not None and pane.detail.id == last
    assert sidebar.customer is not None and sidebar.customer.id == pane.detail.customer.id
    assert last in sidebar.ticket_ids()


def test_tickets_open_one_after_another_while_another_writer_holds_the_database(
    qtbot, db, clock, ctx, open_window
):
    """Opening marks the ticket read and tells colleagues who is on it: writes, which wait for
    the writer's lock while a busy worker holds it. The next ticket must not wait for them."""
    system = Service(db, None, clock)
    tickets = [new_ticket(system, f"Parcel {n}", f"p{n}@example.com") for n in range(3)]
    window = open_window(ctx, view="all_open")
    pane = window.ticket_pane
    others = [t for t in tickets if t != pane.ticket_id]
    for ticket in others:
        row = window.model.row_of(ticket)
        assert row is not None and window.model.ticket_row(row).unread
    assert db.file is not None
    writer = sqlite3.connect(db.file)
    writer.execute("BEGIN IMMEDIATE")  # the worker's write transaction
    try:
        for ticket in others:
            window.focus_ticket(ticket)
            qtbot.waitUntil(
                lambda t=ticket: pane.detail is not None and pane.detail.id == t, timeout=3000
            )
            assert window.sidebar.customer is not None
            assert window.sidebar.customer.id == pane.detail.customer.id
            qtbot.wait(PUBLISH_DELAY_MS + 100)  # the presence write is queued meanwhile
    finally:
        writer.rollback()
        writer.close()
    settle(qtbot, window)
    for ticket in others:
        row = window.model.row_of(ticket)
        assert row is not None and not window.model.ticket_row(row).unread  # marked once free
