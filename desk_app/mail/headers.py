"""A header registry for the email package that does not redo work it has just done.

policy.default's registry builds a new class for every header object it makes (type(...) on
each call, ~25 us) and parses a value afresh every time it is asked: the parser asks for a
part's Content-Type four or five times (multipart? message? digest?), and composing a reply
sets the same Content-Type and MIME-Version on every message. Together that was two thirds of
parsing a plain e-mail and a third of building a reply.
"""

from __future__ import annotations

from email.headerregistry import BaseHeader, HeaderRegistry
from functools import lru_cache
from typing import Any

# Longer values (huge recipient lists) are rare and are not kept in memory.
REMEMBERED_CHARS = 2_000
_REMEMBERED_VALUES = 256
_REMEMBERED_NAMES = 256


class RememberedHeaders(HeaderRegistry):
    """The stock registry, keeping one class per header name and the header objects it made
    lately. Header objects are immutable and the classes hold no state, so sharing them
    changes nothing; common values (text/plain; charset="utf-8") are shared across messages.
    """

    def __init__(self) -> None:
        super().__init__()
        self._remembered = lru_cache(maxsize=_REMEMBERED_VALUES)(super().__call__)
        self._classes: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()  # the stock registry chooses the class by the lower-case name
        made = self._classes.get(key)
        if made is None:
            if len(self._classes) >= _REMEMBERED_NAMES:
                self._classes.clear()
            made = self._classes[key] = super().__getitem__(name)
        return made

    def __call__(self, name: str, value: Any) -> BaseHeader:
        # Only text is remembered: code building a message may set objects (an Address).
        if type(value) is not str or len(value) > REMEMBERED_CHARS:
            return super().__call__(name, value)
        return self._remembered(name, value)
