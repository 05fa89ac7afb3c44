"""On-call rotations: who covers nights and weekends, at any instant.

A rotation hands over at a local time of day (09:00 in its own time zone), every day or every
week, walking its list of agents in order from the date it started. Shifts are computed, not
stored, so a rotation never runs out; overrides (a swap, someone covering for a colleague) are
stored and laid on top: the most recent override covering an instant wins.

Hand-offs happen at the local clock time even across a DST change, so a "daily at 09:00" shift
lasts 23 or 25 hours on those days, as the people on it expect.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from desk_app.core.errors import InvalidInput

SHIFT_LENGTHS = {"daily": 1, "weekly": 7}


@dataclass(frozen=True)
class Rotation:
    name: str
    agent_ids: tuple[int, ...]
    handoff: time  # local time of day the next person takes over
    length: str  # "daily" or "weekly"
    time_zone: str
    starts_on: date  # the first shift begins at `handoff` on this date with agent_ids[0]
    department: str | None = None  # None: team-wide

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidInput("a rotation needs a name")
        if not self.agent_ids:
            raise InvalidInput(f"rotation '{self.name}' needs at least one agent")
        if len(set(self.agent_ids)) != len(self.agent_ids):
            raise InvalidInput(f"rotation '{self.name}' lists an agent twice")
        if self.length not in SHIFT_LENGTHS:
            raise InvalidInput(
                f"rotation '{self.name}': length must be daily or weekly, not {self.length!r}"
            )
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(
                f"rotation '{self.name}': unknown time zone {self.time_zone!r}"
            ) from None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def days(self) -> int:
        return SHIFT_LENGTHS[self.length]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "agent_ids": list(self.agent_ids),
            "handoff": self.handoff.strftime("%H:%M"),
            "length": self.length,
            "time_zone": self.time_zone,
            "starts_on": self.starts_on.isoformat(),
            "department": self.department,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rotation:
        name = str(data.get("name") or "")
        try:
            return cls(
                name=name,
                agent_ids=tuple(int(a) for a in data.get("agent_ids") or ()),
                handoff=time.fromisoformat(str(data.get("handoff") or "09:00")),
                length=str(data.get("length") or "weekly"),
                time_zone=str(data.get("time_zone") or "UTC"),
                starts_on=date.fromisoformat(str(data["starts_on"])),
                department=data.get("department") or None,
            )
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidInput(f"rotation '{name}': {error}") from None


@dataclass(frozen=True)
class Override:
    """`agent_id` is on call from starts_at to ends_at, instead of `covers_agent_id` (or
    instead of whoever is scheduled, when None)."""

    agent_id: int
    starts_at: datetime
    ends_at: datetime
    covers_agent_id: int | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise InvalidInput("an override needs times with a time zone")
        if self.ends_at <= self.starts_at:
            raise InvalidInput("an override must end after it starts")

    def applies(self, scheduled_agent_id: int, at: datetime) -> bool:
        in_time = self.starts_at <= at < self.ends_at
        return in_time and self.covers_agent_id in (None, scheduled_agent_id)


@dataclass(frozen=True)
class Shift:
    agent_id: int  # who is on call
    scheduled_agent_id: int  # who the rotation says, before overrides
    starts_at: datetime
    ends_at: datetime
    override: Override | None = None


def scheduled_shift(rotation: Rotation, at: datetime) -> Shift:
    """The rotation's own shift containing `at`, before overrides."""
    zone = rotation.zone
    local = at.astimezone(zone)
    day = local.date() if local.time() >= rotation.handoff else local.date() - timedelta(days=1)
    index = (day - rotation.starts_on).days // rotation.days  # negative before the start: fine
    first_day = rotation.starts_on + timedelta(days=index * rotation.days)
    start = _local(first_day, rotation.handoff, zone)
    end = _local(first_day + timedelta(days=rotation.days), rotation.handoff, zone)
    agent = rotation.agent_ids[index % len(rotation.agent_ids)]
    return Shift(agent, agent, start, end)


def on_call(rotation: Rotation, at: datetime, overrides: Sequence[Override] = ()) -> Shift:
    """Who is on call at `at`: the scheduled shift, or the latest override covering it (its
    times then bound the shift: the override's hours, clipped to the scheduled shift)."""
    scheduled = scheduled_shift(rotation, at)
    for override in reversed(overrides):
        if override.applies(scheduled.scheduled_agent_id, at):
            return Shift(
                override.agent_id,
                scheduled.scheduled_agent_id,
                max(override.starts_at, scheduled.starts_at),
                min(override.ends_at, scheduled.ends_at),
                override,
            )
    return scheduled


def shifts_between(
    rotation: Rotation, start: datetime, end: datetime, overrides: Sequence[Override] = ()
) -> list[Shift]:
    """Every stretch of one person on call from start to end, for the calendar view: the
    scheduled shifts cut where overrides begin and end."""
    if end <= start:
        return []
    cuts = {start, end}
    at = start
    while at < end:
        shift = scheduled_shift(rotation, at)
        cuts.add(shift.starts_at)
        at = shift.ends_at
        cuts.add(at)
    for override in overrides:
        cuts.update((override.starts_at, override.ends_at))
    points = sorted(c for c in cuts if start <= c <= end)
    result: list[Shift] = []
    for left, right in itertools.pairwise(points):
        shift = on_call(rotation, left, overrides)
        piece = Shift(shift.agent_id, shift.scheduled_agent_id, left, right, shift.override)
        previous = result[-1] if result else None
        if previous and (previous.agent_id, previous.override) == (piece.agent_id, piece.override):
            result[-1] = Shift(
                previous.agent_id,
                previous.scheduled_agent_id,
                previous.starts_at,
                right,
                previous.override,
            )
        else:
            result.append(piece)
    return result


def next_in_line(rotation: Rotation, agent_id: int) -> int:
    """Who to escalate to when `agent_id` does not answer: the next in the rotation's order
    (someone outside the rotation, covering by override, escalates to the scheduled first)."""
    if agent_id not in rotation.agent_ids:
        return rotation.agent_ids[0]
    position = rotation.agent_ids.index(agent_id)
    return rotation.agent_ids[(position + 1) % len(rotation.agent_ids)]


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    # fold=0: in a repeated hour the first occurrence; in a skipped hour zoneinfo moves on by
    # the gap. Either way a hand-off happens exactly once per shift. In UTC, so that lengths
    # and comparisons are true durations (Python subtracts same-zone times by the wall clock).
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
