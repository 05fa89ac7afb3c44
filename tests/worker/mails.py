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
