"""Sending queued replies to a real aiosmtpd server: MIME, retries, failures, reuse."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from desk_app.store import Queries, Service
from desk_app.store.models import OutboxItem
from tests.mail.servers import REPLY_421, REPLY_451, REPLY_550
from tests.worker.conftest import run_once
from tests.worker.mails import simple


def customer_ticket(worker, imap_server, db, subject: str = "Order 77 missing") -> int:
    raw, _ = simple(subject)
    imap_server.append(raw)
    run_once(worker)
    return _last_ticket(db)


def _last_ticket(db) -> int:
    with db.read() as session:
        return session.scalar(sa.text("SELECT max(id) FROM tickets"))


def reply(db, team, clock, ticket_id: int, body: str = "Your parcel left today.\n\nAnna"):
    return Service(db, team.anna, clock).reply(ticket_id, body)


def outbox(db) -> list[OutboxItem]:
    with db.read() as session:
        return list(session.scalars(sa.select(OutboxItem).order_by(OutboxItem.id)))


def test_a_reply_goes_out_with_threading_headers_and_both_parts(
    db, team, clock, account_id, worker, imap_server, smtp_server
):
    ticket_id = customer_ticket(worker, imap_server, db)
    result = reply(db, team, clock, ticket_id, "Dear Olga,\n\n<b>not bold</b> & more\nAnna")
    summary = run_once(worker)
    assert (summary.sent, summary.retry, summary.failed) == (1, 0, 0)
    [received] = smtp_server.wait_for_messages(1)
    detail = Queries(db, None).ticket(ticket_id)
    customer_message, stored = detail.messages[0], detail.messages[-1]
    assert stored.id == result.message_id and stored.delivery_state == "sent"
    mime = received.message
    assert mime["Message-ID"] == stored.message_id
    assert mime["In-Reply-To"] == customer_message.message_id
    assert customer_message.message_id in mime["References"]
    assert mime["From"].addresses[0].display_name == "Support"
    assert mime["From"].addresses[0].addr_spec == "support@desk.test"
    assert mime["To"].addresses[0].addr_spec == "olga@example.ru"
    assert mime["Subject"] == "Re: Order 77 missing" and mime["Date"] is not None
    assert received.rcpt_tos == ("olga@example.ru",)
    text = mime.get_body(("plain",)).get_content()
    html = mime.get_body(("html",)).get_content()
    assert "<b>not bold</b> & more" in text
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp; more" in html and "<b>" not in html


def test_replies_share_one_connection(
    db, team, clock, account_id, worker, imap_server, smtp_server
):
    ticket_id = customer_ticket(worker, imap_server, db)
    for n in range(3):
        reply(db, team, clock, ticket_id, f"Update {n}")
    assert run_once(worker).sent == 3
    assert len(smtp_server.messages) == 3 and smtp_server.connections == 1


def test_451_is_retried_later_with_backoff_then_sent(
    db, team, clock, account_id, worker, imap_server, smtp_server
):
    ticket_id = customer_ticket(worker, imap_server, db)
    reply(db, team, clock, ticket_id)
    smtp_server.fail_next(REPLY_451)
    summary = run_once(worker)
    assert (summary.sent, summary.retry) == (0, 1)
    [item] = outbox(db)
    assert item.state == "queued" and "451" in item.last_error
    delay = item.next_attempt_at - clock()
    assert timedelta(seconds=24) <= delay <= timedelta(seconds=36)  # 30 s ± 20 %
    assert run_once(worker).sent == 0  # not due yet
    clock.advance(seconds=40)
    assert run_once(worker).sent == 1
    assert outbox(db)[0].state == "sent" and len(smtp_server.messages) == 1


def test_550_fails_the_reply_with_the_servers_words(
    db, team, clock, account_id, worker, imap_server, smtp_server
):
    ticket_id = customer_ticket(worker, imap_server, db)
    result = reply(db, team, clock, ticket_id)
    smtp_server.fail_always(REPLY_550)
    summary = run_once(worker)
    assert summary.failed == 1
    message = Queries(db, None).ticket(ticket_id).messages[-1]
    assert message.id == result.message_id
    assert message.delivery_state == "failed"
    assert "550" in message.delivery_error and "Mailbox unavailable" in message.delivery_error
    store_account = worker.store.account("support")
    assert store_account.failed == 1
    # The agent's retry queues it again with the same Message-ID.
    smtp_server.clear_failures()
    Service(db, team.anna, clock).retry_replies(result.ticket_id)
    assert run_once(worker).sent == 1
    assert smtp_server.messages[0].message["Message-ID"] == message.message_id


def test_421_and_an_outage_are_retried_then_sent(
    db, team, clock, account_id, worker, imap_server, smtp_server
):
    ticket_id = customer_ticket(worker, imap_server, db)
    reply(db, team, clock, ticket_id, "first")
    reply(db, team, clock, ticket_id, "second")
    smtp_server.fail_next(REPLY_421)
    summary = run_once(worker)
    # The 421 closes the connection; the second reply goes out over a new one.
    assert (summary.sent, summary.retry) == (1, 1)
    with smtp_server.outage():
        clock.advance(seconds=40)
        summary = run_once(worker)
        assert (summary.sent, summary.retry) == (0, 1)
        assert "server unreachable" in summary.send_errors[0]
        assert "server unreachable" in worker.store.account("support").last_error
    clock.advance(minutes=5)
    assert run_once(worker).sent == 1
    assert sorted(
        m.message.get_body(("plain",)).get_content().strip() for m in smtp_server.messages
    ) == ["first", "second"]
    assert all(item.state == "sent" for item in outbox(db))


def test_smtp_wrong_password_keeps_the_reply_queued(
    db, team, clock, store, imap_server, smtp_auth_server, worker
):
    from tests.worker.conftest import add_account

    add_account(store, imap_server, smtp_auth_server)
    ticket_id = customer_ticket(worker, imap_server, db)
    reply(db, team, clock, ticket_id)
    summary = run_once(worker)  # the IMAP password is not the SMTP one
    assert summary.retry == 1 and summary.failed == 0
    assert "auth failed" in store.account("support").last_error
    assert outbox(db)[0].state == "queued"


def test_smtp_login_and_send_with_the_right_password(
    db, team, clock, store, imap_server, smtp_auth_server
):
    from desk_app.worker.runner import MailWorker
    from tests.mail.servers import SMTP_PASSWORD, SMTP_USERNAME
    from tests.worker.conftest import FAST, add_account

    account_id = add_account(store, imap_server, smtp_auth_server, username=SMTP_USERNAME)
    ticket_id = store.ingest(account_id, "INBOX", 1, 1, _inbound()).ticket_id
    reply(db, team, clock, ticket_id)
    worker = MailWorker(db, FAST, clock=clock, password_for=lambda _n: SMTP_PASSWORD)
    summary = run_once(worker)  # IMAP login fails (other password), sending works
    assert summary.sent == 1 and "auth failed" in summary.accounts[0].error
    assert smtp_auth_server.messages[0].auth_username == SMTP_USERNAME


def _inbound():
    from desk_app.mail.parse import parse_message
    from desk_app.worker.imap_ingest import to_inbound

    raw, _ = simple()
    return to_inbound(raw, parse_message(raw))


def test_two_workers_on_different_accounts_never_send_each_others_mail(
    db, team, clock, store, imap_server, smtp_server, smtp_server_factory
):
    from desk_app.mail.parse import parse_message
    from desk_app.worker import leases
    from desk_app.worker.imap_ingest import to_inbound
    from desk_app.worker.runner import MailWorker
    from tests.worker.conftest import FAST, add_account

    billing_smtp = smtp_server_factory()
    support = add_account(store, imap_server, smtp_server)
    billing = add_account(
        store, imap_server, billing_smtp, name="billing", address="billing@desk.test",
        department="Billing",
    )  # fmt: skip
    tickets = {}
    for account, subject in ((support, "Parcel"), (billing, "Invoice")):
        raw, _ = simple(subject, sender=f"{subject.lower()}@example.ru")
        tickets[account] = store.ingest(
            account, "INBOX", 1, 1, to_inbound(raw, parse_message(raw))
        ).ticket_id
    reply(db, team, clock, tickets[support], "from support")
    Service(db, team.lead, clock).reply(tickets[billing], "from billing")

    def worker_as(holder: str) -> MailWorker:
        password = imap_server.password
        return MailWorker(db, FAST, clock=clock, password_for=lambda _n: password, holder=holder)

    # Another machine's worker holds the billing account (and is alive: its lease is fresh).
    elsewhere = "other-host:4242:abcdef"
    ttl = timedelta(seconds=30)
    assert store.acquire_lease(leases.lease_name(billing), elsewhere, ttl)
    summary = run_once(worker_as("this-host:1:aaaaaa"))
    assert summary.sent == 1 and [a.skipped is None for a in summary.accounts] == [False, True]
    assert [m.rcpt_tos for m in smtp_server.messages] == [("parcel@example.ru",)]
    assert billing_smtp.messages == []
    assert [item.state for item in outbox(db)] == ["sent", "queued"]
    # The billing reply goes out with the worker that holds the billing lease.
    assert run_once(worker_as(elsewhere)).sent == 1
    assert [m.rcpt_tos for m in billing_smtp.messages] == [("invoice@example.ru",)]
    assert len(smtp_server.messages) == 1
    assert [item.state for item in outbox(db)] == ["sent", "sent"]


def test_temporary_failures_give_up_after_48_hours_by_default(
    db, team, clock, account_id, worker, imap_server, smtp_server
):
    """Issue 14 item 7: a reply that keeps getting 4xx is not retried for ever."""
    ticket_id = customer_ticket(worker, imap_server, db)
    result = reply(db, team, clock, ticket_id)
    smtp_server.fail_always(REPLY_451)
    assert run_once(worker).retry == 1  # the first attempt starts the 48 hours
    clock.advance(hours=47)
    summary = run_once(worker)
    assert (summary.retry, summary.failed) == (1, 0)
    [item] = outbox(db)
    assert item.state == "queued" and item.next_attempt_at <= clock() + timedelta(hours=1)
    clock.advance(hours=1)
    summary = run_once(worker)
    assert (summary.retry, summary.failed) == (0, 1)
    message = Queries(db, None).ticket(ticket_id).messages[-1]
    assert message.id == result.message_id and message.delivery_state == "failed"
    assert message.delivery_error == (
        "gave up after 48 hours of temporary failures: " + REPLY_451
    ) or message.delivery_error.startswith("gave up after 48 hours of temporary failures: 451")
    assert outbox(db)[0].state == "failed"
    assert worker.store.account("support").failed == 1
    assert len(smtp_server.messages) == 0
    # The agent's retry starts a new round, which goes out once the server takes it.
    smtp_server.clear_failures()
    Service(db, team.anna, clock).retry_replies(result.ticket_id)
    assert run_once(worker).sent == 1
    assert outbox(db)[0].state == "sent"


def test_the_retry_limit_is_a_team_setting_and_covers_outages(
    db, team, clock, account_id, worker, imap_server, smtp_server
):
    from desk_app.store.oncall_settings import save_setting

    save_setting(db, team.lead, "outbox_retry_hours", "2", clock)
    ticket_id = customer_ticket(worker, imap_server, db)
    result = reply(db, team, clock, ticket_id)
    with smtp_server.outage():
        attempts = 0
        while outbox(db)[0].state == "queued":
            assert attempts < 20 and clock() - outbox(db)[0].created_at <= timedelta(hours=2)
            clock.advance(seconds=(outbox(db)[0].next_attempt_at - clock()).total_seconds())
            run_once(worker)
            attempts += 1
    message = Queries(db, None).ticket(ticket_id).messages[-1]
    assert message.id == result.message_id and message.delivery_state == "failed"
    assert message.delivery_error.startswith("gave up after 2 hours of temporary failures: ")
    assert "unreachable" in message.delivery_error
    assert attempts > 5  # backoff: 30 s, 1 min, 2 min... then hourly, up to the limit
    # The agent's retry works on it like on a refused reply.
    Service(db, team.anna, clock).retry_replies(result.ticket_id)
    assert run_once(worker).sent == 1
