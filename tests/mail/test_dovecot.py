"""The throwaway Dovecot (tests/mail/dovecot.py) serves the worker's IMAP calls, and what
ingest reads from its bytes in worker processes equals what the store would work out itself."""

from __future__ import annotations

import pytest

from desk_app.core.mail_identity import fingerprint
from desk_app.mail.connection import ServerSettings, tls_context
from desk_app.mail.imap import ImapMailbox
from desk_app.mail.read_batch import read_many
from desk_app.store import search
from tests.mail.corpus import corpus, distinct
from tests.mail.dovecot import REQUIRE_ENV, DovecotProcess, skip_or_fail


def settings(account) -> ServerSettings:
    return ServerSettings(
        host=account.host,
        port=account.port,
        security="none",
        username=account.username,
        password=account.password,
        context=tls_context(),
    )


def test_each_account_has_its_own_mailboxes(dovecot_process: DovecotProcess) -> None:
    first, second = dovecot_process.new_account(), dovecot_process.new_account()
    uids = first.append_many(mail.raw for mail in corpus(3))
    assert first.uids() == uids and second.uids() == []
    assert dovecot_process.maildir(first.username).is_dir()
    first.close()
    second.close()


def test_the_worker_mailbox_reads_flags_and_moves_on_dovecot(dovecot_server) -> None:
    mails = corpus(30)
    uids = dovecot_server.append_many(mail.raw for mail in mails)
    with ImapMailbox(settings(dovecot_server), "INBOX") as mailbox:
        mailbox.select()
        assert mailbox.uids_after(0) == uids
        assert mailbox.uids_after(uids[9]) == uids[10:]
        fetched = mailbox.fetch(uids)
        # Byte for byte what was appended (CRLF line ends, as IMAP stores mail).
        assert [fetched[uid] for uid in uids] == [dovecot_server.fetch_raw(uid) for uid in uids]
        assert all(r"\Seen" not in dovecot_server.flags(uid) for uid in uids)  # PEEK
        mailbox.mark_seen(uids[:5])
        mailbox.move(uids[5:10], "Imported")  # "." separates levels here
    assert all(r"\Seen" in dovecot_server.flags(uid) for uid in uids[:5])
    assert dovecot_server.uids() == uids[:5] + uids[10:]
    assert len(dovecot_server.uids("Imported")) == 5


def test_reading_in_bulk_agrees_with_the_store() -> None:
    mails = corpus(40)
    assert distinct(mails) < len(mails)  # the corpus has transport copies
    raws = [mail.raw for mail in mails]
    for raw, read in zip(raws, read_many(raws, search.MAX_INDEXED_CHARS), strict=True):
        assert read.fingerprint == fingerprint(raw)
        assert read.search_words == search.message_words(read.parsed.text)
        assert not read.parsed.failed


def test_a_missing_dovecot_skips_outside_ci_and_fails_in_ci(monkeypatch) -> None:
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    skip_or_fail(None)  # installed: the test runs
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        skip_or_fail("Dovecot is not installed")
    monkeypatch.setenv(REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="must not skip"):
        skip_or_fail("Dovecot is not installed")
