"""The inbox's row order: positions by id stay right through inserts and removals anywhere,
including many inserts at one place (which use up the room between two keys)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from itertools import pairwise

import pytest

from desk_app.store.records import TicketRow
from desk_app.ui.inbox_model import InboxModel, ViewChanges
from desk_app.ui.row_order import SPACING, RowOrder


def _check(order: RowOrder, expected: list[int]) -> None:
    assert list(order) == expected
    assert len(order) == len(expected)
    for position, ticket_id in enumerate(expected):
        assert order[position] == ticket_id
        assert order.position(ticket_id) == position
    keys = order._keys
    assert all(a < b for a, b in pairwise(keys))


def test_random_inserts_and_removals_keep_every_position_right():
    rng = random.Random(15)
    order, expected = RowOrder(range(1, 301)), list(range(1, 301))
    next_id = 1000
    for step in range(1500):
        if expected and rng.random() < 0.3:
            position = rng.randrange(len(expected))
            assert order.remove_at(position) == expected.pop(position)
        else:
            position = rng.randrange(len(expected) + 1)
            order.insert(position, next_id)
            expected.insert(position, next_id)
            next_id += 1
        if step % 50 == 0:
            _check(order, expected)
    _check(order, expected)
    assert order.position(999_999) is None
    assert 999_999 not in order


@pytest.mark.parametrize("place", ["front", "middle", "end"])
def test_many_inserts_at_one_place_spread_the_keys_and_stay_in_order(place):
    expected = list(range(1, 101))
    order = RowOrder(expected)
    for n in range(300):  # far more than the room between two rows holds (about 40)
        position = {"front": 0, "middle": 50, "end": len(expected)}[place]
        order.insert(position, 1000 + n)
        expected.insert(position, 1000 + n)
    _check(order, expected)


def test_inserts_between_the_same_two_rows_spread_only_a_stretch_around_them():
    order = RowOrder(range(10_000))
    far_keys = order._keys[:100] + order._keys[-100:]
    for n in range(45):  # past the forty that fit between two rows
        order.insert(5_000, 20_000 + n)
    assert order._keys[:100] + order._keys[-100:] == far_keys
    assert order.position(20_044) == 5_000 and order.position(20_000) == 5_044
    assert order.position(5_000) == 5_045


def test_a_ticket_is_in_the_list_once():
    order = RowOrder([1, 2, 3])
    with pytest.raises(ValueError):
        order.insert(0, 2)
    with pytest.raises(ValueError):
        order.extend([4, 4])
    order.clear()
    assert len(order) == 0 and order.position(1) is None
    order.extend([7, 8])
    order.insert(1, 9)
    _check(order, [7, 9, 8])
    assert order.slice(1, 3) == [9, 8] and order.ids() == [7, 9, 8]
    assert SPACING > 2**32


def _row(ticket_id: int) -> TicketRow:
    now = datetime(2026, 12, 7, tzinfo=UTC)
    return TicketRow(
        ticket_id, f"Ticket {ticket_id}", "", "open", "normal", "email", None, None, "c",
        None, now, now, None, 1, 1,
    )  # fmt: skip


def test_the_inbox_model_finds_rows_after_live_changes_anywhere(qtbot, qtmodeltester, ctx):
    """Pages arrive, tickets join before rows all over the list and some leave: row_of and
    ticket_id agree with the rows the model announced, checked by Qt's model tester too."""
    model = InboxModel(ctx)
    model._loader, model._paged, model._exhausted = (lambda _page: []), True, False
    for first in range(1, 2001, 100):
        model._loading = True
        model._page_arrived(model._generation, [_row(i) for i in range(first, first + 100)])
    expected = list(range(1, 2001))
    rng = random.Random(6)
    for n in range(300):
        anchor = rng.choice(expected)
        joined = 10_000 + n
        left = {rng.choice(expected)} if n % 7 == 6 else set()
        model._apply(model._generation, ViewChanges([_row(joined)], left, [(joined, anchor)]))
        expected = [i for i in expected if i not in left]
        if anchor in expected:
            expected.insert(expected.index(anchor), joined)
        if n % 30 == 0:
            assert [model.ticket_id(r) for r in range(model.rowCount())] == expected
    assert model.rowCount() == len(expected)
    assert all(model.row_of(ticket_id) == p for p, ticket_id in enumerate(expected))
    # Qt's model tester checks every change once attached: attached last, it checks the end
    # state (and a 2,000-row model stays quick to test).
    qtmodeltester.check(model)
