"""Times for the demo's unsolved tickets, placed on their SLA clocks: a team having a normal day.

Left to the generator, an open ticket's age is drawn from months of history, so under the demo's
SLA rules about two in five open tickets were breached, some by half a year. A healthy queue
looks different: most tickets well within their targets, a handful due soon, a few breached in
the last hours, and waiting ones (pending, on hold) paused with time left.

The SLA clocks count business time, so the pacer works in business time too. It decides how
much of the ticket's running target is left (the "bucket": fine, due soon, or just breached),
lays the conversation out in business minutes since creation (replies within their targets,
customers answering within hours), and maps those minutes back from now through the policy's
own calendar (core.calendar), so the ticket's stored due times come out as intended on any
weekday and at any hour the demo is started. A paused ticket is laid out back from the moment
it was paused, which is minutes to days ago in plain time (paused clocks do not run).

The generator asks the pacer for the times of each unsolved ticket (demo_tickets' `timing`);
solved and closed tickets keep the generator's months of history.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from math import exp, log

from desk_app.core.calendar import BusinessCalendar
from desk_app.core.countdown import Light, traffic_light
from desk_app.core.enums import Channel, Direction, Priority, Status
from desk_app.core.sla import SlaPolicy, TargetKind, TicketFacts, match_policy, resolve_calendar

# Shares of the running (not paused) unsolved tickets, by the bucket they are placed in. Urgent
# tickets run on short plain-time targets, so a larger share of them is close to due: it is
# also what keeps a "due soon" ticket in the queue at night and on Sundays, when business-hours
# clocks stand still.
DUE_SOON_SHARE = 0.05
DUE_SOON_SHARE_PLAIN_TIME = 0.25
BREACHED_SHARE = 0.012
# A breach older than this (in plain time; a business-hours target may breach on Friday evening
# and still be the latest breach on Monday morning) is placed as due soon instead.
LATEST_BREACH_AGE = timedelta(days=2)
# How long a pending or on-hold ticket has been waiting for the customer or a third party.
PAUSE_MINUTES = (20.0, 9 * 24 * 60.0)

_IN, _OUT, _NOTE = Direction.INBOUND, Direction.OUTBOUND, Direction.NOTE
_FR, _NR, _RES = TargetKind.FIRST_RESPONSE, TargetKind.NEXT_RESPONSE, TargetKind.RESOLUTION
_SECOND = timedelta(seconds=1)
_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class TimingRequest:
    """What the pacer needs to know about a ticket the generator is making."""

    status: Status
    priority: Priority
    department: str | None
    channel: Channel
    roles: Sequence[Direction]  # the thread's messages in order; the first is inbound
    rng: Callable[[], float]


@dataclass(frozen=True, slots=True)
class Timing:
    """Seconds from creation to now, and each message's seconds after creation (the first 0,
    strictly increasing, all before now)."""

    age: int
    offsets: tuple[int, ...]


class SlaPacer:
    """Callable the generator asks for an unsolved ticket's times; None leaves them as they are
    (no policy matches the ticket)."""

    def __init__(
        self,
        policies: Sequence[SlaPolicy],
        calendars: dict[str, BusinessCalendar],
        now: datetime,
    ) -> None:
        self.policies = tuple(policies)
        self.calendars = calendars
        now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
        self.now = now.replace(microsecond=0)  # as the generator has it
        self._breach_credit = 0.5
        self._soon_credit = 0.5

    def __call__(self, request: TimingRequest) -> Timing | None:
        facts = TicketFacts(request.department, request.priority, request.channel)
        policy = match_policy(self.policies, facts)
        if policy is None:
            return None
        business = any(t.business_hours for t in policy.targets)
        calendar = resolve_calendar(policy, self.calendars) if business else None
        clock = _Clock(calendar)
        minutes = {t.kind: float(t.minutes) for t in policy.targets}
        r = request.rng
        roles = request.roles
        elapsed = _conversation(roles, minutes, r)
        if request.status in policy.pause_statuses:
            times = self._paused(roles, elapsed, minutes, clock, r)
        else:
            plain_time = calendar is None or calendar.is_always_open
            times = self._running(roles, elapsed, minutes, clock, r, plain_time)
        return self._timing(times)

    # --- running clocks: laid out back from now -------------------------------------------

    def _running(
        self,
        roles: Sequence[Direction],
        elapsed: list[float],
        minutes: dict[TargetKind, float],
        clock: _Clock,
        r: Callable[[], float],
        plain_time: bool,
    ) -> list[datetime]:
        resolution = minutes.get(_RES)
        outs = [k for k, role in enumerate(roles) if role is _OUT]
        public = [k for k, role in enumerate(roles) if role is not _NOTE]
        start, target = 0, minutes.get(_FR) or resolution or 480.0
        if outs and roles[public[-1]] is _IN and _NR in minutes:
            # The customer wrote after the last reply: next response runs from that message.
            start = next(k for k in range(outs[-1] + 1, len(roles)) if roles[k] is _IN)
            target = minutes[_NR]
            if resolution is not None and elapsed[start] > resolution - target:
                # The resolution target must not fall due first: a shorter conversation.
                _scale(elapsed, 0.8 * (resolution - target) / elapsed[start])
        elif outs and resolution is not None:
            target = resolution  # answered; only the resolution clock runs
        soon = DUE_SOON_SHARE_PLAIN_TIME if plain_time else DUE_SOON_SHARE
        # Shares are kept by credit rather than drawn (a few breaches among some 250 tickets
        # would otherwise come out anywhere from none to eight), and spread over the stream.
        self._breach_credit += BREACHED_SHARE
        self._soon_credit += soon
        left = _left(target, r, "fine")
        if self._breach_credit >= 1:
            self._breach_credit -= 1
            left = _left(target, r, "breached")
            due = clock.back(self.now, timedelta(minutes=-left))
            if self.now - due > LATEST_BREACH_AGE:
                left = _left(target, r, "soon")
        elif self._soon_credit >= 1:
            self._soon_credit -= 1
            left = _left(target, r, "soon")
        else:
            green = self._green(clock, target, left)
            if green is None and start == len(roles) - 1 and clock.closed_at(self.now):
                # A business-hours clock that started before the office closed is amber by
                # now (the light compares with plain time): this one came in overnight or
                # at the weekend, and its clock starts when the office opens.
                return self._arrived_while_closed(elapsed, start, clock, r)
            left = left if green is None else green
        # Business minutes from creation to now; the running clock started a minute ago or more.
        age = elapsed[start] + max(target - left, 1.0)
        last = elapsed[-1]
        if last > elapsed[start] and last >= age - 1:
            # Later messages (a nudge, notes) must fit before now: closer together.
            room = (age - elapsed[start]) * (0.3 + 0.6 * r())
            tail = last - elapsed[start]
            for k in range(start + 1, len(elapsed)):
                elapsed[k] = elapsed[start] + (elapsed[k] - elapsed[start]) * room / tail
        return [clock.back(self.now, timedelta(minutes=age - e)) for e in elapsed]

    def _arrived_while_closed(
        self, elapsed: list[float], start: int, clock: _Clock, r: Callable[[], float]
    ) -> list[datetime]:
        """The customer's last message arrived after the office closed, up to 14 hours ago."""
        closed_for = self.now - clock.back(self.now, _MINUTE) - _MINUTE
        arrived = self.now - min(closed_for, timedelta(hours=14)) * (0.05 + 0.9 * r())
        arrived = arrived.replace(microsecond=0)
        return [clock.back(arrived, timedelta(minutes=elapsed[start] - e)) for e in elapsed]

    def _green(self, clock: _Clock, target: float, left: float) -> float | None:
        """`left`, or more if need be for the light to be green (a share of plain time: a
        target that spans a night or a weekend is amber long before its last business
        hours); None when no time left gives green."""
        for _ in range(4):
            started = clock.back(self.now, timedelta(minutes=target - left))
            due = clock.back(self.now, timedelta(minutes=-left))
            if traffic_light(due, started, self.now, paused=False) is Light.GREEN:
                return left
            left = target - (target - left) / 3
        return None

    # --- paused clocks: laid out back from the moment the ticket was paused ----------------

    def _paused(
        self,
        roles: Sequence[Direction],
        elapsed: list[float],
        minutes: dict[TargetKind, float],
        clock: _Clock,
        r: Callable[[], float],
    ) -> list[datetime]:
        agents = [k for k, role in enumerate(roles) if role is not _IN]
        paused_at_k = agents[-1] if agents else 0  # the generator pauses at the last agent step
        resolution = minutes.get(_RES)
        if resolution is not None and elapsed[paused_at_k] > 0:
            # Time left on the resolution target when it was paused: grey, never overdue.
            budget = resolution * (0.2 + 0.65 * r())
            if elapsed[paused_at_k] > budget:
                _scale(elapsed, budget / elapsed[paused_at_k])
        low, high = PAUSE_MINUTES
        waited = _log_uniform(low, high, r)
        # Paused by an agent at work: in office hours, like their replies (spread over the
        # hours before, not all at closing time, when the wait began after hours).
        paused_at = self.now - timedelta(minutes=waited)
        if clock.closed_at(paused_at):
            paused_at = clock.back(paused_at, timedelta(minutes=1 + 240 * r()))
        paused_at = paused_at.replace(microsecond=0)
        times = [
            clock.back(paused_at, timedelta(minutes=elapsed[paused_at_k] - e))
            for e in elapsed[: paused_at_k + 1]
        ]
        later = len(roles) - paused_at_k - 1  # the customer wrote while it was on hold
        if later:
            span = (self.now - paused_at) / (later + 1)
            times += [paused_at + span * (k + 1) for k in range(later)]
        return times

    def _timing(self, times: list[datetime]) -> Timing:
        created = times[0].replace(microsecond=0)
        offsets = [0]
        for at in times[1:]:
            offsets.append(max(int((at - created) / _SECOND), offsets[-1] + 1))
        age = max(int((self.now - created) / _SECOND), offsets[-1] + 1)
        return Timing(age, tuple(offsets))


class _Clock:
    """Business time backwards through a calendar; plain time without one."""

    __slots__ = ("calendar",)

    def __init__(self, calendar: BusinessCalendar | None) -> None:
        self.calendar = calendar

    def closed_at(self, moment: datetime) -> bool:
        return self.calendar is not None and not self.calendar.is_open(moment)

    def back(self, moment: datetime, amount: timedelta) -> datetime:
        if self.calendar is None:
            return moment - amount
        return self.calendar.add_business_time(moment, -amount)


def _conversation(
    roles: Sequence[Direction], minutes: dict[TargetKind, float], r: Callable[[], float]
) -> list[float]:
    """Business minutes from creation to each message: agents answer within their targets (a
    team having a normal day), customers within minutes to a day, notes minutes apart."""
    first = minutes.get(_FR, 480.0)
    following = minutes.get(_NR, first * 2)
    elapsed = [0.0]
    answered = False
    for k in range(1, len(roles)):
        role, before = roles[k], roles[k - 1]
        awaited = following if answered else first
        if role is _NOTE:
            gap = awaited * (0.02 + 0.08 * r())
        elif role is _OUT:
            gap = awaited * (0.08 + 0.6 * r())
            answered = True
        elif before is _IN:
            gap = _log_uniform(20.0, 240.0, r)  # the customer writes again
        else:
            gap = _log_uniform(8.0, 900.0, r)
        elapsed.append(elapsed[-1] + max(gap, 1.0))
    return elapsed


def _left(target: float, r: Callable[[], float], bucket: str) -> float:
    """Business minutes left on the running target (negative: overdue)."""
    if bucket == "breached":
        return -_log_uniform(5.0, 150.0, r)
    if bucket == "soon":
        return max(3.0, min(0.2 * target, 100.0) * (0.15 + 0.85 * r()))
    return target * (0.3 + 0.67 * r())


def _scale(elapsed: list[float], factor: float) -> None:
    for k, value in enumerate(elapsed):
        elapsed[k] = value * factor


def _log_uniform(low: float, high: float, r: Callable[[], float]) -> float:
    return exp(log(low) + (log(high) - log(low)) * r())
