"""How a mail worker works: its intervals and limits.

A module of its own, light to import: the window hands these to the worker process it starts
(worker.background) without loading the IMAP, SMTP and keyring modules only that process uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from desk_app.mail.connection import FETCH_CHUNK, IDLE_REISSUE_SECONDS


@dataclass(frozen=True)
class WorkerOptions:
    poll_seconds: float = 60.0  # without IDLE: how often to look for new mail
    lease_seconds: float = 30.0  # a dead worker's accounts are taken over after this
    renew_seconds: float = 10.0
    send_seconds: float = 5.0  # how often the continuous worker looks for due replies
    escalate_seconds: float = 15.0  # how often it looks for SLA breaches to escalate
    oncall_seconds: float = 30.0  # how often: after-hours acknowledgements, pages
    stalled_after: timedelta = timedelta(minutes=5)
    requeue_seconds: float = 60.0
    ca_file: str | None = None
    use_idle: bool = True
    idle_seconds: float = IDLE_REISSUE_SECONDS
    fetch_chunk: int = FETCH_CHUNK
