"""Who is on duty: availability, the department's business hours and on-call cover, on both
databases."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from desk_app.core.oncall import Rotation
from desk_app.store.duty import DutyState, department_duty, on_duty_agents, open_loads
from desk_app.store.models import Agent
from desk_app.store.oncall_store import OncallStore
from desk_app.store.sla_store import import_rules

TOKYO = ZoneInfo("Asia/Tokyo")
# Billing works Tokyo office hours; Support has no calendar of its own (calendar time only).
OFFICE_HOURS = {
    "calendars": [
        {"name": "Tokyo office", "timezone": "Asia/Tokyo", "hours": {"mon-fri": "09:00-18:00"}}
    ],
    "policies": [
        {
            "name": "Billing",
            "departments": ["Billing"],
            "calendar": "Tokyo office",
            "targets": [{"kind": "first_response", "minutes": 240, "business_hours": True}],
        },
        {
            "name": "Everything else",
            "targets": [{"kind": "first_response", "minutes": 60, "business_hours": False}],
        },
    ],
}


def set_available(db, agent_id: int, available: bool) -> None:
    with db.write() as session:
        session.execute(sa.update(Agent).where(Agent.id == agent_id).values(available=available))


def duty_of(db, department_id: int, clock) -> dict[int, DutyState]:
    return {a.agent_id: a.state for a in department_duty(db, department_id, clock)}


def test_everyone_available_is_on_duty_where_there_are_no_hours(db, team, clock):
    with db.read() as session:
        assert on_duty_agents(session, team.support, clock()) == {team.anna, team.lead}
    set_available(db, team.anna, False)
    with db.read() as session:
        assert on_duty_agents(session, team.support, clock()) == {team.lead}
    assert duty_of(db, team.support, clock) == {
        team.anna: DutyState.AWAY,
        team.lead: DutyState.ON_DUTY,
    }


def test_outside_the_departments_hours_only_whoever_is_on_call_works(db, team, clock):
    import_rules(db, OFFICE_HOURS, team.admin, clock)
    OncallStore(db, team.lead, clock).save_rotation(
        Rotation("Billing nights", (team.boris,), time(9), "weekly", "Asia/Tokyo",
                 date(2026, 11, 2), department="Billing")
    )  # fmt: skip
    open_hours = datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO)
    evening = datetime(2026, 11, 24, 20, 0, tzinfo=TOKYO)
    with db.read() as session:
        assert on_duty_agents(session, team.billing, open_hours) == {team.boris, team.lead}
        assert on_duty_agents(session, team.billing, evening) == {team.boris}
        # Support keeps no hours: the evening changes nothing there.
        assert on_duty_agents(session, team.support, evening) == {team.anna, team.lead}
    clock.now = evening
    assert duty_of(db, team.billing, clock) == {
        team.boris: DutyState.ON_CALL,
        team.lead: DutyState.OFF_HOURS,
    }
    # On call but switched away: not on duty either.
    set_available(db, team.boris, False)
    with db.read() as session:
        assert on_duty_agents(session, team.billing, evening) == set()


def test_loads_count_unsolved_tickets_and_the_dialog_lists_on_duty_first(
    db, team, system, lena, clock
):
    def ticket(n: int) -> int:
        return system.create_ticket(
            subject=f"T{n}", customer_email=f"t{n}@example.com", body="hi", department="Billing"
        ).ticket_id

    for n in range(3):
        lena.assign(ticket(n), agent=team.lead)
    lena.assign(ticket(3), agent=team.boris)
    solved = ticket(4)
    lena.assign(solved, agent=team.boris)
    lena.set_status(solved, "solved")
    with db.read() as session:
        assert open_loads(session, [team.boris, team.lead, team.anna]) == {
            team.boris: 1,
            team.lead: 3,
            team.anna: 0,
        }
    set_available(db, team.boris, False)
    clock.advance(minutes=1)
    listed = department_duty(db, team.billing, clock)
    assert [(a.name, a.open_load, a.on_duty) for a in listed] == [
        ("Lena Lead", 3, True),
        ("Boris Sato", 1, False),
    ]
    assert listed[0].agent_id == team.lead and listed[1].state is DutyState.AWAY
