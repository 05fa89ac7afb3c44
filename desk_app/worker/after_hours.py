"""The worker's after-hours acknowledgement pass: every new e-mail ticket that arrived while its
office was closed gets one "we have your message" that says when a person will answer.

It runs in the worker so customers hear from us with every desktop closed. Each ticket is
decided once per worker process (the decision is remembered), and sending is one transaction
per ticket whose auto_replies row makes it exactly once even with several workers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from desk_app.core.clock import Clock, utc_now
from desk_app.core.errors import ConflictError, DeskError, NotFound
from desk_app.store.after_hours_store import AckOutcome, AfterHoursCommands, ack_candidates
from desk_app.store.database import Database
from desk_app.store.oncall_settings import read_settings

log = logging.getLogger(__name__)

# Decisions remembered per process; beyond this many the memory starts afresh (a ticket then
# costs one more cheap read, never a second acknowledgement).
_REMEMBER = 20_000


@dataclass
class AckReport:
    sent: list[AckOutcome] = field(default_factory=list)
    skipped: list[AckOutcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Acknowledger:
    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock
        self.commands = AfterHoursCommands(db, clock)
        self._decided: set[int] = set()

    def run_pass(self, should_stop: Callable[[], bool] = lambda: False) -> AckReport:
        """One pass. Blocking (database work): call it from a thread."""
        report = AckReport()
        settings = read_settings(self.db)
        if not settings.enabled:
            return report
        if len(self._decided) > _REMEMBER:
            self._decided.clear()
        for ticket_id in ack_candidates(self.db, self.clock(), settings):
            if should_stop():
                break
            if ticket_id in self._decided:
                continue
            try:
                if not self.commands.arrived_after_hours(ticket_id):
                    self._decided.add(ticket_id)
                    continue
                outcome = self.commands.acknowledge(ticket_id)
            except (NotFound, ConflictError) as exc:  # gone or merged meanwhile
                log.info("after-hours acknowledgement of #%s skipped: %s", ticket_id, exc)
                self._decided.add(ticket_id)
                continue
            except DeskError as exc:
                report.errors.append(f"ticket #{ticket_id}: {exc}")
                log.warning("after-hours acknowledgement of #%s failed: %s", ticket_id, exc)
                continue
            (report.sent if outcome.sent else report.skipped).append(outcome)
            if outcome.sent:
                log.info("acknowledged ticket #%s after hours to %s", ticket_id, outcome.address)
            # A missing template may be added in a minute; everything else is final.
            if outcome.sent or not outcome.reason.startswith("no after-hours template"):
                self._decided.add(ticket_id)
        return report
