"""Views narrowed to one department or agent (the workload board's drill-downs), on both
databases: pages, counts and live membership agree."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from desk_app.core.views import NOBODY, View, ViewKind
from desk_app.store import Queries
from desk_app.store.models import Ticket


def _ticket(system, subject: str, department: str | None) -> int:
    return system.create_ticket(
        subject=subject, customer_email=f"{subject.lower()}@example.com", department=department
    ).ticket_id


def _due(db, ticket_id: int, delta: timedelta, clock) -> None:
    with db.write() as session:
        session.execute(
            sa.update(Ticket).where(Ticket.id == ticket_id).values(sla_due_at=clock() + delta)
        )


def test_narrowing_by_department_and_assignee(db, team, system, lena, clock):
    late_support = _ticket(system, "LateSupport", "Support")
    late_billing = _ticket(system, "LateBilling", "Billing")
    late_nowhere = _ticket(system, "LateNowhere", None)
    fine_billing = _ticket(system, "FineBilling", "Billing")
    lena.assign(late_billing, agent=team.boris)
    lena.assign(fine_billing, agent=team.boris)
    for ticket in (late_support, late_billing, late_nowhere):
        _due(db, ticket, -timedelta(minutes=5), clock)
    queries = Queries(db, team.lead, clock)

    def ids(view: View) -> set[int]:
        found = {row.id for row in queries.view_page(view)}
        assert queries.view_count(view) == len(found)
        return found

    assert ids(View(ViewKind.BREACHED)) == {late_support, late_billing, late_nowhere}
    assert ids(View(ViewKind.BREACHED, only_department=team.billing)) == {late_billing}
    assert ids(View(ViewKind.BREACHED, only_department=NOBODY)) == {late_nowhere}
    assert ids(View(ViewKind.ALL_OPEN, only_assignee=team.boris)) == {late_billing, fine_billing}
    assert ids(View(ViewKind.BREACHED, only_assignee=NOBODY)) == {late_support, late_nowhere}
    narrowed = View(ViewKind.BREACHED, only_department=team.billing)
    assert queries.in_view(narrowed, [late_support, late_billing]) == {late_billing}


def test_narrowed_views_are_distinct_values_that_widen_to_their_listed_view():
    narrowed = View(ViewKind.DUE_SOON, only_assignee=3)
    assert narrowed.is_narrowed and not View(ViewKind.DUE_SOON).is_narrowed
    assert narrowed != View(ViewKind.DUE_SOON) and narrowed.widened() == View(ViewKind.DUE_SOON)
    department = View(ViewKind.DEPARTMENT, 2, only_assignee=5)
    assert department.widened() == View(ViewKind.DEPARTMENT, 2)
    with pytest.raises(ValueError, match="department view"):
        View(ViewKind.BREACHED, 2)
