"""Raw test e-mails with real encoded bytes."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid


def simple(
    subject: str = "Order 77 missing",
    body: str = "Hello, where is my order?",
    *,
    sender: str = "Olga Petrova <olga@example.ru>",
    message_id: str | None = None,
    in_reply_to: str | None = None,
) -> tuple[bytes, str]:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@desk.test"
    message["Subject"] = subject
    message["Date"] = "Mon, 23 Nov 2026 08:00:00 +0000"
    message_id = message_id or make_msgid(domain="example.ru")
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message.set_content(body)
    return message.as_bytes(), message_id


def encoded(charset: str, subject: str, body: str, n: int) -> tuple[bytes, str]:
    """A single-part text/plain mail whose subject and body are in `charset` (RFC 2047 B)."""
    import base64

    word = base64.b64encode(subject.encode(charset)).decode()
    message_id = f"<{charset}-{n}@example.jp>"
    head = (
        f"From: sender{n}@example.jp\r\n"
        f"To: support@desk.test\r\n"
        f"Subject: =?{charset}?B?{word}?=\r\n"
        f"Message-ID: {message_id}\r\n"
        f"Date: Mon, 23 Nov 2026 08:00:00 +0000\r\n"
        f"MIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset={charset}\r\n"
        f"Content-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode("ascii")
    return head + body.encode(charset) + b"\r\n", message_id


def delivered(raw: bytes, *, to: str, hop: str) -> bytes:
    """`raw` as one mailbox receives it: with the transport headers of its own way there (the
    headers in which two copies of one e-mail differ, e.g. CC'd to two support addresses)."""
    trace = (
        f"Return-Path: <bounces+{hop}@notify.example.com>\r\n"
        f"Delivered-To: {to}\r\n"
        f"X-Original-To: {to}\r\n"
        f"Received: from mx-{hop}.desk.test (mx-{hop}.desk.test [192.0.2.{len(hop)}])\r\n"
        f"\tby imap.desk.test with LMTP id {hop}; Mon, 23 Nov 2026 08:00:0{len(hop)} +0000\r\n"
        f"Received-SPF: pass (mx-{hop}.desk.test: domain of notify.example.com)\r\n"
        f"Authentication-Results: mx-{hop}.desk.test; dkim=pass header.d=example.com\r\n"
        f"ARC-Seal: i=1; a=rsa-sha256; t=1763884800; cv=none; d=desk.test; s={hop};\r\n"
        f"\tb={hop}Zm9vYmFy\r\n"
        f"DKIM-Signature: v=1; a=rsa-sha256; d=desk.test; s={hop}; h=from:to:subject;\r\n"
        f"\tbh={hop}Ym9keQ==; b={hop}c2lnbmF0dXJl\r\n"
        f"X-Spam-Score: {len(hop)}.0\r\n"
    ).encode()
    return trace + raw


def notification(n: int, message_id: str | None, subject: str, body: str) -> bytes:
    """A mail as an automated notification system sends it, with the Message-ID it is given
    (some reuse one for every mail) or none at all."""
    head = (
        f"From: Courier <notify@courier.example.com>\r\n"
        f"To: support@desk.test\r\n"
        f"Subject: {subject}\r\n"
        f"Date: Mon, {16 + n} Nov 2026 08:00:00 +0000\r\n"
        + (f"Message-ID: {message_id}\r\n" if message_id else "")
        + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    )
    return head.encode() + body.encode() + b"\r\n"


def reused_message_id_corpus() -> tuple[list[bytes], int]:
    """Twelve deliveries of eight distinct e-mails: different mails sharing a Message-ID (or
    having none) and copies of one mail that differ only in transport headers. Returns the
    deliveries in arrival order and how many distinct e-mails they are."""
    fixed = "<notification@courier.example.com>"
    order = "<order-1001@courier.example.com>"
    parcel_1 = notification(0, fixed, "Your parcel is on its way", "Parcel 1 left the depot.")
    parcel_2 = notification(1, fixed, "Your parcel is on its way", "Parcel 2 left the depot.")
    delivered_3 = notification(2, fixed, "Your parcel was delivered", "Parcel 3 delivered.")
    order_a = notification(3, order, "Order 1001", "We received your order.")
    order_b = notification(4, order, "Order 1001", "Your order was cancelled.")
    scan_1 = notification(5, None, "Scan", "Scanned page 1")
    scan_2 = notification(5, None, "Scan", "Scanned page 2")
    unique, _ = simple("Where is my refund?", "Hello, I am still waiting.")
    deliveries = [
        delivered(parcel_1, to="support@desk.test", hop="a"),
        delivered(parcel_1, to="sales@desk.test", hop="bb"),  # CC'd: the same mail
        delivered(parcel_2, to="support@desk.test", hop="a"),  # weeks later, the same ID
        delivered(order_a, to="support@desk.test", hop="a"),
        delivered(order_a, to="sales@desk.test", hop="bb"),
        delivered(order_b, to="support@desk.test", hop="a"),
        delivered(order_b, to="billing@desk.test", hop="ccc"),
        delivered(delivered_3, to="support@desk.test", hop="a"),
        delivered(scan_1, to="support@desk.test", hop="a"),
        delivered(scan_1, to="sales@desk.test", hop="bb"),
        delivered(scan_2, to="support@desk.test", hop="a"),
        unique,
    ]
    return deliveries, 8
