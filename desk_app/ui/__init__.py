"""The Qt desktop client: talks to the store only through Queries and Service, off-thread."""

from desk_app.ui import qt_compat as _qt_compat  # noqa: F401  (must run before any Qt call)
