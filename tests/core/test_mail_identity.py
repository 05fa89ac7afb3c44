"""The fingerprint that tells copies of one e-mail from different e-mails."""

from __future__ import annotations

import pytest

from desk_app.core.mail_identity import content_key, fingerprint, is_transport_header

MAIL = (
    b"From: Olga <olga@example.ru>\r\nTo: support@desk.test\r\nSubject: Order 77\r\n"
    b"Date: Mon, 23 Nov 2026 08:00:00 +0000\r\nMessage-ID: <m1@example.ru>\r\n"
    b"MIME-Version: 1.0\r\n\r\nWhere is my order?\r\n"
)


@pytest.mark.parametrize(
    "transport",
    [
        b"Received: from mx.example.ru\r\n\tby imap.desk.test; Mon, 23 Nov 2026 08:00:01 +0000\r\n",
        b"Return-Path: <olga@example.ru>\r\n",
        b"Delivered-To: sales@desk.test\r\n",
        b"X-Original-To: sales@desk.test\r\n",
        b"DKIM-Signature: v=1; a=rsa-sha256; d=example.ru;\r\n\tb=abc\r\n",
        b"ARC-Seal: i=1; cv=none\r\nARC-Message-Signature: i=1; b=x\r\n",
        b"Authentication-Results: mx; dkim=pass\r\nReceived-SPF: pass\r\n",
        b"X-Spam-Score: 1.0\r\nX-Mailer: Thing 1\r\n",
    ],
)
def test_transport_headers_do_not_change_the_fingerprint(transport: bytes) -> None:
    assert fingerprint(transport + MAIL) == fingerprint(MAIL)
    assert fingerprint(MAIL.replace(b"\r\n\r\n", b"\r\n" + transport + b"\r\n")) == fingerprint(
        MAIL
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"Message-ID: <m1@", b"Message-ID: <m2@"),
        (b"Subject: Order 77", b"Subject: Order 78"),
        (b"Date: Mon, 23 Nov", b"Date: Tue, 24 Nov"),
        (b"From: Olga", b"From: Olia"),
        (b"To: support@", b"To: sales@"),
        (b"my order?", b"my parcel?"),
    ],
)
def test_what_the_author_wrote_changes_the_fingerprint(old: bytes, new: bytes) -> None:
    assert fingerprint(MAIL.replace(old, new)) != fingerprint(MAIL)


def test_line_endings_do_not_matter_and_keys_are_marked() -> None:
    assert fingerprint(MAIL.replace(b"\r\n", b"\n")) == fingerprint(MAIL)
    assert content_key(MAIL) == "content-sha256:" + fingerprint(MAIL)
    assert len(fingerprint(MAIL)) == 64


def test_transport_header_names_are_matched_whole() -> None:
    assert is_transport_header(b"received: from x")
    assert is_transport_header(b"X-Anything: 1")
    assert not is_transport_header(b"Received-Order-Note: 1")
    assert not is_transport_header(b"Reply-To: a@b")
    assert not is_transport_header(b"Resentment: 1")
    assert not is_transport_header(b"Statuses: 1")
