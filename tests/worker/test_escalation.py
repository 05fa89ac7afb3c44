"""The worker escalates SLA breaches once: run twice, or by two workers at the same time."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from desk_app.store import Database, Queries, Service
from desk_app.store.models import AuditEvent, SlaEscalation
from desk_app.store.sla_store import import_rules
from desk_app.worker.escalation import escalate_overdue
from desk_app.worker.runner import MailWorker, WorkerOptions
from tests.store.test_escalations import EVERYTHING, new_ticket, rules_with
from tests.worker.races import race

FAST = WorkerOptions(poll_seconds=0.5, renew_seconds=1.0, send_seconds=0.2, escalate_seconds=0.1)


def no_password(_name: str) -> str:
    raise AssertionError("no mail account in these tests")


def escalation_count(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(SlaEscalation)) or 0)


def notices(db: Database) -> int:
    with db.read() as session:
        query = select(func.count()).where(AuditEvent.entity == "sla_notice")
        return int(session.scalar(query) or 0)


def test_a_worker_pass_escalates_and_a_second_pass_does_not_repeat_it(db, team, clock):
    import_rules(db, rules_with(EVERYTHING), team.admin, clock)
    ticket_id = new_ticket(db, clock)
    worker = MailWorker(db, FAST, clock=clock, password_for=no_password)
    assert asyncio.run(worker.run_once()).escalated == 0
    clock.advance(minutes=61)
    assert asyncio.run(worker.run_once()).escalated == 1
    assert asyncio.run(worker.run_once()).escalated == 0
    detail = Queries(db, None, clock).ticket(ticket_id)
    # One step up, not two: the second pass found the escalation already done.
    assert (detail.priority, detail.department) == ("high", "Billing")
    assert escalation_count(db) == 1
    assert notices(db) == 1


def test_two_workers_at_the_same_moment_escalate_once(db, team, clock):
    import_rules(db, rules_with(EVERYTHING), team.admin, clock)
    ids = [new_ticket(db, clock) for _ in range(6)]
    clock.advance(minutes=61)
    # Two workers with their own connections, released together on the same overdue targets.
    reports = race(db.url, lambda worker_db: escalate_overdue(worker_db, clock))
    assert all(not report.errors for report in reports)
    assert sum(len(report.escalated) for report in reports) == len(ids)
    assert escalation_count(db) == len(ids)
    assert notices(db) == len(ids)
    queries = Queries(db, None, clock)
    assert {queries.ticket(i).priority for i in ids} == {"high"}


def test_the_continuous_worker_escalates_with_no_desktop_open(db, team, clock):
    import_rules(db, rules_with({"notify_leads": True}), team.admin, clock)
    ticket_id = new_ticket(db, clock)
    clock.advance(minutes=61)
    worker = MailWorker(db, FAST, clock=clock, password_for=no_password)

    async def run_until_escalated() -> None:
        task = asyncio.create_task(worker.run_forever())
        for _ in range(100):
            if escalation_count(db):
                break
            await asyncio.sleep(0.1)
        worker.stop()
        await task

    asyncio.run(run_until_escalated())
    assert escalation_count(db) == 1
    trail = Queries(db, None, clock).ticket(ticket_id).audit
    assert [e.reason for e in trail if e.field == "escalation"] == ["SLA breach: first response"]


def test_an_answered_ticket_is_left_alone_by_the_worker(db, team, clock):
    import_rules(db, rules_with(EVERYTHING), team.admin, clock)
    ticket_id = new_ticket(db, clock)
    clock.advance(minutes=59)
    Service(db, team.anna, clock).reply(ticket_id, "Here to help")
    clock.advance(minutes=5)
    report = escalate_overdue(db, clock)
    assert report.escalated == [] and escalation_count(db) == 0
