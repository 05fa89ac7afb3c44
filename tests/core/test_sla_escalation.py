"""A policy's escalation: what it accepts, the errors it names, and the priority it raises to."""

from __future__ import annotations

import pytest

from desk_app.core.calendar import InvalidConfig
from desk_app.core.enums import Priority
from desk_app.core.sla import Escalation, SlaPolicy, TargetKind

POLICY = {
    "name": "Standard",
    "targets": [{"kind": "first_response", "minutes": 60, "business_hours": False}],
}


@pytest.mark.parametrize(
    ("escalation", "field", "problem"),
    [
        ({"notify_leads": False}, "escalation", "say what to do on a breach"),
        ({"raise_priority": "huge"}, "escalation.raise_priority", "one_step, low, normal"),
        ({"notify_leads": "yes"}, "escalation.notify_leads", "expected true or false"),
        ({"move_to": "  "}, "escalation.move_to", "expected a department's name"),
        ({"move_to": 3}, "escalation.move_to", "expected a department's name"),
        ({"breach_of": "resolution", "notify_leads": True}, "escalation.breach_of", "list"),
        ({"breach_of": ["lunch"], "notify_leads": True}, "escalation.breach_of", "'lunch'"),
        (
            {"breach_of": ["resolution"], "notify_leads": True},
            "escalation.breach_of",
            "the policy has no resolution target",
        ),
        ({"on": ["resolution"], "notify_leads": True}, "escalation.on", "unknown field"),
        ("notify", "escalation", "expected a mapping"),
    ],
)
def test_bad_escalations_name_the_field(escalation, field, problem):
    with pytest.raises(InvalidConfig) as caught:
        SlaPolicy.from_dict({**POLICY, "escalation": escalation})
    assert caught.value.field == field
    assert problem in caught.value.problem


def test_round_trip_and_no_escalation_stays_out_of_the_document():
    assert "escalation" not in SlaPolicy.from_dict(POLICY).to_dict()
    assert SlaPolicy.from_dict({**POLICY, "escalation": None}).escalation is None
    data = {
        **POLICY,
        "escalation": {"breach_of": ["first_response"], "raise_priority": "high", "move_to": "X"},
    }
    policy = SlaPolicy.from_dict(data)
    assert policy.escalation == Escalation(
        breach_of=frozenset({TargetKind.FIRST_RESPONSE}), raise_priority="high", move_to="X"
    )
    assert SlaPolicy.from_dict(policy.to_dict()) == policy


@pytest.mark.parametrize(
    ("raise_to", "current", "expected"),
    [
        ("one_step", Priority.LOW, Priority.NORMAL),
        ("one_step", Priority.HIGH, Priority.URGENT),
        ("one_step", Priority.URGENT, None),
        ("high", Priority.NORMAL, Priority.HIGH),
        ("high", Priority.HIGH, None),
        ("normal", Priority.URGENT, None),  # never lowers
    ],
)
def test_raised_priority(raise_to, current, expected):
    assert Escalation(raise_priority=raise_to).raised_priority(current) == expected


def test_applies_to_every_target_unless_limited():
    assert Escalation(notify_leads=True).applies_to(TargetKind.NEXT_RESPONSE)
    limited = Escalation(breach_of=frozenset({"resolution"}), notify_leads=True)
    assert limited.applies_to(TargetKind.RESOLUTION)
    assert not limited.applies_to(TargetKind.FIRST_RESPONSE)
