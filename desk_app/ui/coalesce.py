"""At most one refresh in flight per view or panel: a burst of changes collapses into one read.

The change feed can report changes faster than a busy database answers them (a worker escalating
thousands of tickets). A consumer that queued one read per report would build a queue that takes
minutes to drain. With this, a consumer has at most one read in flight and remembers that another
was asked for meanwhile; when the answer is in, it reads once more, covering every ask between.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from types import MethodType


class OneInFlight:
    """`start` submits the read; its done and failed callbacks must call `finished`."""

    def __init__(self, start: Callable[[], None]) -> None:
        # A bound method is held weakly: its owner holds this object, and a strong reference
        # back would make the pair a cycle that only the cyclic collector frees, at any moment,
        # even while one of the owner's timers is firing (Qt then crashes).
        self._start: Callable[[], Callable[[], None] | None] = (
            weakref.WeakMethod(start) if isinstance(start, MethodType) else (lambda: start)
        )
        self._running = False
        self._again = False

    @property
    def running(self) -> bool:
        return self._running

    def ask(self) -> None:
        if self._running:
            # The read in flight may predate the change that asked: read once more after it.
            self._again = True
            return
        start = self._start()
        if start is None:
            return  # its owner is gone
        self._running = True
        start()

    def finished(self) -> None:
        """The read's answer (or error) arrived: start one more if it was asked for meanwhile."""
        self._running = False
        if self._again:
            self._again = False
            self.ask()
