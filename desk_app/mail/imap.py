"""A blocking IMAP session for the worker (imapclient); the worker runs it in a thread.

What the calls guard against:
- a selected session may not see mail appended by another connection until NOOP or SELECT, so
  every pass re-SELECTs (which also re-reads UIDVALIDITY);
- "UID SEARCH UID N:*" returns the highest message even when its UID is below N, so results
  are filtered again here;
- fetching uses BODY.PEEK[] so reading a message never marks it read;
- IDLE responses (and IDLE errors) are only a wake-up: the next pass re-reads the folder.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import socket
import ssl
import time
from collections.abc import Callable, Iterator, Sequence

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from desk_app.mail.connection import (
    IDLE_REISSUE_SECONDS,
    MailServerError,
    ServerSettings,
    auth_error,
    certificate_error,
    find_certificate_error,
    unreachable_error,
)

log = logging.getLogger(__name__)

_IDLE_SLICE_SECONDS = 1.0


@contextlib.contextmanager
def explained(server: str) -> Iterator[None]:
    """Turn socket, TLS and IMAP failures into MailServerError with a plain message."""
    try:
        yield
    except MailServerError:
        raise
    except LoginError:
        raise auth_error(server) from None
    except ssl.SSLCertVerificationError as exc:
        raise certificate_error(server, exc) from None
    except (OSError, EOFError, imaplib.IMAP4.abort) as exc:
        cert = find_certificate_error(exc)
        if cert is not None:
            raise certificate_error(server, cert) from None
        raise unreachable_error(server, exc) from None
    except (IMAPClientError, imaplib.IMAP4.error) as exc:
        text = str(exc)
        if "AUTHENTICATIONFAILED" in text.upper() or "LOGIN" in text.upper():
            raise auth_error(server) from None
        raise MailServerError("refused", f"the IMAP server {server} refused: {text}") from None


class ImapMailbox:
    """One logged-in connection to one folder of one account."""

    def __init__(self, settings: ServerSettings, folder: str) -> None:
        self.settings = settings
        self.folder = folder
        self.server = f"IMAP {settings.host}:{settings.port}"
        self._client: IMAPClient | None = None
        self._created: set[str] = set()

    # --- connection ----------------------------------------------------------------------

    def connect(self) -> None:
        s = self.settings
        with explained(self.server):
            client = IMAPClient(
                s.host,
                s.port,
                ssl=s.security == "ssl",
                ssl_context=s.context if s.security == "ssl" else None,
                timeout=s.timeout,
            )
            try:
                # imaplib writes an APPEND/command literal in pieces; Nagle would delay each.
                client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if s.security == "starttls":
                    client.starttls(s.context)
                client.login(s.username, s.password)
            except BaseException:
                with contextlib.suppress(Exception):
                    client.shutdown()
                raise
        self._client = client

    @property
    def connected(self) -> bool:
        return self._client is not None

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            self.connect()
        assert self._client is not None
        return self._client

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        with contextlib.suppress(Exception):
            client.logout()
        with contextlib.suppress(Exception):
            client.shutdown()

    def __enter__(self) -> ImapMailbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- reading -------------------------------------------------------------------------

    def select(self) -> int:
        """SELECT the folder (fresh view of new mail) and return its UIDVALIDITY."""
        with explained(self.server):
            info = self.client.select_folder(self.folder)
        return int(info[b"UIDVALIDITY"])

    def uids_after(self, last_uid: int) -> list[int]:
        with explained(self.server):
            found = self.client.search(["UID", f"{last_uid + 1}:*"])
        return sorted(uid for uid in found if uid > last_uid)

    def uids_up_to(self, last_uid: int, criteria: Sequence[str] = ()) -> list[int]:
        """UIDs at or below last_uid (optionally also matching criteria such as UNSEEN)."""
        if last_uid < 1:
            return []
        with explained(self.server):
            found = self.client.search([*criteria, "UID", f"1:{last_uid}"])
        return sorted(uid for uid in found if uid <= last_uid)

    def fetch(self, uids: Sequence[int]) -> dict[int, bytes]:
        """Raw bytes of the messages, read without setting \\Seen. UIDs that vanished
        meanwhile (expunged by someone else) are simply missing from the result."""
        if not uids:
            return {}
        with explained(self.server):
            fetched = self.client.fetch(list(uids), [b"BODY.PEEK[]"])
        return {
            int(uid): bytes(data[b"BODY[]"]) for uid, data in fetched.items() if b"BODY[]" in data
        }

    # --- after import --------------------------------------------------------------------

    def mark_seen(self, uids: Sequence[int]) -> None:
        if uids:
            with explained(self.server):
                self.client.add_flags(list(uids), [rb"\Seen"], silent=True)

    def move(self, uids: Sequence[int], folder: str) -> None:
        if not uids:
            return
        with explained(self.server):
            self._ensure_folder(folder)
            client = self.client
            if client.has_capability("MOVE"):
                client.move(list(uids), folder)
                return
            client.copy(list(uids), folder)
            client.add_flags(list(uids), [rb"\Deleted"], silent=True)
            if client.has_capability("UIDPLUS"):
                client.uid_expunge(list(uids))
            else:
                client.expunge()

    def _ensure_folder(self, folder: str) -> None:
        if folder in self._created:
            return
        if not self.client.folder_exists(folder):
            with contextlib.suppress(IMAPClientError):  # created by someone else meanwhile
                self.client.create_folder(folder)
        self._created.add(folder)

    # --- waiting -------------------------------------------------------------------------

    @property
    def can_idle(self) -> bool:
        with explained(self.server):
            return bool(self.client.has_capability("IDLE"))

    def wait(self, seconds: float, should_stop: Callable[[], bool]) -> str:
        """Wait up to `seconds` for the server to report a change (IDLE), or until
        `should_stop()` is true. Returns why: "activity", "timeout", "stopped" or "error".
        Any IDLE failure is treated as a wake-up and drops the connection, so the next pass
        reconnects."""
        seconds = min(seconds, IDLE_REISSUE_SECONDS)
        deadline = time.monotonic() + seconds
        client = self.client
        try:
            # Mail that arrived between the last SEARCH and IDLE is not always announced once
            # IDLE starts; a NOOP first reports it (EXISTS) and we look again instead.
            _text, pending = client.noop()
            if any(_is_exists(response) for response in pending):
                return "activity"
            client.idle()
            try:
                while not should_stop():
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return "timeout"
                    if client.idle_check(timeout=min(_IDLE_SLICE_SECONDS, left)):
                        return "activity"
                return "stopped"
            finally:
                client.idle_done()
        except Exception as exc:  # any IDLE trouble is only a reason to look again
            log.info("IDLE on %s ended with %s; treated as a wake-up", self.server, exc)
            self.close()
            return "error"


def _is_exists(response: object) -> bool:
    return isinstance(response, tuple) and len(response) > 1 and response[1] == b"EXISTS"
