"""Tags on customers and tickets, and the language we write to a customer in.

Tags are what SLA policies and routing rules match on, so they are kept in one canonical form:
NFKC, case-folded, unique and sorted, space-separated. A person types "VIP, Partner" and every
rule compares "partner vip".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from desk_app.core.errors import InvalidInput

_TAG = re.compile(r"^[\w-]{1,40}$")
MAX_TAGS_TEXT = 500
LANGUAGES = ("en", "ja", "ru")


def normalise_tags(tags: Iterable[str] | str) -> str:
    """'VIP, partner' or ['vip', 'Partner'] -> 'partner vip'."""
    words = tags.replace(",", " ").split() if isinstance(tags, str) else list(tags)
    folded = sorted({unicodedata.normalize("NFKC", w).casefold().strip() for w in words} - {""})
    for tag in folded:
        if not _TAG.match(tag):
            raise InvalidInput(
                f"tag '{tag}': use letters, digits, '-' and '_' only (at most 40 characters)"
            )
    text = " ".join(folded)
    if len(text) > MAX_TAGS_TEXT:
        raise InvalidInput(f"too many tags: at most {MAX_TAGS_TEXT} characters in all")
    return text


def tag_set(text: str | None) -> frozenset[str]:
    """The stored form back as a set."""
    return frozenset((text or "").split())


def normalise_language(language: str) -> str:
    """'' means not known; otherwise one of the languages Desk writes in."""
    value = language.strip().lower()
    if value and value not in LANGUAGES:
        raise InvalidInput(f"language '{language}': use one of {', '.join(LANGUAGES)}")
    return value
