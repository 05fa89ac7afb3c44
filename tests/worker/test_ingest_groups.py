"""E-mails stored in groups (MailStore.ingest_many): inside a group the identity rules hold as
between transactions, and a group that fails is stored one by one, so what committed is exactly
what gets flagged on the server."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from desk_app.mail.imap import ImapMailbox
from desk_app.mail.parse import parse_message
from desk_app.store import Database, Service
from desk_app.store.mail_store import InboundMail, MailStore
from desk_app.store.models import Message, RawMail
from desk_app.worker.imap_ingest import FolderIngest, to_inbound
from desk_app.worker.read_pool import GROUP
from desk_app.worker.runner import MailWorker
from tests.worker.conftest import FAST, add_account
from tests.worker.mails import delivered, reused_message_id_corpus, simple


def mail(raw: bytes) -> InboundMail:
    return to_inbound(raw, parse_message(raw))


def count(db, model) -> int:
    with db.read() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_copies_and_reused_message_ids_inside_one_group(db, store, account_id, caplog):
    deliveries, distinct = reused_message_id_corpus()
    group = [(101 + n, mail(raw)) for n, raw in enumerate(deliveries)]
    with caplog.at_level("WARNING", logger="desk_app.store.mail_store"):
        results = list(store.ingest_many(account_id, "INBOX", 7, group))
    assert [uid for uid, _ in results] == [uid for uid, _ in group]
    outcomes = [result.outcome for _, result in results]
    assert outcomes.count("duplicate") == len(deliveries) - distinct
    # The copies (transport headers aside) point at the message of their first copy.
    assert results[1][1].message_id == results[0][1].message_id  # parcel 1, CC'd
    assert results[2][1].message_id != results[0][1].message_id  # parcel 2: reused ID
    assert count(db, Message) == distinct and count(db, RawMail) == len(deliveries)
    # Reused Message-IDs on other content are noted, as between transactions.
    assert len([r for r in caplog.records if "different content" in r.getMessage()]) == 3
    assert store.folder_position(account_id, "INBOX") == (7, 100 + len(deliveries))


def test_a_reply_threads_on_a_mail_of_the_same_group(db, store, account_id):
    first, first_id = simple("Order 77 missing")
    reply, _ = simple("Re: anything", "Any news?", in_reply_to=first_id)
    copy = delivered(first, to="sales@desk.test", hop="bb")
    results = dict(
        store.ingest_many(
            account_id, "INBOX", 7, [(1, mail(first)), (2, mail(reply)), (3, mail(copy))]
        )
    )
    assert results[1].outcome == "new_ticket"
    assert results[2].outcome == "threaded" and results[2].ticket_id == results[1].ticket_id
    assert results[3].outcome == "duplicate" and results[3].message_id == results[1].message_id
    assert count(db, Message) == 2


@pytest.fixture
def sqlite_store(sqlite_database_url):
    db = Database(sqlite_database_url)
    Service(db, None).add_department("Support")
    yield db, MailStore(db, None)
    db.dispose()


def test_a_failing_group_is_stored_one_by_one_and_only_committed_mail_is_flagged(
    sqlite_store, imap_server, smtp_server
):
    db, store = sqlite_store
    add_account(store, imap_server, smtp_server, after_import="seen")
    poisoned = GROUP + 10  # in the second group
    subjects = ["Poison" if n == poisoned else f"Question {n}" for n in range(2 * GROUP + 20)]
    uids = imap_server.append_many(simple(subject)[0] for subject in subjects)
    # A real failure inside the database for one e-mail (as a constraint or a full disk
    # would fail it), on the message row, after earlier rows of its group were written.
    with db.write() as session:
        session.execute(
            sa.text(
                "CREATE TRIGGER poison BEFORE INSERT ON messages WHEN NEW.subject = 'Poison' "
                "BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
            )
        )
    worker = MailWorker(db, FAST, password_for=lambda _name: imap_server.password)
    account = store.account("support")

    def run_pass() -> None:
        with ImapMailbox(worker.settings_for(account), "INBOX") as mailbox:
            FolderIngest(store, account, mailbox).run_pass()

    with pytest.raises(IntegrityError, match="poisoned"):
        run_pass()
    with db.read() as session:
        stored = set(session.scalars(sa.select(RawMail.uid)))
    # The first group committed whole; the second one by one up to the poisoned e-mail.
    assert stored == set(uids[:poisoned])
    seen = {uid for uid in uids if r"\Seen" in imap_server.flags(uid)}
    assert seen == stored
    with db.write() as session:
        session.execute(sa.text("DROP TRIGGER poison"))
    run_pass()
    assert count(db, Message) == len(uids) and count(db, RawMail) == len(uids)
    assert all(r"\Seen" in imap_server.flags(uid) for uid in uids)
