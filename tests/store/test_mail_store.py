"""Mail ingest, threading, the outbox and leases against real databases."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
import sqlalchemy as sa

from desk_app.core.errors import ConflictError, InvalidInput, NotFound, PermissionDenied
from desk_app.store import Queries, Service
from desk_app.store.mail_store import InboundMail, MailStore
from desk_app.store.models import CustomerIdentity, Message, RawMail


def mail(
    n: int,
    subject: str = "Order 77 missing",
    sender: str = "Olga@Example.ru",
    *,
    in_reply_to: str | None = None,
    references: tuple[str, ...] = (),
    **extra,
) -> InboundMail:
    return InboundMail(
        raw=f"raw {n}".encode(),
        message_id=f"<m{n}@example.ru>",
        in_reply_to=in_reply_to,
        references=references,
        subject=subject,
        from_name="Ольга",
        from_address=sender.lower(),
        date=None,
        text=f"message {n}",
        html=None,
        **extra,
    )


@pytest.fixture
def store(db, team, clock) -> MailStore:
    return MailStore(db, None, clock)


@pytest.fixture
def account(store) -> int:
    return store.add_account(
        "support",
        address="Support@Desk.test",
        username="support",
        imap_host="127.0.0.1",
        smtp_host="127.0.0.1",
        security="none",
        department="Support",
    )


def test_a_new_conversation_becomes_a_ticket_in_the_accounts_department(store, account, db):
    result = store.ingest(account, "INBOX", 7, 101, mail(1))
    assert result.outcome == "new_ticket"
    detail = Queries(db, None).ticket(result.ticket_id)
    assert detail.department == "Support" and detail.channel == "email"
    assert detail.customer.emails == ["olga@example.ru"]
    assert detail.messages[0].message_id == "<m1@example.ru>"
    assert store.folder_position(account, "INBOX") == (7, 101)


def test_replies_thread_by_headers_then_by_subject(store, account, db, clock):
    first = store.ingest(account, "INBOX", 7, 101, mail(1))
    by_header = store.ingest(
        account, "INBOX", 7, 102, mail(2, "Something else", in_reply_to="<m1@example.ru>")
    )
    assert (by_header.outcome, by_header.ticket_id) == ("threaded", first.ticket_id)
    assert by_header.reason.startswith("In-Reply-To")
    by_refs = store.ingest(
        account, "INBOX", 7, 103, mail(3, "x", references=("<zz@x>", "<m2@example.ru>"))
    )
    assert by_refs.ticket_id == first.ticket_id and by_refs.reason.startswith("References")
    by_subject = store.ingest(
        account, "INBOX", 7, 104, mail(4, "Отв: RE: [Support] order 77 MISSING")
    )
    assert (by_subject.ticket_id, by_subject.reason) == (
        first.ticket_id,
        "same customer and subject",
    )
    other_customer = store.ingest(account, "INBOX", 7, 105, mail(5, sender="ivan@example.ru"))
    assert other_customer.outcome == "new_ticket"


def test_replies_reopen_solved_tickets_and_follow_up_closed_ones(store, account, db, team, clock):
    first = store.ingest(account, "INBOX", 7, 101, mail(1))
    anna = Service(db, team.anna, clock)
    anna.set_status(first.ticket_id, "solved")
    again = store.ingest(account, "INBOX", 7, 102, mail(2, in_reply_to="<m1@example.ru>"))
    assert again.ticket_id == first.ticket_id
    assert Queries(db, None).ticket(first.ticket_id).status == "open"
    anna.set_status(first.ticket_id, "closed")
    later = store.ingest(account, "INBOX", 7, 103, mail(3, in_reply_to="<m2@example.ru>"))
    assert later.outcome == "follow_up" and later.ticket_id != first.ticket_id
    assert f"#{first.ticket_id}" in later.reason


def test_the_same_mail_twice_is_stored_once(store, account, db):
    first = store.ingest(account, "INBOX", 7, 101, mail(1))
    same_uid = store.ingest(account, "INBOX", 7, 101, mail(1))
    assert same_uid.outcome == "duplicate"
    # After a UIDVALIDITY change the same message comes back under a new UID.
    store.start_folder(account, "INBOX", 8)
    assert store.folder_position(account, "INBOX") == (8, 0)
    resynced = store.ingest(account, "INBOX", 8, 1, mail(1))
    assert resynced.outcome == "duplicate" and resynced.message_id == first.message_id
    assert Queries(db, None).stats()["messages"] == 1


def test_a_bounce_of_our_reply_becomes_a_note_and_fails_the_reply(store, account, db, team, clock):
    first = store.ingest(account, "INBOX", 7, 101, mail(1))
    reply = Service(db, team.anna, clock).reply(first.ticket_id, "We are on it")
    sent_id = Queries(db, None).ticket(first.ticket_id).messages[-1].message_id
    bounce = mail(
        2,
        "Undelivered Mail",
        "mailer-daemon@example.ru",
        auto_kind="bounce",
        bounced_message_id=sent_id,
    )
    result = store.ingest(account, "INBOX", 7, 102, bounce)
    assert (result.outcome, result.ticket_id) == ("bounce_note", first.ticket_id)
    messages = Queries(db, None).ticket(first.ticket_id).messages
    assert messages[-1].direction == "note"
    assert next(m for m in messages if m.id == reply.message_id).delivery_state == "failed"


def test_unreadable_mail_is_kept_with_a_warning(store, account, db):
    broken = mail(1, "", warnings=("the body could not be decoded",), failed=True)
    result = store.ingest(account, "INBOX", 7, 101, broken)
    assert result.outcome == "new_ticket"
    detail = Queries(db, None).ticket(result.ticket_id)
    assert detail.subject == "(no subject)"


def test_outbox_claim_send_retry_and_fail(store, account, db, team, clock):
    first = store.ingest(account, "INBOX", 7, 101, mail(1))
    anna = Service(db, team.anna, clock)
    anna.reply(first.ticket_id, "Reply one")
    claimed = store.claim_outgoing()
    assert len(claimed) == 1 and store.claim_outgoing() == []  # claimed once
    out = claimed[0]
    assert (out.from_address, out.to_address) == ("support@desk.test", "olga@example.ru")
    assert out.in_reply_to == "<m1@example.ru>" and out.message_id.startswith("<")
    store.mark_retry(out.outbox_id, "451 try later", clock() + timedelta(minutes=1))
    assert store.claim_outgoing() == []  # not due yet
    clock.advance(minutes=2)
    again = store.claim_outgoing()
    assert [m.outbox_id for m in again] == [out.outbox_id] and again[0].attempts == 2
    store.mark_failed(out.outbox_id, "550 mailbox unavailable")
    message = Queries(db, None).ticket(first.ticket_id).messages[-1]
    assert (message.delivery_state, message.delivery_error) == ("failed", "550 mailbox unavailable")
    Service(db, team.anna, clock).retry_replies(first.ticket_id, message_id=message.id)
    store.mark_sent(store.claim_outgoing()[0].outbox_id)
    assert Queries(db, None).ticket(first.ticket_id).messages[-1].delivery_state == "sent"
    assert store.account("support").failed == 0


def test_a_stalled_send_is_requeued(store, account, db, team, clock):
    first = store.ingest(account, "INBOX", 7, 101, mail(1))
    Service(db, team.anna, clock).reply(first.ticket_id, "Reply")
    assert len(store.claim_outgoing()) == 1
    clock.advance(minutes=10)
    assert store.requeue_stalled(timedelta(minutes=5)) == 1
    assert len(store.claim_outgoing()) == 1


def test_leases_exclude_others_until_they_expire(store, clock):
    ttl = timedelta(seconds=30)
    assert store.acquire_lease("mail:1", "worker-a", ttl)
    assert not store.acquire_lease("mail:1", "worker-b", ttl)
    clock.advance(seconds=20)
    assert store.acquire_lease("mail:1", "worker-a", ttl)  # renewal
    clock.advance(seconds=31)
    assert store.acquire_lease("mail:1", "worker-b", ttl)  # a dead worker's lease ran out
    store.release_lease("mail:1", "worker-b")
    assert store.acquire_lease("mail:1", "worker-a", ttl)


def test_account_validation(store, account):
    with pytest.raises(ConflictError):
        store.add_account("support", address="a@b.c", username="u", imap_host="h", smtp_host="h")
    with pytest.raises(InvalidInput):
        store.add_account(
            "x", address="a@b.c", username="u", imap_host="h", smtp_host="h", security="tls"
        )
    with pytest.raises(InvalidInput):
        store.add_account(
            "x", address="a@b.c", username="u", imap_host="h", smtp_host="h", after_import="delete"
        )
    for ports in ({"imap_port": 0}, {"smtp_port": 65536}, {"imap_port": -993}):
        with pytest.raises(InvalidInput, match="a port must be from 1 to 65535"):
            store.add_account(
                "x", address="a@b.c", username="u", imap_host="h", smtp_host="h", **ports
            )
    assert [a.name for a in store.accounts()] == ["support"]
    store.remove_account("support")
    assert store.accounts() == []


def no_message_id(body: str, *, trace: bytes = b"") -> InboundMail:
    """Mail as some scanners and scripts send it: no Message-ID header at all."""
    raw = (
        trace + b"From: Scanner <scanner@example.ru>\r\nTo: support@desk.test\r\n"
        b"Subject: Scan\r\nDate: Mon, 23 Nov 2026 08:00:00 +0000\r\n\r\n" + body.encode() + b"\r\n"
    )
    return InboundMail(
        raw=raw,
        message_id=None,
        in_reply_to=None,
        references=(),
        subject="Scan",
        from_name="Scanner",
        from_address="scanner@example.ru",
        date=None,
        text=body,
        html=None,
    )


def test_mail_without_a_message_id_is_deduped_by_its_content(store, account, db):
    first = store.ingest(account, "INBOX", 7, 101, no_message_id("page 1"))
    assert first.outcome == "new_ticket"
    # The mailbox is rebuilt (new UIDVALIDITY); the server added a trace header on the way.
    store.start_folder(account, "INBOX", 8)
    again = store.ingest(
        account, "INBOX", 8, 1, no_message_id("page 1", trace=b"Received: from mx by imap\r\n")
    )
    assert (again.outcome, again.message_id) == ("duplicate", first.message_id)
    assert "headers and body" in again.reason
    # Another e-mail without a Message-ID, differing only in its body, is new.
    other = store.ingest(account, "INBOX", 8, 2, no_message_id("page 2"))
    assert other.outcome != "duplicate" and other.message_id != first.message_id
    assert Queries(db, None).stats()["messages"] == 2


def test_content_key_ignores_line_endings_and_transport_headers_only():
    from desk_app.core.mail_identity import content_key

    crlf = b"Received: from a\r\n\tby b\r\nSubject: Hi\r\nX-Mailer: m\r\n\r\nbody\r\n"
    lf = b"Subject: Hi\nX-Mailer: n\nReturn-Path: <x@y>\nDKIM-Signature: v=1;\n b=zz\n\nbody\n"
    assert content_key(crlf) == content_key(lf)
    assert content_key(crlf).startswith("content-sha256:")
    assert content_key(lf) != content_key(lf.replace(b"body", b"Body"))
    assert content_key(lf) != content_key(lf.replace(b"Subject: Hi", b"Subject: Ho"))


def parsed(raw: bytes) -> InboundMail:
    from desk_app.mail.parse import parse_message
    from desk_app.worker.imap_ingest import to_inbound

    return to_inbound(raw, parse_message(raw))


def test_a_reused_message_id_on_other_content_is_another_mail(store, account, db, caplog):
    """Issue 14 item 1, at the store: of twelve deliveries sharing Message-IDs (or having
    none), the eight distinct e-mails are stored and the transport copies are not."""
    from tests.worker.mails import reused_message_id_corpus

    deliveries, distinct = reused_message_id_corpus()
    with caplog.at_level("WARNING", logger="desk_app.store.mail_store"):
        results = [
            store.ingest(account, "INBOX", 7, uid, parsed(raw))
            for uid, raw in enumerate(deliveries, start=1)
        ]
    outcomes = [result.outcome == "duplicate" for result in results]
    # The copies (CC'd to a second address) are duplicates of the mail just before them.
    assert outcomes == [
        False,
        True,
        False,
        False,
        True,
        False,
        True,
        False,
        False,
        True,
        False,
        False,
    ]
    for n, result in enumerate(results):
        if result.outcome == "duplicate":
            assert result.message_id == results[n - 1].message_id
    stored = {result.message_id for result in results}
    assert len(stored) == distinct
    assert Queries(db, None).stats()["messages"] == distinct
    with db.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(RawMail)) == len(deliveries)
        bodies = session.scalars(sa.select(Message.body_text).order_by(Message.id)).all()
    assert any("Parcel 2" in body for body in bodies) and any(
        "cancelled" in body for body in bodies
    )
    # Each reuse of a Message-ID on other content is noted, naming the account and the ID.
    noted = [r.getMessage() for r in caplog.records if "different content" in r.getMessage()]
    assert len(noted) == 3
    assert all("'support'" in line for line in noted)
    assert sum("<notification@courier.example.com>" in line for line in noted) == 2
    assert sum("<order-1001@courier.example.com>" in line for line in noted) == 1
    # Copies were recognised per account too: a second account's copy is a duplicate.
    sales = store.add_account(
        "sales",
        address="sales@desk.test",
        username="sales",
        imap_host="127.0.0.1",
        smtp_host="127.0.0.1",
        security="none",
    )
    again = store.ingest(sales, "INBOX", 1, 1, parsed(deliveries[2]))
    assert (again.outcome, again.message_id) == ("duplicate", results[2].message_id)


def test_a_reply_to_a_reused_message_id_threads_onto_the_earliest_mail(store, account, db):
    first = store.ingest(account, "INBOX", 7, 1, mail(1, "Parcel 1"))
    reused = dataclasses.replace(
        mail(2, "Parcel 2", sender="other@example.ru"), message_id="<m1@example.ru>"
    )
    second = store.ingest(account, "INBOX", 7, 2, reused)
    assert second.outcome == "new_ticket" and second.ticket_id != first.ticket_id
    reply = store.ingest(
        account, "INBOX", 7, 3, mail(3, "Something else", in_reply_to="<m1@example.ru>")
    )
    assert (reply.outcome, reply.ticket_id) == ("threaded", first.ticket_id)


def test_mail_without_a_message_id_is_merged_only_when_identical(store, account, db):
    from tests.worker.mails import delivered, notification

    scan = notification(0, None, "Scan", "Scanned page 1")
    first = store.ingest(account, "INBOX", 7, 1, parsed(delivered(scan, to="a@desk.test", hop="a")))
    copy = store.ingest(account, "INBOX", 7, 2, parsed(delivered(scan, to="b@desk.test", hop="bb")))
    assert (copy.outcome, copy.message_id) == ("duplicate", first.message_id)
    other_date = scan.replace(b"Date: Mon, 16 Nov", b"Date: Tue, 17 Nov")
    later = store.ingest(account, "INBOX", 7, 3, parsed(other_date))
    assert later.outcome != "duplicate" and later.message_id != first.message_id


def test_claim_takes_only_replies_of_the_given_accounts(store, account, db, team, clock):
    billing = store.add_account(
        "billing",
        address="billing@desk.test",
        username="billing",
        imap_host="127.0.0.1",
        smtp_host="127.0.0.1",
        security="none",
        department="Billing",
    )
    support_ticket = store.ingest(account, "INBOX", 7, 101, mail(1)).ticket_id
    billing_ticket = store.ingest(billing, "INBOX", 3, 5, mail(2, "Invoice", "ivan@x.ru")).ticket_id
    anna = Service(db, team.anna, clock)
    anna.reply(support_ticket, "From support")
    Service(db, team.lead, clock).reply(billing_ticket, "From billing")
    assert store.claim_outgoing(account_ids=[]) == []
    [ours] = store.claim_outgoing(account_ids=[billing])
    assert (ours.account_id, ours.ticket_id) == (billing, billing_ticket)
    assert store.claim_outgoing(account_ids=[billing]) == []
    # The support reply waited, queued, for the worker that holds the support account.
    [theirs] = store.claim_outgoing(account_ids=[account, billing])
    assert (theirs.account_id, theirs.ticket_id) == (account, support_ticket)


def test_claim_follows_the_fallback_account_and_fails_replies_with_none(
    store, account, db, team, clock
):
    ticket = store.ingest(account, "INBOX", 7, 101, mail(1)).ticket_id
    anna = Service(db, team.anna, clock)
    anna.reply(ticket, "First")
    backup = store.add_account(
        "backup",
        address="backup@desk.test",
        username="backup",
        imap_host="127.0.0.1",
        smtp_host="127.0.0.1",
        security="none",
        department="Support",
    )
    store.remove_account("support")  # the ticket's own account is gone; its department's next
    assert store.claim_outgoing(account_ids=[account]) == []
    [claimed] = store.claim_outgoing(account_ids=[backup])
    assert claimed.account_id == backup and claimed.from_address == "backup@desk.test"
    store.mark_sent(claimed.outbox_id)
    store.remove_account("backup")  # now no account at all can send the next reply
    anna.reply(ticket, "Second")
    assert store.claim_outgoing(account_ids=[12345]) == []  # taken, and failed with the reason
    message = Queries(db, None).ticket(ticket).messages[-1]
    assert message.delivery_state == "failed"
    assert "no active mail account" in (message.delivery_error or "")


def unreadable(n: int, from_header: str, subject: str = "Help") -> InboundMail:
    return dataclasses.replace(
        mail(n, subject),
        from_address=None,
        from_name="",
        from_header=from_header,
        warnings=(f"the sender's address could not be read (From: {from_header})",),
    )


def test_unreadable_senders_are_told_apart_by_their_from_header(store, account, db):
    """Issue 14 item 8: two unreadable From headers are two customers, one header twice is
    one, a mail without any From header gets its own; nobody shares a placeholder."""
    first = store.ingest(account, "INBOX", 7, 1, unreadable(1, "Sales <sales at example>"))
    again = store.ingest(account, "INBOX", 7, 2, unreadable(2, "Sales <sales at example>", "x"))
    other = store.ingest(account, "INBOX", 7, 3, unreadable(3, "Billing <billing at example>"))
    long_a = "Z" * 400 + " a"
    long_b = "Z" * 400 + " b"
    long_1 = store.ingest(account, "INBOX", 7, 4, unreadable(4, long_a))
    long_2 = store.ingest(account, "INBOX", 7, 5, unreadable(5, long_b))
    none_1 = store.ingest(account, "INBOX", 7, 6, unreadable(6, "", "No sender"))
    none_2 = store.ingest(account, "INBOX", 7, 7, unreadable(7, "", "No sender"))
    queries = Queries(db, None)
    customer = {r: queries.ticket(r.ticket_id).customer for r in (first, again, other)}
    customer |= {r: queries.ticket(r.ticket_id).customer for r in (long_1, long_2)}
    customer |= {r: queries.ticket(r.ticket_id).customer for r in (none_1, none_2)}
    assert customer[first].id == customer[again].id
    ids = {customer[r].id for r in (first, other, long_1, long_2, none_1, none_2)}
    assert len(ids) == 6
    assert customer[first].name == "Sales <sales at example>" and customer[first].emails == []
    assert "unknown-sender@invalid.invalid" not in str([c.emails for c in customer.values()])
    # The ticket says so, on the message (the conversation shows these lines).
    [message] = queries.ticket(other.ticket_id).messages
    assert message.warnings == [
        "the sender's address could not be read (From: Billing <billing at example>)"
    ]
    with db.read() as session:
        values = session.scalars(
            sa.select(CustomerIdentity.value).where(CustomerIdentity.kind == "raw_from")
        ).all()
    assert sorted(values)[0] == "Billing <billing at example>" and len(values) == 4
    assert all(len(value) <= 320 for value in values)


def test_a_reply_to_an_unreadable_sender_fails_with_the_reason(store, account, db, team, clock):
    ticket = store.ingest(account, "INBOX", 7, 1, unreadable(1, "Sales <sales at example>"))
    reply = Service(db, team.anna, clock).reply(ticket.ticket_id, "Hello")
    assert store.claim_outgoing(account_ids=[account]) == []
    message = next(
        m for m in Queries(db, None).ticket(ticket.ticket_id).messages if m.id == reply.message_id
    )
    assert message.delivery_state == "failed"
    assert message.delivery_error == (
        "the sender's address could not be read from their e-mail "
        "(From: Sales <sales at example>); add the customer's e-mail address, then retry"
    )


def _failed_reply(store, account, db, team) -> tuple[int, int]:
    first = store.ingest(account, "INBOX", 7, 101, mail(1))
    Service(db, team.anna, store.clock).reply(first.ticket_id, "Reply one")
    store.mark_failed(store.claim_outgoing()[0].outbox_id, "550 mailbox unavailable")
    return first.ticket_id, Queries(db, None).ticket(first.ticket_id).messages[-1].id


def test_retrying_a_failed_reply_is_ticket_work_and_audited(store, account, db, team, clock):
    ticket_id, message_id = _failed_reply(store, account, db, team)
    # Boris works in Billing; the ticket is Support's.
    with pytest.raises(PermissionDenied):
        Service(db, team.boris, clock).retry_replies(ticket_id)
    with pytest.raises(NotFound):  # not one of this ticket's failed replies
        Service(db, team.anna, clock).retry_replies(ticket_id, message_id=message_id + 1000)
    Service(db, team.anna, clock).retry_replies(ticket_id)
    detail = Queries(db, None).ticket(ticket_id)
    assert detail.messages[-1].delivery_state == "queued"
    assert detail.messages[-1].delivery_error is None
    retried = [e for e in detail.audit if e.action == "retry_delivery"]
    assert [(e.actor, e.old_value) for e in retried] == [
        ("Anna Ivanova", "550 mailbox unavailable")
    ]
    with pytest.raises(NotFound):  # queued again: nothing failed is left to retry
        Service(db, team.anna, clock).retry_replies(ticket_id)
    assert [m.message_row_id for m in store.claim_outgoing()] == [message_id]
