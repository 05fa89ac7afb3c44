"""How times, sizes and quoted mail read to an agent. Pure functions, so they are easy to test."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from desk_app.core.countdown import Light, format_remaining, traffic_light


def _span(delta: timedelta) -> str:
    seconds = int(abs(delta.total_seconds()))
    if seconds < 60:
        return "<1m"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes}m" if minutes and hours < 10 else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours and days < 3 else f"{days}d"


def relative_time(when: datetime, now: datetime) -> str:
    """'5m ago' for the last update column: agents scan for staleness, not for clock times."""
    delta = now - when
    if delta < timedelta(seconds=60):
        return "just now"
    return f"{_span(delta)} ago"


@dataclass(frozen=True)
class Countdown:
    """What an SLA cell shows: '2h 14m', '−35m' or '⏸ 1h 30m', and its traffic light."""

    text: str
    light: Light


# U+2016: the pause symbol U+23F8 is missing from common UI fonts (it drew as a box).
PAUSE_MARK = "‖"
TARGET_LABELS = {
    "first_response": "First response",
    "next_response": "Next response",
    "resolution": "Resolution",
}


def countdown(
    due: datetime | None, started: datetime | None, paused_remaining_s: int | None, now: datetime
) -> Countdown | None:
    """The countdown of a running target (due given) or a paused one (remaining given)."""
    if due is not None:
        return Countdown(format_remaining(due - now), traffic_light(due, started, now, False))
    if paused_remaining_s is not None:
        remaining = format_remaining(timedelta(seconds=paused_remaining_s))
        return Countdown(f"{PAUSE_MARK} {remaining}", Light.GREY)
    return None


def local_time(when: datetime, zone: tzinfo, now: datetime | None = None) -> str:
    """Today's messages show only the time; older ones the date too."""
    local = when.astimezone(zone)
    if now is not None and local.date() == now.astimezone(zone).date():
        return local.strftime("%H:%M")
    if now is not None and local.year == now.astimezone(zone).year:
        return local.strftime("%d %b, %H:%M")
    return local.strftime("%d %b %Y, %H:%M")


def file_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


_QUOTE_HEADER = re.compile(
    r"^(On .{4,200} wrote:|-{2,}\s*Original Message\s*-{2,}|From: .+|"
    r".{0,120}(написал|пишет)\S*:|.{0,120}(のメッセージ|書きました)[:：]?)\s*$",
    re.IGNORECASE,
)


def split_quoted(text: str) -> tuple[str, str]:
    """(new text, quoted history). Long threads repeat every earlier message; folding the quote
    keeps the conversation readable while losing nothing."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        stripped = line.strip()
        quoted_from_here = stripped.startswith(">") and all(
            not rest.strip() or rest.lstrip().startswith(">") for rest in lines[index:]
        )
        if quoted_from_here or (_QUOTE_HEADER.match(stripped) and index > 0):
            head = "\n".join(lines[:index]).rstrip()
            if head:
                return head, "\n".join(lines[index:])
    return text, ""
