"""Mail benchmark: ingest from a real IMAP server to committed tickets, and sending queued
replies to a real SMTP server (aiosmtpd), both through the worker's own code paths.

    python benchmarks/mail_bench.py --messages 5000 [--replies N] [--database-url URL]
    python benchmarks/mail_bench.py --server dovecot --messages 5000 --replies 0

`--server pymap` (the default) ingests simple one-part mails from pymap. `--server dovecot`
ingests a realistic mix (tests/mail/corpus.py: multipart, HTML, Japanese and Russian legacy
charsets, attachments, replies, transport copies) from a throwaway Dovecot on loopback, and in
the same run times `mbsync` (isync) copying the same mailbox to a Maildir, as the yardstick of
what the server and machine allow: goal ingest >= 0.3 x mbsync's messages/s. It needs Debian's
packages, installed with:

    apt-get install dovecot-imapd isync

(nothing is configured system-wide: the benchmark writes its own Dovecot and mbsync configs in a
temporary directory; no service is started). Before the timed runs, one untimed mbsync copy
warms Dovecot's indexes and the page cache, so neither timed reader pays for that. The yardstick
is the median of three mbsync copies with `FSync no`: Desk's SQLite (WAL, synchronous=NORMAL)
does not fsync each commit either, and on a disk with slow fsync mbsync's default (`FSync yes`,
one fsync per message) measures the disk, not IMAP. mbsync's default is timed too and reported
beside it (`mbsync_fsync_per_second`), not used for the goal.

The IMAP and SMTP servers run as subprocesses so they do not share this process's GIL; peak
RSS is this (worker) process's. Prints progress to stderr and one JSON object as the last line
of stdout. Goals on SQLite: ingest >= 200 messages/s (pymap), >= 0.3 x mbsync (dovecot), send
>= 100 replies/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _common import database_url, peak_rss_mb  # noqa: E402

from desk_app.store import Database, Service  # noqa: E402
from desk_app.store.mail_store import MailStore  # noqa: E402
from desk_app.worker.runner import MailWorker, WorkerOptions  # noqa: E402
from tests.mail.corpus import corpus, distinct  # noqa: E402
from tests.mail.dovecot import DovecotProcess, dovecot_missing  # noqa: E402
from tests.mail.servers import ImapAccount, PymapProcess  # noqa: E402

LOOPBACK = "127.0.0.1"
MBSYNC_RATIO_GOAL = 0.3


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def raw_mail(n: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"Customer {n % 700} <customer{n % 700}@example.com>"
    message["To"] = "support@desk.test"
    message["Subject"] = f"Question {n} about order {n * 7}"
    message["Message-ID"] = f"<bench-{n}@example.com>"
    message["Date"] = "Mon, 23 Nov 2026 08:00:00 +0000"
    message.set_content(f"Hello,\n\nwhere is order {n * 7}? It was due last week.\n\nThanks\n")
    return message.as_bytes()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def start_smtp() -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"{LOOPBACK}:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection((LOOPBACK, port), 1).close()
            return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("aiosmtpd did not start")


def mbsync_copy(mailbox: ImapAccount, workdir: Path, name: str, *, fsync: bool) -> float:
    """Seconds `mbsync` takes to copy the mailbox's INBOX into a new Maildir."""
    mbsync = shutil.which("mbsync")
    if mbsync is None:
        raise SystemExit("mbsync is not installed (apt-get install isync)")
    target = workdir / name
    target.mkdir()
    config = workdir / f"{name}.mbsyncrc"
    config.write_text(
        f"FSync {'yes' if fsync else 'no'}\n\n"
        f"IMAPAccount bench\nHost {LOOPBACK}\nPort {mailbox.port}\nUser {mailbox.username}\n"
        f"Pass {mailbox.password}\nSSLType None\nAuthMechs LOGIN\n\n"
        "IMAPStore far\nAccount bench\n\n"
        f"MaildirStore near\nPath {target}/\nInbox {target}/INBOX\n\n"
        "Channel bench\nFar :far:\nNear :near:\nPatterns INBOX\nSync Pull\nCreate Near\n"
        f"SyncState {target}/.state/\n"
    )
    started = time.perf_counter()
    # Its output (a warning that the test password goes over plain loopback) only on failure.
    done = subprocess.run([mbsync, "-q", "-c", str(config), "bench"], capture_output=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"mbsync failed: {done.stderr.decode(errors='replace')}")
    copied = len(list((target / "INBOX" / "new").iterdir())) + len(
        list((target / "INBOX" / "cur").iterdir())
    )
    if copied != len(mailbox.uids()):
        raise SystemExit(f"mbsync copied {copied} of {len(mailbox.uids())} messages")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--replies", type=int, help="default: as many as --messages")
    parser.add_argument("--database-url")
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--server", default="pymap", choices=["pymap", "dovecot"])
    args = parser.parse_args()
    replies = args.messages if args.replies is None else args.replies
    dovecot = args.server == "dovecot"
    if dovecot and (missing := dovecot_missing()):
        raise SystemExit(missing)

    # Timings on a shared machine mean little without the load they were taken under.
    load_at_start = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="desk-mail-bench-"))
    imap: PymapProcess | DovecotProcess = DovecotProcess() if dovecot else PymapProcess(workdir)
    imap.start()
    mbsync_seconds: float | None = None
    mbsync_fsync_seconds = 0.0
    smtp, smtp_port = start_smtp()
    try:
        with database_url(args.database_url, args.backend) as url:
            db = Database(url)
            db.upgrade()
            system = Service(db, None)
            system.add_department("Support")
            agent = system.add_agent("Anna", "anna@desk.test", departments=["Support"])
            mailbox = imap.new_account()
            progress(f"appending {args.messages} messages to {args.server}…")
            if dovecot:
                mails = corpus(args.messages)
                mailbox.append_many(mail.raw for mail in mails)
                progress("mbsync: a warm-up copy, then the timed one…")
                mbsync_copy(mailbox, workdir, "warm-up", fsync=False)
                # A copy takes seconds, so one slow moment on a shared machine moves it a lot:
                # the median of three.
                mbsync_seconds = statistics.median(
                    mbsync_copy(mailbox, workdir, f"timed-{n}", fsync=False) for n in range(3)
                )
                mbsync_fsync_seconds = mbsync_copy(mailbox, workdir, "fsync", fsync=True)
            else:
                mailbox.append_many(raw_mail(n) for n in range(args.messages))
            store = MailStore(db, None)
            store.add_account(
                "support",
                address="support@desk.test",
                username=mailbox.username,
                imap_host=LOOPBACK,
                imap_port=mailbox.port,
                smtp_host=LOOPBACK,
                smtp_port=smtp_port,
                security="none",
                department="Support",
            )
            worker = MailWorker(db, WorkerOptions(), password_for=lambda _n: mailbox.password)

            progress("ingesting…")
            started = time.perf_counter()
            summary = asyncio.run(worker.run_once())
            ingest_seconds = time.perf_counter() - started
            stored = summary.accounts[0].stored
            duplicates = summary.accounts[0].duplicates
            if summary.accounts[0].error:
                raise SystemExit(summary.accounts[0].error)
            expected = distinct(mails) if dovecot else args.messages
            if stored != expected or stored + duplicates != args.messages:
                raise SystemExit(f"stored {stored} and {duplicates} duplicates of {expected}")

            progress(f"queueing {replies} replies…")
            with db.read() as session:
                from sqlalchemy import text

                tickets = [row[0] for row in session.execute(text("SELECT id FROM tickets"))]
            service = Service(db, agent)
            for n in range(replies):
                service.reply(tickets[n % len(tickets)], f"Reply {n}: your order left today.")
            progress("sending…")
            started = time.perf_counter()
            report = asyncio.run(worker.sender.send_due())
            send_seconds = time.perf_counter() - started
            mailbox.close()
            db.dispose()
    finally:
        smtp.terminate()
        smtp.wait(10)
        imap.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    # Every fetched message counts, copies included: mbsync copies them all too.
    ingest_rate = args.messages / ingest_seconds
    result: dict[str, object] = {
        "backend": args.backend if not args.database_url else "given",
        "server": args.server,
        "messages": args.messages,
        "ingested": stored,
        "duplicates": duplicates,
        "ingest_seconds": round(ingest_seconds, 2),
        "ingest_per_second": round(ingest_rate, 1),
    }
    goals: dict[str, object] = {"ingest_per_second": 200, "send_per_second": 100}
    if mbsync_seconds is not None:
        mbsync_rate = args.messages / mbsync_seconds
        ratio = ingest_rate / mbsync_rate
        result |= {
            "mbsync_seconds": round(mbsync_seconds, 2),
            "mbsync_per_second": round(mbsync_rate, 1),
            "ratio_to_mbsync": round(ratio, 3),
            "mbsync_fsync_per_second": round(args.messages / mbsync_fsync_seconds, 1),
            "ratio_goal_met": ratio >= MBSYNC_RATIO_GOAL,
        }
        goals = {"ratio_to_mbsync": MBSYNC_RATIO_GOAL, "send_per_second": 100}
    result |= {
        "replies": replies,
        "sent": report.sent,
        "send_failures": report.retry + report.failed,
        "send_seconds": round(send_seconds, 2),
        "send_per_second": round(report.sent / send_seconds, 1) if send_seconds else None,
        "peak_rss_mb": peak_rss_mb(),
        "load_average": {
            "start": [round(x, 2) for x in load_at_start],
            "end": [round(x, 2) for x in os.getloadavg()],
        },
        "goals": goals,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
