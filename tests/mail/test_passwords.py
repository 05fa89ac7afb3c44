"""Passwords live in the keyring only; without a usable one we say so, never fall back."""

from __future__ import annotations

import keyring
import keyring.core
import pytest
from keyring.backends import fail

from desk_app.core.errors import Unavailable
from desk_app.mail import passwords


@pytest.fixture
def restore_keyring():
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def file_keyring(tmp_path, monkeypatch, restore_keyring):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    keyring.core.init_backend()
    return tmp_path / "data"


def test_store_read_and_forget_a_password(file_keyring):
    passwords.store_password("support", "s3cret ünï")
    assert passwords.password_for("support") == "s3cret ünï"
    assert keyring.get_password("desk", "account:support") == "s3cret ünï"
    passwords.forget_password("support")
    passwords.forget_password("support")  # already gone: fine
    with pytest.raises(Unavailable, match="no password for mail account 'support'"):
        passwords.password_for("support")


def test_no_backend_is_explained_plainly(restore_keyring):
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(Unavailable) as caught:
        passwords.store_password("support", "secret")
    message = str(caught.value)
    assert "Secret Service" in message and "gnome-keyring" in message
    assert "PYTHON_KEYRING_BACKEND=keyrings.alt.file.EncryptedKeyring" in message
    assert "PlaintextKeyring" in message and "UNENCRYPTED" in message
    assert "secret" not in message.replace("Secret Service", "")


def test_a_plaintext_file_keyring_keyring_chose_by_itself_is_refused(
    tmp_path, monkeypatch, restore_keyring
):
    from keyrings.alt.file import PlaintextKeyring

    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    keyring.set_keyring(PlaintextKeyring())  # what keyring auto-selects with keyrings.alt
    with pytest.raises(Unavailable, match="no usable keyring"):
        passwords.store_password("support", "secret")
