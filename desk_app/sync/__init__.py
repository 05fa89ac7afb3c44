"""Live sync between desktops: wake-ups from the database, then the change log after a cursor.

No Qt here: the listener hands batches of changes to a plain callback on its own thread, and
the UI marshals them to the GUI thread itself.
"""

from typing import TYPE_CHECKING, Any

from desk_app.sync.status import SyncState, SyncStatus

if TYPE_CHECKING:
    from desk_app.sync.listener import ChangeListener

__all__ = ["ChangeListener", "SyncState", "SyncStatus"]


def __getattr__(name: str) -> Any:
    # The listener (and psycopg with it) loads on first use: the window imports this package
    # for SyncStatus long before it starts listening, and start-up time is the agent's.
    if name == "ChangeListener":
        from desk_app.sync.listener import ChangeListener

        return ChangeListener
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
