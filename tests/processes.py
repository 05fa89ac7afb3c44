"""Helpers for tests that kill processes."""

from __future__ import annotations

from pathlib import Path


def running(pid: int) -> bool:
    """The process exists and has not ended: a zombie has ended (in a container nobody may
    ever reap it, so it would look alive to os.kill). Reads /proc: Linux only."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"
