"""Business calendars: exact working time across weekends, holidays, DST, midnight and new year."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desk_app.core.calendar import BusinessCalendar, InvalidConfig, TimeRange, parse_week

TOKYO = ZoneInfo("Asia/Tokyo")
MOSCOW = ZoneInfo("Europe/Moscow")
NEW_YORK = ZoneInfo("America/New_York")
TINY = timedelta(microseconds=1)

tokyo = BusinessCalendar.build("Tokyo", "Asia/Tokyo", {"mon-fri": "09:00-18:00"}, country="JP")
moscow = BusinessCalendar.build(
    "Moscow", "Europe/Moscow", {"mon-fri": "09:00-13:00, 14:00-18:00"}, country="RU"
)
new_york = BusinessCalendar.build(
    "New York",
    "America/New_York",
    {"mon-fri": ["08:00-12:00", "13:00-17:30"], "sat": "10:00-14:00"},
    holidays=["2026-12-24"],
    country="US",
)
# Nights across midnight, with boundaries clear of the 01:00-03:00 hours that DST moves.
new_york_nights = BusinessCalendar.build(
    "NY nights", "America/New_York", {"mon-sun": ["00:00-00:45", "03:30-06:00", "21:00-24:00"]}
)
always = BusinessCalendar.always_open("America/New_York")

CALENDARS = [tokyo, moscow, new_york, new_york_nights, always]

# Instants from 2024 to 2028, weighted towards the DST changes and the new year.
_ANCHORS = [
    datetime(2026, 3, 8, 7, 0, tzinfo=UTC),  # New York springs forward
    datetime(2026, 11, 1, 6, 0, tzinfo=UTC),  # New York falls back
    datetime(2025, 12, 31, 12, 0, tzinfo=UTC),
    datetime(2026, 1, 9, 8, 55, tzinfo=UTC),
]
instants = st.one_of(
    st.datetimes(datetime(2024, 1, 1), datetime(2028, 12, 31), timezones=st.just(UTC)),
    st.builds(
        lambda anchor, offset: anchor + timedelta(seconds=offset),
        st.sampled_from(_ANCHORS),
        st.integers(-5 * 86400, 5 * 86400),
    ),
)
minute_instants = instants.map(lambda at: at.replace(second=0, microsecond=0))
deltas = st.integers(-40 * 24 * 3600, 40 * 24 * 3600).map(lambda s: timedelta(seconds=s))
calendars = st.sampled_from(CALENDARS)


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)


def wall_clock_open(calendar: BusinessCalendar, moment: datetime) -> bool:
    """An independent oracle: is the local wall time inside a range on a working day?"""
    local = moment.astimezone(calendar.zone)
    if not calendar.is_working_day(local.date()):
        return False
    minute = local.hour * 60 + local.minute
    return any(r.start <= minute < r.end for r in calendar.hours[local.weekday()])


# -- properties ---------------------------------------------------------------------------------


@given(calendars, instants, deltas)
def test_adding_then_measuring_returns_the_same_time(calendar, start, delta):
    end = calendar.add_business_time(start, delta)
    assert calendar.business_time_between(start, end) == delta
    assert calendar.business_minutes_between(start, end) == delta / timedelta(minutes=1)


@given(calendars, instants, deltas.filter(lambda d: d > timedelta(0)))
def test_a_positive_addition_lands_inside_or_at_the_end_of_an_open_interval(calendar, start, delta):
    end = calendar.add_business_time(start, delta)
    assert end > start
    # The instant just before the result is working time, so the result is in (begin, end].
    assert calendar.is_open(end - TINY)
    local = (end - TINY).astimezone(calendar.zone)
    assert calendar.is_working_day(local.date())
    assert local.weekday() < 5 or calendar in (new_york, new_york_nights, always)


@given(calendars, instants, deltas.filter(lambda d: d < timedelta(0)))
def test_a_negative_addition_lands_inside_or_at_the_start_of_an_open_interval(
    calendar, start, delta
):
    earlier = calendar.add_business_time(start, delta)
    assert earlier < start
    assert calendar.is_open(earlier)


@given(calendars, instants, instants)
def test_measuring_is_antisymmetric_and_adding_the_measure_stops_at_working_time(calendar, a, b):
    forward = calendar.business_time_between(a, b)
    assert calendar.business_time_between(b, a) == -forward
    if b >= a:
        reached = calendar.add_business_time(a, forward)
        assert reached <= b
        assert calendar.business_time_between(reached, b) == timedelta(0)


@given(calendars, instants, instants, instants)
def test_measures_add_up(calendar, a, b, c):
    a, b, c = sorted([a, b, c])
    assert calendar.business_time_between(a, b) + calendar.business_time_between(
        b, c
    ) == calendar.business_time_between(a, c)


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from([tokyo, moscow, new_york, new_york_nights]),
    minute_instants,
    st.integers(0, 6 * 24 * 60),
)
def test_measure_agrees_with_a_minute_by_minute_wall_clock_count(calendar, start, minutes):
    end = start + timedelta(minutes=minutes)
    expected = sum(wall_clock_open(calendar, start + timedelta(minutes=m)) for m in range(minutes))
    assert calendar.business_time_between(start, end) == timedelta(minutes=expected)


@given(calendars, instants)
def test_is_open_agrees_with_the_wall_clock_and_next_open(calendar, moment):
    moment = moment.replace(second=0, microsecond=0)
    assert calendar.is_open(moment) == wall_clock_open(calendar, moment)
    opening = calendar.next_open(moment)
    assert opening >= moment
    assert calendar.is_open(opening)
    assert calendar.business_time_between(moment, opening) == timedelta(0)


@given(calendars, instants, st.integers(0, 90 * 24 * 3600))
def test_open_intervals_cover_exactly_the_business_time(calendar, start, seconds):
    end = start + timedelta(seconds=seconds)
    intervals = calendar.open_intervals(start, end)
    assert sum((b - a for a, b in intervals), timedelta(0)) == calendar.business_time_between(
        start, end
    )
    for (a1, b1), (a2, _) in pairwise(intervals):
        assert a1 < b1 < a2  # ordered, disjoint, touching ones merged
    for a, b in intervals:
        assert start <= a and b <= end
        assert a.tzinfo is UTC and calendar.is_open(a) and calendar.is_open(b - TINY)


# -- scenarios ----------------------------------------------------------------------------------


def test_friday_evening_in_tokyo_before_a_monday_holiday_is_due_tuesday_morning():
    # 2026-01-12 is Coming of Age Day, a Monday.
    start = at(TOKYO, 2026, 1, 9, 17, 55)
    due = tokyo.add_business_time(start, timedelta(hours=2))
    assert due == at(TOKYO, 2026, 1, 13, 10, 55)
    assert due.tzinfo is UTC


def test_explicit_holidays_are_skipped():
    calendar = BusinessCalendar.build(
        "Tokyo office", "Asia/Tokyo", {"mon-fri": "09:00-18:00"}, holidays=[date(2026, 3, 16)]
    )
    due = calendar.add_business_minutes(at(TOKYO, 2026, 3, 13, 17, 55), 120)
    assert due == at(TOKYO, 2026, 3, 17, 10, 55)


def test_public_holidays_come_from_the_holidays_package():
    assert tokyo.is_holiday(date(2026, 1, 1))
    assert not tokyo.is_open(at(TOKYO, 2026, 1, 1, 10, 0))
    for day in range(1, 9):
        assert moscow.is_holiday(date(2026, 1, day))
    assert moscow.is_holiday(date(2026, 1, 9))  # the day off moved from Saturday 3 January
    # Tuesday 30 December 2025 17:00 in Moscow: one hour that day, then the new-year holidays
    # (31 December to 9 January) and a weekend.
    due = moscow.add_business_time(at(MOSCOW, 2025, 12, 30, 17, 0), timedelta(hours=2))
    assert due == at(MOSCOW, 2026, 1, 12, 10, 0)
    assert moscow.business_time_between(
        at(MOSCOW, 2025, 12, 30, 0, 0), at(MOSCOW, 2026, 1, 13, 0, 0)
    ) == timedelta(hours=16)


def test_subdivision_holidays():
    california = BusinessCalendar.build(
        "LA", "America/Los_Angeles", {"mon-fri": "09:00-17:00"}, country="US", subdivision="CA"
    )
    assert california.is_holiday(date(2026, 3, 31))  # Cesar Chavez Day
    assert not new_york.is_holiday(date(2026, 3, 31))


def test_split_shifts():
    monday = at(MOSCOW, 2026, 2, 2, 0, 0)
    assert moscow.add_business_time(monday + timedelta(hours=12), timedelta(hours=2)) == at(
        MOSCOW, 2026, 2, 2, 15, 0
    )
    assert moscow.business_time_between(
        at(MOSCOW, 2026, 2, 2, 9, 0), at(MOSCOW, 2026, 2, 2, 18, 0)
    ) == timedelta(hours=8)
    assert not moscow.is_open(at(MOSCOW, 2026, 2, 2, 13, 30))
    assert moscow.next_open(at(MOSCOW, 2026, 2, 2, 13, 30)) == at(MOSCOW, 2026, 2, 2, 14, 0)
    # Exactly an interval's worth lands at the end of the morning, not the start of the afternoon.
    assert moscow.add_business_time(at(MOSCOW, 2026, 2, 2, 9, 0), timedelta(hours=4)) == at(
        MOSCOW, 2026, 2, 2, 13, 0
    )
    # Going back lands at the start of an interval.
    assert moscow.add_business_time(at(MOSCOW, 2026, 2, 2, 14, 0), timedelta(hours=-4)) == at(
        MOSCOW, 2026, 2, 2, 9, 0
    )


def test_half_open_intervals_and_zero():
    assert tokyo.is_open(at(TOKYO, 2026, 2, 2, 9, 0))
    assert not tokyo.is_open(at(TOKYO, 2026, 2, 2, 18, 0))
    saturday = at(TOKYO, 2026, 2, 7, 12, 0)
    assert tokyo.add_business_time(saturday, timedelta(0)) == saturday
    assert tokyo.add_business_time(at(TOKYO, 2026, 2, 6, 16, 0), timedelta(hours=2)) == at(
        TOKYO, 2026, 2, 6, 18, 0
    )


def test_ranges_across_midnight_and_the_new_year():
    # Wednesday 31 December 2025, 23:00 local: one hour to midnight, 45 minutes after it.
    start = at(NEW_YORK, 2025, 12, 31, 23, 0)
    assert new_york_nights.add_business_time(start, timedelta(minutes=105)) == at(
        NEW_YORK, 2026, 1, 1, 0, 45
    )
    assert new_york_nights.add_business_time(start, timedelta(minutes=106)) == at(
        NEW_YORK, 2026, 1, 1, 3, 31
    )
    assert new_york_nights.open_intervals(start, at(NEW_YORK, 2026, 1, 1, 1, 0)) == [
        (start.astimezone(UTC), at(NEW_YORK, 2026, 1, 1, 0, 45).astimezone(UTC))
    ]
    assert tokyo.add_business_time(at(TOKYO, 2025, 12, 26, 17, 0), timedelta(hours=2)) == at(
        TOKYO, 2025, 12, 29, 10, 0
    )
    # Japan's 1 January is a holiday and the 3rd and 4th are a weekend in 2026.
    assert tokyo.add_business_time(at(TOKYO, 2025, 12, 31, 17, 0), timedelta(hours=2)) == at(
        TOKYO, 2026, 1, 2, 10, 0
    )


# -- daylight saving time ------------------------------------------------------------------------


def test_business_time_is_real_elapsed_time_on_dst_days():
    early = BusinessCalendar.build("early", "America/New_York", {"sun": "00:00-04:00"})
    spring = (at(NEW_YORK, 2026, 3, 8, 0, 0), at(NEW_YORK, 2026, 3, 9, 0, 0))
    fall = (at(NEW_YORK, 2026, 11, 1, 0, 0), at(NEW_YORK, 2026, 11, 2, 0, 0))
    assert early.business_time_between(*spring) == timedelta(hours=3)
    assert early.business_time_between(*fall) == timedelta(hours=5)
    assert early.business_time_between(
        at(NEW_YORK, 2026, 3, 15, 0, 0), at(NEW_YORK, 2026, 3, 16, 0, 0)
    ) == timedelta(hours=4)
    assert always.business_time_between(*spring) == timedelta(hours=23)
    assert always.business_time_between(*fall) == timedelta(hours=25)


def test_a_nonexistent_boundary_maps_to_the_moment_the_clock_jumps():
    calendar = BusinessCalendar.build("gap", "America/New_York", {"sun": "02:30-05:00"})
    intervals = calendar.open_intervals(
        at(NEW_YORK, 2026, 3, 8, 0, 0), at(NEW_YORK, 2026, 3, 8, 12, 0)
    )
    # 02:30 never happens that day; work starts when the clock jumps to 03:00 EDT (07:00 UTC).
    assert intervals == [
        (datetime(2026, 3, 8, 7, 0, tzinfo=UTC), datetime(2026, 3, 8, 9, 0, tzinfo=UTC))
    ]
    inside_gap = BusinessCalendar.build("gap", "America/New_York", {"sun": "02:10-02:50"})
    assert (
        inside_gap.open_intervals(at(NEW_YORK, 2026, 3, 8, 0, 0), at(NEW_YORK, 2026, 3, 9, 0, 0))
        == []
    )


def test_an_ambiguous_boundary_maps_to_its_first_occurrence():
    calendar = BusinessCalendar.build("fold", "America/New_York", {"sun": "00:00-01:30"})
    intervals = calendar.open_intervals(
        at(NEW_YORK, 2026, 11, 1, 0, 0), at(NEW_YORK, 2026, 11, 1, 12, 0)
    )
    # 01:30 EDT is 05:30 UTC; the repeated 01:00-01:30 EST that follows stays closed.
    assert intervals == [
        (datetime(2026, 11, 1, 4, 0, tzinfo=UTC), datetime(2026, 11, 1, 5, 30, tzinfo=UTC))
    ]
    second_half_hour = datetime(2026, 11, 1, 6, 15, tzinfo=UTC)  # 01:15 EST
    assert not calendar.is_open(second_half_hour)


def test_weekday_hours_hold_across_the_dst_weekends():
    for friday, monday in (
        (date(2026, 3, 6), date(2026, 3, 9)),
        (date(2026, 10, 30), date(2026, 11, 2)),
    ):
        start = datetime.combine(friday, time(17, 0), tzinfo=NEW_YORK)
        due = new_york.add_business_time(start, timedelta(hours=6))
        # Half an hour on Friday, four hours on Saturday, an hour and a half on Monday.
        assert due == datetime.combine(monday, time(9, 30), tzinfo=NEW_YORK)
        assert due.astimezone(NEW_YORK).time() == time(9, 30)


def test_always_open_adds_real_time_even_across_dst():
    start = at(NEW_YORK, 2026, 3, 7, 12, 0)
    assert always.add_business_time(start, timedelta(hours=24)) == at(NEW_YORK, 2026, 3, 8, 13, 0)
    assert always.is_always_open and always.is_open(start)
    assert always.next_open(start) == start
    assert always.open_intervals(start, start + timedelta(hours=1)) == [
        (start.astimezone(UTC), (start + timedelta(hours=1)).astimezone(UTC))
    ]
    assert not tokyo.is_always_open


def test_other_zones_than_the_calendars_are_accepted_and_results_are_utc():
    start = datetime(2026, 2, 2, 8, 0, tzinfo=NEW_YORK)  # 22:00 Monday in Tokyo
    due = tokyo.add_business_time(start, timedelta(minutes=30))
    assert due == at(TOKYO, 2026, 2, 3, 9, 30)
    assert due.tzinfo is UTC


# -- validation and storage ----------------------------------------------------------------------


def test_to_dict_round_trips_through_json():
    for calendar in [*CALENDARS, BusinessCalendar.build("x", "UTC", {"mon": "09:00-24:00"})]:
        data = json.loads(json.dumps(calendar.to_dict()))
        again = BusinessCalendar.from_dict(data)
        assert again == calendar
        assert hash(again) == hash(calendar)
    assert new_york.to_dict()["hours"]["mon"] == ["08:00-12:00", "13:00-17:30"]
    assert new_york.to_dict()["holidays"] == ["2026-12-24"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hours": {"mon": ["09:00-12:00", "11:00-13:00"]}}, "hours.mon"),
        ({"hours": {"tue": "18:00-09:00"}}, "hours.tue"),
        ({"hours": {"wed": "09:00-24:30"}}, "hours.wed"),
        ({"hours": {"funday": "09:00-10:00"}}, "hours.funday"),
        ({"hours": {"mon-fri": "09:00-18:00", "fri": "10:00-11:00"}}, "hours.fri"),
        ({"hours": {}}, "hours"),
        ({"hours": "09:00-18:00"}, "hours"),
        ({"country": "XX"}, "country"),
        ({"country": "US", "subdivision": "ZZ"}, "subdivision"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"name": " "}, "name"),
        ({"holidays": ["2026-13-01"]}, "holidays"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_from_dict_names_the_bad_field(change, field):
    data = {"name": "Tokyo", "timezone": "Asia/Tokyo", "hours": {"mon-fri": "09:00-18:00"}}
    data.update(change)
    with pytest.raises(ValueError, match=field.replace(".", r"\.")) as caught:
        BusinessCalendar.from_dict(data)
    assert isinstance(caught.value, InvalidConfig)
    assert caught.value.field == field


def test_required_fields():
    with pytest.raises(InvalidConfig) as caught:
        BusinessCalendar.from_dict({"name": "x", "hours": {"mon": "09:00-10:00"}})
    assert caught.value.field == "timezone"


def test_touching_ranges_are_allowed_and_merged():
    week = parse_week({"mon": ["09:00-12:00", "12:00-13:00"]})
    assert week[0] == (TimeRange(540, 720), TimeRange(720, 780))
    calendar = BusinessCalendar("t", "UTC", week)
    monday = datetime(2026, 2, 2, tzinfo=UTC)
    assert calendar.open_intervals(monday, monday + timedelta(days=1)) == [
        (monday + timedelta(hours=9), monday + timedelta(hours=13))
    ]
    assert calendar.open_minutes_on(date(2026, 2, 2)) == 240


def test_naive_datetimes_are_refused():
    naive = datetime(2026, 2, 2, 10, 0)
    aware = naive.replace(tzinfo=UTC)
    for call in (
        lambda: tokyo.is_open(naive),
        lambda: tokyo.next_open(naive),
        lambda: tokyo.add_business_time(naive, timedelta(hours=1)),
        lambda: tokyo.business_time_between(naive, aware),
        lambda: tokyo.business_time_between(aware, naive),
        lambda: tokyo.open_intervals(aware, naive),
        lambda: always.add_business_time(naive, timedelta(hours=1)),
    ):
        with pytest.raises(ValueError, match="timezone-aware"):
            call()
