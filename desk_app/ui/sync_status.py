"""The status bar's account of sync: which database, whether we are live, and how far behind."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import QStatusBar

from desk_app.sync import SyncState, SyncStatus
from desk_app.ui.plain import plain_label, tooltip


def database_text(description: str) -> str:
    """'embedded database /x/Desk.db' -> 'Embedded database /x/Desk.db' (the path keeps its
    case, which str.capitalize would not)."""
    return description[:1].upper() + description[1:]


class SyncStatusLabels:
    """Two permanent labels: the database (fixed) and the sync state (updated every second, so
    'last sync 12 s ago' keeps counting while the database is away)."""

    def __init__(self, status_bar: QStatusBar, description: str) -> None:
        self.database = plain_label(database_text(description))
        self.database.setObjectName("databaseLabel")
        self.state = plain_label("connecting…")
        self.state.setObjectName("syncState")
        status_bar.addPermanentWidget(self.database)
        status_bar.addPermanentWidget(self.state)
        self._status: SyncStatus | None = None

    def show(self, status: SyncStatus | None, now: datetime) -> None:
        self._status = status
        if status is None:
            self.state.setText("connecting…")
            self.state.setToolTip("")
            return
        self.state.setText(status.describe(now))
        tip = f"Last sync {status.last_sync:%H:%M:%S} UTC" if status.last_sync else "Not synced yet"
        if status.state is SyncState.RECONNECTING and status.error:
            tip += f"\n{status.error}"
        self.state.setToolTip(tooltip(tip))

    def tick(self, status: SyncStatus | None, now: datetime) -> None:
        self.show(status, now)
