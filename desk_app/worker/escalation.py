"""The worker's escalation passes: every overdue target not yet escalated, one transaction per
ticket.

It runs in the worker, not in a desktop, so a breach at 3 a.m. is escalated with every desktop
closed. Several workers may run it at once: the escalation row each transaction inserts first
(unique on ticket, target and due time) lets exactly one of them act.

Most passes are incremental: they look only at tickets whose earliest due time passed since the
previous pass (minus a margin for clock skew and slow commits), a short range of the due-time
index. Every FULL_SCAN_EVERY a pass looks at every overdue ticket instead, for what the short
range cannot see: a policy edit that moved due times into the past, or a second target breaching
on a ticket whose earliest due time passed long ago. With 25,000 overdue tickets already
escalated a full pass costs a few hundred milliseconds of reading; an incremental one, a few.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from desk_app.core.clock import Clock, utc_now
from desk_app.core.errors import ConflictError, DeskError, NotFound
from desk_app.store.database import Database
from desk_app.store.escalations import (
    EscalationCommands,
    EscalationDone,
    OverdueTarget,
    overdue_targets,
)

log = logging.getLogger(__name__)

# Overdue targets handled per pass; the rest wait for the next pass (seconds later), so one
# pass never holds the worker for long after a policy change turns thousands of tickets red.
PASS_LIMIT = 500
FULL_SCAN_EVERY = 300.0  # seconds
MARGIN = timedelta(minutes=5)


@dataclass
class EscalationReport:
    escalated: list[EscalationDone] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    full_scan: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "escalated": [
                {
                    "ticket": done.ticket_id,
                    "kind": done.kind.value,
                    "due_at": done.due_at.isoformat(),
                    "actions": done.actions,
                }
                for done in self.escalated
            ],
            "errors": self.errors,
        }


class Escalator:
    """Escalation passes of one worker; remembers where the last complete pass got to."""

    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock
        self.commands = EscalationCommands(db, clock)
        self._covered_until: datetime | None = None  # every breach up to here was looked at
        self._last_full = -float("inf")

    def run_pass(self, should_stop: Callable[[], bool] = lambda: False) -> EscalationReport:
        """One pass. Blocking (database work): call it from a thread."""
        now = self.clock()
        covered = self._covered_until
        full = covered is None or time.monotonic() - self._last_full >= FULL_SCAN_EVERY
        since = None if full or covered is None else covered - MARGIN
        report = EscalationReport(full_scan=full)
        targets = overdue_targets(self.db, now, PASS_LIMIT, since)
        for target in targets:
            if should_stop():
                return report  # not complete: the next pass covers the same range again
            self._escalate_one(target, report)
        if len(targets) < PASS_LIMIT:
            self._covered_until = now
            if full:
                self._last_full = time.monotonic()
        return report

    def _escalate_one(self, target: OverdueTarget, report: EscalationReport) -> None:
        try:
            done = self.commands.escalate(target)
        except (NotFound, ConflictError) as exc:  # the ticket went away meanwhile
            log.info("escalation of ticket #%s skipped: %s", target.ticket_id, exc)
            return
        except DeskError as exc:
            report.errors.append(f"ticket #{target.ticket_id}: {exc}")
            log.warning("escalation of ticket #%s failed: %s", target.ticket_id, exc)
            return
        if done is not None:
            log.info("escalated ticket #%s: %s", done.ticket_id, done.actions)
            report.escalated.append(done)


def escalate_overdue(
    db: Database, clock: Clock = utc_now, should_stop: Callable[[], bool] = lambda: False
) -> EscalationReport:
    """One full pass by a new escalator (for scripts and tests)."""
    return Escalator(db, clock).run_pass(should_stop)
