"""One ingest pass over one account's folder: new UIDs from IMAP to committed tickets.

Order of events, and why it is crash-safe:
1. fetch a chunk of messages in one UID FETCH (BODY.PEEK[], nothing changes on the server);
2. read them (parse, fingerprint, search words), in worker processes for a big pass;
3. MailStore.ingest_many stores a group of them (raw bytes, parsed message, customer, ticket
   decision and the new folder position) in ONE transaction (dedupe on UID and on the e-mail's
   identity, also between e-mails of the same group);
4. only then the after-import action (\\Seen or MOVE) runs on the server, for what committed,
   once per chunk.
A crash before 3 commits repeats the fetch of the whole group; a crash between 3 and 4 leaves
stored messages without their flag or move, which the first pass of every new connection
catches up on. Nothing is flagged that is not committed, so nothing is lost; the folder
position and the dedupe keys commit with the rows, so nothing is stored twice.

While a group is stored, the next groups are read in the pool and the next chunk is fetched
in a thread: the IMAP round trip, the parsing and the database work overlap.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from desk_app.mail.connection import FETCH_CHUNK
from desk_app.mail.imap import ImapMailbox
from desk_app.mail.parse import ParsedMessage
from desk_app.mail.read_batch import ReadMail
from desk_app.store.mail_store import InboundMail, MailStore
from desk_app.store.records import AccountRecord
from desk_app.store.service import NewAttachment
from desk_app.worker.read_pool import MailReader, PendingGroup

# After-import actions go out once per fetched chunk (when the prefetch of the next chunk has
# returned and the connection is free), in groups of this many UIDs per command.
AFTER_IMPORT_BATCH = 100
FIRST_CHUNK = 50


def to_inbound(raw: bytes, parsed: ParsedMessage, read: ReadMail | None = None) -> InboundMail:
    """The store's view of a parsed e-mail (with what was read beforehand, if given)."""
    return InboundMail(
        raw=raw,
        message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        references=tuple(parsed.references),
        subject=parsed.subject,
        from_name=parsed.from_name,
        from_address=parsed.from_address,
        date=parsed.date,
        text=parsed.text,
        html=parsed.html,
        attachments=tuple(
            NewAttachment(a.filename, a.content_type, a.content, a.content_id)
            for a in parsed.attachments
        ),
        auto_kind=parsed.auto_kind,
        bounced_message_id=parsed.bounced_message_id,
        warnings=tuple(parsed.warnings),
        failed=parsed.failed,
        from_header=parsed.from_header,
        search_words=read.search_words if read is not None else None,
        fingerprint=read.fingerprint if read is not None else None,
    )


@dataclass
class IngestReport:
    stored: int = 0
    duplicates: int = 0
    unreadable: int = 0  # stored raw with a warning, never dropped
    resynced: bool = False  # UIDVALIDITY changed and the folder was read again


class FolderIngest:
    """Ingest for one account's folder over one IMAP connection (blocking; run in a thread)."""

    def __init__(
        self,
        store: MailStore,
        account: AccountRecord,
        mailbox: ImapMailbox,
        *,
        should_stop: Callable[[], bool] = lambda: False,
        chunk: int = FETCH_CHUNK,
    ) -> None:
        self.store = store
        self.account = account
        self.mailbox = mailbox
        self.folder = account.folder
        self.should_stop = should_stop
        self.chunk = max(1, min(chunk, FETCH_CHUNK))
        self._caught_up_on: ImapMailbox | None = None

    def run_pass(self) -> IngestReport:
        report = IngestReport()
        uidvalidity = self.mailbox.select()
        known_validity, last_uid = self.store.folder_position(self.account.id, self.folder)
        if known_validity != uidvalidity:
            # New mailbox identity: every UID is new to us. Message-ID dedupe in the store keeps
            # mail we already have from becoming a second ticket message.
            self.store.start_folder(self.account.id, self.folder, uidvalidity)
            report.resynced = known_validity is not None
            last_uid = 0
        elif self._caught_up_on is not self.mailbox:
            self._catch_up(last_uid)
        self._caught_up_on = self.mailbox
        uids = self.mailbox.uids_after(last_uid)
        # A small first chunk: the first tickets appear at once, and the fetch of the next
        # (full) chunk overlaps with storing them.
        first = min(self.chunk, FIRST_CHUNK)
        chunks = [uids[:first]] if uids else []
        chunks += [uids[at : at + self.chunk] for at in range(first, len(uids), self.chunk)]
        # The next chunk is fetched (and handed to the readers) while this one is stored: the
        # IMAP round trip and the server's work overlap with the database's. The connection is
        # never used by both threads at once: the after-import flags wait until the prefetch
        # has returned.
        with (
            MailReader.for_pass(len(uids)) as reader,
            ThreadPoolExecutor(1, thread_name_prefix="imap-prefetch") as prefetch,
        ):

            def fetch(chunk: Sequence[int]) -> list[PendingGroup]:
                raws = self.mailbox.fetch(chunk)
                # UIDs missing from the answer were expunged by someone else meanwhile.
                return reader.submit([(uid, raws[uid]) for uid in chunk if uid in raws])

            pending: Future[list[PendingGroup]] | None = None
            for n, chunk in enumerate(chunks):
                if self.should_stop():
                    break
                groups = pending.result() if pending is not None else fetch(chunk)
                more = n + 1 < len(chunks)
                pending = prefetch.submit(fetch, chunks[n + 1]) if more else None
                committed: list[int] = []
                try:
                    for group in groups:
                        if self.should_stop():
                            break
                        self._store_group(uidvalidity, group, report, committed)
                finally:
                    if pending is not None:
                        # Let the fetch finish before the connection is used again; its
                        # error, if any, surfaces on result() in the next round.
                        wait([pending])
                    # Whatever was committed gets its flag/move even if a later one failed.
                    self._after_import(committed)
            if pending is not None:
                wait([pending])  # stopped early: do not leave the connection mid-command
        return report

    def _store_group(
        self, uidvalidity: int, group: PendingGroup, report: IngestReport, committed: list[int]
    ) -> None:
        """Store a group of e-mails in one transaction, adding each committed UID to
        `committed` as the store reports it, so the caller flags them even when a later
        e-mail fails (then the group is stored one by one, see MailStore.ingest_many)."""
        read = group.result()
        failed = {uid for uid, _raw, one in read if one.parsed.failed}
        mails = [(uid, to_inbound(raw, one.parsed, one)) for uid, raw, one in read]
        for uid, result in self.store.ingest_many(self.account.id, self.folder, uidvalidity, mails):
            if result.outcome == "duplicate":
                report.duplicates += 1
            else:
                report.stored += 1
                report.unreadable += uid in failed
            committed.append(uid)

    def _after_import(self, uids: Sequence[int]) -> None:
        action = self.account.after_import
        for start in range(0, len(uids), AFTER_IMPORT_BATCH):
            batch = uids[start : start + AFTER_IMPORT_BATCH]
            if action == "seen":
                self.mailbox.mark_seen(batch)
            elif action.startswith("move:"):
                self.mailbox.move(batch, action[5:])

    def _catch_up(self, last_uid: int) -> None:
        """Apply the after-import action to stored messages that missed it (a crash between
        commit and flag). Done once per connection, not every pass, so a person who marks a
        message unread again in their mail client is not overruled every minute."""
        action = self.account.after_import
        if action == "seen":
            self.mailbox.mark_seen(self.mailbox.uids_up_to(last_uid, ["UNSEEN"]))
        elif action.startswith("move:"):
            self.mailbox.move(self.mailbox.uids_up_to(last_uid), action[5:])
