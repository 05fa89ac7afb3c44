"""The mail test servers really behave like mail servers (checked with imapclient/aiosmtplib)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
import time
from email.message import EmailMessage

import aiosmtplib
import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from tests.mail.servers import (
    IMAP_PASSWORD,
    REPLY_421,
    REPLY_451,
    REPLY_550,
    SMTP_PASSWORD,
    SMTP_USERNAME,
    port_is_free,
    to_crlf,
)

SENDER = "agent@desk.example"
CUSTOMER = "customer@example.com"


def make_raw(subject: str, body: str = "Hello.", message_id: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = CUSTOMER
    message["To"] = SENDER
    message["Subject"] = subject
    message["Message-ID"] = message_id or f"<{subject.replace(' ', '-')}@example.com>"
    message.set_content(body)
    return message.as_bytes()


def send(server, raw: bytes | None = None, **options) -> tuple[dict, str]:
    return asyncio.run(
        aiosmtplib.send(
            raw or make_raw("outgoing"),
            sender=SENDER,
            recipients=[CUSTOMER],
            hostname=server.host,
            port=server.port,
            timeout=10,
            **options,
        )
    )


# ---------------------------------------------------------------------------------------------
# SMTP


def test_smtp_records_what_aiosmtplib_sends(smtp_server):
    raw = make_raw("Your order", body="Grüße aus Köln")
    send(smtp_server, raw)

    [received] = smtp_server.wait_for_messages(1)
    assert received.mail_from == SENDER
    assert received.rcpt_tos == (CUSTOMER,)
    assert received.data == to_crlf(raw)
    assert received.message["Subject"] == "Your order"
    assert "Grüße" in received.message.get_content()
    assert received.auth_username is None


def test_smtp_one_connection_carries_many_messages(smtp_server):
    async def send_three() -> None:
        async with aiosmtplib.SMTP(hostname=smtp_server.host, port=smtp_server.port) as client:
            for n in range(3):
                await client.sendmail(SENDER, [CUSTOMER], make_raw(f"reply {n}"))

    asyncio.run(send_three())
    assert [m.message["Subject"] for m in smtp_server.messages] == [
        "reply 0",
        "reply 1",
        "reply 2",
    ]
    assert smtp_server.connections == 1
    assert {m.connection for m in smtp_server.messages} == {1}


def test_smtp_451_then_success_on_retry(smtp_server):
    smtp_server.fail_next(REPLY_451)

    with pytest.raises(aiosmtplib.SMTPDataError) as refused:
        send(smtp_server)
    assert refused.value.code == 451
    assert smtp_server.messages == []

    send(smtp_server)
    assert len(smtp_server.messages) == 1
    assert smtp_server.refused == [("MESSAGE", REPLY_451)]


def test_smtp_fail_next_counts_and_fail_always(smtp_server):
    smtp_server.fail_next(REPLY_451, count=2)
    for _ in range(2):
        with pytest.raises(aiosmtplib.SMTPDataError):
            send(smtp_server)
    send(smtp_server)

    smtp_server.fail_always(REPLY_550)
    for _ in range(3):
        with pytest.raises(aiosmtplib.SMTPDataError) as refused:
            send(smtp_server)
        assert refused.value.code == 550
    smtp_server.clear_failures()
    send(smtp_server)
    assert len(smtp_server.messages) == 2


def test_smtp_550_for_message_and_for_recipient(smtp_server):
    smtp_server.fail_next(REPLY_550)
    with pytest.raises(aiosmtplib.SMTPDataError) as refused:
        send(smtp_server)
    assert (refused.value.code, refused.value.message) == (550, "5.1.1 Mailbox unavailable")

    smtp_server.fail_next(REPLY_550, stage="RCPT")
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as rcpt_refused:
        send(smtp_server)
    assert rcpt_refused.value.recipients[0].code == 550
    assert smtp_server.messages == []


def test_smtp_421_closes_the_connection(smtp_server):
    smtp_server.fail_next(REPLY_421)
    with socket.create_connection((smtp_server.host, smtp_server.port), timeout=5) as sock:
        reader = sock.makefile("rb")
        assert reader.readline().startswith(b"220 ")
        for command in (b"EHLO client", b"MAIL FROM:<a@x>", b"RCPT TO:<b@y>", b"DATA"):
            sock.sendall(command + b"\r\n")
            line = reader.readline()
            while line[3:4] == b"-":  # multi-line EHLO reply
                line = reader.readline()
            assert line[:1] in (b"2", b"3"), line
        sock.sendall(b"Subject: x\r\n\r\nbody\r\n.\r\n")
        assert reader.readline().startswith(b"421 ")
        assert reader.readline() == b""  # the server hung up
    assert smtp_server.messages == []


def test_smtp_421_at_connect_and_ehlo(smtp_server):
    smtp_server.fail_next(REPLY_421, stage="CONNECT")
    with pytest.raises(aiosmtplib.SMTPConnectResponseError) as at_connect:
        send(smtp_server)
    assert at_connect.value.code == 421

    smtp_server.fail_next(REPLY_421, stage="EHLO")
    with pytest.raises(aiosmtplib.SMTPException):
        send(smtp_server)

    send(smtp_server)
    assert len(smtp_server.messages) == 1


def test_smtp_rejects_bad_failure_rules(smtp_server):
    with pytest.raises(ValueError):
        smtp_server.fail_next("250 fine")
    with pytest.raises(ValueError):
        smtp_server.fail_next(REPLY_451, stage="QUIT")  # type: ignore[arg-type]


def test_smtp_auth_success_and_failure(smtp_auth_server):
    with pytest.raises(aiosmtplib.SMTPSenderRefused) as unauthenticated:
        send(smtp_auth_server)
    assert unauthenticated.value.code == 530

    with pytest.raises(aiosmtplib.SMTPAuthenticationError) as wrong:
        send(smtp_auth_server, username=SMTP_USERNAME, password="wrong")
    assert wrong.value.code == 535
    assert smtp_auth_server.auth_failures >= 1  # aiosmtplib tries more than one mechanism

    for mechanism in ("PLAIN", "LOGIN"):

        async def login_and_send(mechanism: str = mechanism) -> None:
            async with aiosmtplib.SMTP(
                hostname=smtp_auth_server.host, port=smtp_auth_server.port
            ) as client:
                assert client.supports_extension("auth")
                if mechanism == "PLAIN":
                    await client.auth_plain(SMTP_USERNAME, SMTP_PASSWORD)
                else:
                    await client.auth_login(SMTP_USERNAME, SMTP_PASSWORD)
                await client.sendmail(SENDER, [CUSTOMER], make_raw(f"via {mechanism}"))

        asyncio.run(login_and_send())
    send(smtp_auth_server, username=SMTP_USERNAME, password=SMTP_PASSWORD)

    assert [m.auth_username for m in smtp_auth_server.messages] == [SMTP_USERNAME] * 3


def test_smtp_outage_refuses_then_recovers_on_same_port(smtp_server):
    port = smtp_server.port
    send(smtp_server)

    async def connected_client() -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(hostname=smtp_server.host, port=port)
        await client.connect()
        return client

    loop = asyncio.new_event_loop()
    try:
        client = loop.run_until_complete(connected_client())
        with smtp_server.outage():
            # Open connections are cut and new ones refused.
            with pytest.raises(aiosmtplib.SMTPServerDisconnected):
                loop.run_until_complete(client.noop())
            with pytest.raises(aiosmtplib.SMTPConnectError):
                send(smtp_server)
        assert smtp_server.port == port
    finally:
        loop.close()

    send(smtp_server)
    assert len(smtp_server.messages) == 2


def test_smtp_stop_releases_thread_and_port(smtp_server_factory):
    before = set(threading.enumerate())
    server = smtp_server_factory()
    send(server)
    server.stop()
    assert set(threading.enumerate()) <= before
    assert port_is_free(server.port)
    server.stop()  # idempotent


@pytest.mark.parametrize("mode", ["starttls", "implicit"])
def test_smtp_tls_needs_the_test_ca(smtp_server_factory, mail_certificates, mode):
    if mode == "starttls":
        server = smtp_server_factory(starttls_context=mail_certificates.server_context())
        options = {"start_tls": True}
    else:
        server = smtp_server_factory(implicit_tls_context=mail_certificates.server_context())
        options = {"use_tls": True}

    # aiosmtplib raises SMTPConnectError for implicit TLS and the bare ssl error for STARTTLS.
    with pytest.raises((aiosmtplib.SMTPException, ssl.SSLError)) as unverified:
        send(server, **options)
    assert "CERTIFICATE_VERIFY_FAILED" in repr(unverified.value) + repr(unverified.value.__cause__)

    send(server, tls_context=mail_certificates.client_context(), **options)
    assert len(server.messages) == 1


def test_smtp_reachable_from_another_process(smtp_server):
    script = textwrap.dedent(
        f"""
        import smtplib
        with smtplib.SMTP({smtp_server.host!r}, {smtp_server.port}, timeout=10) as smtp:
            smtp.sendmail({SENDER!r}, [{CUSTOMER!r}], b"Subject: from a worker\\r\\n\\r\\nhi\\r\\n")
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=30)
    [received] = smtp_server.wait_for_messages(1)
    assert received.message["Subject"] == "from a worker"


# ---------------------------------------------------------------------------------------------
# IMAP


def test_imap_login(imap_server):
    client = imap_server.connect()
    assert client.select_folder("INBOX")[b"EXISTS"] == 0

    with pytest.raises(LoginError):
        imap_server.connect(password="wrong")
    with pytest.raises(LoginError):
        imap_server.connect(login=False).login(imap_server.username, "wrong")


def test_imap_capabilities_and_flags(imap_server):
    client = imap_server.connect()
    capabilities = set(client.capabilities())
    assert {b"IDLE", b"MOVE", b"UIDPLUS", b"MULTIAPPEND"} <= capabilities
    # Not offered by pymap: ingest must not depend on these.
    assert not {b"CONDSTORE", b"QRESYNC", b"ESEARCH", b"STARTTLS"} & capabilities

    # Only system flags are permanent (no \* in PERMANENTFLAGS): keywords are silently dropped,
    # as some real servers do. Do not mark imported mail with a custom keyword.
    assert b"\\*" not in client.select_folder("INBOX")[b"PERMANENTFLAGS"]
    uid = imap_server.append(make_raw("keyword"))
    client.noop()  # let this session learn about the new message before storing to it
    client.add_flags([uid], [b"$DeskImported", b"\\Answered"])
    assert imap_server.flags(uid) == {"\\Answered"}


def test_imap_session_sees_new_mail_only_after_it_is_told(imap_server):
    """pymap answers UID SEARCH/STORE/MOVE only over messages this session has been told about:
    mail appended by another connection shows up after NOOP (or any command that reports
    updates, or a new SELECT). Until then, commands on its UIDs are silently ignored."""
    client = imap_server.connect()
    client.select_folder("INBOX")
    uid = imap_server.append(make_raw("arrives while selected"))
    assert client.search(["ALL"]) == []
    client.noop()
    assert client.search(["ALL"]) == [uid]
    client.add_flags([uid], [b"\\Seen"])
    assert imap_server.flags(uid) == {"\\Seen"}


def test_imap_accounts_are_isolated(pymap_process, imap_server):
    imap_server.append(make_raw("private"))
    other = pymap_process.new_account()
    try:
        assert other.uids() == []
        assert len(imap_server.uids()) == 1
    finally:
        other.close()


def test_imap_append_search_fetch_flag_move(imap_server):
    raws = [make_raw(f"question {n}", message_id=f"<q{n}@example.com>") for n in range(3)]
    uids = [imap_server.append(raw) for raw in raws]
    assert uids == imap_server.uids() == [101, 102, 103]
    imap_server.create_folder("Processed")
    assert imap_server.folders() == ["INBOX", "Processed"]

    client = imap_server.connect()
    selected = client.select_folder("INBOX")
    assert selected[b"EXISTS"] == 3
    assert selected[b"UIDVALIDITY"] == imap_server.uid_validity()
    assert selected[b"UIDNEXT"] == 104

    assert client.search(["UID", "102:*"]) == [102, 103]
    assert client.search(["HEADER", "Message-ID", "<q1@example.com>"]) == [102]
    assert client.search(["UNSEEN"]) == uids

    # BODY.PEEK[] leaves \Seen alone; RFC822 sets it.
    peeked = client.fetch([101], ["BODY.PEEK[]", "RFC822.SIZE", "INTERNALDATE"])
    assert peeked[101][b"BODY[]"] == to_crlf(raws[0])
    assert peeked[101][b"RFC822.SIZE"] == len(to_crlf(raws[0]))
    assert imap_server.flags(101) == frozenset()
    assert client.fetch([102], ["RFC822"])[102][b"RFC822"] == to_crlf(raws[1])
    assert imap_server.flags(102) == {"\\Seen"}

    client.add_flags([101], [b"\\Seen", b"\\Flagged"])
    assert imap_server.flags(101) == {"\\Seen", "\\Flagged"}
    client.remove_flags([101], [b"\\Seen"])
    assert imap_server.flags(101) == {"\\Flagged"}

    # MOVE (RFC 6851) with COPYUID from UIDPLUS.
    client.move([101], "Processed")
    assert client.search(["ALL"]) == [102, 103]
    assert imap_server.uids("Processed") == [101]
    assert imap_server.fetch_raw(101, "Processed") == to_crlf(raws[0])
    assert imap_server.flags(101, "Processed") == {"\\Flagged"}

    # COPY + \Deleted + UID EXPUNGE, the fallback for servers without MOVE.
    client.copy([102], "Processed")
    client.add_flags([102], [b"\\Deleted"])
    client.uid_expunge([102])
    assert client.search(["ALL"]) == [103]
    assert imap_server.uids("Processed") == [101, 102]


def test_imap_keeps_8bit_bytes_exactly(imap_server):
    raw = (
        b"From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <taro@example.jp>\r\n"
        b"Subject: \x93\xfa\x96{\x8c\xea\r\n"  # raw Shift_JIS in a header, as broken mailers do
        b"Content-Type: text/plain\r\n"
        b"\r\n"
        b"\x1b$B$3$s$K$A$O\x1b(B\r\n"  # ISO-2022-JP without a charset parameter
        b"\xcf\xd2\xc9\xd7\xc5\xd4\r\n"  # KOI8-R
    )
    uid = imap_server.append(raw)
    assert imap_server.fetch_raw(uid) == raw


def test_imap_append_many_and_helpers(imap_server):
    uids = imap_server.append_many([make_raw(f"bulk {n}") for n in range(450)])
    assert uids == list(range(101, 551))
    assert imap_server.uids() == uids
    imap_server.set_flags(200, ["\\Flagged"])
    assert imap_server.flags(200) == {"\\Flagged"}
    imap_server.expunge([101, 102])
    assert imap_server.uids()[:2] == [103, 104]
    assert imap_server.uid_next() == 551
    imap_server.create_folder("Archive")
    uid = imap_server.append(make_raw("archived"), "Archive", flags=["\\Seen"])
    assert imap_server.flags(uid, "Archive") == {"\\Seen"}


def test_imap_idle_wakes_up_when_another_connection_appends(imap_server):
    client = imap_server.connect()
    client.select_folder("INBOX")
    client.idle()
    try:
        assert client.idle_check(timeout=0.2) == []
        appender = threading.Timer(0.3, imap_server.append, args=(make_raw("new mail"),))
        started = time.monotonic()
        appender.start()
        responses = []
        while not responses and time.monotonic() - started < 2.0:
            responses = client.idle_check(timeout=2.0 - (time.monotonic() - started))
        woke_after = time.monotonic() - started
        appender.join()
    finally:
        client.idle_done()
    assert (1, b"EXISTS") in responses
    assert woke_after < 2.0
    assert client.search(["ALL"]) == [101]


def test_imap_uidvalidity_change_keeps_messages_under_new_uids(imap_server):
    imap_server.append(make_raw("one"))
    imap_server.append(make_raw("two"), flags=["\\Seen"])
    imap_server.expunge([101])
    old = imap_server.uid_validity()
    watcher = imap_server.connect()
    assert watcher.select_folder("INBOX")[b"UIDVALIDITY"] == old

    new = imap_server.change_uid_validity()

    assert new != old
    assert imap_server.uid_validity() == new
    assert imap_server.uids() == [101]  # numbering starts again
    assert b"Subject: two" in imap_server.fetch_raw(101)
    assert imap_server.flags(101) == {"\\Seen"}
    assert watcher.select_folder("INBOX")[b"UIDVALIDITY"] == new
    assert imap_server.folders() == ["INBOX"]  # nothing left behind


def test_imap_uidvalidity_change_of_other_folder_and_emptying(imap_server):
    imap_server.create_folder("Support")
    imap_server.append(make_raw("in support"), "Support")
    old = imap_server.uid_validity("Support")
    assert imap_server.change_uid_validity("Support") != old
    assert imap_server.uids("Support") == [101]

    imap_server.append(make_raw("inbox"))
    imap_server.change_uid_validity(keep_messages=False)
    assert imap_server.uids() == []


def test_imap_is_shared_with_other_processes_and_survives_sigkill(imap_server):
    imap_server.append(make_raw("for the worker"))
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from imapclient import IMAPClient
        client = IMAPClient({imap_server.host!r}, {imap_server.port}, ssl=False, timeout=10)
        client.login({imap_server.username!r}, {IMAP_PASSWORD!r})
        client.select_folder("INBOX")
        print(client.search(["ALL"]), flush=True)
        client.idle()
        os.kill(os.getpid(), signal.SIGKILL)  # die mid-IDLE, like a crashing worker
        """
    )
    worker = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    assert worker.returncode == -signal.SIGKILL, worker.stderr
    assert worker.stdout.strip() == "[101]"

    imap_server.append(make_raw("after the crash"))
    assert imap_server.uids() == [101, 102]


def test_imap_tls_verification(imap_tls_server, mail_certificates):
    for security in ("starttls", "ssl"):
        with pytest.raises(ssl.SSLCertVerificationError):
            imap_tls_server.connect(security=security)

    context = mail_certificates.client_context()
    starttls = imap_tls_server.connect(security="starttls", ssl_context=context)
    implicit = imap_tls_server.connect(security="ssl", ssl_context=context)
    assert b"STARTTLS" not in implicit.capabilities()
    imap_tls_server.append(make_raw("over tls"))
    assert starttls.select_folder("INBOX")[b"EXISTS"] == 1
    assert implicit.select_folder("INBOX")[b"EXISTS"] == 1

    # Hostname checking is on too: the certificate names localhost and 127.0.0.1 only.
    with (
        socket.create_connection((imap_tls_server.host, imap_tls_server.tls_port), 5) as sock,
        pytest.raises(ssl.SSLCertVerificationError, match="mismatch"),
    ):
        context.wrap_socket(sock, server_hostname="mail.example.com")
    with IMAPClient("localhost", imap_tls_server.tls_port, ssl_context=context) as by_name:
        assert b"IMAP4REV1" in by_name.capabilities()


def test_pymap_process_stops_cleanly_and_restarts_on_same_port(pymap_process_factory):
    process = pymap_process_factory()
    port, pid = process.port, process.pid
    account = process.new_account()
    account.append(make_raw("lost in the outage"))
    account.close()

    process.restart()
    assert process.port == port
    assert process.pid != pid
    fresh = process.new_account(account.username)
    assert fresh.uids() == []  # the dict backend keeps mail in memory only
    fresh.close()

    pid = process.pid
    process.stop()
    assert not process.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert port_is_free(port)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((process.host, port), timeout=2)
