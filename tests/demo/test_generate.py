"""The demo data generator: deterministic, fast, and realistic in the ways the app relies on."""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from desk_app.core.enums import Channel, DeliveryState, Direction, Priority, Role, Status
from desk_app.core.identities import normalise_email, normalise_phone
from desk_app.demo.generate import DEPARTMENTS, demo_agents, demo_tickets
from desk_app.store.seeds import SeedTicket

NOW = datetime(2025, 3, 10, 12, 30, 15, tzinfo=UTC)
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def tickets() -> list[SeedTicket]:
    return list(demo_tickets(500, NOW))


def language(ticket: SeedTicket) -> str:
    text = ticket.subject + ticket.messages[0].body
    if CJK.search(text):
        return "ja"
    if CYRILLIC.search(text):
        return "ru"
    return "en"


def test_deterministic_for_a_seed() -> None:
    first = list(demo_tickets(200, NOW, seed=11))
    assert first == list(demo_tickets(200, NOW, seed=11))
    assert first != list(demo_tickets(200, NOW, seed=12))


def test_yields_count_tickets_lazily() -> None:
    assert len(list(demo_tickets(37, NOW))) == 37
    assert list(demo_tickets(0, NOW)) == []
    stream = demo_tickets(10_000_000, NOW)  # nothing is made up front
    assert isinstance(next(stream), SeedTicket)


def test_every_status_priority_and_channel_appears(tickets: list[SeedTicket]) -> None:
    assert {t.status for t in tickets} == set(Status)
    assert {t.priority for t in tickets} == set(Priority)
    assert {t.channel for t in tickets} == set(Channel)
    channels = Counter(t.channel for t in tickets)
    assert channels.most_common(1)[0][0] is Channel.EMAIL


def test_distributions_are_sensible() -> None:
    many = list(demo_tickets(5000, NOW))
    share = Counter(t.status for t in many)
    for status, expected in {
        Status.NEW: 0.10,
        Status.OPEN: 0.30,
        Status.PENDING: 0.15,
        Status.ON_HOLD: 0.05,
        Status.SOLVED: 0.25,
        Status.CLOSED: 0.15,
    }.items():
        assert abs(share[status] / len(many) - expected) < 0.04, status
    urgent = sum(t.priority is Priority.URGENT for t in many) / len(many)
    assert 0.02 < urgent < 0.09
    messages = sum(len(t.messages) for t in many) / len(many)
    assert 2.5 < messages < 3.8
    assert all(1 <= len(t.messages) <= 9 for t in many)


def test_three_languages_in_roughly_the_intended_shares(tickets: list[SeedTicket]) -> None:
    languages = Counter(language(t) for t in tickets)
    assert set(languages) == {"en", "ja", "ru"}
    assert 0.38 < languages["en"] / len(tickets) < 0.62
    assert 0.15 < languages["ja"] / len(tickets) < 0.35
    assert 0.15 < languages["ru"] / len(tickets) < 0.35


def test_replies_are_in_the_customers_language(tickets: list[SeedTicket]) -> None:
    for ticket in tickets:
        lang = language(ticket)
        for message in ticket.messages:
            if message.direction is Direction.OUTBOUND and lang == "ja":
                assert CJK.search(message.body), message.body
            if message.direction is Direction.OUTBOUND and lang == "ru":
                assert CYRILLIC.search(message.body), message.body


def test_customer_names_and_addresses_match_their_language(tickets: list[SeedTicket]) -> None:
    for ticket in tickets:
        customer = ticket.customer
        assert customer.email is not None
        assert customer.email == normalise_email(customer.email)
        assert customer.email.isascii() and customer.email == customer.email.lower()
        lang = language(ticket)
        if lang == "ja":
            family, given = customer.name.split(" ")
            assert CJK.search(family) and CJK.search(given)
        elif lang == "ru":
            assert CYRILLIC.search(customer.name)
        if customer.phone is not None:
            assert customer.phone == normalise_phone(customer.phone)
            prefix = {"ja": "+81", "ru": "+7", "en": ("+1", "+44")}[lang]
            assert customer.phone.startswith(prefix)
    assert any(t.customer.organisation for t in tickets)
    assert any(t.customer.phone for t in tickets)


def test_customers_are_unique_by_identity() -> None:
    customers = {t.customer for t in demo_tickets(3000, NOW)}
    emails = [c.email for c in customers]
    phones = [c.phone for c in customers if c.phone]
    assert len(emails) == len(set(emails))
    assert len(phones) == len(set(phones))


def test_customers_repeat_across_tickets_and_channels(tickets: list[SeedTicket]) -> None:
    by_customer: dict[str, list[SeedTicket]] = defaultdict(list)
    for ticket in tickets:
        by_customer[ticket.customer.email or ""].append(ticket)
    assert len(by_customer) < len(tickets) / 2
    repeat = [ts for ts in by_customer.values() if len(ts) >= 2]
    assert len(repeat) >= 40
    assert any(len({t.channel for t in ts}) >= 2 for ts in repeat)
    assert max(len(ts) for ts in by_customer.values()) >= 5


def test_assignee_is_a_member_of_the_ticket_department(tickets: list[SeedTicket]) -> None:
    members = {a.email: set(a.departments) for a in demo_agents()}
    for ticket in tickets:
        if ticket.department is not None:
            assert ticket.department in DEPARTMENTS
        if ticket.assignee_email is not None:
            assert ticket.department in members[ticket.assignee_email]
        for message in ticket.messages:
            if message.direction is Direction.INBOUND:
                assert message.author_agent_email is None
            else:
                assert message.author_agent_email in members
                if message.direction is Direction.OUTBOUND:
                    assert ticket.department in members[message.author_agent_email]


def test_departments_follow_the_topic(tickets: list[SeedTicket]) -> None:
    billing_words = ("refund", "charge", "invoice", "subscription", "cancel", "billed")
    for ticket in tickets:
        if language(ticket) == "en" and any(w in ticket.subject.lower() for w in billing_words):
            assert ticket.department in ("Billing", None), ticket.subject
        if ticket.subject.startswith("API returns"):
            assert ticket.department in ("Technical", None)


def test_times_are_ordered_aware_and_not_in_the_future(tickets: list[SeedTicket]) -> None:
    oldest = NOW - timedelta(days=190)
    previous_created = oldest
    for ticket in tickets:
        assert ticket.created_at.tzinfo is not None
        assert ticket.created_at.utcoffset() == timedelta(0)
        assert oldest <= ticket.created_at <= NOW
        assert ticket.created_at >= previous_created  # oldest first
        previous_created = ticket.created_at
        times = [m.at for m in ticket.messages]
        assert times[0] == ticket.created_at
        assert times == sorted(times) and len(set(times)) == len(times)
        assert times[-1] <= NOW
        for event in ticket.events:
            assert ticket.created_at <= event.at <= NOW
            assert event.at.tzinfo is not None
        assert [e.at for e in ticket.events] == sorted(e.at for e in ticket.events)


def test_ages_range_from_minutes_to_months() -> None:
    many = list(demo_tickets(2000, NOW))
    ages = sorted(NOW - t.created_at for t in many)
    assert ages[0] < timedelta(hours=1)
    assert ages[-1] > timedelta(days=120)
    unsolved = [NOW - t.created_at for t in many if t.status in (Status.NEW, Status.OPEN)]
    recent = sum(age < timedelta(days=30) for age in unsolved) / len(unsolved)
    assert recent > 0.6
    new = [NOW - t.created_at for t in many if t.status is Status.NEW]
    assert max(new) < timedelta(days=30)


def test_solved_tickets_have_solved_at_after_the_last_message(
    tickets: list[SeedTicket],
) -> None:
    for ticket in tickets:
        if ticket.status in (Status.SOLVED, Status.CLOSED):
            assert ticket.solved_at is not None
            assert ticket.messages[-1].at < ticket.solved_at <= NOW
            statuses = [e.new for e in ticket.events if e.field == "status"]
            assert "solved" in statuses
            if ticket.status is Status.CLOSED:
                assert statuses[-1] == "closed"
        else:
            assert ticket.solved_at is None


def test_thread_shapes(tickets: list[SeedTicket]) -> None:
    for ticket in tickets:
        assert ticket.messages[0].direction is Direction.INBOUND
        assert ticket.messages[0].subject == ticket.subject
        if ticket.status is Status.NEW:
            assert len(ticket.messages) == 1
            assert not [e for e in ticket.events if e.field == "status"]
        if ticket.status is Status.PENDING:
            public = [m for m in ticket.messages if m.direction is not Direction.NOTE]
            assert public[-1].direction is Direction.OUTBOUND
        for message in ticket.messages:
            if message.direction is Direction.OUTBOUND:
                assert message.delivery_state is not None
            else:
                assert message.delivery_state is None
            if ticket.channel is Channel.EMAIL:
                assert message.direction is Direction.NOTE or message.message_id
    new = [t for t in tickets if t.status is Status.NEW]
    assert sum(t.assignee_email is None for t in new) > len(new) / 2
    directions = Counter(m.direction for t in tickets for m in t.messages)
    assert directions[Direction.NOTE] > 20
    quoted = [m for t in tickets for m in t.messages if "\n> " in m.body]
    assert quoted and all(m.direction is Direction.INBOUND for m in quoted)
    phone = [t for t in tickets if t.channel is Channel.PHONE]
    assert phone and all(t.customer.phone for t in phone)


def test_delivery_states() -> None:
    many = list(demo_tickets(2000, NOW))
    states = Counter(
        m.delivery_state for t in many for m in t.messages if m.direction is Direction.OUTBOUND
    )
    assert states[DeliveryState.SENT] > 0.9 * sum(states.values())
    assert states[DeliveryState.QUEUED] >= 1
    assert 1 <= states[DeliveryState.FAILED] <= 10


def test_audit_trail_has_reassignments_and_escalations(tickets: list[SeedTicket]) -> None:
    agents = {a.email: a for a in demo_agents()}
    events = [e for t in tickets for e in t.events]
    moves = [e for e in events if e.field == "department"]
    assert len(moves) >= 10
    for move in moves:
        assert move.old != move.new and {move.old, move.new} <= set(DEPARTMENTS)
        assert move.reason
        assert agents[move.actor_email or ""].role is not Role.AGENT
    assert any(e.field == "assignee" and e.old is not None for e in events)  # handovers
    assert any(e.field == "priority" for e in events)
    for ticket in tickets:
        moved = [e for e in ticket.events if e.field == "department"]
        if moved:
            assert moved[-1].new == ticket.department
        assigned = [e for e in ticket.events if e.field == "assignee"]
        if assigned:
            assert assigned[-1].new == ticket.assignee_email


def test_internal_notes_come_in_english_and_the_agents_languages(
    tickets: list[SeedTicket],
) -> None:
    notes = [m.body for t in tickets for m in t.messages if m.direction is Direction.NOTE]
    assert any(not CJK.search(n) and not CYRILLIC.search(n) for n in notes)
    assert any(CJK.search(n) or CYRILLIC.search(n) for n in notes)


def test_bodies_have_no_unfilled_placeholders() -> None:
    for ticket in demo_tickets(3000, NOW, seed=99):
        assert "{" not in ticket.subject.replace("{id}", "")
        for message in ticket.messages:
            body = message.body.replace("{id}", "")  # endpoints are written /orders/{id}
            assert "{" not in body and "[" not in body, body
            assert len(message.body) > 5


def test_naive_now_is_taken_as_utc() -> None:
    naive = list(demo_tickets(20, NOW.replace(tzinfo=None)))
    assert naive == list(demo_tickets(20, NOW))


def test_generation_speed() -> None:
    started = time.perf_counter()
    count = sum(1 for _ in demo_tickets(20_000, NOW))
    elapsed = time.perf_counter() - started
    print(f"demo_tickets: {count / elapsed:,.0f} tickets/s")
    assert count == 20_000
    assert elapsed < 10


def test_agents() -> None:
    agents = demo_agents()
    assert len(agents) == 12
    emails = [a.email for a in agents]
    assert len(set(emails)) == len(emails)
    assert all(e.endswith("@northwind.example") and e.isascii() for e in emails)
    first = agents[0]
    assert first.role is Role.LEAD
    assert set(first.departments) == {"Support", "Billing"}
    roles = Counter(a.role for a in agents)
    assert roles[Role.ADMIN] == 1 and 2 <= roles[Role.LEAD] <= 3
    assert all(1 <= len(a.departments) <= 2 for a in agents)
    assert {a.time_zone for a in agents} == {
        "Europe/London",
        "Asia/Tokyo",
        "Europe/Moscow",
        "America/New_York",
    }
    names = " ".join(a.display_name for a in agents)
    assert CJK.search(names) and CYRILLIC.search(names)
    for department in DEPARTMENTS:
        team = [a for a in agents if department in a.departments]
        assert len(team) >= 3
        assert any(a.role is not Role.AGENT for a in team)
