"""A throwaway Dovecot IMAP server on loopback, for tests and benchmarks that want a real,
widely deployed server beside pymap.

Debian's ``dovecot-imapd`` (2.3) runs in the foreground (``dovecot -F -c <conf>``) with a
config of its own in a temporary directory: a passwd-file user database, Maildirs under the
same directory, an unprivileged port on 127.0.0.1, no TLS. Nothing of the system's Dovecot
(service, /etc/dovecot, /var/run/dovecot) is used. Users appear when :meth:`new_account` writes
their passwd-file (one file per user: Dovecot reads a changed file again only when its
modification time moves, which two users added within a second would not do), all with
:data:`servers.IMAP_PASSWORD`, so each test gets fresh, empty mailboxes just as with pymap; the
accounts are :class:`servers.ImapAccount` objects with the same helpers.

Dovecot never gives mail access to root, so when the tests run as root (CI) the mail
processes run as ``nobody`` and the login processes as Debian's ``dovenull``; run as anybody
else, every Dovecot process runs as that user. The server gets SIGTERM when the process that
started it dies (Linux's parent-death signal), so a killed test run leaves no Dovecot behind.

Where Dovecot is not installed, :func:`dovecot_missing` says why, and the fixtures skip, except
when ``DESK_REQUIRE_DOVECOT=1`` (set by .ci/run): then they fail, so CI can never pass by
skipping.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.mail.servers import IMAP_PASSWORD, LOOPBACK, ImapAccount

REQUIRE_ENV = "DESK_REQUIRE_DOVECOT"
_STARTUP_TIMEOUT = 30.0
# Debian's users for Dovecot's unprivileged processes, and the user mail is accessed as when
# the tests run as root (Dovecot refuses UID 0 for mail).
_LOGIN_USER = "dovenull"
_INTERNAL_USER = "dovecot"
_ROOT_MAIL_USER = "nobody"


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.access(p, os.X_OK)),
        None,
    )


def dovecot_missing() -> str | None:
    """Why a throwaway Dovecot cannot run here, or None when it can."""
    binary = dovecot_binary()
    if binary is None:
        return "Dovecot is not installed (apt-get install dovecot-imapd)"
    version = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if not version.startswith("2.3."):
        # 2.4 renamed and restructured the settings this module writes.
        return (
            f"Dovecot {version or '(unknown version)'} is installed; these tests write a 2.3 config"
        )
    if os.geteuid() == 0:
        for user in (_LOGIN_USER, _INTERNAL_USER, _ROOT_MAIL_USER):
            try:
                pwd.getpwnam(user)
            except KeyError:
                return f"Dovecot runs as root here but the system has no user {user!r}"
    return None


def dovecot_required() -> bool:
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0")


def skip_or_fail(missing: str | None) -> None:
    """For a test that needs Dovecot: nothing if it can run; else skip with the reason, or
    fail under DESK_REQUIRE_DOVECOT (CI), where a skip would hide that the test never ran."""
    if missing is None:
        return
    if dovecot_required():
        pytest.fail(f"{missing}, and {REQUIRE_ENV} is set: this run must not skip it")
    pytest.skip(missing)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    # In the child, before exec: SIGTERM when the starting thread's process dies.
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


class DovecotProcess:
    """A Dovecot master process (and its children) with its own config, users and Maildirs.
    ``host``, ``port``, ``tls_port`` and ``certificates`` match :class:`PymapProcess`, so
    :class:`ImapAccount` works with either."""

    certificates = None
    tls_port = None

    def __init__(self, host: str = LOOPBACK) -> None:
        self.host = host
        self.port = 0
        self.directory: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._mail_ids = (os.getuid(), os.getgid())

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def log_path(self) -> Path:
        assert self.directory is not None
        return self.directory / "dovecot.log"

    @property
    def users_dir(self) -> Path:
        assert self.directory is not None
        return self.directory / "users"

    def maildir(self, username: str) -> Path:
        """Where Dovecot keeps this user's INBOX (a Maildir)."""
        assert self.directory is not None
        return self.directory / "mail" / username / "Maildir"

    def start(self) -> None:
        binary = dovecot_binary()
        missing = dovecot_missing()
        if binary is None or missing is not None:
            raise RuntimeError(missing or "no dovecot")
        # Its own directory (not pytest's tmp_path): as root, Dovecot's unprivileged processes
        # must be able to pass through it, and nothing else should be opened up for that.
        self.directory = Path(tempfile.mkdtemp(prefix="desk-dovecot-"))
        self.directory.chmod(0o711)
        (self.directory / "mail").mkdir()
        if os.geteuid() == 0:
            nobody = pwd.getpwnam(_ROOT_MAIL_USER)
            self._mail_ids = (nobody.pw_uid, nobody.pw_gid)
            os.chown(self.directory / "mail", *self._mail_ids)
        self.users_dir.mkdir()
        self.users_dir.chmod(0o755)
        for _attempt in range(5):
            self.port = _free_port()
            config = self.directory / "dovecot.conf"
            config.write_text(self._config())
            with self.log_path.open("ab") as log:
                self._process = subprocess.Popen(
                    [binary, "-F", "-c", str(config)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                    preexec_fn=_die_with_parent,
                    start_new_session=True,
                )
            if self._wait_until_listening():
                return
            self._kill()  # most likely the port was taken meanwhile: another one
        logged = self.log_text()
        self.stop()  # removes the directory
        raise RuntimeError(f"Dovecot did not start:\n{logged}")

    def _wait_until_listening(self) -> bool:
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if not self.running:
                return False
            try:
                with socket.create_connection((self.host, self.port), 1) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def _config(self) -> str:
        assert self.directory is not None
        d = self.directory
        if os.geteuid() == 0:
            login_user, internal_user = _LOGIN_USER, _INTERNAL_USER
        else:
            login_user = internal_user = pwd.getpwuid(os.getuid()).pw_name
        return f"""\
# Written by tests/mail/dovecot.py for one throwaway server; removed when it stops.
instance_name = desk-test-{secrets.token_hex(4)}
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = {self.host}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_login_user = {login_user}
first_valid_uid = 1
mail_location = maildir:{d}/mail/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users/%u
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {d}/users/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {self.host}
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except (OSError, AssertionError):
            return ""

    def new_account(self, username: str | None = None) -> ImapAccount:
        """A fresh user (fresh, empty mailboxes) with the shared test password."""
        if not self.running:
            raise RuntimeError("Dovecot is not running")
        name = username or f"user-{secrets.token_hex(6)}"
        assert self.directory is not None
        uid, gid = self._mail_ids
        home = self.directory / "mail" / name
        users = self.users_dir / name
        users.write_text(f"{name}:{{PLAIN}}{IMAP_PASSWORD}:{uid}:{gid}::{home}::\n")
        users.chmod(0o644)
        return ImapAccount(self, name)  # type: ignore[arg-type]  # same shape as PymapProcess

    def stop(self, timeout: float = 10.0) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._kill()
        self._process = None
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def _kill(self) -> None:
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                # The whole session: the master and the children it started.
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
            self._process = None

    def __enter__(self) -> DovecotProcess:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
