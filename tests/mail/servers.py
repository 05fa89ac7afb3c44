"""Real mail servers on loopback for the mail tests: pymap for IMAP, aiosmtpd for SMTP.

IMAP runs pymap's in-memory ``dict`` backend in a *subprocess* (``python servers.py serve-imap``),
so it outlives test worker processes that are killed with SIGKILL and can be shared by several
processes: anything that knows host, port, user name and password can use it. The server
provisions a user on first login with the shared password :data:`IMAP_PASSWORD`, so every test
gets its own, empty mailboxes just by choosing a fresh user name (:meth:`PymapProcess.new_account`).
The subprocess exits when its stdin closes, so it cannot outlive the test run even if pytest
itself is killed.

SMTP runs aiosmtpd in a *thread* of the test process with its own event loop
(:class:`SmtpTestServer`); it records every message and can be told to refuse commands. Worker
subprocesses reach it through its port; the recorded messages live in the test process.

What pymap 0.36 offers (checked by test_servers.py): LOGIN, AUTHENTICATE PLAIN/LOGIN, SELECT,
UID SEARCH, UID FETCH, UID STORE, UID COPY, UID MOVE (MOVE), UID EXPUNGE and APPENDUID (UIDPLUS),
IDLE, MULTIAPPEND, BINARY, OBJECTID, STARTTLS. It does NOT offer CONDSTORE/QRESYNC, ENABLE,
ESEARCH, NAMESPACE, UNSELECT or SPECIAL-USE, and it keeps only system flags: keywords such as
``$Imported`` are silently dropped (no ``\\*`` in PERMANENTFLAGS). A selected session answers
SEARCH/STORE/MOVE only over messages it has been told about: after another connection appends,
send NOOP (or SELECT again) first, otherwise the new UIDs are silently skipped. pymap has no
implicit-TLS (port 993 style) listener; this module adds one by serving pymap's connection
handler on a second, TLS-wrapped socket. Mailbox UIDs start at 101. UIDVALIDITY is (unix time
mod 65535) << 16 plus 16 random bits, so each new mailbox gets a fresh one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import ipaddress
import logging
import os
import re
import secrets
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from imapclient import IMAPClient

LOOPBACK = "127.0.0.1"

#: Every IMAP user on a :class:`PymapProcess` has this password (users appear on first login).
IMAP_PASSWORD = "imap-test-password"

#: Default credentials of an SMTP server created with ``require_auth=True``.
SMTP_USERNAME = "smtp-user"
SMTP_PASSWORD = "smtp-test-password"

#: Ready-made replies for :meth:`SmtpTestServer.fail_next`.
REPLY_421 = "421 4.3.2 Service not available, closing transmission channel"
REPLY_451 = "451 4.3.0 Try again later"
REPLY_550 = "550 5.1.1 Mailbox unavailable"

ImapSecurity = Literal["none", "starttls", "ssl"]
SmtpStage = Literal["CONNECT", "EHLO", "AUTH", "MAIL", "RCPT", "DATA", "MESSAGE"]
SMTP_STAGES: tuple[str, ...] = ("CONNECT", "EHLO", "AUTH", "MAIL", "RCPT", "DATA", "MESSAGE")

_STARTUP_TIMEOUT = 30.0


class _DropLoginDataWarning(logging.Filter):
    # aiosmtpd logs this deprecation itself on every successful AUTH; it is noise.
    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(_DropLoginDataWarning())
_CRLF = re.compile(rb"\r\n|\r|\n")


# ---------------------------------------------------------------------------------------------
# Certificates


@dataclass(frozen=True)
class TestCertificates:
    """A throwaway CA and a server certificate it signed for ``localhost`` and 127.0.0.1."""

    __test__ = False  # not a pytest test class despite the name

    ca_cert: Path
    cert: Path
    key: Path

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts only the test CA."""
        return ssl.create_default_context(cafile=str(self.ca_cert))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.cert), str(self.key))
        return context


def make_certificates(directory: Path, hostname: str = "localhost") -> TestCertificates:
    """Write a self-made CA plus a server certificate/key (PEM) into *directory*."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    validity = (now - dt.timedelta(days=1), now + dt.timedelta(days=30))

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Desk test CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName(hostname),
                    x509.IPAddress(ipaddress.ip_address(LOOPBACK)),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    result = TestCertificates(
        ca_cert=directory / "ca.pem", cert=directory / "server.pem", key=directory / "server.key"
    )
    result.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    result.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    result.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return result


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """True if a listening socket could be bound to *port* right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


# ---------------------------------------------------------------------------------------------
# IMAP: a pymap subprocess


class PymapProcess:
    """A pymap IMAP server (in-memory dict backend) running in a subprocess.

    ``port`` serves plain IMAP. With *certificates*, the same port also offers STARTTLS and
    ``tls_port`` serves implicit TLS; without them STARTTLS is not advertised and ``tls_port``
    is None. All data lives in the subprocess's memory: :meth:`stop` (or a restart) loses it.
    With *fragmented_writes*, responses go out in pymap's original small pieces, which breaks
    imapclient's ``idle_check()`` now and then (see :class:`_CoalescingWriter`); use it to test
    that the IDLE loop survives that.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        certificates: TestCertificates | None = None,
        host: str = LOOPBACK,
        port: int = 0,
        tls_port: int = 0,
        fragmented_writes: bool = False,
    ) -> None:
        self.workdir = workdir
        self.fragmented_writes = fragmented_writes
        self.certificates = certificates
        self.host = host
        self._requested_port = port
        self._requested_tls_port = tls_port
        self.port = 0
        self.tls_port: int | None = None
        self.log_path = workdir / f"pymap-{secrets.token_hex(4)}.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the subprocess and wait until it listens. Ports are kept across restarts."""
        if self.running:
            raise RuntimeError("pymap is already running")
        self.workdir.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "serve-imap",
            "--host",
            self.host,
            "--port",
            str(self.port or self._requested_port),
            "--password",
            IMAP_PASSWORD,
        ]
        if self.fragmented_writes:
            command.append("--fragmented-writes")
        if self.certificates is not None:
            command += [
                "--cert",
                str(self.certificates.cert),
                "--key",
                str(self.certificates.key),
                "--tls-port",
                str(self.tls_port or self._requested_tls_port),
            ]
        env = {k: v for k, v in os.environ.items() if k not in {"CERT_FILE", "KEY_FILE"}}
        env["FQDN"] = "desk-test-imap"  # pymap's greeting; avoids a slow reverse DNS lookup
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                # Its own session: signals aimed at test workers' process groups miss it.
                start_new_session=True,
            )
        try:
            ready = self._read_ready_line()
        except BaseException:
            self._kill()
            raise
        ports = [int(part) for part in ready.split()[1:]]
        self.port = ports[0]
        self.tls_port = ports[1] if len(ports) > 1 else None

    def _read_ready_line(self) -> str:
        assert self._process is not None and self._process.stdout is not None
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        stdout = self._process.stdout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(f"pymap did not start in time:\n{self.log_text()}")
            readable, _, _ = select.select([stdout], [], [], remaining)
            if readable:
                line = stdout.readline().decode("ascii", "replace").strip()
                if line.startswith("READY "):
                    return line
                if not line and self._process.poll() is not None:
                    raise RuntimeError(f"pymap exited on start:\n{self.log_text()}")

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to exit (by closing its stdin) and wait; kill it if it lingers."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            assert process.stdin is not None
            with contextlib.suppress(OSError):
                process.stdin.close()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._kill()
        self._close_pipes()
        self._process = None

    def restart(self) -> None:
        """Stop and start again on the same ports (an outage). All mail is lost."""
        self.stop()
        self.start()

    def _kill(self) -> None:
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
            self._process.wait()
            self._close_pipes()
            self._process = None

    def _close_pipes(self) -> None:
        if self._process is not None:
            for pipe in (self._process.stdin, self._process.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()

    def new_account(self, username: str | None = None) -> ImapAccount:
        """A handle on one user's mailboxes; a fresh name means fresh, empty mailboxes."""
        if not self.running:
            raise RuntimeError("pymap is not running")
        return ImapAccount(self, username or f"user-{secrets.token_hex(6)}")

    def __enter__(self) -> PymapProcess:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class ImapAccount:
    """One user on a :class:`PymapProcess`, with helpers that work through a real IMAP session.

    The helpers share one lazily opened IMAP connection (not thread-safe). Message bytes are
    sent as given except that line endings are normalised to CRLF, as IMAP requires (imaplib
    would do the same). Connections opened by other code do not see mailbox renames/deletes made
    here until they SELECT again.
    """

    def __init__(self, process: PymapProcess, username: str) -> None:
        self.process = process
        self.username = username
        self.password = IMAP_PASSWORD
        self._admin: IMAPClient | None = None
        self._clients: list[IMAPClient] = []

    @property
    def host(self) -> str:
        return self.process.host

    @property
    def port(self) -> int:
        return self.process.port

    @property
    def tls_port(self) -> int | None:
        return self.process.tls_port

    @property
    def certificates(self) -> TestCertificates | None:
        return self.process.certificates

    # -- connections ------------------------------------------------------------------------

    def connect(
        self,
        *,
        security: ImapSecurity = "none",
        ssl_context: ssl.SSLContext | None = None,
        login: bool = True,
        password: str | None = None,
        timeout: float = 10.0,
    ) -> IMAPClient:
        """A new imapclient connection, logged in unless *login* is false; closed on :meth:`close`.

        With ``security="starttls"`` or ``"ssl"`` and no *ssl_context*, imapclient's default
        (verifying against the system CAs) is used, which rejects the test certificate.
        """
        if security == "ssl":
            if self.tls_port is None:
                raise RuntimeError("this pymap process has no TLS listener")
            client = IMAPClient(
                self.host, self.tls_port, ssl=True, ssl_context=ssl_context, timeout=timeout
            )
        else:
            client = IMAPClient(self.host, self.port, ssl=False, timeout=timeout)
        self._clients.append(client)
        # imaplib sends an APPEND literal and its closing CRLF in two writes; with Nagle on, the
        # second waits for a delayed ACK and every APPEND costs ~40 ms.
        client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if security == "starttls":
            client.starttls(ssl_context)
        if login:
            client.login(self.username, self.password if password is None else password)
        return client

    @property
    def admin(self) -> IMAPClient:
        """The helpers' own connection (plain IMAP, logged in)."""
        if self._admin is None:
            self._admin = self.connect()
        return self._admin

    def close(self) -> None:
        """Log out every connection opened through this account."""
        for client in self._clients:
            with contextlib.suppress(Exception):
                client.logout()
            with contextlib.suppress(Exception):
                client.shutdown()
        self._clients.clear()
        self._admin = None

    # -- mailboxes ---------------------------------------------------------------------------

    def create_folder(self, name: str) -> None:
        self.admin.create_folder(name)

    def delete_folder(self, name: str) -> None:
        self.admin.delete_folder(name)

    def folders(self) -> list[str]:
        return sorted(name for _flags, _delim, name in self.admin.list_folders())

    def uid_validity(self, folder: str = "INBOX") -> int:
        return int(self.admin.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])

    def uid_next(self, folder: str = "INBOX") -> int:
        return int(self.admin.folder_status(folder, [b"UIDNEXT"])[b"UIDNEXT"])

    def change_uid_validity(self, folder: str = "INBOX", *, keep_messages: bool = True) -> int:
        """Replace *folder* by a new mailbox of the same name; return its new UIDVALIDITY.

        With *keep_messages*, the messages (bytes, flags, internal dates) are appended again and
        get new UIDs, as after a server-side rebuild. INBOX cannot be deleted in IMAP, so it is
        renamed away (which leaves a fresh, empty INBOX behind) and the renamed copy deleted.
        """
        old_validity = self.uid_validity(folder)
        saved = self._read_all(folder) if keep_messages else []
        # A connection of its own, so no selected mailbox is in the way of RENAME/DELETE.
        client = self.connect()
        for _attempt in range(20):
            if folder.upper() == "INBOX":
                parking = f"desk-old-inbox-{secrets.token_hex(4)}"
                client.rename_folder(folder, parking)
                client.delete_folder(parking)
            else:
                client.delete_folder(folder)
                client.create_folder(folder)
            if self.uid_validity(folder) != old_validity:
                break  # 16 random bits: a repeat within the same second is rare but possible
        else:
            raise RuntimeError("pymap kept handing out the same UIDVALIDITY")
        client.logout()
        self._clients.remove(client)
        for raw, flags, when in saved:
            self.append(raw, folder, flags=flags, when=when)
        return self.uid_validity(folder)

    def _read_all(self, folder: str) -> list[tuple[bytes, tuple[str, ...], dt.datetime]]:
        client = self.admin
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        if not uids:
            return []
        fetched = client.fetch(uids, [b"BODY.PEEK[]", b"FLAGS", b"INTERNALDATE"])
        saved = []
        for uid in sorted(fetched):
            data = fetched[uid]
            flags = tuple(flag.decode() for flag in data[b"FLAGS"] if flag.lower() != rb"\recent")
            saved.append((bytes(data[b"BODY[]"]), flags, data[b"INTERNALDATE"]))
        return saved

    # -- messages ----------------------------------------------------------------------------

    def append(
        self,
        raw: bytes,
        folder: str = "INBOX",
        *,
        flags: Sequence[str] = (),
        when: dt.datetime | None = None,
    ) -> int:
        """APPEND one message; return its UID (from the APPENDUID response code)."""
        response = self.admin.append(folder, to_crlf(raw), flags=tuple(flags), msg_time=when)
        return _appended_uids(response)[0]

    def append_many(self, raws: Iterable[bytes], folder: str = "INBOX") -> list[int]:
        """APPEND many messages with MULTIAPPEND (in chunks); return their UIDs in order."""
        uids: list[int] = []
        chunk: list[bytes] = []
        for raw in raws:
            chunk.append(to_crlf(raw))
            if len(chunk) >= 200:
                uids += _appended_uids(self.admin.multiappend(folder, chunk))
                chunk = []
        if chunk:
            uids += _appended_uids(self.admin.multiappend(folder, chunk))
        return uids

    def uids(self, folder: str = "INBOX") -> list[int]:
        client = self.admin
        client.select_folder(folder, readonly=True)
        return sorted(client.search(["ALL"]))

    def flags(self, uid: int, folder: str = "INBOX") -> frozenset[str]:
        """The message's flags as strings (``\\Seen``, ``\\Deleted``, keywords); ``\\Recent``
        is left out because it depends on which session looked first."""
        client = self.admin
        client.select_folder(folder, readonly=True)
        fetched = client.fetch([uid], [b"FLAGS"])
        if uid not in fetched:
            raise KeyError(f"no UID {uid} in {folder}")
        return frozenset(
            flag.decode() for flag in fetched[uid][b"FLAGS"] if flag.lower() != rb"\recent"
        )

    def fetch_raw(self, uid: int, folder: str = "INBOX") -> bytes:
        client = self.admin
        client.select_folder(folder, readonly=True)
        fetched = client.fetch([uid], [b"BODY.PEEK[]"])
        if uid not in fetched:
            raise KeyError(f"no UID {uid} in {folder}")
        return bytes(fetched[uid][b"BODY[]"])

    def set_flags(self, uid: int, flags: Sequence[str], folder: str = "INBOX") -> None:
        client = self.admin
        client.select_folder(folder)
        client.set_flags([uid], list(flags))

    def expunge(self, uids: Sequence[int], folder: str = "INBOX") -> None:
        """Delete messages for good (\\Deleted + UID EXPUNGE)."""
        client = self.admin
        client.select_folder(folder)
        client.add_flags(list(uids), [rb"\Deleted"])
        client.uid_expunge(list(uids))


def to_crlf(raw: bytes) -> bytes:
    """Normalise line endings to CRLF (what IMAP stores and what imaplib would send)."""
    return _CRLF.sub(b"\r\n", raw)


_APPENDUID = re.compile(rb"\[APPENDUID \d+ ([0-9:,]+)\]")


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


def _appended_uids(response: Any) -> list[int]:
    if isinstance(response, list | tuple):
        response = b" ".join(_as_bytes(part) for part in response if part)
    text = _as_bytes(response)
    match = _APPENDUID.search(text)
    if match is None:
        raise RuntimeError(f"no APPENDUID in {text!r}")
    uids: list[int] = []
    for part in match.group(1).split(b","):
        first, _, last = part.partition(b":")
        uids.extend(range(int(first), int(last or first) + 1))
    return uids


# -- the subprocess side ----------------------------------------------------------------------


def _serve_imap_main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(prog="servers.py serve-imap")
    parser.add_argument("--host", default=LOOPBACK)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--password", default=IMAP_PASSWORD)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--tls-port", type=int, default=0)
    parser.add_argument("--fragmented-writes", action="store_true")
    args = parser.parse_args(argv)
    asyncio.run(_serve_imap(args))
    sys.stdout.flush()
    sys.stderr.flush()
    # pymap's CPU thread pool and our stdin reader are not worth waiting for.
    os._exit(0)


async def _serve_imap(args: argparse.Namespace) -> None:
    from proxyprotocol.reader import ProxyProtocolReader
    from pymap.backend.dict import Config, DictBackend, Login
    from pymap.imap import IMAPServer
    from pymap.user import UserMetadata
    from pysasl.creds.server import ServerCredentials
    from pysasl.hashing import Cleartext

    password: str = args.password
    tls = args.cert is not None
    pymap_args = argparse.Namespace(
        debug=False,
        passlib_cfg=None,
        proxy_protocol=None,
        inherited_sockets=None,
        demo_data=False,
        demo_user="demouser",
        demo_password=password,
        host=args.host,
        port=args.port,
        cert=args.cert,
        key=args.key,
        tls=tls,
    )
    overrides: dict[str, Any] = {
        "hash_context": Cleartext(),
        "reject_dnsbl": False,
        "invalid_user_sleep": 0.0,
    }
    config = Config.from_args(pymap_args, **overrides)
    config.apply_context()

    class AutoProvisionLogin(Login):
        """Any user name exists from its first login on, with the shared password."""

        async def authenticate(self, credentials: ServerCredentials) -> Any:
            name = credentials.authcid
            if name and name not in self.users_dict:
                self.users_dict[name] = UserMetadata(self.config, name, password=password)
            return await super().authenticate(credentials)

    login = AutoProvisionLogin(config)
    DictBackend(login, config)  # keeps the backend's expectations about config satisfied
    reader = ProxyProtocolReader(config.proxy_protocol)

    def serve_with(imap_config: Config) -> Any:
        imap_server = IMAPServer(login, imap_config)
        if args.fragmented_writes:
            return reader.get_callback(imap_server)

        async def serve(
            stream_reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sock_info: Any
        ) -> None:
            coalescing: Any = _CoalescingWriter(writer)  # duck-typed StreamWriter
            await imap_server(stream_reader, coalescing, sock_info)

        return reader.get_callback(serve)

    handler = serve_with(config)
    servers = [await asyncio.start_server(handler, args.host, args.port)]
    if tls:
        # pymap only knows STARTTLS. The implicit-TLS listener serves the same users (the
        # mailboxes hang off `login`) with a config that does not offer STARTTLS again.
        implicit_config = Config.from_args(
            argparse.Namespace(**{**vars(pymap_args), "tls": False}), **overrides
        )
        implicit_handler = serve_with(implicit_config)
        servers.append(
            await asyncio.start_server(
                implicit_handler, args.host, args.tls_port, ssl=config.ssl_context
            )
        )
    ports = [str(server.sockets[0].getsockname()[1]) for server in servers]

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)

    def wait_for_stdin_eof() -> None:
        # The parent holds our stdin open; EOF means it closed it or died.
        with contextlib.suppress(Exception):
            while sys.stdin.buffer.read(4096):
                pass
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=wait_for_stdin_eof, daemon=True).start()
    print("READY " + " ".join(ports), flush=True)
    await stop.wait()
    for server in servers:
        server.close()


class _CoalescingWriter:
    """Collects pymap's many small writes and sends each response with one ``send()``.

    pymap writes ``* 1 FETCH (`` and the rest of the line separately; imapclient's
    ``idle_check()`` reads with a non-blocking socket and fails on a line that arrives in two
    segments ("unterminated line"). Real servers usually send whole lines, so tests get them
    whole too unless the process runs with ``fragmented_writes=True``.
    """

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self._buffer = bytearray()

    def write(self, data: bytes) -> None:
        self._buffer += data

    def _flush(self) -> None:
        if self._buffer:
            self._writer.write(bytes(self._buffer))
            self._buffer.clear()

    async def drain(self) -> None:
        self._flush()
        await self._writer.drain()

    async def start_tls(self, ssl_context: ssl.SSLContext) -> None:
        self._flush()
        await self._writer.start_tls(ssl_context)

    def close(self) -> None:
        self._flush()
        self._writer.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._writer, name)


# ---------------------------------------------------------------------------------------------
# SMTP: aiosmtpd in a thread


@dataclass(frozen=True)
class ReceivedMessage:
    """One message the SMTP server accepted."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    auth_username: str | None
    connection: int  # 1-based number of the connection that delivered it

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.data)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class _FailureRule:
    reply: str
    stage: str
    remaining: int | None  # None: forever


@dataclass
class _SmtpState:
    lock: threading.Lock = field(default_factory=threading.Lock)
    changed: threading.Condition = field(init=False)
    messages: list[ReceivedMessage] = field(default_factory=list)
    rules: list[_FailureRule] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    connections: int = 0
    auth_failures: int = 0

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)


class SmtpTestServer:
    """An aiosmtpd SMTP server in a background thread with its own event loop.

    Records accepted messages (:attr:`messages`, :meth:`wait_for_messages`). Replies can be
    forced per stage with :meth:`fail_next` / :meth:`fail_always`:

    - ``CONNECT``: instead of the 220 greeting; ``EHLO``: EHLO and HELO; ``AUTH``;
      ``MAIL``; ``RCPT`` (once per recipient); ``DATA``: the DATA command itself;
    - ``MESSAGE`` (the default): the reply after the message content, i.e. per message.

    Any 421 reply closes the connection after it is sent, as RFC 5321 asks. With
    *require_auth*, AUTH PLAIN and LOGIN are offered over plain text and MAIL is refused with
    530 until the client has authenticated as *username*/*password*. :meth:`stop` closes the
    listener and every open connection; :meth:`start` again reuses the same port.
    """

    def __init__(
        self,
        *,
        host: str = LOOPBACK,
        port: int = 0,
        require_auth: bool = False,
        username: str = SMTP_USERNAME,
        password: str = SMTP_PASSWORD,
        starttls_context: ssl.SSLContext | None = None,
        implicit_tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.require_auth = require_auth
        self.username = username
        self.password = password
        self.starttls_context = starttls_context
        self.implicit_tls_context = implicit_tls_context
        self._state = _SmtpState()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._sessions: set[Any] = set()

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("SMTP server already running")
        loop = asyncio.new_event_loop()
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._listen())
            except BaseException as exc:
                failure.append(exc)
                started.set()
                loop.close()
                return
            started.set()
            loop.run_forever()
            loop.close()

        thread = threading.Thread(target=run, name=f"smtp-test-{self.port}", daemon=True)
        self._loop = loop
        thread.start()
        started.wait(_STARTUP_TIMEOUT)
        if failure or not started.is_set():
            thread.join(5)
            self._loop = None
            raise RuntimeError("SMTP server did not start") from (failure[0] if failure else None)
        self._thread = thread

    async def _listen(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._new_session,
            self.host,
            self.port,
            ssl=self.implicit_tls_context,
            reuse_address=True,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    def _new_session(self) -> Any:
        assert self._loop is not None
        return _RecordingSMTP(
            self,
            _SmtpHandler(self),
            hostname="desk-test-smtp",
            loop=self._loop,
            tls_context=self.starttls_context,
            auth_require_tls=not self.require_auth,
            authenticator=self._authenticate if self.require_auth else None,
            timeout=60,
        )

    def stop(self) -> None:
        """Close the listener and all open connections; join the thread. The port stays known."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        with contextlib.suppress(Exception):
            future.result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._loop = None
        self._thread = None
        self._server = None

    async def _shutdown(self) -> None:
        server = self._server
        if server is not None:
            server.close()
        for session in list(self._sessions):
            transport = session.transport
            if transport is not None:
                transport.abort()
        if server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 5)
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def restart(self) -> None:
        self.stop()
        self.start()

    @contextlib.contextmanager
    def outage(self) -> Iterator[None]:
        """Down (connections refused) inside the block, up again on the same port after it."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def __enter__(self) -> SmtpTestServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what happened -----------------------------------------------------------------------

    @property
    def messages(self) -> list[ReceivedMessage]:
        with self._state.lock:
            return list(self._state.messages)

    @property
    def connections(self) -> int:
        """How many connections were accepted so far (to check connection reuse)."""
        with self._state.lock:
            return self._state.connections

    @property
    def refused(self) -> list[tuple[str, str]]:
        """(stage, reply) for every forced reply that was sent."""
        with self._state.lock:
            return list(self._state.refused)

    @property
    def auth_failures(self) -> int:
        with self._state.lock:
            return self._state.auth_failures

    def wait_for_messages(self, count: int, timeout: float = 10.0) -> list[ReceivedMessage]:
        """Block until at least *count* messages arrived; raise TimeoutError otherwise."""
        with self._state.changed:
            if not self._state.changed.wait_for(
                lambda: len(self._state.messages) >= count, timeout
            ):
                raise TimeoutError(f"expected {count} messages, got {len(self._state.messages)}")
            return list(self._state.messages)

    def clear(self) -> None:
        """Forget recorded messages, refusals and counters (not the failure rules)."""
        with self._state.lock:
            self._state.messages.clear()
            self._state.refused.clear()
            self._state.connections = 0
            self._state.auth_failures = 0

    # -- forced replies ----------------------------------------------------------------------

    def fail_next(self, reply: str, count: int = 1, *, stage: SmtpStage = "MESSAGE") -> None:
        """Answer the next *count* occurrences of *stage* with *reply* (e.g. REPLY_451)."""
        self._add_rule(reply, stage, count)

    def fail_always(self, reply: str, *, stage: SmtpStage = "MESSAGE") -> None:
        """Answer every occurrence of *stage* with *reply* until :meth:`clear_failures`."""
        self._add_rule(reply, stage, None)

    def clear_failures(self) -> None:
        with self._state.lock:
            self._state.rules.clear()

    def _add_rule(self, reply: str, stage: str, count: int | None) -> None:
        if stage not in SMTP_STAGES:
            raise ValueError(f"unknown stage {stage!r}; use one of {SMTP_STAGES}")
        if not re.match(r"^[45]\d\d[ -]", reply + " "):
            raise ValueError(f"not a 4xx/5xx SMTP reply: {reply!r}")
        with self._state.lock:
            self._state.rules.append(_FailureRule(reply, stage, count))

    def _take_failure(self, stage: str) -> str | None:
        with self._state.lock:
            for rule in self._state.rules:
                if rule.stage == stage and rule.remaining != 0:
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    self._state.refused.append((stage, rule.reply))
                    return rule.reply
        return None

    # -- server-side callbacks (event-loop thread) -------------------------------------------

    def _connected(self, session: Any) -> int:
        self._sessions.add(session)
        with self._state.lock:
            self._state.connections += 1
            return self._state.connections

    def _disconnected(self, session: Any) -> None:
        self._sessions.discard(session)

    def _record(self, message: ReceivedMessage) -> None:
        with self._state.changed:
            self._state.messages.append(message)
            self._state.changed.notify_all()

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> Any:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.username.encode()
            and auth_data.password == self.password.encode()
        )
        if not ok:
            with self._state.lock:
                self._state.auth_failures += 1
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=auth_data)


class _SmtpHandler:
    """aiosmtpd handler hooks: enforce AUTH, force MESSAGE-stage replies, record the rest."""

    def __init__(self, owner: SmtpTestServer) -> None:
        self.owner = owner

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.owner.require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = self.owner._take_failure("MESSAGE")
        if reply is not None:
            return reply
        auth = session.auth_data
        login = getattr(auth, "login", None)
        self.owner._record(
            ReceivedMessage(
                mail_from=envelope.mail_from,
                rcpt_tos=tuple(envelope.rcpt_tos),
                data=bytes(envelope.original_content),
                auth_username=login.decode() if isinstance(login, bytes) else None,
                connection=server.connection_number,
            )
        )
        return "250 2.0.0 OK queued"


class _RecordingSMTP(SMTP):
    """aiosmtpd's SMTP with forced replies per stage and close-after-421."""

    def __init__(self, owner: SmtpTestServer, handler: _SmtpHandler, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.owner = owner
        self.connection_number = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.connection_number = self.owner._connected(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner._disconnected(self)
        super().connection_lost(exc)

    async def push(self, status: Any) -> None:
        await super().push(status)
        text = status.decode("ascii", "replace") if isinstance(status, bytes) else str(status)
        if text.startswith("421") and self.transport is not None:
            self.transport.close()

    async def _forced(self, stage: str) -> bool:
        reply = self.owner._take_failure(stage)
        if reply is None:
            return False
        await self.push(reply)
        return True

    async def _handle_client(self) -> None:
        reply = self.owner._take_failure("CONNECT")
        if reply is not None:
            await self.push(reply)
            if self.transport is not None:
                self.transport.close()
            return
        await super()._handle_client()

    async def smtp_EHLO(self, hostname: str) -> None:
        if not await self._forced("EHLO"):
            await super().smtp_EHLO(hostname)

    async def smtp_HELO(self, hostname: str) -> None:
        if not await self._forced("EHLO"):
            await super().smtp_HELO(hostname)

    async def smtp_AUTH(self, arg: str) -> None:
        if not await self._forced("AUTH"):
            await super().smtp_AUTH(arg)

    async def smtp_MAIL(self, arg: str) -> None:
        if not await self._forced("MAIL"):
            await super().smtp_MAIL(arg)

    async def smtp_RCPT(self, arg: str) -> None:
        if not await self._forced("RCPT"):
            await super().smtp_RCPT(arg)

    async def smtp_DATA(self, arg: str) -> None:
        if not await self._forced("DATA"):
            await super().smtp_DATA(arg)


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "serve-imap":
        _serve_imap_main(sys.argv[2:])
    else:
        sys.exit("usage: servers.py serve-imap [--host H] [--port N] [--cert F --key F]")
