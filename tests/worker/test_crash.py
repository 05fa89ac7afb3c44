"""The worker killed with SIGKILL at random points never loses or duplicates mail."""

from __future__ import annotations

import random
import socket
import sqlite3
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from desk_app.core.clock import utc_now
from desk_app.mail import passwords
from desk_app.store import Database, Service
from desk_app.store.mail_store import MailStore
from desk_app.store.models import Lease, Message, OutboxItem, RawMail
from desk_app.worker.read_pool import GROUP
from tests.mail.corpus import corpus
from tests.worker.conftest import add_account
from tests.worker.mails import simple
from tests.worker.processes import desk


@pytest.fixture
def setup(sqlite_database_url, file_keyring, imap_server, smtp_server):
    db = Database(sqlite_database_url)
    Service(db, None).add_department("Support")
    store = MailStore(db, None)
    yield sqlite_database_url, db, store
    db.dispose()


def scalar(db: Database, query):
    with db.read() as session:
        return session.scalar(query)


# The worker commits e-mails in groups: enough of them that kills can land between many commits.
MESSAGES = 12 * GROUP


@pytest.mark.slow
def test_messages_killed_20_times_end_with_one_ticket_message_each(setup, imap_server, smtp_server):
    url, db, store = setup
    add_account(store, imap_server, smtp_server, after_import="seen")
    passwords.store_password("support", imap_server.password)
    mails = [simple(f"Question {n}", f"Body {n}") for n in range(MESSAGES)]
    imap_server.append_many(raw for raw, _ in mails)
    ids = [message_id for _, message_id in mails]
    rng = random.Random()
    count_raw = sa.select(sa.func.count()).select_from(RawMail)
    kills = runs = 0
    progress_at_kills: list[int] = []
    started = time.monotonic()
    while True:
        runs += 1
        process = desk(url, "worker", "--once")
        if kills < 20:
            stored_before = scalar(db, count_raw)
            if (kills >= 8 and kills % 2 == 0) or stored_before >= len(mails):
                # Kill anywhere from start-up (imports, schema check: ~1-2 s on a quiet
                # machine) to well into the import.
                time.sleep(rng.uniform(0.3, 2.6))
            else:
                # The first eight kills, and every other one after, wait for this run's first
                # stored message and land a moment later, so they fall inside the import
                # however fast it runs and however slow start-up is on a busy machine.
                deadline = time.monotonic() + 60
                while process.poll() is None and time.monotonic() < deadline:
                    if scalar(db, count_raw) > stored_before:
                        time.sleep(rng.uniform(0.0, 0.1))
                        break
                    time.sleep(0.02)
            if process.poll() is None:
                process.kill()
                process.wait()
                kills += 1
                progress_at_kills.append(scalar(db, count_raw))
                continue
        _out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
        if kills >= 20:
            break
    with db.read() as session:
        per_id = dict(
            session.execute(
                sa.select(Message.message_id, sa.func.count())
                .where(Message.message_id.in_(ids))
                .group_by(Message.message_id)
            ).all()
        )
        raw_count = session.scalar(sa.select(sa.func.count()).select_from(RawMail))
    assert kills == 20
    # The kills really landed inside the import, not only before or after it.
    assert sum(0 < n < MESSAGES for n in progress_at_kills) >= 5, progress_at_kills
    assert len(per_id) == MESSAGES and set(per_id.values()) == {1}
    assert raw_count == MESSAGES
    # Every message got its \Seen, including those committed just before a kill.
    assert all(r"\Seen" in imap_server.flags(uid) for uid in imap_server.uids())
    print(f"{runs} runs, {kills} kills, {time.monotonic() - started:.1f} s, {progress_at_kills}")


def write_locked(database_file: str) -> bool:
    """Whether a writer holds SQLite's write lock on the file right now (a transaction is
    open in it): taking the lock without waiting fails then."""
    probe = sqlite3.connect(database_file, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


@pytest.mark.slow
def test_killed_inside_a_group_transaction_never_flags_uncommitted_mail(
    sqlite_database_url, file_keyring, dovecot_server, smtp_server
):
    """Ingest commits e-mails in groups. A worker killed while it writes a group loses that
    whole group's rows, and none of them may carry \\Seen on the server by then; the next run
    stores them, each once."""
    url = sqlite_database_url
    database_file = url.removeprefix("sqlite:///")
    db = Database(url)
    Service(db, None).add_department("Support")
    store = MailStore(db, None)
    add_account(store, dovecot_server, smtp_server, after_import="seen")
    passwords.store_password("support", dovecot_server.password)
    mails = corpus(400)
    uids = dovecot_server.append_many(mail.raw for mail in mails)
    count_raw = sa.select(sa.func.count()).select_from(RawMail)
    stored_uids = sa.select(RawMail.uid)
    kills_mid_import = 0
    try:
        for _run in range(40):
            stored_before = scalar(db, count_raw)
            process = desk(url, "worker", "--once")
            killed = False
            deadline = time.monotonic() + 90
            # Once this run has committed a group, kill it the next time it holds the write
            # lock: inside the transaction of a later group.
            while process.poll() is None and time.monotonic() < deadline:
                if scalar(db, count_raw) > stored_before and write_locked(database_file):
                    process.kill()
                    killed = True
                    break
                time.sleep(0.002)
            process.wait(60)
            if not killed:
                assert process.returncode == 0, process.stderr.read().decode()
                break
            kills_mid_import += scalar(db, count_raw) < len(uids)
            with db.read() as session:
                stored = set(session.scalars(stored_uids))
            seen = {uid for uid in uids if r"\Seen" in dovecot_server.flags(uid)}
            assert seen <= stored, sorted(seen - stored)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert kills_mid_import >= 3
    print(f"{_run + 1} runs, {kills_mid_import} kills inside a group before the end")
    with db.read() as session:
        per_id = dict(
            session.execute(
                sa.select(Message.message_id, sa.func.count()).group_by(Message.message_id)
            ).all()
        )
        raw_count = session.scalar(count_raw)
    assert per_id == {mail.message_id: 1 for mail in mails}
    assert raw_count == len(uids)
    assert all(r"\Seen" in dovecot_server.flags(uid) for uid in uids)
    db.dispose()


class Blackhole:
    """An SMTP server that takes the whole message and then never answers: the worker is
    stuck mid-send, after the customer's server may already have the mail."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.received = b""
        self.got_message = threading.Event()
        self._clients: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        try:
            client, _ = self.sock.accept()
        except OSError:
            return
        self._clients.append(client)
        file = client.makefile("rb")
        client.sendall(b"220 blackhole\r\n")
        in_data = False
        for line in file:
            if in_data:
                self.received += line
                if line == b".\r\n":
                    self.got_message.set()  # and never reply
                continue
            command = line[:4].upper()
            if command == b"EHLO":
                client.sendall(b"250-blackhole\r\n250 8BITMIME\r\n")
            elif command == b"DATA":
                in_data = True
                client.sendall(b"354 go ahead\r\n")
            else:
                client.sendall(b"250 OK\r\n")

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self.sock.close()


@pytest.mark.slow
def test_a_sender_killed_mid_send_never_loses_the_reply(setup, imap_server, smtp_server_factory):
    url, db, store = setup
    blackhole = Blackhole()
    imap_server.append(simple()[0])
    add_account(store, imap_server, type("S", (), {"host": "127.0.0.1", "port": blackhole.port}))
    passwords.store_password("support", imap_server.password)
    process = desk(url, "worker", "--once")
    try:
        # First the worker ingests the customer's mail; then we queue the agent's reply.
        deadline = time.monotonic() + 30
        while scalar(db, sa.select(sa.func.count()).select_from(Message)) == 0:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        process.kill()
        process.wait()
    agent = Service(db, None).add_agent("Anna", "anna@desk.test", departments=["Support"])
    ticket_id = scalar(db, sa.select(sa.func.max(Message.ticket_id)))
    reply = Service(db, agent).reply(ticket_id, "Your parcel left today.")
    stored_id = scalar(db, sa.select(Message.message_id).where(Message.id == reply.message_id))
    process = desk(url, "worker", "--once")
    assert blackhole.got_message.wait(30), process.stderr
    process.kill()
    process.wait()
    blackhole.close()
    assert scalar(db, sa.select(OutboxItem.state)) == "sending"
    assert f"Message-ID: {stored_id}".encode() in blackhole.received
    # Five minutes later, the stalled reply is queued again and goes out, same Message-ID.
    smtp = smtp_server_factory(port=blackhole.port)
    later = MailStore(db, None, lambda: utc_now() + timedelta(minutes=6))
    assert later.requeue_stalled(timedelta(minutes=5)) == 1
    process = desk(url, "worker", "--once")
    assert process.wait(60) == 0, process.stderr.read().decode()
    [received] = smtp.wait_for_messages(1)
    assert received.message["Message-ID"] == stored_id
    assert scalar(db, sa.select(OutboxItem.state)) == "sent"


@pytest.mark.slow
def test_a_second_worker_waits_on_the_lease_then_takes_over(setup, imap_server, smtp_server):
    url, db, store = setup
    account_id = add_account(store, imap_server, smtp_server)
    passwords.store_password("support", imap_server.password)
    args = ("worker", "--poll-seconds", "0.5", "--lease-seconds", "6")
    first = desk(url, *args)
    second = None
    try:
        holder_of = sa.select(Lease.holder).where(Lease.name == f"mail:{account_id}")
        deadline = time.monotonic() + 30
        while scalar(db, holder_of) is None:
            assert time.monotonic() < deadline, first.stderr
            time.sleep(0.1)
        first_holder = scalar(db, holder_of)
        assert f":{first.pid}:" in first_holder
        second = desk(url, *args)
        imap_server.append(simple("While the first works")[0])
        deadline = time.monotonic() + 20
        while store.folder_position(account_id, "INBOX")[1] == 0:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(3)  # the second worker has started and is waiting
        assert scalar(db, holder_of) == first_holder
        first.kill()
        first.wait()
        killed_at = time.monotonic()
        imap_server.append(simple("After the first died")[0])
        deadline = killed_at + 30
        while store.folder_position(account_id, "INBOX")[1] < max(imap_server.uids()):
            assert time.monotonic() < deadline, "the second worker did not take over"
            time.sleep(0.1)
        assert f":{second.pid}:" in scalar(db, holder_of)
        assert scalar(db, sa.select(sa.func.count()).select_from(Message)) == 2
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(15)
                except Exception:
                    process.kill()
                    process.wait()
    assert second.returncode == 0  # SIGTERM is a clean stop
