"""Mail benchmark: ingest from a real IMAP server (pymap) to committed tickets, and sending
queued replies to a real SMTP server (aiosmtpd), both through the worker's own code paths.

    python benchmarks/mail_bench.py --messages 5000 [--replies N] [--database-url URL]

pymap and aiosmtpd run as subprocesses so the servers do not share this process's GIL; peak
RSS is this (worker) process's. Prints progress to stderr and one JSON object as the last line
of stdout. Goals on SQLite: ingest >= 200 messages/s, send >= 100 replies/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
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
from tests.mail.servers import PymapProcess  # noqa: E402

LOOPBACK = "127.0.0.1"


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--replies", type=int, help="default: as many as --messages")
    parser.add_argument("--database-url")
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    replies = args.messages if args.replies is None else args.replies

    # Timings on a shared machine mean little without the load they were taken under.
    load_at_start = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="desk-mail-bench-"))
    imap = PymapProcess(workdir)
    imap.start()
    smtp, smtp_port = start_smtp()
    try:
        with database_url(args.database_url, args.backend) as url:
            db = Database(url)
            db.upgrade()
            system = Service(db, None)
            system.add_department("Support")
            agent = system.add_agent("Anna", "anna@desk.test", departments=["Support"])
            mailbox = imap.new_account()
            progress(f"appending {args.messages} messages to pymap…")
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
            if summary.accounts[0].error:
                raise SystemExit(summary.accounts[0].error)

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
    result = {
        "backend": args.backend if not args.database_url else "given",
        "messages": args.messages,
        "ingested": stored,
        "ingest_seconds": round(ingest_seconds, 2),
        "ingest_per_second": round(stored / ingest_seconds, 1),
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
        "goals": {"ingest_per_second": 200, "send_per_second": 100},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
