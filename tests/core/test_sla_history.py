"""Recorded breaches in the replay: kept, met by the history, and shown until met."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from desk_app.core.enums import Status
from desk_app.core.sla import (
    BreachRecord,
    ClockState,
    SlaPolicy,
    Target,
    TargetKind,
    TicketEvent,
    compute_sla,
)

FIRST = TargetKind.FIRST_RESPONSE
NEXT = TargetKind.NEXT_RESPONSE
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def calendar_policy(name: str, first_minutes: int) -> SlaPolicy:
    return SlaPolicy(
        name=name,
        targets=(Target(FIRST, first_minutes, False), Target(NEXT, 240, False)),
    )


SHORT = calendar_policy("Short", 60)
LONG = calendar_policy("Long", 600)
MISSED_UNDER_SHORT = BreachRecord(FIRST, START, START + HOUR, "Short")


def test_a_longer_policy_shows_a_recorded_unmet_breach_at_its_due_time() -> None:
    history = [TicketEvent.created(START)]
    state = compute_sla(LONG, None, history, START + 3 * HOUR, [MISSED_UNDER_SHORT])
    first = state.target(FIRST)
    assert (first.state, first.due_at, first.breached_at) == (
        ClockState.BREACHED,
        START + HOUR,
        START + HOUR,
    )
    assert first.target == Target(FIRST, 600, False)  # the live policy's target all the same
    assert state.records == (MISSED_UNDER_SHORT,)
    assert state.breaches == ()  # Long itself has not been missed


def test_the_first_reply_after_the_due_time_meets_a_recorded_breach() -> None:
    history = [TicketEvent.created(START), TicketEvent.agent_reply(START + 2 * HOUR)]
    state = compute_sla(LONG, None, history, START + 3 * HOUR, [MISSED_UNDER_SHORT])
    assert state.records == (MISSED_UNDER_SHORT._replace(met_at=START + 2 * HOUR),)
    assert state.target(FIRST).state is ClockState.MET
    assert state.target(FIRST).due_at is None


def test_a_met_time_once_recorded_is_kept() -> None:
    met = MISSED_UNDER_SHORT._replace(met_at=START + 2 * HOUR)
    history = [TicketEvent.created(START), TicketEvent.agent_reply(START + 5 * HOUR)]
    assert compute_sla(LONG, None, history, START + 6 * HOUR, [met]).records == (met,)


def test_a_stricter_policy_adds_its_own_breach_once_and_the_earliest_due_time_shows() -> None:
    history = [TicketEvent.created(START)]
    stricter = calendar_policy("Stricter", 30)
    state = compute_sla(stricter, None, history, START + 3 * HOUR, [MISSED_UNDER_SHORT])
    assert state.records == (
        MISSED_UNDER_SHORT,
        BreachRecord(FIRST, START, START + timedelta(minutes=30), "Stricter"),
    )
    assert state.target(FIRST).due_at == START + timedelta(minutes=30)
    # The same kind and due time is the same breach, whichever policy finds it again.
    same = compute_sla(calendar_policy("Again", 60), None, history, START + 3 * HOUR, [])
    assert same.records == (BreachRecord(FIRST, START, START + HOUR, "Again"),)
    again = compute_sla(
        calendar_policy("Again", 60), None, history, START + 3 * HOUR, [MISSED_UNDER_SHORT]
    )
    assert again.records == (MISSED_UNDER_SHORT,)


def test_without_any_policy_an_unmet_breach_still_shows() -> None:
    history = [TicketEvent.created(START)]
    state = compute_sla(None, None, history, START + 3 * HOUR, [MISSED_UNDER_SHORT])
    first = state.target(FIRST)
    assert (first.state, first.started_at, first.due_at) == (
        ClockState.BREACHED,
        START,
        START + HOUR,
    )
    assert state.target(NEXT).state is ClockState.NOT_APPLICABLE


def test_while_paused_or_closed_nothing_runs_late() -> None:
    for paused_as in (Status.PENDING, Status.SOLVED):
        history = [
            TicketEvent.created(START),
            TicketEvent.status_change(START + 2 * HOUR, paused_as),
        ]
        state = compute_sla(LONG, None, history, START + 3 * HOUR, [MISSED_UNDER_SHORT])
        assert state.target(FIRST).state is not ClockState.BREACHED
        assert state.records == (MISSED_UNDER_SHORT,)  # still a breach, not yet met
