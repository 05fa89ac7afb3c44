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
from desk_app.store.database import normalise_url


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


def require_passwords(server: OwnServer) -> None:
    """Make the server ask every role but its superuser for a password (scram-sha-256), as a
    production server does; pgserver starts one that trusts everybody."""
    superuser = sa.make_url(server.url).username or "postgres"
    (server.data_dir / "pg_hba.conf").write_text(
        f"local all {superuser} trust\n"
        "local all all scram-sha-256\n"
        f"host all {superuser} 127.0.0.1/32 trust\n"
        "host all all 127.0.0.1/32 scram-sha-256\n",
        encoding="utf-8",
    )
    engine = sa.create_engine(normalise_url(server.url))
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT pg_reload_conf()")
    finally:
        engine.dispose()
