"""Reading fetched e-mails in bulk: everything ingest works out from the bytes alone, before
any database is involved, so it can run in another process while the worker stores the
previous group.

Per e-mail: the parsed message, its fingerprint (core.mail_identity, for dedupe) and the words
it adds to its ticket's search document. This module imports no store code: worker processes
started with "spawn" import only it and what parsing needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from desk_app.core.mail_identity import fingerprint
from desk_app.core.search_text import index_text
from desk_app.mail.parse import ParsedMessage, parse_message


@dataclass(frozen=True)
class ReadMail:
    parsed: ParsedMessage
    fingerprint: str
    # store.search.message_words(parsed.text): the same function of the text, given the
    # store's limit on indexed characters by the caller (tests/mail/test_read_batch.py).
    search_words: str


def read_mail(raw: bytes, indexed_chars: int) -> ReadMail:
    parsed = parse_message(raw)
    return ReadMail(parsed, fingerprint(raw), index_text(parsed.text[:indexed_chars]))


def read_many(raws: list[bytes], indexed_chars: int) -> list[ReadMail]:
    """read_mail for each, in order (one call per batch: one round trip to a worker)."""
    return [read_mail(raw, indexed_chars) for raw in raws]
