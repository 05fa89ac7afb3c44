"""What arrived on a ticket while the agent was writing a reply.

A reply draft remembers the newest message that was on screen when the agent started it (its
"mark"). A customer message or a reply (by a colleague, the worker, or the agent elsewhere)
added after the mark is news the agent has not necessarily read, even when the live update has
already drawn it: a message on screen is not a message read. The composer announces that news.
Internal notes never reach the customer, so they are not announced; but they are not taken as
read either: the service refuses the send past a colleague's note and the agent is asked then.
Only what this window itself added (the agent's own note) counts as read.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from desk_app.core.enums import Direction

ANNOUNCED_DIRECTIONS = frozenset({Direction.INBOUND.value, Direction.OUTBOUND.value})


@dataclass(frozen=True)
class ShownMessage:
    """A message as the window shows it: its id (ids only grow) and its direction."""

    id: int
    direction: str


def newest(messages: Iterable[ShownMessage]) -> int:
    """The newest message on screen, 0 for none (every real id is greater)."""
    return max((m.id for m in messages), default=0)


def arrived_since(messages: Iterable[ShownMessage], mark: int) -> list[int]:
    """Customer messages and replies after the draft's mark, oldest first."""
    return sorted(m.id for m in messages if m.id > mark and m.direction in ANNOUNCED_DIRECTIONS)


def safe_seen(
    messages: Sequence[ShownMessage], mark: int, own: Collection[int] = frozenset()
) -> int:
    """The newest message id the service may treat as read when this draft is sent.

    Everything up to the mark was on screen when the draft began, and so is what the agent
    added themselves right after it; from the first message by anyone else on, nothing counts
    as read, so the service refuses the send, whether or not the window has drawn it."""
    seen = mark
    for message in sorted(messages, key=lambda m: m.id):
        if message.id <= mark:
            continue
        if message.id not in own:
            break
        seen = message.id
    return seen
