"""Mail to our own people, not to customers: pages to the person on call and the hand-off
summary. It is no ticket message (the outbox sends those to the ticket's customer), so it goes
straight to SMTP through one of the team's mail accounts; callers record what happened."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from desk_app.core.errors import Unavailable
from desk_app.mail import passwords
from desk_app.mail.connection import ServerSettings, tls_context
from desk_app.mail.smtp import SendOutcome, SmtpConnection
from desk_app.store.database import Database
from desk_app.store.mail_store import MailStore
from desk_app.store.records import AccountRecord

FROM_NAME = "Desk"


def internal_message(
    *,
    from_address: str,
    to_address: str,
    subject: str,
    text: str,
    now: datetime,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    message = EmailMessage(policy=policy.SMTP)
    local, _, domain = from_address.rpartition("@")
    message["From"] = Address(display_name=FROM_NAME, username=local, domain=domain)
    message["To"] = to_address
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=domain or "desk.invalid")
    # Machine-made: an out-of-office reply to it must not come back into the support inbox
    # as a new ticket.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    return message


async def send_one(settings: ServerSettings, message: EmailMessage, sender: str) -> SendOutcome:
    """Connect, send one message, close. Raises Unavailable when the server cannot be used."""
    connection = SmtpConnection(settings)
    await connection.connect()
    try:
        return await connection.send(message, sender, str(message["To"]))
    finally:
        await connection.close()


def smtp_settings(
    account: AccountRecord,
    password_for: Callable[[str], str] = passwords.password_for,
    ca_file: str | None = None,
) -> ServerSettings:
    return ServerSettings(
        host=account.smtp_host,
        port=account.smtp_port,
        security=account.security,
        username=account.username,
        password=password_for(account.name),
        context=tls_context(ca_file),
    )


def send_internal(
    db: Database,
    *,
    to_address: str,
    subject: str,
    text: str,
    now: datetime,
    password_for: Callable[[str], str] = passwords.password_for,
    ca_file: str | None = None,
) -> None:
    """Send through the team's first active mail account, blocking (call it off the GUI
    thread). Raises Unavailable, in words, when it could not be sent."""
    accounts = MailStore(db, None).accounts()
    if not accounts:
        raise Unavailable("no mail account to send from; add one with `desk account add`")
    account = accounts[0]
    message = internal_message(
        from_address=account.address, to_address=to_address, subject=subject, text=text, now=now
    )
    settings = smtp_settings(account, password_for, ca_file)
    outcome = asyncio.run(send_one(settings, message, account.address))
    if outcome.kind != "sent":
        raise Unavailable(f"the mail to {to_address} was not sent: {outcome.error}")
