"""The workload board's figures against a known data set, on both databases."""

from __future__ import annotations

from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from desk_app.core.errors import PermissionDenied
from desk_app.store.models import Ticket
from desk_app.store.workload import Workload


def _set(db, ticket_id: int, **values) -> None:
    with db.write() as session:
        session.execute(sa.update(Ticket).where(Ticket.id == ticket_id).values(**values))


def test_board_counts_per_department_and_agent(db, team, system, lena, clock):
    now = clock()
    yesterday = now - timedelta(days=1)

    def ticket(subject: str, department: str | None, **kwargs) -> int:
        return system.create_ticket(
            subject=subject,
            customer_email=f"{subject.lower()}@example.com",
            department=department,
            body="hi",
            created_at=kwargs.pop("created_at", now),
        ).ticket_id

    old_open = ticket("Old", "Support", created_at=yesterday - timedelta(days=2))
    due_soon = ticket("Soon", "Support", created_at=yesterday)
    breached = ticket("Late", "Billing")
    fresh = ticket("Fresh", "Billing")
    nowhere = ticket("Nowhere", None)
    solved = ticket("Done", "Support")
    lena.assign(old_open, agent=team.anna)
    lena.assign(breached, agent=team.boris)
    lena.set_status(solved, "solved")
    _set(db, due_soon, sla_due_at=now + timedelta(minutes=30))
    _set(db, breached, sla_due_at=now - timedelta(minutes=5))
    _set(db, fresh, sla_due_at=now + timedelta(days=2))
    _set(db, old_open, status="pending")  # parked: open, but not waiting on us

    board = Workload(db, clock).board(UTC)
    departments = {load.name: load for load in board.departments}
    support, billing = departments["Support"], departments["Billing"]
    assert (support.open, support.new_today, support.due_soon, support.breached) == (2, 1, 1, 0)
    assert (billing.open, billing.new_today, billing.due_soon, billing.breached) == (2, 2, 0, 1)
    # Support's longest wait is the ticket from yesterday (the older one is pending).
    assert support.oldest_waiting_id == due_soon
    assert support.waiting_for(now) == timedelta(days=1)
    assert departments["No department"].open == 1
    assert departments["No department"].oldest_waiting_id == nowhere

    agents = {load.name: load for load in board.agents}
    assert agents["Anna Ivanova"].open == 1 and agents["Anna Ivanova"].oldest_waiting_id is None
    assert agents["Boris Sato"].breached == 1
    assert agents["Ada Admin"].open == 0  # everyone is on the board, idle or not
    assert agents["Unassigned"].open == 3
    # Busiest first.
    assert board.agents[0].name == "Unassigned"


def test_today_is_the_viewers_calendar_day(db, team, system, clock):
    # 09:00 UTC on the clock is 18:00 in Tokyo; a ticket from 14:30 UTC yesterday is 23:30
    # yesterday in Tokyo but would be "today" for someone in Honolulu.
    system.create_ticket(
        subject="Late night",
        customer_email="n@example.com",
        department="Support",
        body="hi",
        created_at=clock() - timedelta(hours=18, minutes=30),
    )
    tokyo = {d.name: d for d in Workload(db, clock).board(ZoneInfo("Asia/Tokyo")).departments}
    honolulu = {
        d.name: d for d in Workload(db, clock).board(ZoneInfo("Pacific/Honolulu")).departments
    }
    assert tokyo["Support"].new_today == 0
    assert honolulu["Support"].new_today == 1


def test_the_board_is_for_leads_and_admins(db, team, clock):
    assert Workload(db, clock, viewer_id=team.lead).board(UTC).departments
    assert Workload(db, clock, viewer_id=team.admin).board(UTC).agents
    with pytest.raises(PermissionDenied, match="an agent may not see the workload board"):
        Workload(db, clock, viewer_id=team.anna).board(UTC)
