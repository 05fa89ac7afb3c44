"""One SMTP connection per account per sending pass (aiosmtplib), and what each reply's
attempt came to: sent, retry later (4xx, network) or failed for good (5xx, with the server's
words)."""

from __future__ import annotations

import contextlib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib

from desk_app.mail.connection import (
    MailServerError,
    ServerSettings,
    auth_error,
    certificate_error,
    find_certificate_error,
    unreachable_error,
)

# Authentication trouble is the account's, not the reply's: retry later, never fail the reply.
_AUTH_CODES = {530, 534, 535, 538}


@dataclass(frozen=True)
class SendOutcome:
    kind: str  # sent | retry | failed
    error: str | None = None
    # The connection can no longer be used (dropped, 421); the next reply needs a new one.
    connection_lost: bool = False
    # The trouble is the account's (authentication), worth showing in the account status.
    account_problem: str | None = None


def _server_text(exc: aiosmtplib.SMTPResponseException) -> str:
    return f"{exc.code} {exc.message}".strip()


class SmtpConnection:
    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.server = f"SMTP {settings.host}:{settings.port}"
        self._smtp: aiosmtplib.SMTP | None = None

    async def connect(self) -> None:
        """Connect and log in, or raise MailServerError in plain words."""
        s = self.settings
        smtp = aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            use_tls=s.security == "ssl",
            start_tls=s.security == "starttls",
            tls_context=s.context if s.security != "none" else None,
            timeout=s.timeout,
        )
        try:
            await smtp.connect()
            # connect() does not always say EHLO; without it the AUTH offer is unknown.
            if not smtp.esmtp_extensions:
                await smtp.ehlo()
            # Relays without AUTH (a local postfix) take mail from us without a login.
            if s.password and smtp.supports_extension("auth"):
                await smtp.login(s.username, s.password)
        except aiosmtplib.SMTPAuthenticationError:
            await self._abandon(smtp)
            raise auth_error(self.server) from None
        except ssl.SSLCertVerificationError as exc:
            await self._abandon(smtp)
            raise certificate_error(self.server, exc) from None
        except aiosmtplib.SMTPResponseException as exc:
            await self._abandon(smtp)
            raise MailServerError(
                "refused", f"the SMTP server {self.server} refused: {_server_text(exc)}"
            ) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            await self._abandon(smtp)
            cert = find_certificate_error(exc)
            if cert is not None:
                raise certificate_error(self.server, cert) from None
            raise unreachable_error(self.server, exc) from None
        self._smtp = smtp

    @property
    def connected(self) -> bool:
        return self._smtp is not None and self._smtp.is_connected

    async def send(self, message: EmailMessage, sender: str, recipient: str) -> SendOutcome:
        smtp = self._smtp
        if smtp is None or not smtp.is_connected:
            return SendOutcome("retry", f"{self.server}: not connected", connection_lost=True)
        try:
            await smtp.send_message(message, sender=sender, recipients=[recipient])
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0] if exc.recipients else None
            if refused is None:
                return SendOutcome("retry", f"{self.server}: recipient refused")
            return await self._classified(refused.code, _server_text(refused))
        except aiosmtplib.SMTPResponseException as exc:
            outcome = await self._classified(exc.code, _server_text(exc))
            if exc.code == 421:
                await self.close()
                return SendOutcome(outcome.kind, outcome.error, True, outcome.account_problem)
            return outcome
        except (aiosmtplib.SMTPException, OSError) as exc:
            await self.close()
            return SendOutcome(
                "retry", str(unreachable_error(self.server, exc)), connection_lost=True
            )
        return SendOutcome("sent")

    async def _classified(self, code: int, text: str) -> SendOutcome:
        # A refused transaction may leave the envelope half-open; RSET clears it for the next.
        with contextlib.suppress(Exception):
            if self._smtp is not None and self._smtp.is_connected:
                await self._smtp.rset()
        if code in _AUTH_CODES:
            problem = f"auth failed: {self.server} asks to log in first ({text})"
            return SendOutcome("retry", text, account_problem=problem)
        if 500 <= code < 600:
            return SendOutcome("failed", text)
        return SendOutcome("retry", text)

    async def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        with contextlib.suppress(Exception):
            if smtp.is_connected:
                await smtp.quit()
        with contextlib.suppress(Exception):
            smtp.close()

    async def _abandon(self, smtp: aiosmtplib.SMTP) -> None:
        with contextlib.suppress(Exception):
            smtp.close()
