"""Three writers on one SQLite file, as on one desk: the window, its worker and a script.

Each runs in a process of its own, with its real write pattern, for a few seconds at once:
every write waits its turn and lands; none fails with "database is locked". Before writers
polled for the lock themselves, SQLite's busy handler (sleeping up to 100 ms between tries)
let a writer that commits and begins again within milliseconds starve the others.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from datetime import UTC, datetime, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from desk_app.store import Database, Queries, Service, database
from desk_app.store.mail_store import InboundMail, MailStore
from desk_app.store.models import AuditEvent, Draft, Lease, Message, OutboxItem, Presence
from desk_app.store.presence import PresenceStore
from desk_app.store.sla_store import import_rules
from desk_app.worker.escalation import escalate_overdue
from tests.store.helpers import loopback_account
from tests.store.test_escalations import rules_with

SECONDS = 4.0
# Each process gives up on the lock after this long instead of 10 s: a few seconds of
# contention then show what a long busy day shows (starving waiters), while a writer that
# takes its turn still waits only a few transactions' time.
BUSY_TIMEOUT_MS = int(os.environ.get("DESK_TEST_BUSY_MS", "2000"))
# The worker's clock runs a day ahead, so every ticket it stores is overdue and escalated.
AHEAD = timedelta(days=1)


def _until(go: Event, step: Callable[[int], None]) -> tuple[int, list[str]]:
    """Once all are ready, run step(0), step(1), ... for SECONDS; (steps done, errors)."""
    _READY.put(None)
    assert go.wait(60)
    end = time.monotonic() + SECONDS
    done, errors = 0, []
    while time.monotonic() < end:
        try:
            step(done)
        except Exception:
            errors.append(traceback.format_exc())
        done += 1
    return done, errors


def window(url: str, agent: int, tickets: list[int], go: Event) -> dict[str, Any]:
    """The desktop: reads a page and a ticket, tells presence, saves a draft, marks it read,
    replies."""
    db = Database(url, sqlite_cache_mb=8)
    service, queries = Service(db, agent), Queries(db, agent)
    presence = PresenceStore(db, "window-1")
    replies: list[int] = []
    drafts: dict[int, str] = {}

    def step(n: int) -> None:
        ticket = tickets[n % len(tickets)]
        queries.stats()
        queries.ticket(ticket)
        presence.publish(agent, ticket, "replying")
        service.mark_read(ticket)
        # No seen_message_id: the script's notes on the same tickets would (rightly) stop it.
        service.reply(ticket, f"window reply {n}")
        replies.append(n)
        service.save_draft(ticket, "reply", f"draft {n}")  # the next reply, begun
        drafts[ticket] = f"draft {n}"

    try:
        done, errors = _until(go, step)
    finally:
        db.dispose()
    return {"steps": done, "errors": errors, "replies": replies, "drafts": drafts}


def worker(url: str, account: int, go: Event) -> dict[str, Any]:
    """The worker: stores new mail, escalates what is overdue, sends the outbox, renews its
    lease."""
    db = Database(url, sqlite_cache_mb=8)

    def clock() -> datetime:
        return datetime.now(UTC) + AHEAD

    store = MailStore(db, None, clock)
    ingested: list[int] = []
    sent: list[int] = []

    def step(n: int) -> None:
        store.acquire_lease("account:support", "worker-1", timedelta(seconds=30))
        uid = n + 1
        result = store.ingest(account, "INBOX", 1, uid, _mail(uid))
        assert result.ticket_id is not None, result
        ingested.append(uid)
        escalate_overdue(db, clock)
        for outgoing in store.claim_outgoing(limit=5):
            store.mark_sent(outgoing.outbox_id)
            sent.append(outgoing.outbox_id)

    try:
        done, errors = _until(go, step)
    finally:
        db.dispose()
    return {"steps": done, "errors": errors, "ingested": ingested, "sent": sent}


def script(url: str, email: str, tickets: list[int], body: Path, go: Event) -> dict:
    """A script calling `desk tickets note` and `desk tickets assign` in a loop."""
    from desk_app.cli import main

    notes: list[int] = []
    common = ["--database-url", url, "--as", email]
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):  # imports the verbs' modules
        assert main(["tickets", "show", str(tickets[0]), *common]) == 0, err.getvalue()

    def step(n: int) -> None:
        ticket = str(tickets[n % len(tickets)])
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["tickets", "note", ticket, "--body-file", str(body), *common])
        assert code == 0, f"desk tickets note: exit {code}: {err.getvalue()}"
        notes.append(n)
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["tickets", "assign", ticket, "--agent", email, *common])
        assert code == 0, f"desk tickets assign: exit {code}: {err.getvalue()}"

    done, errors = _until(go, step)
    return {"steps": done, "errors": errors, "notes": notes}


ROLES: dict[str, Callable[..., dict[str, Any]]] = {
    "window": window,
    "worker": worker,
    "script": script,
}
_READY: Queue  # set in each child process by _child


def _child(role: str, args: tuple[Any, ...], ready: Queue, go: Event, results: Queue) -> None:
    global _READY
    _READY = ready
    database.SQLITE_BUSY_TIMEOUT_MS = BUSY_TIMEOUT_MS
    try:
        results.put((role, ROLES[role](*args, go)))
    except BaseException:
        ready.put(None)  # never leave the parent waiting
        results.put((role, {"steps": 0, "errors": [traceback.format_exc()]}))


def _mail(uid: int) -> InboundMail:
    return InboundMail(
        raw=f"raw {uid}".encode(),
        message_id=f"<stress-{uid}@example.org>",
        in_reply_to=None,
        references=(),
        subject=f"Stress {uid}",
        from_name="Sam",
        from_address=f"sam{uid % 7}@example.org",
        date=None,
        text=f"mail {uid}",
        html=None,
    )


@pytest.fixture
def db(sqlite_database_url: str):
    """SQLite only (the shared fixture is parametrised over both databases): PostgreSQL has
    row locks and no single write lock to queue for."""
    database = Database(sqlite_database_url)
    yield database
    database.dispose()


def _count(db: Database, query: sa.Select[Any]) -> int:
    with db.read() as session:
        return int(session.scalar(query) or 0)


def test_window_worker_and_script_all_write_and_none_fails(db, team, clock, tmp_path):
    system = Service(db, None, clock)
    import_rules(db, rules_with({"raise_priority": "one_step", "notify_leads": True}), None)
    account = loopback_account(db, department="Support", clock=clock)
    tickets = [
        system.create_ticket(
            subject=f"Open {n}", customer_email=f"c{n}@example.com", body="Hi", department="Support"
        ).ticket_id
        for n in range(5)
    ]
    body = tmp_path / "note.txt"
    body.write_text("from the script", encoding="utf-8")
    with db.read() as session:
        before_audit = int(session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)))

    context = multiprocessing.get_context("spawn")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    arguments = {
        "window": (db.url, team.anna, tickets),
        "worker": (db.url, account),
        "script": (db.url, "anna@desk.test", tickets, body),
    }
    children = [
        context.Process(target=_child, args=(role, args, ready, go, results))
        for role, args in arguments.items()
    ]
    for child in children:
        child.start()
    try:
        for _ in children:
            ready.get(timeout=60)  # Desk imported, first database connection made
        go.set()
        done = dict(results.get(timeout=60) for _ in children)
    finally:
        for child in children:
            child.join(10)
            if child.is_alive():
                child.kill()
    shown, mailed, scripted = done["window"], done["worker"], done["script"]

    errors = shown["errors"] + mailed["errors"] + scripted["errors"]
    assert errors == [], errors[0]
    assert not any("locked" in e or "busy" in e for e in errors)
    # Each did real work at the same time, not one after the other.
    assert shown["steps"] >= 3 and mailed["steps"] >= 3 and scripted["steps"] >= 3

    # Every write landed.
    replies = sa.select(sa.func.count()).select_from(Message)
    assert _count(db, replies.where(Message.body_text.like("window reply %"))) == len(
        shown["replies"]
    )
    assert _count(db, replies.where(Message.body_text == "from the script")) == len(
        scripted["notes"]
    )
    assert _count(db, replies.where(Message.body_text.like("mail %"))) == len(mailed["ingested"])
    assert _count(db, sa.select(sa.func.count()).select_from(OutboxItem)) == len(shown["replies"])
    sent = sa.select(sa.func.count()).select_from(OutboxItem).where(OutboxItem.state == "sent")
    assert _count(db, sent) == len(mailed["sent"])
    with db.read() as session:
        rows = session.execute(sa.select(Draft.ticket_id, Draft.body))
        saved = {ticket_id: text for ticket_id, text in rows}
    assert saved == shown["drafts"]
    assert _count(db, sa.select(sa.func.count()).select_from(Presence)) == 1
    assert _count(db, sa.select(sa.func.count()).select_from(Lease)) == 1
    audit = _count(db, sa.select(sa.func.count()).select_from(AuditEvent))
    assert audit > before_audit + len(scripted["notes"])
