"""Mail account passwords, kept in the OS keyring and nowhere else.

Service "desk", user name "account:NAME". When no usable keyring backend exists we refuse with an
explanation instead of quietly writing the password to a file: keyring itself picks the
keyrings.alt *plaintext* file backend automatically when that package is installed, so a file
backend is accepted only when the person chose it (PYTHON_KEYRING_BACKEND or keyringrc.cfg).
Passwords are never logged, printed or put in exceptions.
"""

from __future__ import annotations

import os

import keyring
import keyring.core
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail
from keyring.errors import KeyringError, PasswordDeleteError

from desk_app.core.errors import Unavailable

SERVICE = "desk"

NO_BACKEND = (
    "no usable keyring to store the password in. Desk keeps passwords only in the OS "
    "keyring. Either run a Secret Service (gnome-keyring or KWallet) in your session, or choose "
    "a file backend from keyrings.alt explicitly: "
    "PYTHON_KEYRING_BACKEND=keyrings.alt.file.EncryptedKeyring (asks for a keyring password) "
    "or PYTHON_KEYRING_BACKEND=keyrings.alt.file.PlaintextKeyring (stores the password "
    "UNENCRYPTED on disk)."
)


def _user(account: str) -> str:
    return f"account:{account}"


def _explicitly_chosen() -> bool:
    return bool(os.environ.get("PYTHON_KEYRING_BACKEND")) or keyring.core.load_config() is not None


def _is_file_backend(backend: KeyringBackend) -> bool:
    return type(backend).__module__.startswith("keyrings.alt")


def usable_backend() -> KeyringBackend:
    """The keyring backend to use, or Unavailable with what the person can do about it."""
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        raise Unavailable(NO_BACKEND)
    members = backend.backends if isinstance(backend, chainer.ChainerBackend) else [backend]
    if not members:
        raise Unavailable(NO_BACKEND)
    if not _explicitly_chosen() and all(_is_file_backend(b) for b in members):
        # keyring picked a keyrings.alt file on its own: that would be a silent plaintext file.
        raise Unavailable(NO_BACKEND)
    return backend


def store_password(account: str, password: str) -> None:
    backend = usable_backend()
    try:
        backend.set_password(SERVICE, _user(account), password)
    except KeyringError as exc:
        raise Unavailable(f"the keyring refused to store the password: {exc}") from None


def password_for(account: str) -> str:
    backend = usable_backend()
    try:
        value = backend.get_password(SERVICE, _user(account))
    except KeyringError as exc:
        raise Unavailable(f"the keyring could not be read: {exc}") from None
    if value is None:
        raise Unavailable(
            f"no password for mail account '{account}' in the keyring; "
            f"remove and add the account again to enter it"
        )
    return value


def forget_password(account: str) -> None:
    """Remove the stored password; a missing one is not an error."""
    backend = usable_backend()
    try:
        backend.delete_password(SERVICE, _user(account))
    except PasswordDeleteError:
        pass
    except KeyringError as exc:
        raise Unavailable(f"the keyring could not delete the password: {exc}") from None
