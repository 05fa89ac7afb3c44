"""Logging to a file in the user log directory. Bugs go there with their traceback; people see a
short message that says where the details are. Secrets are never passed to the logger."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from desk_app.config import paths

# The handler this module installed, and its file: configuring again for the same file is a
# no-op (the CLI and the window both ask), for another file (tests change the home) a swap.
_installed: tuple[Path, logging.Handler] | None = None


def log_file(name: str = "desk.log") -> Path:
    return paths().logs / name


def configure_logging(level: int = logging.INFO, name: str = "desk.log") -> Path:
    """Send this process's log records to `name` in the user log directory (the window and the
    CLI use desk.log; the mail worker process its own file, so each file has one writer that
    rotates it)."""
    global _installed
    target = log_file(name)
    if _installed is not None and _installed[0] == target:
        return target
    root = logging.getLogger()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            target, maxBytes=5_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:  # an unwritable log directory must not stop the app
        handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    if _installed is not None:
        root.removeHandler(_installed[1])
        _installed[1].close()
    root.setLevel(level)
    root.addHandler(handler)
    _installed = (target, handler)
    return target
