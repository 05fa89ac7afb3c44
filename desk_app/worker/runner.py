"""The worker: ingest and sending for every active account, once or continuously.

Everything blocking (IMAP, database) runs in threads off the asyncio loop; the loop only
schedules, renews leases and talks SMTP. Stopping is a thread-safe flag, so a signal handler,
a test or the GUI's "stop syncing" can end it; loops check it at least every fraction of a
second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from desk_app.core.clock import Clock, utc_now
from desk_app.core.errors import DeskError
from desk_app.mail import passwords
from desk_app.mail.connection import ServerSettings, tls_context
from desk_app.mail.imap import ImapMailbox
from desk_app.store import Database
from desk_app.store.mail_store import MailStore
from desk_app.store.records import AccountRecord
from desk_app.worker import leases
from desk_app.worker.after_hours import Acknowledger
from desk_app.worker.escalation import EscalationReport, Escalator
from desk_app.worker.imap_ingest import FolderIngest, IngestReport
from desk_app.worker.options import WorkerOptions
from desk_app.worker.paging import Pager
from desk_app.worker.smtp_sender import OutboxSender, SendReport

log = logging.getLogger(__name__)

_TICK = 0.2


@dataclass
class AccountPass:
    name: str
    stored: int = 0
    duplicates: int = 0
    unreadable: int = 0
    error: str | None = None
    skipped: str | None = None


@dataclass
class PassSummary:
    accounts: list[AccountPass] = field(default_factory=list)
    sent: int = 0
    retry: int = 0
    failed: int = 0
    requeued: int = 0
    send_errors: list[str] = field(default_factory=list)
    # Accounts whose SMTP server could not be reached or logged in to: name -> reason.
    send_unavailable: dict[str, str] = field(default_factory=dict)
    escalated: int = 0
    escalation_errors: list[str] = field(default_factory=list)
    acknowledged: int = 0  # after-hours acknowledgements queued
    paged: int = 0  # page e-mails sent
    oncall_errors: list[str] = field(default_factory=list)

    def unavailable_accounts(self) -> dict[str, str]:
        """The accounts this pass could not work, by name, with why: their mailbox could not
        be reached or logged in to, or their mail server refused or could not be reached for
        sending. (An account another worker holds is not among them: it is being worked.)"""
        failing = {account.name: account.error for account in self.accounts if account.error}
        for name, error in self.send_unavailable.items():
            failing.setdefault(name, error)
        return failing


PasswordLookup = Callable[[str], str]


class MailWorker:
    def __init__(
        self,
        db: Database,
        options: WorkerOptions | None = None,
        *,
        clock: Clock = utc_now,
        password_for: PasswordLookup = passwords.password_for,
        holder: str | None = None,
    ) -> None:
        self.db = db
        self.options = options or WorkerOptions()
        self.clock = clock
        self.store = MailStore(db, None, clock)
        self.password_for = password_for
        self.holder = holder or leases.make_holder()
        self._stop = threading.Event()
        self._context = tls_context(self.options.ca_file)
        self.sender = OutboxSender(self.store, self.smtp_settings_for, clock)
        self.escalator = Escalator(db, clock)
        self.acknowledger = Acknowledger(db, clock)
        self.pager = Pager(db, self.smtp_settings_for, clock)
        # Accounts whose lease this worker holds now: it sends replies for these only.
        self._leased: set[int] = set()

    # --- control -------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the worker to finish what it is doing and return (safe from any thread)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    async def _sleep(self, seconds: float, also: Callable[[], bool] = lambda: False) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and not also() and time.monotonic() < deadline:
            await asyncio.sleep(min(_TICK, max(0.0, deadline - time.monotonic())))

    def settings_for(self, account: AccountRecord) -> ServerSettings:
        return ServerSettings(
            host=account.imap_host,
            port=account.imap_port,
            security=account.security,
            username=account.username,
            password=self.password_for(account.name),
            context=self._context,
        )

    def smtp_settings_for(self, account: AccountRecord) -> ServerSettings:
        imap = self.settings_for(account)
        return ServerSettings(
            host=account.smtp_host,
            port=account.smtp_port,
            security=account.security,
            username=imap.username,
            password=imap.password,
            context=imap.context,
        )

    # --- one pass ------------------------------------------------------------------------

    async def run_once(self) -> PassSummary:
        """Ingest all new mail of every active account, then send every due reply."""
        summary = PassSummary()
        summary.requeued = await asyncio.to_thread(
            self.store.requeue_stalled, self.options.stalled_after
        )
        # Each lease is kept until sending is done as well: replies go out only from
        # accounts whose lease this worker holds.
        async with contextlib.AsyncExitStack() as held:
            for account in await asyncio.to_thread(self.store.accounts):
                if self.stopping:
                    break
                lost = await held.enter_async_context(self._lease(account))
                summary.accounts.append(await self._ingest_once(account, lost))
            if not self.stopping:
                # Before sending: an acknowledgement queued now goes out in this same pass.
                await self._acknowledge(summary)
                self._count_sends(summary, await self._send())
        if not self.stopping:
            escalations = await self._escalate()
            summary.escalated = len(escalations.escalated)
            summary.escalation_errors = escalations.errors
        if not self.stopping:
            await self._page(summary)
        return summary

    async def _acknowledge(self, summary: PassSummary) -> None:
        report = await asyncio.to_thread(self.acknowledger.run_pass, lambda: self.stopping)
        summary.acknowledged += len(report.sent)
        summary.oncall_errors += report.errors

    async def _page(self, summary: PassSummary) -> None:
        report = await self.pager.run_pass(lambda: self.stopping)
        summary.paged += report.emailed
        summary.oncall_errors += report.errors

    async def _escalate(self) -> EscalationReport:
        return await asyncio.to_thread(self.escalator.run_pass, lambda: self.stopping)

    async def _ingest_once(
        self, account: AccountRecord, lost: threading.Event | None
    ) -> AccountPass:
        result = AccountPass(account.name)
        if lost is None:
            result.skipped = "another worker is working this account"
            return result
        mailbox: ImapMailbox | None = None
        try:
            mailbox = ImapMailbox(self.settings_for(account), account.folder)
            ingest = self._ingest_for(account, mailbox, lost)
            self._add(result, await asyncio.to_thread(ingest.run_pass))
            await asyncio.to_thread(self.store.record_sync, account.id, None)
        except DeskError as exc:
            result.error = str(exc)
            await asyncio.to_thread(self.store.record_sync, account.id, str(exc))
        finally:
            if mailbox is not None:
                await asyncio.to_thread(mailbox.close)
        return result

    def _ingest_for(
        self, account: AccountRecord, mailbox: ImapMailbox, lost: threading.Event
    ) -> FolderIngest:
        return FolderIngest(
            self.store,
            account,
            mailbox,
            should_stop=lambda: self.stopping or lost.is_set(),
            chunk=self.options.fetch_chunk,
        )

    @staticmethod
    def _add(result: AccountPass, report: IngestReport) -> None:
        result.stored += report.stored
        result.duplicates += report.duplicates
        result.unreadable += report.unreadable

    async def _send(self) -> SendReport:
        return await self.sender.send_due(lambda: self.stopping, lambda: self._leased)

    @staticmethod
    def _count_sends(summary: PassSummary, report: SendReport) -> None:
        summary.sent += report.sent
        summary.retry += report.retry
        summary.failed += report.failed
        summary.send_errors += report.errors
        for name, error in report.unavailable.items():
            summary.send_unavailable.setdefault(name, error)

    # --- leases --------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _lease(self, account: AccountRecord) -> AsyncIterator[threading.Event | None]:
        """Hold the account's lease while inside; yields None if someone else holds it, else
        an Event that is set if the lease is lost (then the work must stop)."""
        name = leases.lease_name(account.id)
        ttl = timedelta(seconds=self.options.lease_seconds)
        held = await asyncio.to_thread(leases.acquire, self.store, name, self.holder, ttl)
        if not held:
            yield None
            return
        lost = threading.Event()
        renewer = asyncio.create_task(self._renew(name, ttl, lost, account.id))
        self._leased.add(account.id)
        try:
            yield lost
        finally:
            self._leased.discard(account.id)
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            with contextlib.suppress(DeskError):
                await asyncio.to_thread(self.store.release_lease, name, self.holder)

    async def _renew(
        self, name: str, ttl: timedelta, lost: threading.Event, account_id: int
    ) -> None:
        while True:
            await asyncio.sleep(self.options.renew_seconds)
            try:
                still = await asyncio.to_thread(self.store.acquire_lease, name, self.holder, ttl)
            except DeskError as exc:  # database briefly away: keep trying until the TTL
                log.warning("could not renew lease %s: %s", name, exc)
                continue
            if not still:
                log.warning("lease %s was taken over; stopping work on it", name)
                self._leased.discard(account_id)
                lost.set()
                return

    # --- continuous ----------------------------------------------------------------------

    async def run_forever(self) -> None:
        """Work all active accounts until stop(); new and removed accounts are noticed."""
        loops: dict[int, asyncio.Task[None]] = {}
        sender = asyncio.create_task(self._send_loop())
        escalator = asyncio.create_task(self._escalate_loop())
        oncall = asyncio.create_task(self._oncall_loop())
        try:
            while not self.stopping:
                try:
                    accounts = await asyncio.to_thread(self.store.accounts)
                except DeskError as exc:
                    log.warning("cannot read mail accounts: %s", exc)
                    accounts = []
                for account in accounts:
                    task = loops.get(account.id)
                    if task is None or task.done():
                        loops[account.id] = asyncio.create_task(self._account_loop(account.id))
                await self._sleep(max(self.options.poll_seconds, 5.0))
        finally:
            self.stop()
            await asyncio.gather(sender, escalator, oncall, *loops.values(), return_exceptions=True)

    async def _escalate_loop(self) -> None:
        while not self.stopping:
            try:
                await self._escalate()
            except DeskError as exc:
                log.warning("escalation pass failed: %s", exc)
            await self._sleep(self.options.escalate_seconds)

    async def _oncall_loop(self) -> None:
        while not self.stopping:
            try:
                await self._acknowledge(PassSummary())
                await self._page(PassSummary())
            except DeskError as exc:
                log.warning("after-hours pass failed: %s", exc)
            await self._sleep(self.options.oncall_seconds)

    async def _account_loop(self, account_id: int) -> None:
        while not self.stopping:
            account = await self._active_account(account_id)
            if account is None:
                return  # removed or deactivated
            async with self._lease(account) as lost:
                if lost is None:
                    await self._sleep(self.options.renew_seconds)
                    continue
                await self._work_account(account, lost)

    async def _active_account(self, account_id: int) -> AccountRecord | None:
        try:
            accounts = await asyncio.to_thread(self.store.accounts)
        except DeskError:
            return None
        return next((a for a in accounts if a.id == account_id), None)

    async def _work_account(self, account: AccountRecord, lost: threading.Event) -> None:
        mailbox: ImapMailbox | None = None
        ingest: FolderIngest | None = None

        def interrupted() -> bool:
            return self.stopping or lost.is_set()

        try:
            while not interrupted():
                try:
                    if mailbox is None:
                        mailbox = ImapMailbox(self.settings_for(account), account.folder)
                        ingest = self._ingest_for(account, mailbox, lost)
                    assert ingest is not None
                    await asyncio.to_thread(ingest.run_pass)
                    await asyncio.to_thread(self.store.record_sync, account.id, None)
                except DeskError as exc:
                    log.info("mail account %s: %s", account.name, exc)
                    with contextlib.suppress(DeskError):
                        await asyncio.to_thread(self.store.record_sync, account.id, str(exc))
                    if mailbox is not None:
                        await asyncio.to_thread(mailbox.close)
                    mailbox = ingest = None
                    await self._sleep(self.options.poll_seconds, interrupted)
                    continue
                await self._wait_for_mail(mailbox, interrupted)
                if mailbox is not None and not mailbox.connected:
                    mailbox = ingest = None  # IDLE trouble dropped it: reconnect next pass
        finally:
            if mailbox is not None:
                await asyncio.to_thread(mailbox.close)

    async def _wait_for_mail(self, mailbox: ImapMailbox, interrupted: Callable[[], bool]) -> None:
        if self.options.use_idle:
            try:
                can_idle = await asyncio.to_thread(lambda: mailbox.can_idle)
            except DeskError:
                can_idle = False
            if can_idle:
                # Re-issued at least every poll interval as well: a safety net for servers
                # that miss a notification now and then.
                seconds = min(self.options.idle_seconds, max(self.options.poll_seconds, 1.0))
                await asyncio.to_thread(mailbox.wait, seconds, interrupted)
                return
        await self._sleep(self.options.poll_seconds, interrupted)

    async def _send_loop(self) -> None:
        last_requeue = -1e9
        while not self.stopping:
            try:
                if time.monotonic() - last_requeue >= self.options.requeue_seconds:
                    await asyncio.to_thread(self.store.requeue_stalled, self.options.stalled_after)
                    last_requeue = time.monotonic()
                await self._send()
            except DeskError as exc:
                log.warning("sending pass failed: %s", exc)
            await self._sleep(self.options.send_seconds)


def summary_json(summary: PassSummary) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(summary)


def stop_on_signals(worker: MailWorker) -> None:
    """SIGTERM and SIGINT ask the worker to finish the message it is on and return. Call it
    from inside the event loop that runs the worker."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # Windows' event loops have no handlers
            loop.add_signal_handler(sig, worker.stop)
