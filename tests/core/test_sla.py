"""SLA policies, matching, and due times replayed from a ticket's history."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk_app.core.calendar import BusinessCalendar, InvalidConfig
from desk_app.core.enums import Channel, Priority, Status
from desk_app.core.sla import (
    Breach,
    ClockState,
    SlaPolicy,
    Target,
    TargetKind,
    TicketEvent,
    TicketFacts,
    compute_sla,
    describe_due,
    describe_target,
    match_policy,
    resolve_calendar,
    validate_policy_set,
)

TOKYO = ZoneInfo("Asia/Tokyo")
HOUR = timedelta(hours=1)
tokyo = BusinessCalendar.build("Tokyo", "Asia/Tokyo", {"mon-fri": "09:00-18:00"}, country="JP")

FIRST = TargetKind.FIRST_RESPONSE
NEXT = TargetKind.NEXT_RESPONSE
RESOLUTION = TargetKind.RESOLUTION


def jst(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=TOKYO)


def policy(name="Standard", calendar="Tokyo", business=True, **kwargs) -> SlaPolicy:
    targets = kwargs.pop(
        "targets",
        (
            Target(FIRST, 120, business),
            Target(NEXT, 240, business),
            Target(RESOLUTION, 16 * 60, business),
        ),
    )
    return SlaPolicy(name=name, targets=targets, calendar=calendar, **kwargs)


STANDARD = policy()
created = TicketEvent.created
customer = TicketEvent.customer_message
reply = TicketEvent.agent_reply
status = TicketEvent.status_change


# -- the scenarios -----------------------------------------------------------------------


def test_friday_1755_in_tokyo_with_a_monday_holiday_is_due_tuesday_1055():
    start = jst(2026, 1, 9, 17, 55)  # Monday 12 January is Coming of Age Day
    state = compute_sla(STANDARD, tokyo, [created(start)], now=start + timedelta(minutes=1))
    first = state.target(FIRST)
    assert first.state is ClockState.RUNNING
    assert first.started_at == start
    assert first.due_at == jst(2026, 1, 13, 10, 55)
    assert state.first_response_due == jst(2026, 1, 13, 10, 55)
    assert state.earliest_due == first.due_at


def test_three_hours_pending_add_exactly_those_business_hours_back():
    monday = jst(2026, 2, 2, 9, 0)
    before = compute_sla(STANDARD, tokyo, [created(monday)], now=monday)
    # 16 business hours from Monday 09:00 in a 9-hour day is Tuesday 16:00.
    assert before.resolution_due == jst(2026, 2, 3, 16, 0)
    history = [
        created(monday),
        reply(jst(2026, 2, 2, 9, 30)),
        status(jst(2026, 2, 2, 10, 0), Status.PENDING),
        status(jst(2026, 2, 2, 13, 0), Status.OPEN),
    ]
    after = compute_sla(STANDARD, tokyo, history, now=jst(2026, 2, 2, 14, 0))
    assert after.resolution_due == jst(2026, 2, 4, 10, 0)
    assert tokyo.business_time_between(before.resolution_due, after.resolution_due) == 3 * HOUR
    assert after.paused_intervals == ((jst(2026, 2, 2, 10, 0), jst(2026, 2, 2, 13, 0)),)


def test_pending_overnight_adds_back_only_its_business_hours():
    monday = jst(2026, 2, 2, 9, 0)
    history = [
        created(monday),
        status(jst(2026, 2, 2, 17, 0), Status.PENDING),
        status(jst(2026, 2, 3, 10, 0), Status.OPEN),
    ]
    state = compute_sla(STANDARD, tokyo, history, now=jst(2026, 2, 3, 11, 0))
    # Paused 17:00-18:00 Monday and 09:00-10:00 Tuesday: two business hours.
    assert state.resolution_due == jst(2026, 2, 3, 18, 0)


def test_calendar_time_targets_add_back_real_time():
    calendar_policy = policy(business=False, calendar=None)
    start = datetime(2026, 2, 7, 22, 0, tzinfo=UTC)  # a Saturday night
    history = [
        created(start),
        status(start + HOUR, Status.ON_HOLD),
        status(start + 4 * HOUR, Status.OPEN),
    ]
    state = compute_sla(calendar_policy, None, history, now=start + 5 * HOUR)
    assert state.first_response_due == start + 5 * HOUR
    assert state.resolution_due == start + 19 * HOUR
    assert state.target(FIRST).state is ClockState.RUNNING


@given(
    st.lists(st.integers(1, 30 * 60), min_size=2, max_size=8, unique=True).map(sorted),
    st.sampled_from([Status.PENDING, Status.ON_HOLD]),
)
def test_any_pauses_before_the_due_time_are_added_back_in_business_time(offsets, pause_status):
    start = jst(2026, 2, 2, 9, 0)
    marks = [start + timedelta(minutes=m) for m in offsets]
    if len(marks) % 2:
        marks.pop()
    history = [created(start)]
    paused_business = timedelta(0)
    for begin, end in zip(marks[::2], marks[1::2], strict=True):
        history += [status(begin, pause_status), status(end, Status.OPEN)]
        paused_business += tokyo.business_time_between(begin, end)
    now = marks[-1]
    state = compute_sla(STANDARD, tokyo, history, now=now)
    unpaused = tokyo.add_business_time(start, timedelta(hours=16))
    if state.target(RESOLUTION).state is ClockState.RUNNING:
        assert state.resolution_due == tokyo.add_business_time(unpaused, paused_business)
        assert (
            state.target(RESOLUTION).remaining
            == timedelta(hours=16) - tokyo.business_time_between(start, now) + paused_business
        )


def test_a_priority_change_that_matches_another_policy_changes_the_due_times():
    urgent = policy(
        "Urgent",
        priorities=frozenset({Priority.URGENT}),
        targets=(Target(FIRST, 30), Target(RESOLUTION, 4 * 60)),
    )
    policies = [urgent, STANDARD]
    facts = TicketFacts("Support", Priority.NORMAL, Channel.EMAIL)
    start = jst(2026, 2, 2, 10, 0)
    history = [created(start)]
    now = start + timedelta(minutes=5)
    normal = compute_sla(match_policy(policies, facts), tokyo, history, now)
    assert normal.policy == "Standard"
    assert normal.first_response_due == jst(2026, 2, 2, 12, 0)
    raised = TicketFacts("Support", Priority.URGENT, Channel.EMAIL)
    hurried = compute_sla(match_policy(policies, raised), tokyo, history, now)
    assert hurried.policy == "Urgent"
    assert hurried.first_response_due == jst(2026, 2, 2, 10, 30)
    assert hurried.resolution_due == jst(2026, 2, 2, 14, 0)
    assert hurried.target(NEXT).state is ClockState.NOT_APPLICABLE


def test_next_response_restarts_at_each_customer_message_after_a_reply():
    start = jst(2026, 2, 2, 9, 0)
    history = [created(start), customer(start), reply(jst(2026, 2, 2, 9, 20))]
    state = compute_sla(STANDARD, tokyo, history, now=jst(2026, 2, 2, 9, 30))
    assert state.target(FIRST).state is ClockState.MET
    assert state.target(FIRST).met_at == jst(2026, 2, 2, 9, 20)
    assert state.target(NEXT).state is ClockState.NOT_APPLICABLE

    history.append(customer(jst(2026, 2, 2, 11, 0)))
    history.append(customer(jst(2026, 2, 2, 12, 0)))  # still waiting: no restart
    state = compute_sla(STANDARD, tokyo, history, now=jst(2026, 2, 2, 12, 30))
    following = state.target(NEXT)
    assert following.state is ClockState.RUNNING
    assert following.started_at == jst(2026, 2, 2, 11, 0)
    assert following.due_at == jst(2026, 2, 2, 15, 0)

    history.append(reply(jst(2026, 2, 2, 13, 0)))
    state = compute_sla(STANDARD, tokyo, history, now=jst(2026, 2, 2, 13, 30))
    assert state.target(NEXT).state is ClockState.MET
    assert state.target(NEXT).met_in_time
    assert state.target(NEXT).due_at is None

    history.append(customer(jst(2026, 2, 2, 17, 0)))
    state = compute_sla(STANDARD, tokyo, history, now=jst(2026, 2, 2, 17, 30))
    assert state.target(NEXT).started_at == jst(2026, 2, 2, 17, 0)
    assert state.target(NEXT).due_at == jst(2026, 2, 3, 12, 0)
    assert state.earliest_due == jst(2026, 2, 3, 12, 0)


def test_a_breach_is_recorded_at_the_due_time_and_kept_when_met_later():
    start = jst(2026, 2, 2, 9, 0)
    late_reply = jst(2026, 2, 2, 12, 0)
    overdue = compute_sla(STANDARD, tokyo, [created(start)], now=jst(2026, 2, 2, 11, 35))
    first = overdue.target(FIRST)
    assert first.state is ClockState.BREACHED
    assert first.due_at == first.breached_at == jst(2026, 2, 2, 11, 0)
    assert first.remaining == -timedelta(minutes=35)
    assert overdue.breached

    met = compute_sla(STANDARD, tokyo, [created(start), reply(late_reply)], now=late_reply)
    first = met.target(FIRST)
    assert first.state is ClockState.MET
    assert first.met_at == late_reply
    assert first.breached_at == jst(2026, 2, 2, 11, 0)
    assert first.breached and not first.met_in_time
    assert met.breaches == (Breach(FIRST, jst(2026, 2, 2, 11, 0)),)
    assert not met.breached


def test_a_reply_exactly_at_the_due_time_is_in_time():
    start = jst(2026, 2, 6, 16, 0)  # Friday; due at 18:00, the end of the day
    due = jst(2026, 2, 6, 18, 0)
    state = compute_sla(STANDARD, tokyo, [created(start), reply(due)], now=due + HOUR)
    assert state.target(FIRST).met_in_time
    # Over the weekend no business time passes, yet the due time has: that is a breach.
    state = compute_sla(STANDARD, tokyo, [created(start)], now=jst(2026, 2, 7, 12, 0))
    assert state.target(FIRST).state is ClockState.BREACHED
    assert state.target(FIRST).breached_at == due


def test_resolution_is_met_when_solved_and_resumes_when_reopened():
    start = jst(2026, 2, 2, 9, 0)
    history = [
        created(start),
        reply(jst(2026, 2, 2, 10, 0)),
        status(jst(2026, 2, 2, 11, 0), Status.SOLVED),
    ]
    state = compute_sla(STANDARD, tokyo, history, now=jst(2026, 2, 2, 12, 0))
    assert state.target(RESOLUTION).state is ClockState.MET
    assert state.target(RESOLUTION).met_at == jst(2026, 2, 2, 11, 0)
    assert state.earliest_due is None

    history += [customer(jst(2026, 2, 3, 9, 0)), status(jst(2026, 2, 3, 9, 0), Status.OPEN)]
    state = compute_sla(STANDARD, tokyo, history, now=jst(2026, 2, 3, 9, 30))
    resolution = state.target(RESOLUTION)
    assert resolution.state is ClockState.RUNNING
    assert resolution.met_at is None
    assert resolution.started_at == start
    # Two hours were used before solving; 14 remain from Tuesday 09:00.
    assert resolution.due_at == jst(2026, 2, 4, 14, 0)
    assert state.target(NEXT).due_at == jst(2026, 2, 3, 13, 0)

    history.append(status(jst(2026, 2, 3, 10, 0), Status.CLOSED))
    state = compute_sla(STANDARD, tokyo, history, now=jst(2026, 2, 3, 11, 0))
    assert state.target(RESOLUTION).met_at == jst(2026, 2, 3, 10, 0)
    assert state.target(NEXT).state is ClockState.NOT_APPLICABLE


def test_solved_before_any_reply_leaves_first_response_not_applicable():
    start = jst(2026, 2, 2, 9, 0)
    history = [created(start), status(jst(2026, 2, 2, 9, 10), Status.SOLVED)]
    state = compute_sla(STANDARD, tokyo, history, now=jst(2026, 2, 3, 9, 0))
    assert state.target(FIRST).state is ClockState.NOT_APPLICABLE
    assert state.target(FIRST).due_at is None
    assert state.breaches == ()


def test_paused_targets_have_no_due_time():
    start = jst(2026, 2, 2, 9, 0)
    history = [created(start), reply(start + HOUR), status(start + HOUR, Status.PENDING)]
    state = compute_sla(STANDARD, tokyo, history, now=start + 5 * HOUR)
    resolution = state.target(RESOLUTION)
    assert resolution.state is ClockState.PAUSED
    assert resolution.paused and resolution.due_at is None
    assert resolution.remaining == timedelta(hours=15)
    assert state.earliest_due is None
    assert state.paused_intervals == ((start + HOUR, None),)


def test_a_ticket_created_pending_starts_paused_and_custom_pause_statuses_apply():
    start = jst(2026, 2, 2, 9, 0)
    state = compute_sla(STANDARD, tokyo, [created(start, Status.PENDING)], now=start + HOUR)
    assert state.target(FIRST).state is ClockState.PAUSED
    strict = policy(pause_statuses=frozenset({Status.ON_HOLD}))
    state = compute_sla(strict, tokyo, [created(start, Status.PENDING)], now=start + HOUR)
    assert state.target(FIRST).state is ClockState.RUNNING


def test_history_order_and_events_after_now():
    start = jst(2026, 2, 2, 9, 0)
    shuffled = [reply(start + HOUR), created(start), reply(start + 9 * HOUR)]
    state = compute_sla(STANDARD, tokyo, shuffled, now=start + 2 * HOUR)
    assert state.target(FIRST).met_at == start + HOUR
    early = compute_sla(STANDARD, tokyo, shuffled, now=start + timedelta(minutes=30))
    assert early.target(FIRST).state is ClockState.RUNNING
    # Without a created event the first event opens the ticket.
    state = compute_sla(STANDARD, tokyo, [customer(start)], now=start)
    assert state.target(FIRST).started_at == start


def test_no_policy_and_no_events():
    start = jst(2026, 2, 2, 9, 0)
    nothing = compute_sla(None, None, [created(start)], now=start)
    assert all(t.state is ClockState.NOT_APPLICABLE for t in nothing.targets)
    assert nothing.earliest_due is None
    empty = compute_sla(STANDARD, tokyo, [], now=start)
    assert all(t.state is ClockState.NOT_APPLICABLE for t in empty.targets)


def test_state_to_dict_is_json():
    start = jst(2026, 2, 2, 9, 0)
    history = [created(start), status(start + HOUR, Status.PENDING)]
    data = compute_sla(STANDARD, tokyo, history, now=start + 5 * HOUR).to_dict()
    text = json.dumps(data)
    assert '"state": "paused"' in text
    assert data["policy"] == "Standard"
    assert data["paused_intervals"] == [["2026-02-02T01:00:00+00:00", None]]


def test_compute_refuses_a_missing_calendar_and_naive_times():
    start = jst(2026, 2, 2, 9, 0)
    with pytest.raises(ValueError, match="calendar"):
        compute_sla(STANDARD, None, [created(start)], now=start)
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_sla(STANDARD, tokyo, [], now=datetime(2026, 2, 2))
    with pytest.raises(ValueError, match="timezone-aware"):
        TicketEvent.agent_reply(datetime(2026, 2, 2))
    with pytest.raises(ValueError, match="status"):
        TicketEvent(start, "status_change")


# -- matching ------------------------------------------------------------------------------------


def test_first_matching_policy_wins_and_empty_sets_match_anything():
    vip = policy("VIP", customer_tags=frozenset({"VIP"}), channels=frozenset({Channel.EMAIL}))
    billing = policy("Billing", departments=frozenset({"Billing"}))
    urgent = policy("Urgent", priorities=frozenset({Priority.URGENT, Priority.HIGH}))
    ordered = [vip, billing, urgent, STANDARD]

    def pick(department, priority, channel, tags=()):
        facts = TicketFacts(department, priority, channel, frozenset(tags))
        found = match_policy(ordered, facts)
        return found.name if found else None

    assert pick("Billing", Priority.URGENT, Channel.EMAIL, ["vip"]) == "VIP"
    assert pick("Billing", Priority.URGENT, Channel.PHONE, ["vip"]) == "Billing"
    assert pick("billing", Priority.LOW, Channel.CHAT) == "Billing"
    assert pick("Sales", Priority.HIGH, Channel.CHAT) == "Urgent"
    assert pick(None, Priority.NORMAL, Channel.WEB, ["other"]) == "Standard"
    assert match_policy([vip, billing], TicketFacts(None, Priority.LOW, Channel.WEB)) is None


# -- policy validation and storage ---------------------------------------------------------------


def test_policy_round_trips_through_json():
    original = policy(
        "VIP",
        departments=frozenset({"Billing", "Sales"}),
        priorities=frozenset({Priority.HIGH}),
        channels=frozenset({Channel.EMAIL, Channel.CHAT}),
        customer_tags=frozenset({"VIP"}),
        pause_statuses=frozenset({Status.ON_HOLD}),
    )
    data = json.loads(json.dumps(original.to_dict()))
    assert data["departments"] == ["Billing", "Sales"]
    assert data["targets"][0] == {"kind": "first_response", "minutes": 120, "business_hours": True}
    assert SlaPolicy.from_dict(data) == original
    minimal = SlaPolicy.from_dict(
        {"name": "Plain", "targets": [{"kind": "resolution", "minutes": 60}], "calendar": "Tokyo"}
    )
    assert minimal.pause_statuses == {Status.PENDING, Status.ON_HOLD}
    assert minimal.target(RESOLUTION) == Target(RESOLUTION, 60, True)
    assert minimal.target(FIRST) is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"targets": []}, "targets"),
        ({"targets": "fast"}, "targets"),
        ({"targets": [{"kind": "lunch", "minutes": 5}]}, "targets.kind"),
        ({"targets": [{"kind": "resolution", "minutes": 0}]}, "targets.resolution.minutes"),
        ({"targets": [{"kind": "resolution", "minutes": 1.5}]}, "targets.resolution.minutes"),
        (
            {
                "targets": [
                    {"kind": "resolution", "minutes": 5},
                    {"kind": "resolution", "minutes": 9},
                ]
            },
            "targets",
        ),
        ({"targets": [{"kind": "resolution", "minutes": 5, "soon": 1}]}, "targets.soon"),
        ({"priorities": ["huge"]}, "priorities"),
        ({"channels": ["pigeon"]}, "channels"),
        ({"pause_statuses": ["solved"]}, "pause_statuses"),
        ({"pause_statuses": "pending"}, "pause_statuses"),
        ({"departments": [""]}, "departments"),
        ({"calendar": None}, "calendar"),
        ({"escalate": True}, "policy.escalate"),
    ],
)
def test_policy_from_dict_names_the_bad_field(change, field):
    data = {
        "name": "Standard",
        "targets": [{"kind": "first_response", "minutes": 60}],
        "calendar": "Tokyo",
    }
    data.update(change)
    with pytest.raises(InvalidConfig) as caught:
        SlaPolicy.from_dict(data)
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)


def test_policy_sets_and_calendar_lookup():
    calendars = {"Tokyo": tokyo}
    assert resolve_calendar(STANDARD, calendars) is tokyo
    assert resolve_calendar(policy(business=False, calendar=None), calendars) is None
    with pytest.raises(InvalidConfig, match="calendar"):
        resolve_calendar(policy(calendar="Osaka"), calendars)
    validate_policy_set([STANDARD, policy("Other")], [tokyo])
    with pytest.raises(InvalidConfig) as caught:
        validate_policy_set([STANDARD, policy()], [tokyo])
    assert caught.value.field == "policies[1].name"
    with pytest.raises(InvalidConfig) as caught:
        validate_policy_set([policy(calendar="Osaka")], [tokyo])
    assert caught.value.field == "policies[0].calendar"


# -- phrases -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "en", "ja", "ru"),
    [
        (jst(2026, 2, 2, 15, 0), "by 15:00 today", "本日15:00までに", "сегодня до 15:00"),
        (jst(2026, 2, 3, 10, 0), "by 10:00 tomorrow", "明日10:00までに", "завтра до 10:00"),
        (
            jst(2026, 2, 5, 10, 0),
            "by 10:00 on Thursday",
            "木曜日10:00までに",
            "в четверг до 10:00",
        ),
        (
            jst(2026, 2, 3, 10, 0) + timedelta(days=7),
            "by 10:00 on 10 February",
            "2月10日(火)10:00までに",
            "10 февраля до 10:00",
        ),
        (
            jst(2027, 1, 5, 9, 0),
            "by 09:00 on 5 January 2027",
            "2027年1月5日(火)09:00までに",
            "5 января 2027 г. до 09:00",
        ),
        (jst(2026, 2, 2, 9, 0), "as soon as possible", "できるだけ早く", "как можно скорее"),
    ],
)
def test_describe_due_in_three_languages(due, en, ja, ru):
    now = jst(2026, 2, 2, 9, 30)  # a Monday
    assert describe_due(due, "Asia/Tokyo", "en", now) == en
    assert describe_due(due, TOKYO, "ja", now) == ja
    assert describe_due(due, TOKYO, "ru", now) == ru


def test_describe_due_uses_the_customers_time_zone():
    now = datetime(2026, 2, 2, 0, 30, tzinfo=UTC)
    due = datetime(2026, 2, 2, 16, 0, tzinfo=UTC)  # 01:00 on Tuesday in Tokyo
    assert describe_due(due, "Asia/Tokyo", "en", now) == "by 01:00 tomorrow"
    assert describe_due(due, "Europe/Moscow", "en", now) == "by 19:00 today"
    with pytest.raises(ValueError, match="language"):
        describe_due(due, "UTC", "de", now)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("target", "en", "ja", "ru"),
    [
        (
            Target(FIRST, 120),
            "within 2 business hours",
            "2営業時間以内に",
            "в течение 2 рабочих часов",
        ),
        (
            Target(FIRST, 60),
            "within 1 business hour",
            "1営業時間以内に",
            "в течение 1 рабочего часа",
        ),
        (
            Target(FIRST, 21 * 60),
            "within 21 business hours",
            "21営業時間以内に",
            "в течение 21 рабочего часа",
        ),
        (Target(FIRST, 30, False), "within 30 minutes", "30分以内に", "в течение 30 минут"),
        (Target(FIRST, 3 * 1440, False), "within 3 days", "3日以内に", "в течение 3 дней"),
        (
            Target(FIRST, 90),
            "within 90 business minutes",
            "営業時間内の90分以内に",
            "в течение 90 рабочих минут",
        ),
    ],
)
def test_describe_target(target, en, ja, ru):
    assert describe_target(target, "en") == en
    assert describe_target(target, "ja") == ja
    assert describe_target(target, "ru") == ru
