"""Drafts kept on this computer until the database has them.

The composer writes every draft here first and to the database second; a draft leaves this file
only once the database confirmed the very same text. So when the team database is away (or the
app crashes while it is), typed text survives on disk, and it is pushed to the database as soon
as the connection is back. The file holds only drafts not yet confirmed, so it stays tiny.

One JSON file per data directory, written atomically (temporary file, fsync, rename): a crash
mid-write leaves the previous version, never half a file.

Beside it, a second small file remembers where each reply draft began: the newest message that
was on screen when the agent started typing it. It lives until the draft is sent or discarded
(not just until the database has the text), so news that arrived while the agent wrote is still
news after a ticket switch or a restart (see core.draft_watch).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

FILE_NAME = "unsynced-drafts.json"
STARTS_FILE_NAME = "draft-starts.json"


@dataclass(frozen=True)
class LocalDraft:
    ticket_id: int
    agent_id: int
    kind: str
    body: str
    saved_at: datetime


def database_key(url: str) -> str:
    """Which database a draft belongs to, without keeping the URL (it may hold a password)."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


class LocalDrafts:
    def __init__(self, folder: Path, database: str) -> None:
        self.path = folder / FILE_NAME
        self.starts_path = folder / STARTS_FILE_NAME
        self._database = database
        self._lock = threading.Lock()  # the GUI thread saves, a worker thread confirms

    def save(self, draft: LocalDraft) -> None:
        with self._lock:
            entries = self._read()
            entries[self._key(draft.ticket_id, draft.agent_id, draft.kind)] = {
                "ticket_id": draft.ticket_id,
                "agent_id": draft.agent_id,
                "kind": draft.kind,
                "body": draft.body,
                "saved_at": draft.saved_at.isoformat(),
            }
            self._write(entries)

    def confirmed(self, ticket_id: int, agent_id: int, kind: str, body: str) -> None:
        """The database now holds this text: forget it here, unless it was edited since."""
        with self._lock:
            entries = self._read()
            key = self._key(ticket_id, agent_id, kind)
            entry = entries.get(key)
            if entry is not None and entry["body"] == body:
                del entries[key]
                self._write(entries)

    def forget(self, ticket_id: int, agent_id: int, kind: str) -> None:
        """The draft was sent or discarded on purpose: its text and where it began."""
        key = self._key(ticket_id, agent_id, kind)
        with self._lock:
            entries = self._read()
            if entries.pop(key, None) is not None:
                self._write(entries)
            starts = self._read(self.starts_path)
            if starts.pop(key, None) is not None:
                self._write(starts, self.starts_path)

    def remember_start(self, ticket_id: int, agent_id: int, kind: str, message_id: int) -> None:
        """The newest message on screen when this draft began (or was last caught up)."""
        with self._lock:
            starts = self._read(self.starts_path)
            starts[self._key(ticket_id, agent_id, kind)] = {"seen_message_id": message_id}
            self._write(starts, self.starts_path)

    def start_of(self, ticket_id: int, agent_id: int, kind: str) -> int | None:
        with self._lock:
            entry = self._read(self.starts_path).get(self._key(ticket_id, agent_id, kind))
        if entry is None:
            return None
        value = entry.get("seen_message_id")
        return value if isinstance(value, int) else None

    def forget_start(self, ticket_id: int, agent_id: int, kind: str) -> None:
        """The draft was emptied: the next keystroke begins a new one."""
        with self._lock:
            starts = self._read(self.starts_path)
            if starts.pop(self._key(ticket_id, agent_id, kind), None) is not None:
                self._write(starts, self.starts_path)

    def get(self, ticket_id: int, agent_id: int, kind: str) -> LocalDraft | None:
        with self._lock:
            entry = self._read().get(self._key(ticket_id, agent_id, kind))
        return None if entry is None else _draft(entry)

    def pending(self) -> list[LocalDraft]:
        """Every unconfirmed draft of this database, oldest first."""
        prefix = f"{self._database}:"
        with self._lock:
            entries = self._read()
        drafts = [_draft(entry) for key, entry in entries.items() if key.startswith(prefix)]
        return sorted(drafts, key=lambda d: d.saved_at)

    def _key(self, ticket_id: int, agent_id: int, kind: str) -> str:
        return f"{self._database}:{ticket_id}:{agent_id}:{kind}"

    def _read(self, path: Path | None = None) -> dict[str, dict[str, object]]:
        path = path or self.path
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            # Unreadable: keep it for a person to look at, start a new one beside it.
            path.replace(path.with_suffix(".unreadable"))
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, entries: dict[str, dict[str, object]], path: Path | None = None) -> None:
        path = path or self.path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".drafts-", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                json.dump(entries, file, ensure_ascii=False)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _draft(entry: dict[str, object]) -> LocalDraft:
    return LocalDraft(
        ticket_id=int(str(entry["ticket_id"])),
        agent_id=int(str(entry["agent_id"])),
        kind=str(entry["kind"]),
        body=str(entry["body"]),
        saved_at=datetime.fromisoformat(str(entry["saved_at"])),
    )
