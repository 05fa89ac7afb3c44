"""Reconnect delays: quick at first (a restart takes seconds), capped, with jitter so a room of
desktops does not hammer a database that has just come back, all in the same instant."""

from __future__ import annotations

import random


class Backoff:
    def __init__(self, first_s: float = 0.2, cap_s: float = 5.0, factor: float = 2.0) -> None:
        self.first_s = first_s
        self.cap_s = cap_s
        self.factor = factor
        self._attempt = 0

    def next_delay(self) -> float:
        delay = min(self.cap_s, self.first_s * self.factor**self._attempt)
        self._attempt += 1
        return delay * random.uniform(0.75, 1.0)

    def reset(self) -> None:
        self._attempt = 0
