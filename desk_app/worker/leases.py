"""Who works an account: a lease row renewed every few seconds. A worker that dies stops
renewing, and another takes over once the lease runs out (at most its TTL later). A holder
on this machine whose process is gone is taken over at once, so `desk worker --once` after
a crash does not wait for the lease to expire."""

from __future__ import annotations

import os
import secrets
import socket
from datetime import timedelta

from sqlalchemy import select

from desk_app.store.mail_store import MailStore
from desk_app.store.models import Lease


def make_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def lease_name(account_id: int) -> str:
    return f"mail:{account_id}"


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # a killed child its parent has not reaped yet still answers kill(0)
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def holder_is_dead(holder: str) -> bool:
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another machine: only the expiry tells
    pid = int(pid_text)
    return pid != os.getpid() and _process_gone(pid)


def current_holder(store: MailStore, name: str) -> str | None:
    # Local stand-in for a MailStore.lease_holder(name) query (the store is not ours to edit).
    with store.db.read() as session:
        return session.scalar(select(Lease.holder).where(Lease.name == name))


def acquire(store: MailStore, name: str, holder: str, ttl: timedelta) -> bool:
    if store.acquire_lease(name, holder, ttl):
        return True
    other = current_holder(store, name)
    if other is not None and other != holder and holder_is_dead(other):
        store.release_lease(name, other)
        return store.acquire_lease(name, holder, ttl)
    return False
