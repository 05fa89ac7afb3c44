"""An outgoing reply as a MIME message, exactly as the customer's mail client should thread it.

The Message-ID is the one stored with the reply, so a resend after a crash carries the same
identity and the customer's client (and our own ingest) recognise a duplicate as one.
"""

from __future__ import annotations

import html
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from desk_app.mail.headers import RememberedHeaders
from desk_app.store.mail_store import OutgoingMail


def text_to_html(text: str) -> str:
    """A simple, escaped HTML version of a plain-text reply (paragraphs and line breaks)."""
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    body = "\n".join(
        "<p>" + "<br>\n".join(html.escape(line) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )
    head = '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n'
    return f"{head}{body}\n</body></html>\n"


def _address(name: str, address: str) -> Address:
    local, _, domain = address.rpartition("@")
    return Address(display_name=name, username=local, domain=domain)


# The same Content-Type and MIME-Version headers are set on every reply: see mail/headers.py.
_POLICY = policy.SMTP.clone(header_factory=RememberedHeaders())


def build_message(mail: OutgoingMail, now: datetime) -> EmailMessage:
    message = EmailMessage(policy=_POLICY)
    message["From"] = _address(mail.from_name, mail.from_address)
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(now)
    # Stored replies always have one; a missing one gets a fresh ID rather than none at all.
    message["Message-ID"] = mail.message_id or make_msgid()
    if mail.in_reply_to:
        message["In-Reply-To"] = mail.in_reply_to
    if mail.references:
        message["References"] = mail.references
    if mail.auto_submitted:  # RFC 3834; the second header is what Exchange listens to
        message["Auto-Submitted"] = "auto-replied"
        message["X-Auto-Response-Suppress"] = "All"
    message.set_content(mail.body_text or "")
    message.add_alternative(mail.body_html or text_to_html(mail.body_text or ""), subtype="html")
    for attachment in mail.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.content,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
            cid=f"<{attachment.content_id}>" if attachment.content_id else None,
        )
    return message
