"""The inbox's rows in display order: ticket id by position, and position by ticket id.

Looking a ticket up by position must be as cheap as a list index (the view asks for every cell
it paints), and by id as cheap as the live inserts allow: a ticket joining a 60,000-row list
used to cost a rebuild of an id -> position map, about as many dictionary writes as rows.

Each row carries an order key, increasing down the list; a ticket's position is where its key
falls among the keys (a binary search). A row inserted between two others takes a key between
theirs, so no other row's key changes. Keys start far apart; when two neighbours run out of
room, only the smallest surrounding stretch of rows with room enough is spread out again (the
order-maintenance idea), so inserts stay cheap however they cluster. The two list inserts move
pointers in C (microseconds at 60,000 rows); nothing done in Python grows with the list.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator

# Room between two neighbouring keys: 2**40 leaves forty inserts between the same two rows
# before any stretch is spread out again.
SPACING = 1 << 40


class RowOrder:
    def __init__(self, ids: Iterable[int] = ()) -> None:
        self._ids: list[int] = []
        self._keys: list[int] = []
        self._key_of: dict[int, int] = {}
        self.extend(ids)

    def __len__(self) -> int:
        return len(self._ids)

    def __iter__(self) -> Iterator[int]:
        return iter(self._ids)

    def __getitem__(self, position: int) -> int:
        return self._ids[position]

    def __contains__(self, ticket_id: object) -> bool:
        return ticket_id in self._key_of

    def slice(self, start: int, stop: int) -> list[int]:
        return self._ids[start:stop]

    def ids(self) -> list[int]:
        """A copy, for work handed to another thread."""
        return list(self._ids)

    def position(self, ticket_id: int) -> int | None:
        key = self._key_of.get(ticket_id)
        return None if key is None else bisect_left(self._keys, key)

    def extend(self, ids: Iterable[int]) -> None:
        """Append rows (a page arriving): keys continue from the last row's."""
        added = list(ids)
        if len(set(added)) != len(added) or any(i in self._key_of for i in added):
            raise ValueError("a ticket can be in the list only once")
        start = self._keys[-1] + SPACING if self._keys else 0
        keys = range(start, start + SPACING * len(added), SPACING)
        self._ids.extend(added)
        self._keys.extend(keys)
        self._key_of.update(zip(added, keys, strict=True))

    def insert(self, position: int, ticket_id: int) -> None:
        if ticket_id in self._key_of:
            raise ValueError(f"ticket {ticket_id} is in the list already")
        position = max(0, min(position, len(self._ids)))
        key = self._key_between(position)
        if key is None:
            self._spread(position)
            key = self._key_between(position)
            assert key is not None  # spreading leaves room at every gap
        self._ids.insert(position, ticket_id)
        self._keys.insert(position, key)
        self._key_of[ticket_id] = key

    def remove_at(self, position: int) -> int:
        ticket_id = self._ids.pop(position)
        del self._keys[position]
        del self._key_of[ticket_id]
        return ticket_id

    def clear(self) -> None:
        self._ids, self._keys, self._key_of = [], [], {}

    # --- keys ---------------------------------------------------------------------------------

    def _key_between(self, position: int) -> int | None:
        """A key for a row inserted at `position`, or None when its neighbours have no room."""
        keys = self._keys
        before = keys[position - 1] if position > 0 else None
        after = keys[position] if position < len(keys) else None
        if before is None and after is None:
            return 0
        if after is None:
            assert before is not None
            return before + SPACING
        if before is None:
            return after - SPACING
        if after - before < 2:
            return None
        return (before + after) // 2

    def _spread(self, position: int) -> None:
        """Give the rows around `position` evenly spaced keys again: the smallest stretch,
        doubling from the gap outwards, that leaves enough room per row. Wider stretches may
        be denser (the order-maintenance rule: a quarter of the room per doubling), so one
        crowded spot never spreads the whole list; the whole list is spread, from its first
        key, only when no stretch has room."""
        keys, count = self._keys, len(self._keys)
        width, wanted = 1, SPACING
        while True:
            start, stop = max(0, position - width), min(count, position + width)
            if start == 0 and stop == count:
                self._assign(start, stop, keys[0], SPACING)
                return
            rows = stop - start
            low = keys[start - 1] if start > 0 else keys[stop] - SPACING * (rows + 2)
            high = keys[stop] if stop < count else keys[start - 1] + SPACING * (rows + 2)
            step = (high - low) // (rows + 2)  # room for the stretch's rows and one more row
            if step >= wanted:
                self._assign(start, stop, low + step, step)
                return
            width, wanted = width * 2, max(2, wanted // 4)

    def _assign(self, start: int, stop: int, first: int, step: int) -> None:
        keys, key_of, ids = self._keys, self._key_of, self._ids
        for offset, position in enumerate(range(start, stop)):
            key = first + offset * step
            keys[position] = key
            key_of[ids[position]] = key
