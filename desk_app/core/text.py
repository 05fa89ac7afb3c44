"""Small text helpers used wherever a message is summarised."""

from __future__ import annotations

import re

PREVIEW_LENGTH = 160
_QUOTE_LINE = re.compile(r"^\s*>")
_SPACE = re.compile(r"\s+")


def preview_of(body: str, length: int = PREVIEW_LENGTH) -> str:
    """The first words of a message for the inbox: quoted lines dropped, whitespace collapsed."""
    lines = [line for line in body.splitlines() if not _QUOTE_LINE.match(line)]
    flat = _SPACE.sub(" ", " ".join(lines)).strip()
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"
