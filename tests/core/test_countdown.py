"""Countdown text and traffic-light colours for SLA targets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk_app.core.countdown import Light, format_remaining, traffic_light, warning_at

M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)
NOW = datetime(2026, 2, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (2 * H + 14 * M, "2h 14m"),
        (3 * D + H, "3d 1h"),
        (3 * D + H + 59 * M, "3d 1h"),
        (45 * M, "45m"),
        (2 * H, "2h"),
        (3 * D, "3d"),
        (timedelta(0), "0m"),
        (timedelta(seconds=1), "1m"),
        (timedelta(seconds=60), "1m"),
        (timedelta(seconds=61), "2m"),
        (2 * H + 13 * M + timedelta(seconds=30), "2h 14m"),
        (timedelta(seconds=-59), "0m"),
        (-M, "\u22121m"),
        (-35 * M, "\u221235m"),
        (-(35 * M + timedelta(seconds=20)), "\u221235m"),
        (-(2 * H + 5 * M), "\u22122h 5m"),
        (-(2 * D + 3 * H), "\u22122d 3h"),
        (59 * M + timedelta(seconds=30), "1h"),
    ],
)
def test_format_remaining(delta, text):
    assert format_remaining(delta) == text


def test_overdue_uses_a_real_minus_sign():
    assert format_remaining(-35 * M) == "−35m"
    assert not format_remaining(-35 * M).startswith("-")


@given(st.timedeltas(min_value=-30 * D, max_value=30 * D))
def test_format_never_claims_less_time_than_is_left(delta):
    text = format_remaining(delta)
    assert text
    assert text.startswith("\u2212") == (delta <= -M)


@pytest.mark.parametrize(
    ("left", "length", "paused", "light"),
    [
        (2 * H, 4 * H, False, Light.GREEN),
        (61 * M, 4 * H, False, Light.GREEN),
        (60 * M, 4 * H, False, Light.AMBER),  # exactly 25% of four hours
        (61 * M, 4 * H + 4 * M, False, Light.AMBER),
        (31 * M, 60 * M, False, Light.GREEN),
        (30 * M, 10 * H, False, Light.AMBER),  # thirty minutes left, whatever the share
        (timedelta(0), 4 * H, False, Light.AMBER),  # at the due time, not yet breached
        (-timedelta(seconds=1), 4 * H, False, Light.RED),
        (-3 * H, 4 * H, False, Light.RED),
        (2 * H, 4 * H, True, Light.GREY),
        (-3 * H, 4 * H, True, Light.GREY),
    ],
)
def test_traffic_light(left, length, paused, light):
    due = NOW + left
    started = due - length
    assert traffic_light(due, started, NOW, paused) == light


def test_traffic_light_without_a_due_time_or_start():
    assert traffic_light(None, None, NOW, False) is Light.GREY
    assert traffic_light(NOW + 2 * H, None, NOW, False) is Light.GREEN
    assert traffic_light(NOW + 20 * M, None, NOW, False) is Light.AMBER
    assert traffic_light(NOW + 2 * H, None, NOW, False) == "green"


def test_warning_at_is_where_the_light_turns_amber():
    started = NOW
    for length in (20 * M, 1 * H, 2 * H, 4 * H, 3 * D):
        due = started + length
        warn = warning_at(due, started)
        assert traffic_light(due, started, warn, False) is Light.AMBER
        if warn - timedelta(seconds=1) > started:
            assert traffic_light(due, started, warn - timedelta(seconds=1), False) is Light.GREEN
    assert warning_at(NOW + 4 * H, NOW) == NOW + 3 * H
    assert warning_at(NOW + H, NOW) == NOW + 30 * M
