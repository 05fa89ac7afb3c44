"""Sending queued replies: claim due outbox rows, send each over one SMTP connection per
account, and settle every claimed row (sent, retry later, failed) before the pass ends.

A worker killed after claiming leaves rows in 'sending'; requeue_stalled puts them back after
a few minutes and they go out again with the same Message-ID.

Each reply is settled in its own transaction as soon as the server has answered for it, while
the next reply is already on the wire: the database and the network work side by side, and a
crash at any point loses no reply (at worst one that was accepted is sent again, with the same
Message-ID, so the customer's client shows it once).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from desk_app.core.clock import Clock
from desk_app.core.errors import Unavailable
from desk_app.mail.compose import build_message
from desk_app.mail.connection import ServerSettings
from desk_app.mail.smtp import SmtpConnection
from desk_app.store.mail_store import MailStore, OutgoingMail
from desk_app.store.records import AccountRecord
from desk_app.worker.backoff import retry_at

log = logging.getLogger(__name__)

CLAIM_BATCH = 50


@dataclass
class SendReport:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


class _Settler:
    """Settles replies one transaction at a time in a thread, at most one in flight, so the
    event loop can send the next reply meanwhile."""

    def __init__(self) -> None:
        self._in_flight: asyncio.Task[None] | None = None

    async def settle(self, call: Callable[..., None], *args: Any) -> None:
        await self.drain()
        self._in_flight = asyncio.create_task(asyncio.to_thread(call, *args))

    async def drain(self) -> None:
        task, self._in_flight = self._in_flight, None
        if task is not None:
            await task


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

    async def send_due(
        self,
        should_stop: Callable[[], bool] = lambda: False,
        account_ids: AccountIds | None = None,
    ) -> SendReport:
        """Send everything due now; one connection per account for the whole pass.

        account_ids: the accounts this worker may send for (those whose lease it holds),
        asked again before each claim; None sends for every account."""
        report = SendReport()
        connections: dict[int, SmtpConnection | str] = {}
        accounts: dict[int, AccountRecord] = {}
        settler = _Settler()
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
                await asyncio.to_thread(self.store.record_sync, mail.account_id, error)
                await self._retry(mail, str(exc), report, settler)
                return
            connections[mail.account_id] = connection
        message = build_message(mail, self.clock())
        outcome = await connection.send(message, mail.from_address, mail.to_address)
        if outcome.kind == "sent":
            await settler.settle(self.store.mark_sent, mail.outbox_id)
            report.sent += 1
        elif outcome.kind == "failed":
            await settler.settle(self.store.mark_failed, mail.outbox_id, outcome.error or "refused")
            report.failed += 1
        else:
            if outcome.account_problem:
                report.errors.append(f"sending: {outcome.account_problem}")
                await asyncio.to_thread(
                    self.store.record_sync, mail.account_id, f"sending: {outcome.account_problem}"
                )
            await self._retry(mail, outcome.error or "temporary failure", report, settler)

    async def _retry(
        self, mail: OutgoingMail, error: str, report: SendReport, settler: _Settler
    ) -> None:
        when = retry_at(self.clock(), mail.attempts, self.rng)
        await settler.settle(self.store.mark_retry, mail.outbox_id, error, when)
        report.retry += 1
