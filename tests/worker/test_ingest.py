"""IMAP ingest end to end: pymap → worker → tickets, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa

from desk_app.store import Queries
from desk_app.store.models import Message, RawMail
from tests.worker.conftest import add_account, run_once
from tests.worker.mails import encoded, reused_message_id_corpus, simple

CHARSETS = [
    ("iso-2022-jp", "注文について", "荷物がまだ届きません。"),
    ("shift_jis", "返品のお願い", "サイズが合いませんでした。"),
    ("euc-jp", "請求書", "請求書を送ってください。"),
    ("koi8-r", "Заказ не пришёл", "Где мой заказ?"),
    ("windows-1251", "Счёт на оплату", "Пришлите счёт, пожалуйста."),
    ("utf-8", "Grüße aus Köln", "Ünïcödé body ✓"),
]


def ticket_messages(db) -> list[Message]:
    with db.read() as session:
        return list(session.scalars(sa.select(Message).order_by(Message.id)))


def count(db, model) -> int:
    with db.read() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_mail_in_several_charsets_becomes_tickets(db, store, account_id, worker, imap_server):
    sent = [
        encoded(charset, subject, body, n) for n, (charset, subject, body) in enumerate(CHARSETS)
    ]
    uids = imap_server.append_many(raw for raw, _ in sent)
    summary = run_once(worker)
    assert summary.accounts[0].stored == len(CHARSETS) and summary.accounts[0].error is None
    queries = Queries(db, None)
    by_id = {m.message_id: m for m in ticket_messages(db)}
    for (_, message_id), (charset, subject, body) in zip(sent, CHARSETS, strict=True):
        message = by_id[message_id]
        assert message.subject == subject, charset
        assert body in message.body_text, charset
        assert queries.ticket(message.ticket_id).department == "Support"
    assert count(db, RawMail) == len(CHARSETS)
    # keep: fetching with BODY.PEEK[] left every message unread on the server
    assert all(r"\Seen" not in imap_server.flags(uid) for uid in uids)
    account = store.account("support")
    assert account.last_sync_at is not None and account.last_error is None
    # A second pass finds nothing new.
    assert run_once(worker).accounts[0].stored == 0
    assert count(db, Message) == len(CHARSETS)


def test_a_reply_threads_onto_the_first_ticket(db, account_id, worker, imap_server):
    first, first_id = simple()
    imap_server.append(first)
    run_once(worker)
    reply, _ = simple("Re: something else", "Any news?", in_reply_to=first_id)
    imap_server.append(reply)
    run_once(worker)
    messages = ticket_messages(db)
    assert len(messages) == 2 and messages[0].ticket_id == messages[1].ticket_id
    assert messages[1].match_reason.startswith("In-Reply-To")


def test_after_import_seen(db, store, imap_server, smtp_server, worker):
    add_account(store, imap_server, smtp_server, after_import="seen")
    uids = [imap_server.append(simple(f"Question {n}")[0]) for n in range(3)]
    run_once(worker)
    assert all(r"\Seen" in imap_server.flags(uid) for uid in uids)
    assert count(db, Message) == 3


def test_after_import_move_creates_the_folder(db, store, imap_server, smtp_server, worker):
    add_account(store, imap_server, smtp_server, after_import="move:Desk/Imported")
    for n in range(3):
        imap_server.append(simple(f"Question {n}")[0])
    run_once(worker)
    assert imap_server.uids("INBOX") == []
    assert len(imap_server.uids("Desk/Imported")) == 3
    assert count(db, Message) == 3
    imap_server.append(simple("Another")[0])
    run_once(worker)
    assert imap_server.uids("INBOX") == [] and len(imap_server.uids("Desk/Imported")) == 4


def test_a_crash_between_commit_and_flag_is_caught_up(db, store, imap_server, smtp_server, worker):
    account_id = add_account(store, imap_server, smtp_server, after_import="seen")
    uid = imap_server.append(simple()[0])
    # As if a worker had committed this message and died before setting \Seen:
    from desk_app.mail.parse import parse_message
    from desk_app.worker.imap_ingest import to_inbound

    raw = imap_server.fetch_raw(uid)
    store.ingest(
        account_id, "INBOX", imap_server.uid_validity(), uid, to_inbound(raw, parse_message(raw))
    )
    assert r"\Seen" not in imap_server.flags(uid)
    summary = run_once(worker)
    assert summary.accounts[0].stored == 0
    assert r"\Seen" in imap_server.flags(uid)
    assert count(db, Message) == 1


def test_uidvalidity_change_resyncs_without_duplicates(db, store, account_id, worker, imap_server):
    for n in range(4):
        imap_server.append(simple(f"Question {n}")[0])
    run_once(worker)
    old_validity = store.folder_position(account_id, "INBOX")[0]
    new_validity = imap_server.change_uid_validity("INBOX")
    imap_server.append(simple("Arrived after the rebuild")[0])
    summary = run_once(worker)
    assert new_validity != old_validity
    assert summary.accounts[0].stored == 1 and summary.accounts[0].duplicates == 4
    assert count(db, Message) == 5
    assert store.folder_position(account_id, "INBOX") == (new_validity, max(imap_server.uids()))


def test_unreadable_mail_is_stored_with_a_warning(db, account_id, worker, imap_server):
    broken = (
        b"From: x@example.com\r\nSubject: broken\r\nMessage-ID: <broken@x>\r\n"
        b"Content-Type: multipart/mixed; boundary=zzz\r\n\r\n--zzz\r\n"
        b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n%%%not base64"
    )
    imap_server.append(broken)
    summary = run_once(worker)
    assert summary.accounts[0].stored == 1
    assert count(db, RawMail) == 1 and count(db, Message) == 1


def test_mail_without_message_id_survives_a_uidvalidity_change_without_duplicates(
    db, store, account_id, worker, imap_server
):
    def without_id(n: int) -> bytes:
        return (
            f"From: Scanner <scanner@example.com>\r\nTo: support@desk.test\r\n"
            f"Subject: Scan {n}\r\nDate: Mon, 23 Nov 2026 08:0{n}:00 +0000\r\n\r\n"
            f"Scanned page {n}\r\n"
        ).encode()

    imap_server.append_many(without_id(n) for n in range(3))
    assert run_once(worker).accounts[0].stored == 3
    imap_server.change_uid_validity("INBOX")
    imap_server.append(without_id(3))
    summary = run_once(worker)
    assert (summary.accounts[0].stored, summary.accounts[0].duplicates) == (1, 3)
    assert count(db, Message) == 4
    with db.read() as session:
        keys = session.scalars(sa.select(RawMail.header_message_id)).all()
    assert len(keys) == 7 and all(key.startswith("content-sha256:") for key in keys)


def test_mails_sharing_message_ids_are_all_stored_and_copies_once(
    db, account_id, worker, imap_server, caplog
):
    """Issue 14 item 1 end to end: twelve deliveries of eight distinct e-mails, with reused
    Message-IDs, none at all, and copies differing only in Received/DKIM/Delivered-To."""
    deliveries, distinct = reused_message_id_corpus()
    uids = imap_server.append_many(deliveries)
    with caplog.at_level("WARNING", logger="desk_app.store.mail_store"):
        summary = run_once(worker)
    report = summary.accounts[0]
    assert report.error is None
    assert (report.stored, report.duplicates) == (distinct, len(deliveries) - distinct)
    assert count(db, Message) == distinct and count(db, RawMail) == len(deliveries)
    bodies = [m.body_text for m in ticket_messages(db)]
    for text in ("Parcel 1", "Parcel 2", "Parcel 3", "received your order", "cancelled"):
        assert sum(text in body for body in bodies) == 1, text
    assert sum("Scanned page" in body for body in bodies) == 2
    assert len([r for r in caplog.records if "different content" in r.getMessage()]) == 3
    # Every UID, copy or not, is done with: a second pass finds nothing new.
    assert run_once(worker).accounts[0].stored == 0
    assert count(db, Message) == distinct and len(uids) == len(deliveries)


def test_unreadable_senders_become_customers_of_their_own(db, account_id, worker, imap_server):
    """Issue 14 item 8 end to end: From headers without a readable address are not merged
    into one shared customer; each says on its message that the address could not be read."""
    headers = [
        "Sales dept <sales at example dot com>",
        "Billing (no address)",
        "Sales dept <sales at example dot com>",
    ]
    imap_server.append_many(
        simple(f"Question {n}", sender="placeholder@example.com")[0].replace(
            b"From: placeholder@example.com", f"From: {header}".encode()
        )
        for n, header in enumerate(headers)
    )
    assert run_once(worker).accounts[0].stored == 3
    queries = Queries(db, None)
    tickets = [queries.ticket(m.ticket_id) for m in ticket_messages(db)]
    customers = [ticket.customer for ticket in tickets]
    assert customers[0].id == customers[2].id != customers[1].id
    assert [c.name for c in customers[:2]] == headers[:2]
    assert all(c.emails == [] for c in customers)
    for ticket, header in zip(tickets, headers, strict=True):
        assert ticket.messages[0].warnings == [
            f"the sender's address could not be read (From: {header})"
        ]
