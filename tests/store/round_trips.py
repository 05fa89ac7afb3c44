"""Counting what a command costs on PostgreSQL in round trips, from libpq's own protocol trace.

Every message psycopg sends to the server is traced; a round trip is a simple Query or a Sync
(the end of an extended-protocol statement), the two points where the client waits for the
server. So BEGIN, COMMIT and anything the driver or the pool sends by itself are counted too,
which engine events (before_cursor_execute) never see.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event

from desk_app.store import Database

# F (to the server) or B (from it)<TAB>length<TAB>message<TAB>arguments (no timestamps). SQL
# text is printed as it is, line breaks included: a line that starts otherwise continues one.
_MESSAGE_START = re.compile(r"^[FB]\t\d+\t")
_MESSAGE = re.compile(r"^F\t\d+\t(\w+)\t?(.*)$", re.DOTALL)
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_SUPPRESS_TIMESTAMPS = 1


@dataclass
class Trips:
    """The statements of each round trip, in order (prepared ones by their text too)."""

    statements: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.statements)

    def __str__(self) -> str:
        return "\n".join(f"{n:2}. {s}" for n, s in enumerate(self.statements, 1))


class RoundTripTrace:
    """Traces every connection of the database from the moment it is created."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # Open for the tracer's life, closed by close(): libpq writes to its descriptor.
        self._file = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115
        self._prepared: dict[str, str] = {}
        event.listen(db.engine, "connect", self._trace)
        # Connections made before this point would go untraced: start with none.
        db.engine.dispose()

    def _trace(self, dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.pgconn.trace(self._file.fileno())
        dbapi_connection.pgconn.set_trace_flags(_SUPPRESS_TIMESTAMPS)

    def close(self) -> None:
        event.remove(self.db.engine, "connect", self._trace)
        self.db.engine.dispose()  # untraced from here on
        self._file.close()

    @contextmanager
    def counting(self) -> Iterator[Trips]:
        """The round trips of what runs inside the block."""
        self._file.flush()
        self._file.seek(0, 2)
        start = self._file.tell()
        trips = Trips()
        yield trips
        self._file.flush()
        self._file.seek(0)
        before = self._file.read(start)
        self._read(before, None)
        self._read(self._file.read(), trips)

    def _read(self, text: str, trips: Trips | None) -> None:
        pending = ""
        for message in _messages(text):
            match = _MESSAGE.match(message)
            if match is None:
                continue
            kind, arguments = match.groups()
            quoted = _QUOTED.findall(arguments)
            if kind == "Query":
                if trips is not None:
                    trips.statements.append(_short(quoted[0] if quoted else arguments))
            elif kind == "Parse" and len(quoted) >= 2:
                name, sql = quoted[0], quoted[1]
                if name:
                    self._prepared[name] = sql
                pending = sql
            elif kind == "Bind" and len(quoted) >= 2 and quoted[1]:
                pending = self._prepared.get(quoted[1], f"prepared {quoted[1]}")
            elif kind == "Sync":
                if trips is not None:
                    trips.statements.append(_short(pending))
                pending = ""


def _messages(text: str) -> Iterator[str]:
    current: list[str] = []
    for line in text.splitlines():
        if _MESSAGE_START.match(line) and current:
            yield "\n".join(current)
            current = []
        current.append(line)
    if current:
        yield "\n".join(current)


def _short(sql: str) -> str:
    return " ".join(sql.split())[:110]
