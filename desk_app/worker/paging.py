"""The worker's paging pass: open pages for urgent tickets after hours, escalate the ones nobody
acknowledged in time, and e-mail every page that is due (the first one and the repeats).

Page e-mails go straight to SMTP through the ticket's mail account, not through the outbox:
the outbox sends a ticket's messages to that ticket's customer, and a page must never reach the
customer nor appear in their conversation. Each attempt is recorded on the ticket (audit); a
failed one is tried again at the next repeat, minutes later, like a missed call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from desk_app.core.clock import Clock, utc_now
from desk_app.core.errors import DeskError
from desk_app.mail.connection import ServerSettings
from desk_app.store.database import Database
from desk_app.store.mail_store import MailStore
from desk_app.store.oncall_settings import read_settings
from desk_app.store.page_mail import PageMail
from desk_app.store.paging_store import PageRecord, PagingStore
from desk_app.store.records import AccountRecord
from desk_app.worker.direct_mail import internal_message, send_one

log = logging.getLogger(__name__)

_REMEMBER = 20_000


@dataclass
class PagingReport:
    opened: list[PageRecord] = field(default_factory=list)
    escalated: list[PageRecord] = field(default_factory=list)
    emailed: int = 0
    errors: list[str] = field(default_factory=list)


class Pager:
    def __init__(
        self,
        db: Database,
        smtp_settings_for: Callable[[AccountRecord], ServerSettings],
        clock: Clock = utc_now,
    ) -> None:
        self.db = db
        self.clock = clock
        self.store = PagingStore(db, clock)
        self.smtp_settings_for = smtp_settings_for
        # (ticket, version) already found not to need a page: unchanged tickets are not read
        # again every pass. A changed ticket has a new version and is looked at again.
        self._not_due: set[tuple[int, int]] = set()

    async def run_pass(self, should_stop: Callable[[], bool] = lambda: False) -> PagingReport:
        report = PagingReport()
        try:
            await asyncio.to_thread(self._open_and_escalate, report, should_stop)
            mails = await asyncio.to_thread(self.store.claim_due_mails)
        except DeskError as exc:
            report.errors.append(str(exc))
            log.warning("paging pass failed: %s", exc)
            return report
        if mails:
            accounts = {a.id: a for a in await asyncio.to_thread(MailStore(self.db, None).accounts)}
            for mail in mails:
                error = await self._send(mail, accounts)
                if error is None:
                    report.emailed += 1
                else:
                    report.errors.append(f"page for ticket #{mail.ticket_id}: {error}")
                try:
                    await asyncio.to_thread(self.store.record_send, mail, error)
                except DeskError as exc:
                    log.warning("could not record the page for #%s: %s", mail.ticket_id, exc)
        return report

    def _open_and_escalate(self, report: PagingReport, should_stop: Callable[[], bool]) -> None:
        settings = read_settings(self.db)
        if len(self._not_due) > _REMEMBER:
            self._not_due.clear()
        for ticket_id, version in self.store.candidates(self.clock(), settings):
            if should_stop():
                return
            if (ticket_id, version) in self._not_due:
                continue
            if not self.store.is_due(ticket_id):
                self._not_due.add((ticket_id, version))
                continue
            opened = self.store.open_page(ticket_id)
            if opened is not None:
                log.info("paged %s for ticket #%s", opened.agent, ticket_id)
                report.opened.append(opened)
        report.escalated = self.store.escalate_due()

    async def _send(self, mail: PageMail, accounts: dict[int, AccountRecord]) -> str | None:
        """None when the server took the page; otherwise why not, in words."""
        account = accounts.get(mail.account_id) if mail.account_id is not None else None
        if account is None:
            return "no active mail account to send the page from"
        if not mail.to_address:
            return "nobody to page"
        message = internal_message(
            from_address=mail.from_address,
            to_address=mail.to_address,
            subject=mail.subject,
            text=mail.body,
            now=self.clock(),
            headers={"X-Priority": "1 (Highest)", "Importance": "high"},
        )
        try:
            outcome = await send_one(self.smtp_settings_for(account), message, mail.from_address)
        except DeskError as exc:
            return str(exc)
        return None if outcome.kind == "sent" else outcome.error or outcome.kind
