"""On-call rotations: hand-offs at local time, across DST, with overrides laid on top."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk_app.core.errors import InvalidInput
from desk_app.core.oncall import (
    Override,
    Rotation,
    next_in_line,
    on_call,
    scheduled_shift,
    shifts_between,
)

TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")
ANNA, BORIS, KENJI = 1, 2, 3

WEEKLY = Rotation(
    "Nights", (ANNA, BORIS, KENJI), time(9, 0), "weekly", "Asia/Tokyo", date(2026, 11, 2)
)
DAILY_NY = Rotation(
    "Weekend", (ANNA, BORIS), time(9, 0), "daily", "America/New_York", date(2026, 3, 1)
)


def at(zone, *parts) -> datetime:
    return datetime(*parts, tzinfo=zone)


def test_weekly_rotation_hands_over_at_local_nine():
    assert on_call(WEEKLY, at(TOKYO, 2026, 11, 2, 9, 0)).agent_id == ANNA
    assert on_call(WEEKLY, at(TOKYO, 2026, 11, 9, 8, 59)).agent_id == ANNA
    assert on_call(WEEKLY, at(TOKYO, 2026, 11, 9, 9, 0)).agent_id == BORIS
    assert on_call(WEEKLY, at(TOKYO, 2026, 11, 23, 12, 0)).agent_id == ANNA  # wrapped round
    shift = on_call(WEEKLY, at(TOKYO, 2026, 11, 25, 3, 0))
    assert (shift.starts_at, shift.ends_at) == (
        at(TOKYO, 2026, 11, 23, 9, 0),
        at(TOKYO, 2026, 11, 30, 9, 0),
    )
    # Before the rotation started, the order runs backwards consistently.
    assert on_call(WEEKLY, at(TOKYO, 2026, 10, 30, 12, 0)).agent_id == KENJI


def test_daily_hand_off_keeps_local_time_across_dst():
    # 2026-03-08: New York springs forward; the shift from 09:00 on the 7th lasts 23 hours.
    shift = scheduled_shift(DAILY_NY, at(NEW_YORK, 2026, 3, 8, 3, 0))
    assert shift.starts_at == at(NEW_YORK, 2026, 3, 7, 9, 0)
    assert shift.ends_at == at(NEW_YORK, 2026, 3, 8, 9, 0)
    assert shift.ends_at - shift.starts_at == timedelta(hours=23)
    assert on_call(DAILY_NY, at(NEW_YORK, 2026, 3, 8, 9, 0)).agent_id != shift.agent_id


@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 1, 1)))
def test_every_instant_lies_in_exactly_one_shift(naive):
    instant = naive.replace(tzinfo=UTC)
    for rotation in (WEEKLY, DAILY_NY):
        shift = scheduled_shift(rotation, instant)
        assert shift.starts_at <= instant < shift.ends_at
        assert shift.starts_at.astimezone(rotation.zone).time() == rotation.handoff
        following = scheduled_shift(rotation, shift.ends_at)
        assert following.starts_at == shift.ends_at
        assert following.agent_id != shift.agent_id


def test_overrides_cover_a_person_or_the_whole_shift_and_the_latest_wins():
    night = at(TOKYO, 2026, 11, 25, 22, 0)  # Anna's week
    covering = Override(KENJI, night, night + timedelta(hours=10), covers_agent_id=ANNA)
    assert on_call(WEEKLY, night + timedelta(hours=1), [covering]).agent_id == KENJI
    assert on_call(WEEKLY, night - timedelta(minutes=1), [covering]).agent_id == ANNA
    # An override for someone else's shift does not apply.
    other = Override(KENJI, night, night + timedelta(hours=10), covers_agent_id=BORIS)
    assert on_call(WEEKLY, night + timedelta(hours=1), [other]).agent_id == ANNA
    swap = Override(BORIS, night, night + timedelta(hours=2))
    shift = on_call(WEEKLY, night + timedelta(hours=1), [covering, swap])
    assert (shift.agent_id, shift.scheduled_agent_id, shift.override) == (BORIS, ANNA, swap)


def test_the_calendar_view_cuts_shifts_where_overrides_begin_and_end():
    start, end = at(TOKYO, 2026, 11, 23, 0, 0), at(TOKYO, 2026, 12, 1, 0, 0)
    cover = Override(KENJI, at(TOKYO, 2026, 11, 25, 18, 0), at(TOKYO, 2026, 11, 26, 8, 0))
    pieces = shifts_between(WEEKLY, start, end, [cover])
    assert [(p.agent_id, p.starts_at.astimezone(TOKYO).strftime("%d %H:%M")) for p in pieces] == [
        (KENJI, "23 00:00"),
        (ANNA, "23 09:00"),
        (KENJI, "25 18:00"),
        (ANNA, "26 08:00"),
        (BORIS, "30 09:00"),
    ]
    assert pieces[2].override == cover
    assert pieces[-1].ends_at == end
    assert all(a.ends_at == b.starts_at for a, b in itertools.pairwise(pieces))


def test_escalation_goes_to_the_next_in_line():
    assert next_in_line(WEEKLY, ANNA) == BORIS
    assert next_in_line(WEEKLY, KENJI) == ANNA
    assert next_in_line(WEEKLY, 99) == ANNA


def test_bad_rotations_are_refused_with_a_reason_and_good_ones_round_trip():
    assert Rotation.from_dict(WEEKLY.to_dict()) == WEEKLY
    with pytest.raises(InvalidInput, match="at least one agent"):
        Rotation("x", (), time(9), "daily", "UTC", date(2026, 1, 1))
    with pytest.raises(InvalidInput, match="daily or weekly"):
        Rotation("x", (1,), time(9), "hourly", "UTC", date(2026, 1, 1))
    with pytest.raises(InvalidInput, match="unknown time zone"):
        Rotation("x", (1,), time(9), "daily", "Mars/Olympus", date(2026, 1, 1))
    with pytest.raises(InvalidInput, match="twice"):
        Rotation("x", (1, 1), time(9), "daily", "UTC", date(2026, 1, 1))
    with pytest.raises(InvalidInput, match="end after"):
        Override(1, at(TOKYO, 2026, 1, 2, 0, 0), at(TOKYO, 2026, 1, 1, 0, 0))


# --- more DST: the autumn change, hand-offs inside the changing hour, overrides across it ------

NIGHT_NY = Rotation(
    "Late", (ANNA, BORIS, KENJI), time(2, 30), "daily", "America/New_York", date(2026, 1, 5)
)
EARLY_LONDON = Rotation(
    "Early", (ANNA, BORIS), time(1, 30), "weekly", "Europe/London", date(2026, 1, 5)
)


def test_the_autumn_change_makes_a_25_hour_daily_shift():
    # 2026-11-01: New York falls back; the shift from 09:00 on 31 October lasts 25 hours.
    shift = scheduled_shift(DAILY_NY, at(NEW_YORK, 2026, 11, 1, 3, 0))
    assert shift.starts_at == at(NEW_YORK, 2026, 10, 31, 9, 0)
    assert shift.ends_at - shift.starts_at == timedelta(hours=25)


@pytest.mark.parametrize("rotation", [NIGHT_NY, EARLY_LONDON, WEEKLY], ids=lambda r: r.name)
def test_hand_offs_in_or_near_the_changing_hour_happen_once_and_leave_no_gap(rotation):
    # Through both changes of 2026 (and Tokyo, which has none, for comparison).
    start, end = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 11, 15, tzinfo=UTC)
    pieces = shifts_between(rotation, start, end)
    assert pieces[0].starts_at == start and pieces[-1].ends_at == end
    assert all(a.ends_at == b.starts_at for a, b in itertools.pairwise(pieces))
    assert all(a.agent_id != b.agent_id for a, b in itertools.pairwise(pieces))
    lengths = {p.ends_at - p.starts_at for p in pieces[1:-1]}
    day = timedelta(days=rotation.days)
    assert lengths <= {day - timedelta(hours=1), day, day + timedelta(hours=1)}
    if rotation.time_zone != "Asia/Tokyo":
        assert day - timedelta(hours=1) in lengths and day + timedelta(hours=1) in lengths


def test_a_hand_off_time_the_spring_change_skips_still_hands_off_that_day():
    # 02:30 does not exist in New York on 8 March 2026: the hand-off happens once, at 03:30.
    before = scheduled_shift(NIGHT_NY, at(NEW_YORK, 2026, 3, 8, 1, 0))
    after = scheduled_shift(NIGHT_NY, before.ends_at)
    assert before.ends_at.astimezone(NEW_YORK).strftime("%d %H:%M") == "08 03:30"
    assert after.agent_id != before.agent_id
    assert after.ends_at.astimezone(NEW_YORK).strftime("%d %H:%M") == "09 02:30"


def test_an_override_across_the_change_covers_exactly_its_hours():
    evening = at(NEW_YORK, 2026, 3, 7, 20, 0)
    morning = at(NEW_YORK, 2026, 3, 8, 8, 0)  # eleven real hours later, not twelve
    cover = Override(KENJI, evening, morning, reason="swap")
    # (Python subtracts two times of one zone by the wall clock: compare them in UTC.)
    assert morning.astimezone(UTC) - evening.astimezone(UTC) == timedelta(hours=11)
    assert on_call(DAILY_NY, at(NEW_YORK, 2026, 3, 8, 3, 30), [cover]).agent_id == KENJI
    assert on_call(DAILY_NY, morning, [cover]).override is None
    pieces = shifts_between(DAILY_NY, evening - timedelta(hours=1), morning + timedelta(hours=2))
    covered = shifts_between(
        DAILY_NY, evening - timedelta(hours=1), morning + timedelta(hours=2), [cover]
    )
    assert len(covered) == len(pieces) + 2  # cut in at 20:00, out at 08:00
    assert [p.override for p in covered].count(cover) == 1
