"""A realistic mix of inbound e-mail, deterministic for a given size: what a support inbox
gets. Used by the ingest tests against Dovecot and by benchmarks/mail_bench.py.

The mix (by position, so every kind appears in any 20 consecutive mails): plain text,
multipart/alternative with HTML, HTML only, Japanese in ISO-2022-JP and Shift_JIS, Russian in
KOI8-R and windows-1251 (quoted-printable and base64), PDF and image attachments, replies that
thread on In-Reply-To, and copies of an earlier e-mail as a second address received it (other
transport headers: the same e-mail, stored once).
"""

from __future__ import annotations

import base64
import quopri
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

_KINDS = (
    "plain",
    "alternative",
    "japanese",
    "russian_koi8",
    "pdf",
    "plain",
    "html_only",
    "russian_1251",
    "reply",
    "alternative",
    "sjis",
    "image",
    "plain",
    "copy",
    "alternative",
    "russian_koi8",
    "reply",
    "japanese",
    "plain",
    "alternative",
)
_JAPANESE = "お世話になっております。注文番号{n}の商品がまだ届いていません。確認をお願いします。"
_RUSSIAN = "Здравствуйте! Заказ {n} до сих пор не пришёл. Подскажите, пожалуйста, где он?"
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"  # ~10 KB of binary
_PNG = b"\x89PNG\r\n\x1a\n" + bytes(reversed(range(256))) * 12


@dataclass(frozen=True)
class CorpusMail:
    raw: bytes
    message_id: str
    kind: str
    # Index of the earlier mail this is a transport copy of (the same e-mail), if any.
    copy_of: int | None = None


def _date(n: int) -> str:
    return formatdate(1_795_000_000 + n * 60, usegmt=True)


def _headers(message: EmailMessage, n: int, subject: str, sender: str) -> str:
    message_id = f"<corpus-{n}@customers.example>"
    message["From"] = sender
    message["To"] = "support@desk.test"
    message["Subject"] = subject
    message["Date"] = _date(n)
    message["Message-ID"] = message_id
    return message_id


def _sender(n: int) -> str:
    return f"Customer {n % 400} <customer{n % 400}@customers.example>"


def _legacy(n: int, charset: str, encoding: str, subject: str, body: str, sender: str) -> bytes:
    """A single-part mail written by an older client in a legacy charset (RFC 2047 subject)."""
    word = base64.b64encode(subject.encode(charset)).decode()
    encoded = body.encode(charset)
    if encoding == "base64":
        payload = base64.encodebytes(encoded)
    elif encoding == "quoted-printable":
        payload = quopri.encodestring(encoded)
    else:  # 7bit: ISO-2022-JP is 7-bit text as it is
        payload = encoded.replace(b"\n", b"\r\n")
    head = (
        f"From: {sender}\r\nTo: support@desk.test\r\nSubject: =?{charset}?B?{word}?=\r\n"
        f"Date: {_date(n)}\r\nMessage-ID: <corpus-{n}@customers.example>\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset={charset}\r\n"
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    ).encode("ascii")
    return head + payload


def _transport(raw: bytes, hop: str) -> bytes:
    return (
        f"Return-Path: <customer@customers.example>\r\nDelivered-To: {hop}@desk.test\r\n"
        f"Received: from mx.{hop}.desk.test by imap.desk.test with LMTP; Mon, 7 Dec 2026 "
        f"08:00:00 +0000\r\n"
    ).encode() + raw


def build(n: int, earlier: list[CorpusMail]) -> CorpusMail:
    kind = _KINDS[n % len(_KINDS)]
    message = EmailMessage()
    sender = _sender(n)
    if kind == "copy" and earlier:
        original = earlier[-7]
        return CorpusMail(
            _transport(original.raw, "sales"),
            original.message_id,
            kind,
            copy_of=len(earlier) - 7,
        )
    if kind in ("japanese", "sjis"):
        charset = "iso-2022-jp" if kind == "japanese" else "shift_jis"
        encoding = "7bit" if kind == "japanese" else "base64"
        body = _JAPANESE.format(n=n) + "\n\n山田太郎\n"
        raw = _legacy(n, charset, encoding, f"注文{n}について", body, sender)
        return CorpusMail(raw, f"<corpus-{n}@customers.example>", kind)
    if kind.startswith("russian"):
        charset = "koi8-r" if kind == "russian_koi8" else "windows-1251"
        encoding = "quoted-printable" if kind == "russian_koi8" else "base64"
        body = _RUSSIAN.format(n=n) + "\n\nС уважением,\nОльга\n"
        raw = _legacy(n, charset, encoding, f"Заказ {n}", body, sender)
        return CorpusMail(raw, f"<corpus-{n}@customers.example>", kind)
    text = (
        f"Hello,\n\nmy order {n * 7} has not arrived. It was due last week and the tracking "
        f"page has said 'in transit' for six days.\n\n"
        + "Could you look into it, please?\n" * 3
        + "\nThanks,\nA customer\n"
    )
    html = (
        f"<html><body><p>Hello,</p><p>my order <b>{n * 7}</b> has not arrived.</p>"
        f"<table><tr><td>Item</td><td>Qty</td></tr><tr><td>Kettle</td><td>1</td></tr></table>"
        f"<p style='color:#333'>Thanks,<br>A customer</p><img src='cid:logo{n}'></body></html>"
    )
    subject = f"Order {n * 7} has not arrived"
    in_reply_to = None
    if kind == "reply" and len(earlier) >= 5:
        in_reply_to = earlier[-5].message_id
        subject = "Re: earlier question"
    message_id = _headers(message, n, subject, sender)
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    if kind == "html_only":
        message.set_content(html, subtype="html")
    else:
        message.set_content(text)
        if kind == "alternative":
            message.add_alternative(html, subtype="html")
        elif kind == "pdf":
            message.add_attachment(
                PDF, maintype="application", subtype="pdf", filename=f"invoice-{n}.pdf"
            )
        elif kind == "image":
            message.add_attachment(_PNG, maintype="image", subtype="png", filename="фото.png")
    return CorpusMail(message.as_bytes(), message_id, kind)


def corpus(size: int) -> list[CorpusMail]:
    mails: list[CorpusMail] = []
    for n in range(size):
        mails.append(build(n, mails))
    return mails


def distinct(mails: list[CorpusMail]) -> int:
    """How many different e-mails the corpus holds (copies are the same e-mail)."""
    return sum(mail.copy_of is None for mail in mails)
