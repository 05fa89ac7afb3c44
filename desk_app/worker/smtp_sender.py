"""Sending queued replies: claim due outbox rows, send each over one SMTP connection per
account, and settle every claimed row (sent, retry later, failed) before the pass ends.

A worker killed after claiming leaves rows in 'sending'; requeue_stalled puts them back after
a few minutes and they go out again with the same Message-ID.

Replies are settled in the background while the next ones are on the wire: what the server
answered while one settling transaction ran is written by the next, as one group (a group
commit). The event loop never waits for the database to send the next reply, and a crash at
any point loses no reply: at worst the few answered since the last commit are sent again,
with the same Message-ID, so the customer's client shows each once.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from desk_app.core.after_hours import DEFAULT_OUTBOX_RETRY_HOURS
from desk_app.core.clock import Clock
from desk_app.core.enums import DeliveryState
from desk_app.core.errors import Unavailable
from desk_app.mail.compose import build_message
from desk_app.mail.connection import ServerSettings
from desk_app.mail.smtp import SmtpConnection
from desk_app.store.mail_store import MailStore, OutgoingMail, Settlement
from desk_app.store.records import AccountRecord
from desk_app.worker.backoff import retry_at

log = logging.getLogger(__name__)

CLAIM_BATCH = 50
# Replies the server has answered that may wait for their settling transaction.
MAX_UNSETTLED = 50


@dataclass
class SendReport:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    # Accounts whose SMTP server could not be reached or logged in to, by name: the reason.
    unavailable: dict[str, str] = field(default_factory=dict)


class _Settler:
    """Writes settlements in a thread, one transaction per group of whatever accumulated while
    the previous group was written. At most MAX_UNSETTLED replies wait: beyond that, sending
    waits for the database, so a crash never leaves more than that to be sent again."""

    def __init__(self, store: MailStore) -> None:
        self._store = store
        self._pending: list[Settlement] = []
        self._writer: asyncio.Task[None] | None = None

    async def settle(self, settlement: Settlement) -> None:
        self._pending.append(settlement)
        writer = self._writer
        if writer is not None and writer.done():
            self._writer = None
            writer.result()  # a failed write surfaces here, as it did per reply before
        if self._writer is None:
            self._writer = asyncio.create_task(self._write())
        elif len(self._pending) >= MAX_UNSETTLED:
            await self.drain()

    async def drain(self) -> None:
        """Return when everything given so far is written (the writer runs until nothing is
        pending, and only the sending flow, which is waiting here, adds to it)."""
        writer, self._writer = self._writer, None
        if writer is not None:
            await writer

    async def _write(self) -> None:
        while self._pending:
            group, self._pending = self._pending, []
            await asyncio.to_thread(self._store.settle_many, group)


AccountIds = Callable[[], Collection[int]]


class OutboxSender:
    def __init__(
        self,
        store: MailStore,
        settings_for: Callable[[AccountRecord], ServerSettings],
        clock: Clock,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.settings_for = settings_for
        self.clock = clock
        self.rng = rng or random.Random()
        self.retry_limit = timedelta(hours=DEFAULT_OUTBOX_RETRY_HOURS)

    async def send_due(
        self,
        should_stop: Callable[[], bool] = lambda: False,
        account_ids: AccountIds | None = None,
    ) -> SendReport:
        """Send everything due now; one connection per account for the whole pass.

        account_ids: the accounts this worker may send for (those whose lease it holds),
        asked again before each claim; None sends for every account."""
        report = SendReport()
        # Read once per pass, like the other team settings: a change applies from the next.
        self.retry_limit = await asyncio.to_thread(self.store.outbox_retry_limit)
        connections: dict[int, SmtpConnection | str] = {}
        accounts: dict[int, AccountRecord] = {}
        settler = _Settler(self.store)
        try:
            while not should_stop():
                allowed = None if account_ids is None else frozenset(account_ids())
                if allowed is not None and not allowed:
                    break
                claimed = await asyncio.to_thread(
                    self.store.claim_outgoing, CLAIM_BATCH, account_ids=allowed
                )
                if not claimed:
                    break
                if any(mail.account_id not in accounts for mail in claimed):
                    accounts = {a.id: a for a in await asyncio.to_thread(self.store.accounts)}
                for mail in claimed:
                    await self._send_one(mail, accounts, connections, report, settler)
        finally:
            try:
                await settler.drain()  # every reply the server answered is settled
            finally:
                for connection in connections.values():
                    if isinstance(connection, SmtpConnection):
                        await connection.close()
        return report

    async def _send_one(
        self,
        mail: OutgoingMail,
        accounts: dict[int, AccountRecord],
        connections: dict[int, SmtpConnection | str],
        report: SendReport,
        settler: _Settler,
    ) -> None:
        connection = connections.get(mail.account_id)
        if isinstance(connection, str):  # connecting failed earlier in this pass
            await self._retry(mail, connection, report, settler)
            return
        if connection is None or not connection.connected:
            account = accounts.get(mail.account_id)
            if account is None:
                await self._retry(mail, "the sending account is not available", report, settler)
                return
            try:
                connection = SmtpConnection(self.settings_for(account))
                await connection.connect()
            except Unavailable as exc:
                error = f"sending: {exc}"
                connections[mail.account_id] = error
                report.errors.append(error)
                report.unavailable.setdefault(account.name, error)
                await asyncio.to_thread(self.store.record_sync, mail.account_id, error)
                await self._retry(mail, str(exc), report, settler)
                return
            connections[mail.account_id] = connection
        message = build_message(mail, self.clock())
        outcome = await connection.send(message, mail.from_address, mail.to_address)
        if outcome.kind == "sent":
            await settler.settle(_settlement(mail, DeliveryState.SENT))
            report.sent += 1
        elif outcome.kind == "failed":
            error = outcome.error or "refused"
            await settler.settle(_settlement(mail, DeliveryState.FAILED, error))
            report.failed += 1
        else:
            if outcome.account_problem:
                report.errors.append(f"sending: {outcome.account_problem}")
                account = accounts.get(mail.account_id)
                if account is not None:
                    report.unavailable.setdefault(
                        account.name, f"sending: {outcome.account_problem}"
                    )
                await asyncio.to_thread(
                    self.store.record_sync, mail.account_id, f"sending: {outcome.account_problem}"
                )
            await self._retry(mail, outcome.error or "temporary failure", report, settler)

    async def _retry(
        self, mail: OutgoingMail, error: str, report: SendReport, settler: _Settler
    ) -> None:
        """A temporary failure: try again with backoff, until the team's retry limit after
        this round's first attempt; then the reply fails like a refused one, so the agent
        sees it and can retry it, instead of it waiting hourly for ever."""
        now = self.clock()
        give_up_at = (mail.first_attempt_at or now) + self.retry_limit
        if now >= give_up_at:
            reason = f"gave up after {_hours(self.retry_limit)} of temporary failures: {error}"
            await settler.settle(_settlement(mail, DeliveryState.FAILED, reason))
            report.failed += 1
            return
        # The last attempt falls on the limit itself, not up to an hour's backoff past it.
        when = min(retry_at(now, mail.attempts, self.rng), give_up_at)
        await settler.settle(_settlement(mail, DeliveryState.QUEUED, error, when))
        report.retry += 1


def _hours(limit: timedelta) -> str:
    hours = limit.total_seconds() / 3600
    return f"{hours:g} hour" if hours == 1 else f"{hours:g} hours"


def _settlement(
    mail: OutgoingMail,
    state: DeliveryState,
    error: str | None = None,
    next_attempt_at: datetime | None = None,
) -> Settlement:
    return Settlement(
        mail.outbox_id, mail.message_row_id, mail.ticket_id, state, error, next_attempt_at
    )
