"""`desk account add|list|test|remove` against real servers and a file keyring."""

from __future__ import annotations

import io
import json

import keyring
import keyring.core
import pytest

from desk_app.cli import main
from desk_app.store import Database, Queries, Service
from desk_app.store.mail_store import MailStore
from tests.mail import conftest as mail_fixtures

# The real mail servers' fixtures from tests/mail, shared here.
imap_server = mail_fixtures.imap_server
imap_tls_server = mail_fixtures.imap_tls_server
mail_certificates = mail_fixtures.mail_certificates
mail_workdir = mail_fixtures.mail_workdir
pymap_process = mail_fixtures.pymap_process
pymap_tls_process = mail_fixtures.pymap_tls_process
smtp_server = mail_fixtures.smtp_server
smtp_server_factory = mail_fixtures.smtp_server_factory


@pytest.fixture
def url(sqlite_database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    previous = keyring.get_keyring()
    keyring.core.init_backend()
    db = Database(sqlite_database_url)
    Service(db, None).add_department("Support")
    db.dispose()
    yield sqlite_database_url
    keyring.set_keyring(previous)


def run(url, *args, stdin: str = "", monkeypatch=None) -> int:
    if monkeypatch is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["--database-url", url, *args])


def add(url, monkeypatch, imap, smtp, password, *extra) -> int:
    return run(
        url,
        "account",
        "add",
        "support",
        "--address",
        "support@desk.test",
        "--imap-host",
        "127.0.0.1",
        "--imap-port",
        str(imap.port),
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(smtp.port),
        "--username",
        imap.username,
        "--security",
        "none",
        "--department",
        "Support",
        "--after-import",
        "seen",
        "--password-stdin",
        *extra,
        stdin=password + "\n",
        monkeypatch=monkeypatch,
    )


def test_add_list_test_remove(url, monkeypatch, capsys, imap_server, smtp_server):
    assert add(url, monkeypatch, imap_server, smtp_server, imap_server.password) == 0
    assert keyring.get_password("desk", "account:support") == imap_server.password
    capsys.readouterr()
    assert run(url, "account", "list", "--json") == 0
    out = capsys.readouterr().out
    assert imap_server.password not in out
    [account] = json.loads(out)["accounts"]
    assert account["name"] == "support" and account["status"] == "not synced yet"
    assert account["after_import"] == "seen" and account["queued"] == 0
    assert run(url, "account", "test", "support", "--json") == 0
    assert json.loads(capsys.readouterr().out) == {"account": "support", "imap": "ok", "smtp": "ok"}
    assert run(url, "worker", "--once", "--json") == 0
    assert json.loads(capsys.readouterr().out)["accounts"][0]["error"] is None
    assert run(url, "account", "list", "--json") == 0
    assert json.loads(capsys.readouterr().out)["accounts"][0]["status"].startswith(
        "ok, last synced"
    )
    assert run(url, "account", "remove", "support") == 0
    assert keyring.get_password("desk", "account:support") is None
    capsys.readouterr()
    assert run(url, "account", "list", "--json") == 0
    assert json.loads(capsys.readouterr().out)["accounts"] == []


def test_account_test_reports_auth_failure_plainly(
    url, monkeypatch, capsys, imap_server, smtp_server
):
    assert add(url, monkeypatch, imap_server, smtp_server, "wrong password") == 0
    capsys.readouterr()
    assert run(url, "account", "test", "support") == 6
    err = capsys.readouterr().err
    assert "IMAP: auth failed" in err and "wrong password" not in err


def test_account_test_reports_unreachable_and_certificate(
    url, monkeypatch, capsys, imap_tls_server, smtp_server, mail_certificates
):
    assert (
        run(
            url,
            "account",
            "add",
            "tls",
            "--address",
            "t@desk.test",
            "--imap-host",
            "127.0.0.1",
            "--imap-port",
            str(imap_tls_server.tls_port),
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            "1",
            "--username",
            imap_tls_server.username,
            "--security",
            "ssl",
            "--password-stdin",
            stdin=imap_tls_server.password + "\n",
            monkeypatch=monkeypatch,
        )
        == 0
    )
    capsys.readouterr()
    assert run(url, "account", "test", "tls") == 6
    err = capsys.readouterr().err
    assert "IMAP: certificate invalid" in err and "SMTP: server unreachable" in err
    assert run(url, "account", "test", "tls", "--ca-file", str(mail_certificates.ca_cert)) == 6
    err = capsys.readouterr().err
    assert "IMAP" not in err and "SMTP: server unreachable" in err


def test_add_without_a_keyring_stores_nothing(url, monkeypatch, capsys, imap_server, smtp_server):
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    assert add(url, monkeypatch, imap_server, smtp_server, "pw") == 6
    assert "no usable keyring" in capsys.readouterr().err
    assert run(url, "account", "list", "--json") == 0
    assert json.loads(capsys.readouterr().out)["accounts"] == []


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _add_named(url, monkeypatch, name: str, imap_port: int, smtp_port: int, user: str, pw: str):
    return run(
        url,
        "account",
        "add",
        name,
        "--address",
        f"{name}@desk.test",
        "--imap-host",
        "127.0.0.1",
        "--imap-port",
        str(imap_port),
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(smtp_port),
        "--username",
        user,
        "--security",
        "none",
        "--password-stdin",
        stdin=pw + "\n",
        monkeypatch=monkeypatch,
    )


def test_worker_once_exits_6_naming_each_account_it_could_not_work(
    url, monkeypatch, capsys, imap_server, smtp_server
):
    """Issue 14 item 7: a wrong password and a closed port are not a quiet mailbox; the
    account that works is still worked in the same pass."""
    from tests.worker.mails import simple

    imap_server.append(simple("Still stored")[0])
    user, port, smtp = imap_server.username, imap_server.port, smtp_server.port
    assert _add_named(url, monkeypatch, "good", port, smtp, user, imap_server.password) == 0
    assert _add_named(url, monkeypatch, "wrong", port, smtp, user, "wrong password") == 0
    closed = _closed_port()
    assert _add_named(url, monkeypatch, "closed", closed, closed, user, "x") == 0
    capsys.readouterr()
    assert run(url, "worker", "--once") == 6
    err = capsys.readouterr().err.splitlines()
    assert all(line.startswith("desk: mail account '") for line in err[:2])
    by_account = {line.split("'")[1]: line for line in err[:2]}
    assert set(by_account) == {"wrong", "closed"}
    assert "auth failed" in by_account["wrong"] and "wrong password" not in by_account["wrong"]
    assert "unreachable" in by_account["closed"]
    assert err[2:] == ["desk: 2 of 3 mail accounts unavailable; the others were worked"]
    db = Database(url)
    try:
        assert MailStore(db, None).account("good").last_sync_at is not None
        assert Queries(db, None).stats()["messages"] == 1
    finally:
        db.dispose()
    # With every account working again the pass exits 0.
    assert run(url, "account", "remove", "wrong") == 0
    assert run(url, "account", "remove", "closed") == 0
    assert run(url, "worker", "--once", "--json") == 0
