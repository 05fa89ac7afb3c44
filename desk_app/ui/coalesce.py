"""At most one refresh in flight per view or panel: a burst of changes collapses into one read.

The change feed can report changes faster than a busy database answers them (a worker escalating
thousands of tickets). A consumer that queued one read per report would build a queue that takes
minutes to drain. With this, a consumer has at most one read in flight and remembers that another
was asked for meanwhile; when the answer is in, it reads once more, covering every ask between.
"""

from __future__ import annotations

from collections.abc import Callable


class OneInFlight:
    """`start` submits the read; its done and failed callbacks must call `finished`."""

    def __init__(self, start: Callable[[], None]) -> None:
        self._start = start
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
        self._running = True
        self._start()

    def finished(self) -> None:
        """The read's answer (or error) arrived: start one more if it was asked for meanwhile."""
        self._running = False
        if self._again:
            self._again = False
            self.ask()
