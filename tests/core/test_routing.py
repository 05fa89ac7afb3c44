"""Routing rules: first match wins, keywords in three languages, and fair assignee choice."""

from __future__ import annotations

from collections import Counter

import pytest

from desk_app.core.enums import Channel, Priority
from desk_app.core.errors import InvalidInput
from desk_app.core.routing import (
    AssignBy,
    Candidate,
    Incoming,
    RoutingRule,
    choose_assignee,
    route,
)

RULES = [
    RoutingRule("VIP", customer_tags=frozenset({"VIP"}), priority=Priority.HIGH),
    RoutingRule(
        "Billing (ja)",
        keywords=("返金", "請求書"),
        department="Billing",
        assign_by=AssignBy.ROUND_ROBIN,
    ),
    RoutingRule("Billing (ru)", keywords=("возврат денег", "счёт"), department="Billing"),
    RoutingRule("Refunds (en)", subject_keywords=("refund",), department="Billing"),
    RoutingRule("Partners", senders=frozenset({"@partner.example"}), department="Technical"),
    RoutingRule("Sales box", recipients=frozenset({"Sales@Desk.example"}), department="Sales"),
    RoutingRule("Chats", channels=frozenset({Channel.CHAT}), department="Support"),
    RoutingRule("Everything else", department="Support"),
]


def _rule(**incoming) -> str:
    decision = route(RULES, Incoming(**incoming))
    assert decision.rule is not None
    return decision.rule.name


def test_japanese_keywords_match_inside_unspaced_text():
    assert _rule(subject="ご注文について", body="先月の注文を返金してください。") == "Billing (ja)"
    # Full-width and half-width forms fold together (NFKC).
    assert _rule(body="ｾｰﾙの請求書") == "Billing (ja)"


def test_russian_keywords_match_other_forms_of_the_same_words():
    assert _rule(body="Прошу оформить возврат денег за заказ") == "Billing (ru)"
    assert _rule(body="Пришлите, пожалуйста, счета за ноябрь") == "Billing (ru)"  # счёт ~ счета
    assert _rule(body="Где мой заказ?") == "Everything else"


def test_subject_keywords_look_at_the_subject_only_and_match_by_stem():
    assert _rule(subject="Refunded twice?") == "Refunds (en)"
    assert _rule(subject="Question", body="I want a refund") == "Everything else"


def test_first_match_wins_and_says_why():
    decision = route(
        RULES,
        Incoming(subject="返金", customer_tags=frozenset({"vip"}), sender="a@b.example"),
    )
    assert decision.rule is RULES[0]
    assert decision.describe() == "rule 'VIP': customer tagged vip"
    later = route(RULES, Incoming(subject="Re: 返金のお願い"))
    assert later.describe() == "rule 'Billing (ja)': mentions '返金'"


def test_sender_domain_recipient_and_channel_conditions():
    assert _rule(sender="Anna@Partner.Example") == "Partners"
    assert _rule(sender="anna@other.example", recipient="sales@desk.example") == "Sales box"
    assert _rule(channel=Channel.CHAT) == "Chats"
    assert route(RULES[:-1], Incoming(subject="hello")).describe() == "no routing rule matched"


def test_round_robin_is_fair_over_many_tickets_and_skips_people_off_duty():
    team = [
        Candidate(3, 0, True),
        Candidate(1, 0, True),
        Candidate(2, 0, False),
        Candidate(7, 0, True),
    ]
    last, given = None, Counter()
    for _ in range(300):
        last = choose_assignee(AssignBy.ROUND_ROBIN, team, last)
        given[last] += 1
    assert given == {1: 100, 3: 100, 7: 100}
    # The agent who got the last ticket left the rota: the next one in order continues.
    assert choose_assignee(AssignBy.ROUND_ROBIN, team, 2) == 3


def test_least_loaded_picks_the_emptiest_queue_on_duty():
    team = [
        Candidate(1, 5, True),
        Candidate(2, 1, False),
        Candidate(3, 2, True),
        Candidate(4, 2, True),
    ]
    assert choose_assignee(AssignBy.LEAST_LOADED, team) == 3  # 2 is off duty; 3 wins the tie
    assert choose_assignee(AssignBy.LEAST_LOADED, [Candidate(1, 0, False)]) is None
    assert choose_assignee(AssignBy.NOBODY, team) is None


def test_rules_round_trip_and_bad_rules_say_what_is_wrong():
    for rule in RULES:
        assert RoutingRule.from_dict(rule.to_dict()) == rule
    with pytest.raises(InvalidInput, match="unknown field"):
        RoutingRule.from_dict({"name": "x", "colour": "red"})
    with pytest.raises(InvalidInput, match="sky-high"):
        RoutingRule.from_dict({"name": "x", "priority": "sky-high"})
    with pytest.raises(InvalidInput, match="needs a department"):
        RoutingRule("x", assign_by=AssignBy.LEAST_LOADED)
    with pytest.raises(InvalidInput, match="needs a name"):
        RoutingRule(" ")
