"""When to try a reply again after a temporary failure."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

BASE_SECONDS = 30.0
CAP_SECONDS = 3600.0
JITTER = 0.2


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """30 s doubled per attempt so far, capped at an hour, ±20 % so that many replies failing
    together (an outage) do not all hit the server again in the same second."""
    exponent = max(0, attempts - 1)
    seconds = min(CAP_SECONDS, BASE_SECONDS * 2 ** min(exponent, 20))
    spread = (rng or random).uniform(-JITTER, JITTER)
    return timedelta(seconds=seconds * (1 + spread))


def retry_at(now: datetime, attempts: int, rng: random.Random | None = None) -> datetime:
    return now + retry_delay(attempts, rng)
