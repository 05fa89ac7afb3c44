"""The pure part of e-mail threading: subjects reduced to what a reply keeps, and Message-IDs
read out of In-Reply-To and References however a mail client wrote them."""

from __future__ import annotations

import re
import unicodedata

# Reply and forward markers of the mail clients our customers use, in any case, optionally
# counted (Re[2]:, Re(2):, Re^2:) and ended by an ASCII or full-width colon; or a bracketed
# tag such as [#123] or [Support] that ticket systems and mailing lists put in front.
_MARKERS = (
    "re",
    "fwd",
    "fw",
    "aw",
    "wg",
    "sv",
    "vs",
    "antw",
    "tr",
    "rif",
    "odp",
    "ynt",
    "отв",
    "ответ",
    "пересл",
    "返信",
    "転送",
    "回复",
    "转发",
)
_PREFIX = re.compile(
    r"\A\s*(?:"
    rf"(?:{'|'.join(sorted(set(_MARKERS), key=len, reverse=True))})"
    r"\.?\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*[:：]"
    r"|\[[^\[\]]*\]|【[^【】]*】"
    r")",
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")
_BRACKETED = re.compile(r"<([^<>]*)>")
_BARE_SEPARATORS = re.compile(r"[\s,;]+")


def normalise_subject(subject: str | None) -> str:
    """The comparison key of a subject: reply/forward markers and leading [tags] removed,
    whitespace collapsed, NFKC and case folded. An empty result means "no usable subject";
    callers must not thread on it."""
    if not subject:
        return ""
    value = unicodedata.normalize("NFKC", subject)
    value = _SPACE.sub(" ", value).strip()
    while True:
        match = _PREFIX.match(value)
        if match is None:
            break
        value = value[match.end() :].lstrip()
    return value.casefold()


def message_ids_in(header_value: str | None) -> list[str]:
    """Message-IDs in an In-Reply-To or References value, in order, without duplicates,
    each as "<id>".

    Tolerates what real clients send: folding that breaks an ID across lines, commas between
    IDs, comments and phrases around them, and bare IDs without angle brackets."""
    if not header_value:
        return []
    found: list[str] = []
    bracketed = _BRACKETED.findall(header_value)
    if bracketed:
        candidates = [_SPACE.sub("", inner) for inner in bracketed]
    else:
        candidates = [
            token.strip("()\"'") for token in _BARE_SEPARATORS.split(header_value) if "@" in token
        ]
    for candidate in candidates:
        if not candidate:
            continue
        normalised = f"<{candidate}>"
        if normalised not in found:
            found.append(normalised)
    return found


def normalise_message_id(header_value: str | None) -> str | None:
    """The first Message-ID in a header value as "<id>", or None if there is none."""
    ids = message_ids_in(header_value)
    if ids:
        return ids[0]
    if header_value and header_value.strip():
        # A Message-ID without '@' or brackets is still an identifier worth matching on.
        bare = _SPACE.sub("", header_value).strip("<>")
        return f"<{bare}>" if bare else None
    return None
