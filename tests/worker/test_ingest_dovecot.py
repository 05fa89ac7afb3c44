"""Ingest end to end from a real Dovecot: a realistic mix of mail (multipart, HTML, Japanese
and Russian legacy charsets, attachments, replies, transport copies), read in worker
processes and stored in groups, each e-mail exactly once, and flagged or moved on the server
only once its group committed."""

from __future__ import annotations

import sqlalchemy as sa

from desk_app.store.models import Attachment, Message, RawMail
from desk_app.worker.read_pool import GROUP, MIN_PARALLEL_MAILS
from desk_app.worker.runner import MailWorker
from tests.mail.corpus import PDF, CorpusMail, corpus, distinct
from tests.worker.conftest import FAST, add_account, run_once

SIZE = MIN_PARALLEL_MAILS + 3 * GROUP + 7  # read in worker processes, several groups, a rest


def dovecot_worker(db, clock, dovecot_server) -> MailWorker:
    return MailWorker(db, FAST, clock=clock, password_for=lambda _name: dovecot_server.password)


def inbound(db) -> dict[str, list[Message]]:
    """The stored inbound messages by Message-ID."""
    found: dict[str, list[Message]] = {}
    with db.read() as session:
        for message in session.scalars(sa.select(Message).order_by(Message.id)):
            found.setdefault(message.message_id, []).append(message)
    return found


def check_stored_once(db, mails: list[CorpusMail]) -> dict[str, Message]:
    by_id = inbound(db)
    assert sorted(by_id) == sorted({mail.message_id for mail in mails})
    assert all(len(messages) == 1 for messages in by_id.values())
    with db.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(RawMail)) == len(mails)
    return {key: messages[0] for key, messages in by_id.items()}


def test_a_realistic_mailbox_is_stored_once_and_flagged(
    db, store, clock, dovecot_server, smtp_server
):
    add_account(store, dovecot_server, smtp_server, after_import="seen")
    mails = corpus(SIZE)
    uids = dovecot_server.append_many(mail.raw for mail in mails)
    summary = run_once(dovecot_worker(db, clock, dovecot_server))
    report = summary.accounts[0]
    assert report.error is None, report.error
    assert (report.stored, report.duplicates) == (distinct(mails), SIZE - distinct(mails))
    assert report.unreadable == 0
    stored = check_stored_once(db, mails)
    for n, mail in enumerate(mails):
        message = stored[mail.message_id]
        if mail.kind in ("japanese", "sjis"):
            assert message.subject == f"注文{n}について"
            assert f"注文番号{n}の商品" in message.body_text
        elif mail.kind.startswith("russian"):
            assert message.subject == f"Заказ {n}"
            assert f"Заказ {n} до сих пор не пришёл" in message.body_text
        elif mail.kind == "html_only":
            assert message.body_html and "has not arrived" in message.body_text
        elif mail.kind == "alternative":
            assert "<table>" in (message.body_html or "")
        elif mail.kind == "reply":
            original = stored[mails[n - 5].message_id]
            assert message.ticket_id == original.ticket_id, n
            assert message.match_reason.startswith("In-Reply-To")
    with db.read() as session:
        pdfs = session.execute(
            sa.select(Attachment.filename, Attachment.content).where(
                Attachment.content_type == "application/pdf"
            )
        ).all()
    assert sorted(name for name, _ in pdfs) == sorted(
        f"invoice-{n}.pdf" for n, mail in enumerate(mails) if mail.kind == "pdf"
    )
    assert all(content == PDF for _, content in pdfs)
    assert all(r"\Seen" in dovecot_server.flags(uid) for uid in uids)
    # Nothing new on a second pass; nothing stored twice.
    again = run_once(dovecot_worker(db, clock, dovecot_server)).accounts[0]
    assert (again.stored, again.duplicates, again.error) == (0, 0, None)
    check_stored_once(db, mails)


def test_moved_only_after_commit_and_once(db, store, clock, dovecot_server, smtp_server):
    add_account(store, dovecot_server, smtp_server, after_import="move:Imported")
    mails = corpus(2 * GROUP + 3)
    dovecot_server.append_many(mail.raw for mail in mails)
    worker = dovecot_worker(db, clock, dovecot_server)
    assert run_once(worker).accounts[0].error is None
    assert dovecot_server.uids() == []
    assert len(dovecot_server.uids("Imported")) == len(mails)
    check_stored_once(db, mails)
    assert run_once(worker).accounts[0].stored == 0
