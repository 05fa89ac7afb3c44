"""On-call rotations in the store, on both databases."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from desk_app.core.errors import InvalidInput, NotFound
from desk_app.core.oncall import Override, Rotation
from desk_app.store.oncall_store import MAX_CALENDAR_WEEKS, OncallStore
from tests.store.helpers import audit_rows

TOKYO = ZoneInfo("Asia/Tokyo")


def test_department_rotation_team_fallback_and_overrides(db, team, clock):
    store = OncallStore(db, team.lead, clock)
    store.save_rotation(
        Rotation("Support nights", (team.anna, team.lead), time(9), "daily", "Asia/Tokyo",
                 date(2026, 11, 1), department="Support")
    )  # fmt: skip
    store.save_rotation(
        Rotation("Everyone", (team.boris,), time(9), "weekly", "UTC", date(2026, 11, 2))
    )
    at = datetime(2026, 11, 23, 20, 0, tzinfo=TOKYO)
    support = store.now("Support", at)
    assert [(n.rotation, n.agent_name) for n in support] == [("Support nights", "Anna Ivanova")]
    # Billing has no rotation of its own: the team-wide one covers it.
    assert [(n.rotation, n.agent_name) for n in store.now("Billing", at)] == [
        ("Everyone", "Boris Sato")
    ]
    assert len(store.now(None, at)) == 2

    override_id = store.add_override(
        "Support nights",
        Override(team.lead, at - timedelta(hours=1), at + timedelta(hours=2), reason="swap"),
    )
    covered = store.now("Support", at)[0]
    assert (covered.agent_name, covered.covering_for) == ("Lena Lead", "Anna Ivanova")
    events = audit_rows(db, entity="rotation", action="override")
    assert events[-1].reason == "swap" and events[-1].actor_agent_id == team.lead
    store.remove_override(override_id)
    assert store.now("Support", at)[0].agent_name == "Anna Ivanova"
    with pytest.raises(NotFound):
        store.remove_override(override_id)


def test_saving_replaces_by_name_and_refuses_unknown_people_or_places(db, team, clock):
    store = OncallStore(db, team.lead, clock)
    rotation = Rotation("R", (team.anna,), time(9), "daily", "UTC", date(2026, 11, 1))
    first = store.save_rotation(rotation)
    assert store.save_rotation(Rotation("R", (team.boris,), time(8), "daily", "UTC",
                                        date(2026, 11, 1))) == first  # fmt: skip
    assert [r.agent_ids for _, r in store.rotations()] == [(team.boris,)]
    with pytest.raises(InvalidInput, match="no active agent"):
        store.save_rotation(Rotation("S", (999,), time(9), "daily", "UTC", date(2026, 11, 1)))
    with pytest.raises(NotFound, match="department"):
        store.save_rotation(
            Rotation("S", (team.anna,), time(9), "daily", "UTC", date(2026, 11, 1), "Nowhere")
        )
    with pytest.raises(NotFound, match="rotation 'Missing'"):
        store.add_override("Missing", Override(team.anna, clock(), clock() + timedelta(hours=1)))


def test_a_calendar_shows_one_to_104_weeks_and_refuses_more(db, team, clock):
    store = OncallStore(db, team.lead, clock)
    store.save_rotation(
        Rotation("Everyone", (team.boris, team.anna), time(9), "weekly", "UTC", date(2026, 11, 2))
    )
    start = datetime(2026, 11, 23, 9, 0, tzinfo=TOKYO)
    assert len(store.calendar("Everyone", start, MAX_CALENDAR_WEEKS)) >= MAX_CALENDAR_WEEKS
    for weeks in (0, -1, MAX_CALENDAR_WEEKS + 1):
        with pytest.raises(InvalidInput, match=f"1 to {MAX_CALENDAR_WEEKS} weeks, not {weeks}"):
            store.calendar("Everyone", start, weeks)
