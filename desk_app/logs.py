"""Logging to a file in the user log directory. Bugs go there with their traceback; people see a
short message that says where the details are. Secrets are never passed to the logger."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from desk_app.config import paths

_configured: Path | None = None


def log_file() -> Path:
    return paths().logs / "desk.log"


def configure_logging(level: int = logging.INFO) -> Path:
    global _configured
    target = log_file()
    if _configured == target:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        target, maxBytes=5_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.setLevel(level)
    root.addHandler(handler)
    _configured = target
    return target
