"""What an SLA countdown shows: the time left as short text, and a traffic-light colour.

The UI subtracts ``now`` from the stored due time once a second for the visible rows and asks these
two functions what to draw; they do no I/O and cost about a microsecond per call.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

MINUS = "\u2212"
# Amber once this little is left, whatever the target's length.
WARNING_FLOOR = timedelta(minutes=30)
# Amber once this share of the target is left.
WARNING_SHARE = 0.25


class Light(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    GREY = "grey"


def format_remaining(delta: timedelta) -> str:
    """ "2h 14m", "3d 1h", "45m", "0m", "−35m" (U+2212 when overdue).

    The time is rounded up to the whole minute (signed), so "1m" shows during the last minute,
    "0m" from the due time until a minute past it, then "−1m". Zero units are left out at the end
    ("2h", "3d"); from a day on, minutes are dropped.
    """
    micros = delta // timedelta(microseconds=1)
    minutes = -(-micros // 60_000_000)  # ceiling division
    sign = MINUS if minutes < 0 else ""
    minutes = abs(minutes)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        text = f"{days}d {hours}h" if hours else f"{days}d"
    elif hours:
        text = f"{hours}h {mins}m" if mins else f"{hours}h"
    else:
        text = f"{mins}m"
    return sign + text


def warning_at(due_at: datetime, started_at: datetime) -> datetime:
    """The instant the light turns amber: when 25% of the target or 30 minutes are left,
    whichever comes first. The worker schedules "about to breach" alerts on it."""
    window = max((due_at - started_at) * WARNING_SHARE, WARNING_FLOOR)
    return due_at - window


def traffic_light(
    due_at: datetime | None, started_at: datetime | None, now: datetime, paused: bool
) -> Light:
    """Grey while paused (or with no running target); red once past due; amber at ≤ 25% of the
    target or ≤ 30 minutes left; green otherwise. Shares are of real time, due minus start."""
    if paused or due_at is None:
        return Light.GREY
    left = due_at - now
    if left < timedelta(0):
        return Light.RED
    if left <= WARNING_FLOOR:
        return Light.AMBER
    if started_at is not None and left <= (due_at - started_at) * WARNING_SHARE:
        return Light.AMBER
    return Light.GREEN
