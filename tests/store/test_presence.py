"""Presence on both databases: published, seen by others, silent refreshes, expiry."""

from __future__ import annotations

import pytest

from desk_app.store.presence import TTL, Colleague, PresenceStore
from tests.store.helpers import change_rows


@pytest.fixture
def ticket(anna):
    return anna.create_ticket(
        subject="Where is my parcel?", customer_email="ivan@example.com", body="Hello"
    ).ticket_id


def test_a_colleague_on_a_ticket_is_seen_by_others_but_not_by_themselves(db, team, clock, ticket):
    annas_desk = PresenceStore(db, "desk-anna", clock)
    boris_desk = PresenceStore(db, "desk-boris", clock)
    annas_desk.publish(team.anna, ticket, "replying")

    assert boris_desk.on_tickets([ticket]) == {
        ticket: [Colleague(team.anna, "Anna Ivanova", "replying")]
    }
    assert annas_desk.on_tickets([ticket]) == {}
    assert Colleague(team.anna, "Anna Ivanova", "replying").describe() == "Anna Ivanova is replying"


def test_only_a_change_of_ticket_or_activity_wakes_other_desktops(db, team, clock, ticket):
    other = PresenceStore(db, "desk-anna", clock).publish(team.anna, None, None)
    assert other is True  # first appearance
    desk = PresenceStore(db, "desk-boris", clock)
    assert desk.publish(team.boris, ticket, "viewing") is True
    before = len(change_rows(db, entity="presence"))
    clock.advance(seconds=10)
    assert desk.publish(team.boris, ticket, "viewing") is False  # a refresh: silent
    assert len(change_rows(db, entity="presence")) == before
    assert desk.publish(team.boris, ticket, "replying") is True
    assert [c.entity_id for c in change_rows(db, entity="presence")][before:] == [ticket]


def test_moving_to_another_ticket_tells_both_tickets(db, team, clock, anna, ticket):
    second = anna.create_ticket(
        subject="Second", customer_email="olga@example.com", body="Hi"
    ).ticket_id
    desk = PresenceStore(db, "desk-anna", clock)
    desk.publish(team.anna, ticket, "viewing")
    before = len(change_rows(db, entity="presence"))
    desk.publish(team.anna, second, "viewing")
    assert sorted(c.entity_id for c in change_rows(db, entity="presence")[before:]) == sorted(
        [ticket, second]
    )
    assert PresenceStore(db, "other", clock).on_tickets([ticket, second]) == {
        second: [Colleague(team.anna, "Anna Ivanova", "viewing")]
    }


def test_presence_expires_when_a_desktop_stops_refreshing(db, team, clock, ticket):
    PresenceStore(db, "desk-anna", clock).publish(team.anna, ticket, "viewing")
    observer = PresenceStore(db, "desk-boris", clock)
    clock.advance(seconds=TTL.total_seconds() - 1)
    assert ticket in observer.on_tickets([ticket])
    clock.advance(seconds=2)
    assert observer.on_tickets([ticket]) == {}


def test_withdraw_leaves_at_once_and_purge_removes_dead_rows(db, team, clock, ticket):
    anna_desk = PresenceStore(db, "desk-anna", clock)
    anna_desk.publish(team.anna, ticket, "replying")
    anna_desk.withdraw()
    assert PresenceStore(db, "x", clock).on_tickets([ticket]) == {}
    assert change_rows(db, entity="presence")[-1].op == "delete"

    PresenceStore(db, "desk-boris", clock).publish(team.boris, ticket, "viewing")
    clock.advance(seconds=TTL.total_seconds() * 12)
    assert PresenceStore(db, "x", clock).purge_expired() == 1


def test_one_person_on_two_desktops_counts_once_with_the_busier_activity(db, team, clock, ticket):
    PresenceStore(db, "anna-laptop", clock).publish(team.anna, ticket, "viewing")
    PresenceStore(db, "anna-desktop", clock).publish(team.anna, ticket, "replying")
    assert PresenceStore(db, "x", clock).on_tickets([ticket]) == {
        ticket: [Colleague(team.anna, "Anna Ivanova", "replying")]
    }


def test_unknown_activity_is_refused(db, team, clock, ticket):
    with pytest.raises(ValueError, match="activity"):
        PresenceStore(db, "d", clock).publish(team.anna, ticket, "typing")
