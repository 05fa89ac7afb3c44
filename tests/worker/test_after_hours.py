"""After-hours acknowledgements through the real worker, IMAP and SMTP servers: exactly one per
new ticket that arrived while the office was closed, with an honest promise across a weekend
and a public holiday, and never to robots, lists, ourselves, or twice to one customer."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from desk_app.store import Queries
from desk_app.store.after_hours_store import AfterHoursCommands, ack_candidates
from desk_app.store.models import AutoReply, OutboxItem
from desk_app.store.oncall_settings import read_settings, save_setting
from desk_app.worker.runner import MailWorker, WorkerOptions
from tests.conftest import FakeClock
from tests.worker.conftest import add_account, run_once
from tests.worker.oncall_setup import (
    FRIDAY_EVENING,
    HELP_CENTRE,
    after_hours_templates,
    mail,
    tokyo_office,
)
from tests.worker.races import race


@pytest.fixture
def clock() -> FakeClock:
    # A minute after the mail of Friday evening in Tokyo arrives.
    return FakeClock(FRIDAY_EVENING + timedelta(minutes=1))


@pytest.fixture
def office(db, team, clock, account_id) -> None:
    tokyo_office(db, team.admin, clock)
    after_hours_templates(db)


def auto_replies(db) -> list[AutoReply]:
    with db.read() as session:
        return list(session.scalars(sa.select(AutoReply).order_by(AutoReply.id)))


def last_ticket(db) -> int:
    with db.read() as session:
        return int(session.scalar(sa.text("SELECT max(id) FROM tickets")))


def test_one_acknowledgement_promising_tuesday_after_the_weekend_and_the_holiday(
    db, team, clock, office, worker, imap_server, smtp_server
):
    imap_server.append(mail())
    summary = run_once(worker)
    assert (summary.acknowledged, summary.sent) == (1, 1)
    [received] = smtp_server.wait_for_messages(1)
    ticket_id = last_ticket(db)
    detail = Queries(db, None).ticket(ticket_id)
    customer_message, ack = detail.messages
    mime = received.message
    assert received.rcpt_tos == ("olga@example.ru",)
    assert mime["In-Reply-To"] == customer_message.message_id
    assert mime["Subject"] == "Re: Order 77 missing"
    assert mime["Auto-Submitted"] == "auto-replied"
    text = mime.get_body(("plain",)).get_content()
    # Saturday, Sunday and Monday 23 November (Labour Thanksgiving Day) are closed: the first
    # business hour ends at 10:00 on Tuesday, Tokyo time.
    assert "will answer by 10:00 on Tuesday" in text
    assert HELP_CENTRE in text and "no need to write again" in text
    assert "⟦" not in text
    assert ack.direction == "outbound" and ack.delivery_state == "sent"
    assert ack.author == "Desk (automatic reply)"  # not the customer, not an agent
    # The ticket still waits for a person: the acknowledgement is no first response.
    assert detail.first_response_at is None
    assert detail.status == "new"
    assert detail.first_response_due_at == datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    [row] = auto_replies(db)
    assert (row.ticket_id, row.address, row.message_id) == (ticket_id, "olga@example.ru", ack.id)
    [event] = [e for e in detail.audit if e.action == "auto_reply"]
    assert "by 10:00 on Tuesday" in (event.new_value or "")
    # A second pass, or the same mail seen again, sends nothing more.
    clock.advance(minutes=5)
    assert run_once(worker).acknowledged == 0
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize(
    ("sender", "subject", "body", "promise"),
    [
        (
            "山田 花子 <hanako@example.jp>",
            "注文が届きません",
            "注文番号77です。",
            "火曜日10:00までに",
        ),
        ("Ольга <olga@example.ru>", "Заказ не пришёл", "Где мой заказ?", "во вторник до 10:00"),
    ],
)
def test_the_customers_language_chooses_the_template_and_the_phrasing(
    db, team, clock, office, worker, imap_server, smtp_server, sender, subject, body, promise
):
    imap_server.append(mail(sender=sender, subject=subject, body=body))
    run_once(worker)
    [received] = smtp_server.wait_for_messages(1)
    text = received.message.get_body(("plain",)).get_content()
    assert promise in text
    assert HELP_CENTRE in text


AUTOMATIC = {
    "auto-submitted": {"Auto-Submitted": "auto-replied"},
    "precedence bulk": {"Precedence": "bulk"},
    "precedence list": {"Precedence": "list"},
    "list-id": {"List-Id": "<news.example.ru>"},
    "x-autoreply": {"X-Autoreply": "yes"},
    "null return path": {"Return-Path": "<>"},
}


@pytest.mark.parametrize("kind", sorted(AUTOMATIC))
def test_automatic_and_list_mail_gets_no_acknowledgement(
    db, team, clock, office, worker, imap_server, smtp_server, kind
):
    imap_server.append(mail(headers=AUTOMATIC[kind]))
    summary = run_once(worker)
    assert summary.acknowledged == 0 and smtp_server.messages == []
    assert auto_replies(db) == []
    # It did become a ticket (people may still want to read it); it only got no answer.
    assert Queries(db, None).ticket(last_ticket(db)).subject == "Order 77 missing"


@pytest.mark.parametrize(
    "sender",
    ["MAILER-DAEMON@mx.example.ru", "postmaster@example.ru", "support@desk.test"],
)
def test_bounces_mail_systems_and_our_own_address_get_none(
    db, team, clock, office, worker, imap_server, smtp_server, sender
):
    imap_server.append(mail(sender=sender))
    assert run_once(worker).acknowledged == 0
    assert smtp_server.messages == [] and auto_replies(db) == []


def test_a_second_address_of_ours_counts_as_ours_too(
    db, team, clock, office, store, worker, imap_server, smtp_server
):
    add_account(store, imap_server, smtp_server, name="billing", address="billing@desk.test")
    imap_server.append(mail(sender="Billing <billing@desk.test>"))
    run_once(worker)
    assert auto_replies(db) == []


def test_one_acknowledgement_per_customer_per_window(
    db, team, clock, office, worker, imap_server, smtp_server
):
    imap_server.append(mail(subject="First question"))
    run_once(worker)
    clock.advance(hours=2)
    imap_server.append(mail(subject="Second question", at=clock() - timedelta(minutes=1)))
    run_once(worker)
    assert len(auto_replies(db)) == 1 and len(smtp_server.wait_for_messages(1)) == 1
    # After the window (a team setting, 24 hours unless changed) the customer hears again.
    save_setting(db, None, "after_hours.ack_window_hours", "1", clock)
    clock.advance(hours=1)
    imap_server.append(mail(subject="Third question", at=clock() - timedelta(minutes=1)))
    run_once(worker)
    assert len(auto_replies(db)) == 2
    assert len(smtp_server.wait_for_messages(2)) == 2


def test_mail_in_office_hours_is_not_acknowledged(
    db, team, clock, office, worker, imap_server, smtp_server
):
    # Tuesday 24 November, 10:30 in Tokyo.
    tuesday = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)
    clock.now = tuesday + timedelta(minutes=1)
    imap_server.append(mail(at=tuesday))
    assert run_once(worker).acknowledged == 0 and auto_replies(db) == []


def test_switched_off_or_without_template_nothing_is_sent(
    db, team, clock, account_id, worker, imap_server, smtp_server
):
    tokyo_office(db, team.admin, clock)  # no templates yet
    imap_server.append(mail())
    assert run_once(worker).acknowledged == 0
    after_hours_templates(db)
    save_setting(db, None, "after_hours.enabled", "false", clock)
    assert run_once(worker).acknowledged == 0
    save_setting(db, None, "after_hours.enabled", "true", clock)
    # The template that was missing at first arrived: the ticket is acknowledged now.
    assert run_once(worker).acknowledged == 1
    assert len(smtp_server.wait_for_messages(1)) == 1


def test_two_workers_racing_send_one_acknowledgement(db, team, clock, office, store):
    from desk_app.store.mail_store import InboundMail

    raw = mail()
    store.start_folder(1, "INBOX", 7)
    store.ingest(
        1,
        "INBOX",
        7,
        101,
        InboundMail(
            raw=raw,
            message_id="<race@example.ru>",
            in_reply_to=None,
            references=(),
            subject="Order 77 missing",
            from_name="Olga Petrova",
            from_address="olga@example.ru",
            date=FRIDAY_EVENING,
            text="Hello, where is my order?",
            html=None,
        ),
    )
    ticket_id = last_ticket(db)
    assert ack_candidates(db, clock(), read_settings(db)) == [ticket_id]
    outcomes = race(
        db.url, lambda worker_db: AfterHoursCommands(worker_db, clock).acknowledge(ticket_id)
    )
    assert sorted(o.sent for o in outcomes) == [False, True]
    assert len(auto_replies(db)) == 1
    with db.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(OutboxItem)) == 1


def test_the_continuous_worker_acknowledges_with_every_desktop_closed(
    db, team, clock, office, imap_server, smtp_server
):
    options = WorkerOptions(
        poll_seconds=0.3, renew_seconds=1.0, send_seconds=0.2, oncall_seconds=0.2
    )
    worker = MailWorker(db, options, clock=clock, password_for=lambda _n: imap_server.password)
    imap_server.append(mail())

    async def run_until_sent() -> None:
        task = asyncio.create_task(worker.run_forever())
        for _ in range(150):
            if smtp_server.messages:
                break
            await asyncio.sleep(0.1)
        worker.stop()
        await task

    asyncio.run(run_until_sent())
    [received] = smtp_server.messages
    assert "by 10:00 on Tuesday" in received.message.get_body(("plain",)).get_content()
    assert len(auto_replies(db)) == 1
