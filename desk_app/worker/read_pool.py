"""Fetched e-mails read (parsed, fingerprinted, indexed) in other processes, a group at a time,
while the worker stores the group before.

Reading is pure work on the bytes, about half of an e-mail's ingest time; storing must stay in
the worker's process (one transaction per group, then the flags). Like store.bulk_documents,
the pool starts with "spawn" (the worker may be a thread of the window, with Qt and database
connections no forked child may inherit), only for passes big enough to repay starting it, and
never in a frozen app. A worker that dies costs nothing but time: its groups are read here.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType

from desk_app.core.process_pool import process_pool
from desk_app.mail.read_batch import ReadMail, read_many
from desk_app.store.bulk_documents import default_workers
from desk_app.store.search import MAX_INDEXED_CHARS

# E-mails per group: one job for a worker process and one transaction in the store.
GROUP = 50
# A pass with fewer new e-mails than this reads them here: starting workers takes longer.
MIN_PARALLEL_MAILS = 200

FetchedMail = tuple[int, bytes]  # UID, raw bytes


class PendingGroup:
    """One group of fetched e-mails, being read in the pool (or read here on demand)."""

    def __init__(self, mails: list[FetchedMail], future: Future[list[ReadMail]] | None) -> None:
        self.mails = mails
        self._future = future

    def result(self) -> list[tuple[int, bytes, ReadMail]]:
        raws = [raw for _uid, raw in self.mails]
        read: list[ReadMail] | None = None
        # A group no worker has started on yet (they are still starting, or behind) is read
        # here rather than waited for: this process would otherwise sit idle.
        if self._future is not None and not self._future.cancel():
            try:
                read = self._future.result()
            except (BrokenProcessPool, OSError):
                read = None  # the worker died (killed, out of memory): read them here
        if read is None:
            read = read_many(raws, MAX_INDEXED_CHARS)
        return [(uid, raw, one) for (uid, raw), one in zip(self.mails, read, strict=True)]


class MailReader:
    """Splits fetched e-mails into groups and reads them in worker processes, if it has any."""

    def __init__(self, workers: int) -> None:
        self._workers = workers
        self._pool: ProcessPoolExecutor | None = None
        # The workers take a moment to start (a new interpreter each): the first batch is
        # read here meanwhile, and a job for nothing gets them started and importing.
        self._started = False
        if workers > 0:
            self._submit([])

    @classmethod
    def for_pass(cls, new_mails: int) -> MailReader:
        return cls(default_workers() if new_mails >= MIN_PARALLEL_MAILS else 0)

    def submit(self, mails: Sequence[FetchedMail]) -> list[PendingGroup]:
        groups = [list(mails[at : at + GROUP]) for at in range(0, len(mails), GROUP)]
        here, self._started = not self._started, True
        return [PendingGroup(group, None if here else self._submit(group)) for group in groups]

    def _submit(self, group: list[FetchedMail]) -> Future[list[ReadMail]] | None:
        if self._workers < 1:
            return None
        try:
            if self._pool is None:
                self._pool = process_pool(self._workers, "spawn")
            return self._pool.submit(read_many, [raw for _uid, raw in group], MAX_INDEXED_CHARS)
        except (BrokenProcessPool, OSError, RuntimeError):
            # No processes here (or the pool broke): carry on in this one.
            self._workers = 0
            return None

    def close(self) -> None:
        if self._pool is not None:
            # Not waiting for the workers to exit: nothing of theirs is needed any more.
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> MailReader:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
