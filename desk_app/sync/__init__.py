"""Live sync between desktops: wake-ups from the database, then the change log after a cursor.

No Qt here: the listener hands batches of changes to a plain callback on its own thread, and
the UI marshals them to the GUI thread itself.
"""

from desk_app.sync.listener import ChangeListener
from desk_app.sync.status import SyncState, SyncStatus

__all__ = ["ChangeListener", "SyncState", "SyncStatus"]
