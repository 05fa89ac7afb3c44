"""A PostgreSQL server of a test's own, which it may stop and start (the session's shared
server must never be disturbed)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from desk_app.store import Database


@dataclass(frozen=True)
class OwnServer:
    url: str
    data_dir: Path
    socket_dir: Path
    user: str | None  # the system user pgserver runs it as when we are root

    def stop(self) -> None:
        self._pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        self._pg_ctl(
            "-w",
            "-o",
            '-h ""',
            "-o",
            f"-k {self.socket_dir}",
            "-l",
            str(self.data_dir / "log"),
            "start",
        )

    def _pg_ctl(self, *args: str) -> None:
        from pgserver._commands import pg_ctl

        pg_ctl(list(args), pgdata=self.data_dir, user=self.user, timeout=30)


@contextmanager
def own_server() -> Iterator[OwnServer]:
    """A fresh server with Desk's schema; deleted afterwards."""
    import pgserver

    folder = Path(tempfile.mkdtemp(prefix="desk-own-pg-"))
    server = pgserver.get_server(folder / "pg", cleanup_mode="delete")
    url = server.get_uri()
    db = Database(url)
    db.upgrade()
    db.dispose()
    socket_dir = Path(sa.make_url(url).query["host"])  # type: ignore[arg-type]
    try:
        yield OwnServer(url, folder / "pg", socket_dir, server.system_user)
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)
