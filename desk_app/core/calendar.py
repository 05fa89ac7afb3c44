"""Business calendars: when a team is at work, and how much working time lies between instants.

Working hours are wall-clock ranges in the calendar's time zone; business time is real elapsed
time inside those ranges. So on the day New York springs forward, a 00:00-04:00 shift holds three
real hours, and on the day it falls back, four.

Local wall times are turned into instants by one rule: a boundary is *the first instant at which
the wall clock reads that time or later*.
- A time that does not exist (skipped by a spring-forward) maps to the moment of the jump:
  a 02:30 start on the New York spring-forward day starts at 03:00 EDT.
- A time that occurs twice (fall-back) maps to its first occurrence: a range ending at 01:30 on
  the fall-back day ends at 01:30 EDT, and the repeated half hour is closed.
The rule is monotonic, so ordered, non-overlapping ranges stay ordered and non-overlapping.

Intervals are half-open: a calendar open 09:00-18:00 is open at 09:00 and closed at 18:00.

Signs and landing points:
- ``business_time_between(a, b)`` is signed: ``-business_time_between(b, a)``; zero when a == b.
- ``add_business_time(start, d)`` for d > 0 returns the earliest instant r with
  ``business_time_between(start, r) == d``; r lies inside an open interval or at its end, never
  at the start of one (two hours from Friday 16:00 in a 09:00-18:00 week is Friday 18:00, not
  Monday 09:00). For d < 0 it returns the latest such instant before start, which lies inside an
  interval or at its start. For d == 0 it returns start, open or not.
So ``business_time_between(start, add_business_time(start, d)) == d`` for every d.

All results are UTC-aware datetimes; naive inputs raise ValueError.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
_ZERO = timedelta(0)
# A calendar closed for this many days in a row has no working time left to find.
_MAX_CLOSED_DAYS = 3660
# Day intervals are cached per local date; the cap only guards against unbounded growth.
_DAY_CACHE_LIMIT = 50_000
# Measures across more local dates than this use per-year running totals for the middle days.
_LONG_SPAN_DAYS = 21
_RANGE_TEXT = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")

Interval = tuple[datetime, datetime]


class InvalidConfig(ValueError):
    """A calendar or policy that cannot work; ``field`` names the offending field."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(f"{field_name}: {problem}")
        self.field = field_name
        self.problem = problem


def as_utc(value: datetime, name: str = "datetime") -> datetime:
    """The same instant in UTC; naive datetimes raise ValueError."""
    try:
        zone = value.tzinfo
    except AttributeError:
        raise TypeError(f"{name}: expected a datetime, got {type(value).__name__}") from None
    if zone is UTC:
        return value
    require_aware(value, name)
    return value.astimezone(UTC)


def require_aware(value: datetime, name: str = "datetime") -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name}: expected a datetime, got {type(value).__name__}")
    if value.utcoffset() is None:
        raise ValueError(f"{name}: a timezone-aware datetime is required, got naive {value}")


@dataclass(frozen=True, order=True)
class TimeRange:
    """A wall-clock range within one day, in minutes after midnight; end may be 1440 (24:00)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < MINUTES_PER_DAY:
            raise ValueError(f"range start {self.start} is outside 00:00-23:59")
        if not 0 < self.end <= MINUTES_PER_DAY:
            raise ValueError(f"range end {self.end} is outside 00:01-24:00")
        if self.end <= self.start:
            raise ValueError(f"range {self} ends before it starts")

    @classmethod
    def parse(cls, text: str) -> TimeRange:
        """``"09:00-12:30"``; the end may be ``"24:00"``."""
        match = _RANGE_TEXT.match(text)
        if match is None:
            raise ValueError(f"{text!r} is not a range like 09:00-18:00")
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        if m1 >= 60 or m2 >= 60 or h1 > 23 or h2 > 24 or (h2 == 24 and m2 != 0):
            raise ValueError(f"{text!r} holds a time that is not on the clock")
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end <= start:
            raise ValueError(f"{text!r} ends before it starts")
        return cls(start, end)

    def __str__(self) -> str:
        return f"{_clock_text(self.start)}-{_clock_text(self.end)}"

    @property
    def minutes(self) -> int:
        return self.end - self.start


def _clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


WeeklyHours = tuple[tuple[TimeRange, ...], ...]


def parse_week(spec: Mapping[str, str | Sequence[str]]) -> WeeklyHours:
    """Weekly hours from ``{"mon": ["09:00-12:00", "13:00-18:00"], "sat": "10:00-14:00"}``.

    Keys are day names (``mon``..``sun``) or ranges of them (``"mon-fri"``); a value is a list of
    ranges or one string with ranges separated by commas. Days not named are closed.
    """
    days: list[list[TimeRange]] = [[] for _ in DAY_NAMES]
    seen: set[int] = set()
    for key, value in spec.items():
        where = f"hours.{key}"
        indexes = _day_indexes(str(key), where)
        if indexes & seen:
            raise InvalidConfig(where, "names a day that another key already set")
        seen |= indexes
        texts = value.split(",") if isinstance(value, str) else list(value)
        ranges: list[TimeRange] = []
        for text in texts:
            if not isinstance(text, str):
                raise InvalidConfig(where, f"expected ranges like '09:00-18:00', got {text!r}")
            if not text.strip():
                continue
            try:
                ranges.append(TimeRange.parse(text))
            except ValueError as exc:
                raise InvalidConfig(where, str(exc)) from None
        for index in indexes:
            days[index] = list(ranges)
    return _normalise_week(tuple(tuple(day) for day in days))


def _day_indexes(key: str, where: str) -> set[int]:
    parts = [part.strip().lower()[:3] for part in key.split("-")]
    if not all(part in DAY_NAMES for part in parts) or len(parts) > 2:
        raise InvalidConfig(where, f"unknown day {key!r}; use mon, tue, … sun or 'mon-fri'")
    first = DAY_NAMES.index(parts[0])
    last = DAY_NAMES.index(parts[-1])
    if last < first:
        raise InvalidConfig(where, f"day range {key!r} runs backwards")
    return set(range(first, last + 1))


def _normalise_week(hours: Sequence[Sequence[TimeRange]]) -> WeeklyHours:
    if len(hours) != 7:
        raise InvalidConfig("hours", f"expected 7 days (Monday first), got {len(hours)}")
    week: list[tuple[TimeRange, ...]] = []
    for name, day in zip(DAY_NAMES, hours, strict=True):
        ordered = sorted(day)
        for before, after in pairwise(ordered):
            if after.start < before.end:
                raise InvalidConfig(f"hours.{name}", f"ranges {before} and {after} overlap")
        week.append(tuple(ordered))
    if not any(week):
        raise InvalidConfig("hours", "at least one working range is needed")
    return tuple(week)


def _zone(name: str) -> ZoneInfo:
    if not isinstance(name, str) or not name.strip():
        raise InvalidConfig("timezone", "a time zone name such as 'Asia/Tokyo' is required")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidConfig("timezone", f"unknown time zone {name!r}") from None


def _check_country(country: str | None, subdivision: str | None) -> None:
    if country is None:
        if subdivision is not None:
            raise InvalidConfig("subdivision", "a subdivision needs a country")
        return
    # Imported only for a calendar with a country: the library is large and most start-ups
    # (the desktop's first paint) never need it.
    import holidays as holidays_lib

    # The same codes as holidays.list_supported_countries(), which imports all 500 country
    # modules (a quarter of a second) where only this one is needed. Loading this one now
    # keeps the import out of the first due-time computation.
    if country not in _country_codes():
        raise InvalidConfig("country", f"unknown country {country!r} for public holidays")
    subdivisions = getattr(holidays_lib, country).subdivisions
    if subdivision is not None and subdivision not in subdivisions:
        raise InvalidConfig("subdivision", f"{country} has no subdivision {subdivision!r}")


@cache
def _country_codes() -> frozenset[str]:
    from holidays.registry import EntityLoader

    return frozenset(EntityLoader.get_country_codes(include_aliases=True))


@dataclass(frozen=True)
class BusinessCalendar:
    """Working hours in one time zone, minus holidays. Immutable, hashable, cheap to query."""

    name: str
    timezone: str
    hours: WeeklyHours
    holidays: frozenset[date] = frozenset()
    country: str | None = None
    subdivision: str | None = None

    _zone: ZoneInfo = field(init=False, repr=False, compare=False, hash=False)
    _always: bool = field(init=False, repr=False, compare=False, hash=False)
    _day_cache: dict[int, tuple[Interval, ...]] = field(
        init=False, repr=False, compare=False, hash=False
    )
    _holiday_cache: dict[int, frozenset[date]] = field(
        init=False, repr=False, compare=False, hash=False
    )
    _year_cache: dict[int, list[timedelta]] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InvalidConfig("name", "a calendar needs a name")
        setter = object.__setattr__
        setter(self, "_zone", _zone(self.timezone))
        setter(self, "hours", _normalise_week(self.hours))
        setter(self, "holidays", frozenset(self.holidays))
        for day in self.holidays:
            if not isinstance(day, date) or isinstance(day, datetime):
                raise InvalidConfig("holidays", f"{day!r} is not a date")
        _check_country(self.country, self.subdivision)
        full_day = (TimeRange(0, MINUTES_PER_DAY),)
        always = all(day == full_day for day in self.hours)
        setter(self, "_always", always and not self.holidays and self.country is None)
        setter(self, "_day_cache", {})
        setter(self, "_holiday_cache", {})
        setter(self, "_year_cache", {})

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        name: str,
        timezone: str,
        hours: Mapping[str, str | Sequence[str]],
        holidays: Iterable[date | str] = (),
        country: str | None = None,
        subdivision: str | None = None,
    ) -> BusinessCalendar:
        """Friendly construction: ``build("Tokyo", "Asia/Tokyo", {"mon-fri": "09:00-18:00"})``."""
        return cls(
            name=name,
            timezone=timezone,
            hours=parse_week(hours),
            holidays=_parse_dates(holidays),
            country=country,
            subdivision=subdivision,
        )

    @classmethod
    def always_open(cls, timezone: str = "UTC", name: str = "24/7") -> BusinessCalendar:
        """Open every minute of every day: business time is plain elapsed time."""
        return cls(name=name, timezone=timezone, hours=((TimeRange(0, MINUTES_PER_DAY),),) * 7)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values, read back by ``from_dict``."""
        return {
            "name": self.name,
            "timezone": self.timezone,
            "hours": {
                day: [str(r) for r in ranges]
                for day, ranges in zip(DAY_NAMES, self.hours, strict=True)
            },
            "holidays": sorted(day.isoformat() for day in self.holidays),
            "country": self.country,
            "subdivision": self.subdivision,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        """Validate and build; errors are ``InvalidConfig`` (a ValueError) naming the field."""
        if not isinstance(data, Mapping):
            raise InvalidConfig("calendar", "expected a mapping of fields")
        known = {"name", "timezone", "hours", "holidays", "country", "subdivision"}
        for key in data:
            if key not in known:
                raise InvalidConfig(str(key), "unknown field")
        for key in ("name", "timezone", "hours"):
            if key not in data:
                raise InvalidConfig(key, "is required")
        hours = data["hours"]
        if not isinstance(hours, Mapping):
            raise InvalidConfig("hours", "expected a mapping of day names to ranges")
        country = data.get("country") or None
        subdivision = data.get("subdivision") or None
        for key, value in (("country", country), ("subdivision", subdivision)):
            if value is not None and not isinstance(value, str):
                raise InvalidConfig(key, f"expected a code such as 'JP', got {value!r}")
        raw_holidays = data.get("holidays") or []
        if isinstance(raw_holidays, str) or not isinstance(raw_holidays, Iterable):
            raise InvalidConfig("holidays", "expected a list of dates")
        return cls.build(
            name=data["name"],
            timezone=data["timezone"],
            hours=hours,
            holidays=raw_holidays,
            country=country.upper() if country else None,
            subdivision=subdivision,
        )

    # -- calendar facts ----------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    @property
    def is_always_open(self) -> bool:
        return self._always

    def holidays_in(self, year: int) -> frozenset[date]:
        """Explicit holidays plus the country's public holidays in ``year`` (cached)."""
        found = self._holiday_cache.get(year)
        if found is None:
            dates = {day for day in self.holidays if day.year == year}
            if self.country is not None:
                import holidays as holidays_lib  # see _check_country

                public = holidays_lib.country_holidays(
                    self.country, subdiv=self.subdivision, years=year
                )
                dates.update(public.keys())
            found = frozenset(dates)
            self._holiday_cache[year] = found
        return found

    def is_holiday(self, day: date) -> bool:
        return day in self.holidays_in(day.year)

    def is_working_day(self, day: date) -> bool:
        return bool(self.hours[day.weekday()]) and not self.is_holiday(day)

    # -- instants ----------------------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        moment = as_utc(at, "at")
        if self._always:
            return True
        ordinal = moment.astimezone(self._zone).toordinal()
        # The next local date can hold this instant only where clocks fall back across midnight.
        for day in (ordinal, ordinal + 1):
            for begin, end in self._day(day):
                if begin <= moment < end:
                    return True
        return False

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself when open, else the start of the next open interval (UTC)."""
        moment = as_utc(at, "at")
        if self._always:
            return moment
        ordinal = moment.astimezone(self._zone).toordinal()
        closed_days = 0
        while True:
            intervals = self._day(ordinal)
            for begin, end in intervals:
                if end > moment:
                    return begin if begin > moment else moment
            closed_days = self._count_closed(intervals, closed_days)
            ordinal += 1

    def open_intervals(self, start: datetime, end: datetime) -> list[Interval]:
        """The open intervals within [start, end), clipped to it, touching ones merged (UTC)."""
        lo, hi = as_utc(start, "start"), as_utc(end, "end")
        if hi <= lo:
            return []
        if self._always:
            return [(lo, hi)]
        found: list[Interval] = []
        last = hi.astimezone(self._zone).toordinal() + 1
        for ordinal in range(lo.astimezone(self._zone).toordinal(), last + 1):
            for begin, stop in self._day(ordinal):
                if stop <= lo or begin >= hi:
                    continue
                begin, stop = max(begin, lo), min(stop, hi)
                if found and found[-1][1] == begin:
                    found[-1] = (found[-1][0], stop)
                else:
                    found.append((begin, stop))
        return found

    def add_business_time(self, start: datetime, delta: timedelta) -> datetime:
        """``start`` moved by ``delta`` of business time; the module notes say where it lands."""
        moment = as_utc(start, "start")
        if self._always or not delta:
            return moment + delta
        if delta < _ZERO:
            return self._subtract(moment, -delta)
        remaining = delta
        ordinal = moment.astimezone(self._zone).toordinal()
        closed_days = 0
        while True:
            intervals = self._day(ordinal)
            for begin, end in intervals:
                if end <= moment:
                    continue
                if begin < moment:
                    begin = moment
                span = end - begin
                if remaining <= span:
                    return begin + remaining
                remaining -= span
            closed_days = self._count_closed(intervals, closed_days)
            ordinal += 1

    def _subtract(self, moment: datetime, amount: timedelta) -> datetime:
        remaining = amount
        ordinal = moment.astimezone(self._zone).toordinal() + 1
        closed_days = 0
        while True:
            intervals = self._day(ordinal)
            for begin, end in reversed(intervals):
                if begin >= moment:
                    continue
                if end > moment:
                    end = moment
                span = end - begin
                if remaining <= span:
                    return end - remaining
                remaining -= span
            closed_days = self._count_closed(intervals, closed_days)
            ordinal -= 1

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Business time from ``a`` to ``b``; negative when b is before a."""
        lo, hi = as_utc(a, "a"), as_utc(b, "b")
        if self._always:
            return hi - lo
        if hi < lo:
            return -self._between(hi, lo)
        return self._between(lo, hi)

    def _between(self, lo: datetime, hi: datetime) -> timedelta:
        zone = self._zone
        first = lo.astimezone(zone).toordinal()
        last = hi.astimezone(zone).toordinal()
        if last - first < _LONG_SPAN_DAYS:
            return self._clipped(lo, hi, first, last + 1)
        # Long spans (a ticket overdue for months): whole days in the middle come from per-year
        # running totals. The two days at each end are clipped, since where clocks go back
        # across midnight an instant can sit among the next local date's intervals.
        return (
            self._clipped(lo, hi, first, first + 1)
            + self._whole_days(first + 2, last - 1)
            + self._clipped(lo, hi, last, last + 1)
        )

    def _clipped(self, lo: datetime, hi: datetime, first: int, last: int) -> timedelta:
        total = _ZERO
        for ordinal in range(first, last + 1):
            for begin, end in self._day(ordinal):
                if end <= lo:
                    continue
                if begin >= hi:
                    return total
                total += (end if end < hi else hi) - (begin if begin > lo else lo)
        return total

    def _whole_days(self, first: int, last: int) -> timedelta:
        """Business time on local dates first..last (ordinals, inclusive)."""
        total = _ZERO
        ordinal = first
        while ordinal <= last:
            year = date.fromordinal(ordinal).year
            year_start = date(year, 1, 1).toordinal()
            running = self._year_totals(year)
            stop = min(last, year_start + len(running) - 2)
            total += running[stop - year_start + 1] - running[ordinal - year_start]
            ordinal = stop + 1
        return total

    def _year_totals(self, year: int) -> list[timedelta]:
        """Running totals: entry i is the business time on the year's first i days."""
        running = self._year_cache.get(year)
        if running is None:
            running = [_ZERO]
            day = date(year, 1, 1).toordinal()
            end = date(year + 1, 1, 1).toordinal()
            while day < end:
                span = sum((b - a for a, b in self._day(day)), _ZERO)
                running.append(running[-1] + span)
                day += 1
            self._year_cache[year] = running
        return running

    # -- minute helpers ----------------------------------------------------------------------

    def add_business_minutes(self, start: datetime, minutes: float) -> datetime:
        return self.add_business_time(start, timedelta(minutes=minutes))

    def business_minutes_between(self, a: datetime, b: datetime) -> float:
        """Signed business minutes, fractional when the instants are not on whole minutes."""
        return self.business_time_between(a, b) / timedelta(minutes=1)

    def open_minutes_on(self, day: date) -> int:
        """Working minutes on a local date, in wall-clock terms (holidays count as zero)."""
        if not self.is_working_day(day):
            return 0
        return sum(r.minutes for r in self.hours[day.weekday()])

    # -- internals ---------------------------------------------------------------------------

    def _count_closed(self, intervals: tuple[Interval, ...], closed_days: int) -> int:
        if intervals:
            return 0
        if closed_days >= _MAX_CLOSED_DAYS:
            raise ValueError(f"calendar {self.name!r} has no working time in ten years")
        return closed_days + 1

    def _day(self, ordinal: int) -> tuple[Interval, ...]:
        intervals = self._day_cache.get(ordinal)
        if intervals is None:
            intervals = self._build_day(ordinal)
            if len(self._day_cache) >= _DAY_CACHE_LIMIT:
                self._day_cache.clear()
            self._day_cache[ordinal] = intervals
        return intervals

    def _build_day(self, ordinal: int) -> tuple[Interval, ...]:
        day = date.fromordinal(ordinal)
        ranges = self.hours[day.weekday()]
        if not ranges or day in self.holidays_in(day.year):
            return ()
        midnight = datetime.combine(day, time())
        day_start = self._first_instant(midnight)
        if self._first_instant(midnight + _ONE_DAY) - day_start == _ONE_DAY:
            # No clock change today: every wall time is midnight's offset away from UTC.
            pairs = [
                (day_start + timedelta(minutes=r.start), day_start + timedelta(minutes=r.end))
                for r in ranges
            ]
        else:
            pairs = [
                (
                    self._first_instant(midnight + timedelta(minutes=r.start)),
                    self._first_instant(midnight + timedelta(minutes=r.end)),
                )
                for r in ranges
            ]
        merged: list[Interval] = []
        for begin, end in pairs:
            if end <= begin:
                continue  # a range that fell entirely into a skipped hour
            if merged and merged[-1][1] >= begin:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((begin, end))
        return tuple(merged)

    def _first_instant(self, wall: datetime) -> datetime:
        """The first UTC instant at which the local clock reads ``wall`` or later."""
        zone = self._zone
        # fold=0 picks the first occurrence of a repeated time, and for a skipped time the
        # offset from before the jump, which lands after the jump.
        after = wall.replace(tzinfo=zone).astimezone(UTC)
        if after.astimezone(zone).replace(tzinfo=None) == wall:
            return after
        before = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
        if before > after:
            before, after = after, before
        # Transitions fall on whole seconds; bisect for the first second past the jump.
        while after - before > _ONE_SECOND:
            middle = before + (after - before) // 2
            middle -= timedelta(microseconds=middle.microsecond)
            if middle.astimezone(zone).replace(tzinfo=None) >= wall:
                after = middle
            else:
                before = middle
        return after


def _parse_dates(values: Iterable[date | str]) -> frozenset[date]:
    found: set[date] = set()
    for value in values:
        if isinstance(value, datetime):
            raise InvalidConfig("holidays", f"{value!r} is a datetime, expected a date")
        if isinstance(value, date):
            found.add(value)
            continue
        try:
            found.add(date.fromisoformat(str(value)))
        except ValueError:
            raise InvalidConfig("holidays", f"{value!r} is not a date like 2026-01-01") from None
    return frozenset(found)
