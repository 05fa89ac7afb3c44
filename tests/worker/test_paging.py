"""Paging through the real worker and SMTP server, on a fake clock: an urgent ticket after hours
pages the person on call, again every ten minutes, then the next person in the rotation, until
someone acknowledges it; nothing of it reaches the customer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from desk_app.store import Queries, Service
from desk_app.store.models import Notification, Page
from desk_app.store.oncall_settings import save_setting
from desk_app.store.paging_store import PagingStore
from tests.conftest import FakeClock
from tests.worker.conftest import run_once
from tests.worker.oncall_setup import FRIDAY_EVENING, mail, nights_rotation, tokyo_office
from tests.worker.races import race

PAGER = "anna.phone@example.net"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(FRIDAY_EVENING + timedelta(minutes=1))


@pytest.fixture
def on_call(db, team, clock, account_id) -> PagingStore:
    """Tokyo office hours; Anna, then Boris, then Lena on call (Anna this week)."""
    tokyo_office(db, team.admin, clock)
    nights_rotation(db, clock, (team.anna, team.boris, team.lead))
    paging = PagingStore(db, clock)
    paging.set_page_address(team.anna, PAGER)
    return paging


def pages(db) -> list[Page]:
    with db.read() as session:
        return list(session.scalars(sa.select(Page).order_by(Page.id)))


def notices(db, agent_id: int) -> list[Notification]:
    with db.read() as session:
        query = sa.select(Notification).where(Notification.agent_id == agent_id)
        return list(session.scalars(query.order_by(Notification.id)))


def page_mails(smtp_server) -> list[tuple[str, str]]:
    return [
        (m.rcpt_tos[0], str(m.message["Subject"]))
        for m in smtp_server.messages
        if str(m.message["Subject"]).startswith("[Desk page]")
    ]


def test_page_repeat_escalate_and_acknowledge(
    db, team, clock, on_call, worker, imap_server, smtp_server
):
    save_setting(db, None, "after_hours.urgent_keywords", "site down, 至急", clock)
    imap_server.append(mail(subject="Checkout: site down", body="Nobody can pay."))
    summary = run_once(worker)
    assert summary.paged == 1
    [page] = pages(db)
    ticket_id = page.ticket_id
    assert (page.agent_id, page.step, page.sends) == (team.anna, 0, 1)
    assert page.reason == 'keyword "site down"'
    assert page_mails(smtp_server) == [
        (PAGER, f"[Desk page] Urgent: #{ticket_id} Checkout: site down")
    ]
    [notice] = notices(db, team.anna)
    assert notice.kind == "page" and notice.ticket_id == ticket_id and notice.read_at is None
    body = smtp_server.messages[0].message.get_body(("plain",)).get_content()
    assert f"desk oncall ack {ticket_id}" in body and "Nobody can pay." in body

    # Nine minutes on: not yet. Ten: the page repeats to Anna.
    clock.advance(minutes=9)
    assert run_once(worker).paged == 0
    clock.advance(minutes=1)
    assert run_once(worker).paged == 1
    assert page_mails(smtp_server)[-1][0] == PAGER

    # Twenty minutes without an answer: Boris (next in the rotation) is paged at work.
    clock.advance(minutes=10)
    assert run_once(worker).paged == 1
    [page] = pages(db)
    assert (page.agent_id, page.step, page.sends) == (team.boris, 1, 3)
    assert page_mails(smtp_server)[-1][0] == "boris@desk.test"
    assert [n.kind for n in notices(db, team.boris)] == ["page"]

    # Boris acknowledges: no more mail, however long the night.
    record = PagingStore(db, clock).acknowledge(ticket_id, team.boris)
    assert record.acknowledged_by == "Boris Sato"
    sent = len(smtp_server.messages)
    clock.advance(hours=2)
    assert run_once(worker).paged == 0
    assert len(smtp_server.messages) == sent
    assert all(n.read_at is not None for n in notices(db, team.anna) + notices(db, team.boris))

    detail = Queries(db, None).ticket(ticket_id)
    actions = [e.action for e in detail.audit if e.action.startswith("page")]
    assert actions == ["page", "page", "page", "page_escalate", "page", "page_ack"]
    # The customer's conversation holds their message only: pages are not ticket messages.
    assert [m.direction for m in detail.messages] == ["inbound"]
    assert not any(m.rcpt_tos == ("olga@example.ru",) for m in smtp_server.messages)


def test_raised_to_urgent_at_night_pages_the_departments_own_rotation(
    db, team, clock, on_call, worker, imap_server, smtp_server
):
    nights_rotation(db, clock, (team.lead, team.anna), department="Support")
    ticket_id = (
        Service(db, None, clock)
        .create_ticket(
            subject="Card charged twice",
            customer_email="carol@example.com",
            body="Please help",
            department="Support",
        )
        .ticket_id
    )
    assert run_once(worker).paged == 0  # not urgent (yet)
    clock.advance(minutes=30)
    Service(db, team.anna, clock).set_priority(ticket_id, "urgent")
    assert run_once(worker).paged == 1
    [page] = pages(db)
    assert (page.ticket_id, page.agent_id, page.reason) == (ticket_id, team.lead, "priority urgent")
    assert page_mails(smtp_server)[0][0] == "lena@desk.test"


def test_urgent_in_office_hours_pages_nobody(
    db, team, clock, on_call, worker, imap_server, smtp_server
):
    clock.now = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)  # Tuesday 10:30 in Tokyo
    Service(db, None, clock).create_ticket(
        subject="Urgent thing", customer_email="carol@example.com", body="x", priority="urgent"
    )
    assert run_once(worker).paged == 0 and pages(db) == []
    # Still urgent and unanswered when the office closes: no page for what the day team saw.
    clock.now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # 19:00
    assert run_once(worker).paged == 0 and pages(db) == []


def test_two_workers_open_one_page(db, team, clock, on_call):
    ticket_id = (
        Service(db, None, clock)
        .create_ticket(
            subject="Outage", customer_email="carol@example.com", body="x", priority="urgent"
        )
        .ticket_id
    )
    opened = race(db.url, lambda worker_db: PagingStore(worker_db, clock).open_page(ticket_id))
    assert sum(1 for o in opened if o is not None) == 1
    assert len(pages(db)) == 1 and len(notices(db, team.anna)) == 1
    # Two workers claiming the same due page e-mail: one gets it.
    claims = race(db.url, lambda worker_db: len(PagingStore(worker_db, clock).claim_due_mails()))
    assert sorted(claims) == [0, 1]


def test_acknowledging_twice_or_without_a_page(db, team, clock, on_call):
    paging = PagingStore(db, clock)
    ticket_id = (
        Service(db, None, clock)
        .create_ticket(
            subject="Outage", customer_email="carol@example.com", body="x", priority="urgent"
        )
        .ticket_id
    )
    from desk_app.core.errors import NotFound

    with pytest.raises(NotFound):
        paging.acknowledge(ticket_id, team.anna)
    assert paging.open_page(ticket_id) is not None
    first = paging.acknowledge(ticket_id, team.anna)
    clock.advance(minutes=3)
    again = paging.acknowledge(ticket_id, team.boris)
    assert (
        again.acknowledged_at == first.acknowledged_at and again.acknowledged_by == "Anna Ivanova"
    )
    assert paging.pages() == [] and len(paging.pages(open_only=False)) == 1
