"""Split a plain-text message into what the sender wrote now, the history they quoted and their
signature, so the conversation view can fold the last two away.

Nothing is ever dropped: the segments joined in order are the original text, character for
character. Only the history and the RFC 3676 "-- " signature are recognised, plus the one-line
footers phones add; a sign-off such as "Thanks, Anna" is part of the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

SegmentKind = Literal["new", "quoted", "signature"]


@dataclass(frozen=True)
class Segment:
    kind: SegmentKind
    text: str


_QUOTE_LINE = re.compile(r"^[ \t]{0,3}[>＞]")
_SIGNATURE_DELIMITER = "-- "
# Attribution lines almost always carry a date or an address; requiring one keeps a sentence
# such as "Here is what I wrote:" in the new text.
_HAS_DATE_OR_ADDRESS = re.compile(r"\d|@")
_ATTRIBUTION_START = re.compile(r"^\s*(?:On|Am|Le)\s|\d")
_ATTRIBUTIONS = [
    re.compile(r"^\s*On\s.{0,400}\bwrote\s*[:：]\s*$"),
    re.compile(r"^\s*Am\s.{0,400}\bschrieb\b.{0,200}[:：]\s*$"),
    re.compile(r"^\s*Le\s.{0,400}\ba\s+écrit\s*[:：]\s*$"),
    re.compile(r"^.{0,400}(?:написал\(а\)|написала|написал|пишет)\s*[:：]\s*$", re.IGNORECASE),
    re.compile(r"^.{0,400}(?:書きました|のメッセージ|wrote)\s*[:：]\s*$"),
    # Gmail outside English: "пн, 15 янв. 2024 г. в 10:00, Иван <ivan@example.ru>:".
    re.compile(r"^.{0,400}<[^<>\s@]+@[^<>\s]+>\s*[:：]\s*$"),
]
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(?:Original Message|Исходное сообщение|元のメッセージ|"
    r"Ursprüngliche Nachricht|Message d'origine)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_FIELD = r"^\s*\*?\s*(?:{names})\s*\*?\s*[:：]"
_FROM_FIELD = re.compile(_FIELD.format(names="From|От|差出人|Von|De") + r"\s*\S", re.IGNORECASE)
_SENT_FIELD = re.compile(
    _FIELD.format(names="Sent|Date|Отправлено|Дата|送信日時|日付|Gesendet|Datum|Envoyé"),
    re.IGNORECASE,
)
_OTHER_FIELD = re.compile(
    _FIELD.format(names="To|Cc|Subject|Кому|Копия|Тема|宛先|件名|CC|An|Betreff|À|Objet"),
    re.IGNORECASE,
)
_OUTLOOK_RULE = re.compile(r"^\s*_{10,}\s*$")
_MOBILE_FOOTER = re.compile(
    r"^\s*(?:Sent from my \S.{0,40}|Sent from (?:Mail|Outlook|Yahoo Mail) .{0,40}"
    r"|Get Outlook for \S.{0,30}|Отправлено (?:с|из) .{1,40}"
    r"|(?:iPhone|iPad|Android|Outlook|Gmail).{0,20}から送信)\s*$",
    re.IGNORECASE,
)
_ATTRIBUTION_MAX_LINES = 3
_OUTLOOK_LOOKAHEAD = 6


def _bare(line: str) -> str:
    return line.rstrip("\r\n")


def _is_blank(line: str) -> bool:
    return not line.strip()


def _attribution_length(lines: list[str], start: int) -> int:
    """How many lines the reply attribution starting at `start` spans (0 if none)."""
    if _QUOTE_LINE.match(lines[start]) or _is_blank(lines[start]):
        return 0
    parts: list[str] = []
    for offset in range(_ATTRIBUTION_MAX_LINES):
        index = start + offset
        if index >= len(lines) or _is_blank(lines[index]) or _QUOTE_LINE.match(lines[index]):
            return 0
        parts.append(_bare(lines[index]).strip())
        joined = " ".join(parts)
        if len(joined) > 500:
            return 0
        if _is_attribution(joined):
            # A wrapped attribution starts at its own first line ("On <date>", or a date),
            # not at the sentence above it.
            if offset and not _ATTRIBUTION_START.search(parts[0]):
                return 0
            if (
                offset
                and _ATTRIBUTION_START.search(parts[1])
                and _is_attribution(" ".join(parts[1:]))
            ):
                return 0
            return offset + 1
    return 0


def _is_attribution(line: str) -> bool:
    return bool(_HAS_DATE_OR_ADDRESS.search(line)) and any(p.match(line) for p in _ATTRIBUTIONS)


def _outlook_block_start(lines: list[str], start: int) -> int | None:
    """Where an Outlook-style history block begins if one starts at `start`."""
    line = lines[start]
    if _ORIGINAL_MESSAGE.match(line):
        return start
    if not _FROM_FIELD.match(line):
        return None
    following = lines[start + 1 : start + 1 + _OUTLOOK_LOOKAHEAD]
    if not any(_SENT_FIELD.match(item) for item in following):
        return None
    if not any(_OTHER_FIELD.match(item) for item in following):
        return None
    if start > 0 and _OUTLOOK_RULE.match(lines[start - 1]):
        return start - 1
    return start


def _classify(lines: list[str]) -> list[SegmentKind]:
    kinds: list[SegmentKind] = ["new"] * len(lines)
    index = 0
    while index < len(lines):
        block = _outlook_block_start(lines, index)
        if block is not None:
            kinds[block:] = ["quoted"] * (len(lines) - block)
            break
        span = _attribution_length(lines, index)
        if span:
            after = index + span
            while after < len(lines) and _is_blank(lines[after]):
                after += 1
            if after < len(lines) and _QUOTE_LINE.match(lines[after]):
                # Bottom-posting or inline replies: the attribution belongs to the quote that
                # follows, and the sender's answers after that quote are new text again.
                kinds[index:after] = ["quoted"] * (after - index)
                index = after
                continue
            kinds[index:] = ["quoted"] * (len(lines) - index)
            break
        if _QUOTE_LINE.match(lines[index]):
            kinds[index] = "quoted"
        index += 1
    _absorb_blank_runs(lines, kinds)
    _mark_signature(lines, kinds)
    return kinds


def _absorb_blank_runs(lines: list[str], kinds: list[SegmentKind]) -> None:
    """Blank lines inside or after a quote fold with it instead of splitting it in two."""
    index = 0
    while index < len(lines):
        if not _is_blank(lines[index]) or kinds[index] != "new":
            index += 1
            continue
        end = index
        while end < len(lines) and _is_blank(lines[end]) and kinds[end] == "new":
            end += 1
        before = kinds[index - 1] if index > 0 else None
        after = kinds[end] if end < len(lines) else None
        if before == "quoted" and after in ("quoted", None):
            kinds[index:end] = ["quoted"] * (end - index)
        index = end


def _mark_signature(lines: list[str], kinds: list[SegmentKind]) -> None:
    for index, line in enumerate(lines):
        if kinds[index] == "new" and _bare(line) == _SIGNATURE_DELIMITER:
            end = index
            while end < len(lines) and kinds[end] == "new":
                kinds[end] = "signature"
                end += 1
            break
    for index, line in enumerate(lines):
        if kinds[index] != "new" or not _MOBILE_FOOTER.match(_bare(line)):
            continue
        # Only as the last words of a run of new text: "Sent from my iPhone" in the middle of
        # a sentence-long paragraph is something the customer said.
        rest = index + 1
        while rest < len(lines) and kinds[rest] == "new" and _is_blank(lines[rest]):
            rest += 1
        if rest == len(lines) or kinds[rest] != "new":
            kinds[index:rest] = ["signature"] * (rest - index)


def split_quoted(text: str) -> list[Segment]:
    """Split a plain-text body into new text, quoted history and signature segments.

    Adjacent lines of the same kind form one segment; "".join(s.text for s in segments) is
    always `text`."""
    lines = text.splitlines(keepends=True)
    if not lines:
        return []
    kinds = _classify(lines)
    segments: list[Segment] = []
    run_kind = kinds[0]
    run: list[str] = []
    for line, kind in zip(lines, kinds, strict=True):
        if kind != run_kind and run:
            segments.append(Segment(run_kind, "".join(run)))
            run = []
        run_kind = kind
        run.append(line)
    segments.append(Segment(run_kind, "".join(run)))
    return segments


def new_text_of(text: str) -> str:
    """Only what the sender wrote in this message (for previews and notifications)."""
    return "".join(s.text for s in split_quoted(text) if s.kind == "new").strip()
