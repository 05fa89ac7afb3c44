"""What IMAP and SMTP connections share: TLS settings and failures explained in plain words.

Certificates are always verified against the system CAs. DESK_EXTRA_CA_FILE (or `--ca-file`)
adds one more trusted CA bundle, for a company CA or the test servers' throwaway CA; it never
turns verification off.
"""

from __future__ import annotations

import os
import socket
import ssl
from dataclasses import dataclass

from desk_app.core.errors import Unavailable

# IMAP session limits, here (not in mail.imap) so the worker's options can name them without
# importing an IMAP client: the window passes options to a worker process it does not run itself.
FETCH_CHUNK = 500
# RFC 2177 asks clients to re-issue IDLE at least every 29 minutes; many NAT boxes and servers
# drop quiet connections after 10, so we stay well under that.
IDLE_REISSUE_SECONDS = 9 * 60

EXTRA_CA_ENV = "DESK_EXTRA_CA_FILE"
TIMEOUT_SECONDS = 30.0


def tls_context(ca_file: str | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    extra = ca_file or os.environ.get(EXTRA_CA_ENV)
    if extra:
        try:
            context.load_verify_locations(cafile=extra)
        except (OSError, ssl.SSLError) as exc:
            raise Unavailable(f"cannot read the extra CA file {extra}: {exc}") from None
    return context


@dataclass(frozen=True)
class ServerSettings:
    host: str
    port: int
    security: str  # ssl | starttls | none
    username: str
    password: str
    context: ssl.SSLContext
    timeout: float = TIMEOUT_SECONDS

    def __repr__(self) -> str:  # keep the password out of logs and tracebacks
        return f"ServerSettings({self.host}:{self.port}, {self.security}, {self.username})"


class MailServerError(Unavailable):
    """A mail server problem a person can act on. `problem` is one of auth_failed,
    unreachable, certificate_invalid, refused; the message says it in words."""

    def __init__(self, problem: str, message: str) -> None:
        super().__init__(message)
        self.problem = problem


def certificate_error(server: str, exc: BaseException) -> MailServerError:
    detail = getattr(exc, "verify_message", None) or str(exc)
    return MailServerError(
        "certificate_invalid",
        f"certificate invalid: {server} presented a certificate that could not be verified "
        f"({detail}). If your company uses its own CA, point {EXTRA_CA_ENV} at its file.",
    )


def unreachable_error(server: str, exc: BaseException) -> MailServerError:
    if isinstance(exc, socket.gaierror):
        why = "the host name could not be resolved"
    elif isinstance(exc, ConnectionRefusedError):
        why = "the connection was refused"
    elif isinstance(exc, TimeoutError | socket.timeout):
        why = "it did not answer in time"
    else:
        why = str(exc) or type(exc).__name__
    return MailServerError("unreachable", f"server unreachable: {server}: {why}")


def auth_error(server: str) -> MailServerError:
    return MailServerError(
        "auth_failed",
        f"auth failed: {server} refused the user name or password",
    )


def find_certificate_error(exc: BaseException | None) -> ssl.SSLCertVerificationError | None:
    """aiosmtplib and imapclient wrap TLS failures; look through the chain."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, ssl.SSLCertVerificationError):
            return exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None
