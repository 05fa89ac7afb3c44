"""What makes two raw e-mails the same e-mail.

A Message-ID alone does not: senders reuse them (notification systems, badly written mailers
with a fixed ID), so two different mails may carry one ID. And two copies of one e-mail are not
byte-identical either: each copy picks up its own transport headers on the way (Received,
Delivered-To, DKIM and ARC signatures, X-headers...), e.g. when it reached two of our addresses
by CC. So an e-mail is identified by its fingerprint: a hash over its headers in order, with the
transport headers left out, and its body bytes, with line endings normalised. The Message-ID
header is part of what is hashed, so equal fingerprints mean the same Message-ID as well.

Pure code (no SQL, no network): the store and the schema migration that backfills stored
mail both use it, so they agree.
"""

from __future__ import annotations

import hashlib
import re

# Headers that mail servers add or rewrite while transporting or storing an e-mail, and that
# therefore differ between copies of one e-mail. Whatever the author's program wrote (From, To,
# Cc, Subject, Date, Message-ID, MIME headers...) stays in the fingerprint.
_TRANSPORT_HEADER = re.compile(
    rb"^(?:"
    rb"received|received-spf|return-path|delivered-to|x-original-to|envelope-to|apparently-to"
    rb"|dkim-signature|domainkey-signature|arc-[a-z0-9-]*|authentication-results(?:-original)?"
    rb"|resent-[a-z0-9-]*|original-recipient|x-[^:]*"
    # What a mailbox store adds to the copy it keeps (mbox status lines and counters).
    rb"|status|content-length|lines"
    rb")[ \t]*:",
    re.IGNORECASE,
)

CONTENT_KEY_PREFIX = "content-sha256:"


def is_transport_header(line: bytes) -> bool:
    """Whether this header line (its first line, "Name: value") is a transport header."""
    return bool(_TRANSPORT_HEADER.match(line))


def fingerprint(raw: bytes) -> str:
    """The hex SHA-256 of the e-mail's non-transport header lines, in their order, and its
    body. One pass over the bytes; CRLF and LF copies of one e-mail agree."""
    text = raw.replace(b"\r\n", b"\n").rstrip()
    head, separator, body = text.partition(b"\n\n")
    kept: list[bytes] = []
    skipping = False
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t"):  # a folded continuation belongs to the header above
            if not skipping:
                kept.append(line)
            continue
        skipping = is_transport_header(line)
        if not skipping:
            kept.append(line)
    return hashlib.sha256(b"\n".join(kept) + separator + body).hexdigest()


def content_key(raw: bytes) -> str:
    """What stands for the Message-ID of an e-mail that has none: its fingerprint, marked so
    it cannot be mistaken for a Message-ID (no angle brackets)."""
    return CONTENT_KEY_PREFIX + fingerprint(raw)
