"""What the status bar says about sync: connection state, last successful sync, lag."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class SyncState(StrEnum):
    CONNECTING = "connecting"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"


@dataclass(frozen=True)
class SyncStatus:
    """A snapshot; the listener replaces it whole, so readers on other threads need no lock."""

    state: SyncState = SyncState.CONNECTING
    last_sync: datetime | None = None  # when the change log was last read successfully
    lag: timedelta | None = None  # applied-at minus committed-at of the newest change seen
    error: str | None = None  # why we are reconnecting, for a tooltip

    def describe(self, now: datetime) -> str:
        """One short phrase: 'live · lag 40 ms' or 'reconnecting… (last sync 12 s ago)'."""
        if self.state is SyncState.LIVE:
            return "live" if self.lag is None else f"live · lag {format_duration(self.lag)}"
        if self.state is SyncState.RECONNECTING:
            if self.last_sync is None:
                return "reconnecting…"
            return f"reconnecting… (last sync {format_duration(now - self.last_sync)} ago)"
        if self.state is SyncState.CONNECTING:
            return "connecting…"
        return "not syncing"


def format_duration(span: timedelta) -> str:
    seconds = max(span.total_seconds(), 0.0)
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min"
    return f"{seconds // 3600:.0f} h"
