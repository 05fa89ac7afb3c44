"""Start-up stays quick: the window's first page does not wait for modules it does not use, and
the schema check that runs on every start does without Alembic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from desk_app.store.database import migration_revisions
from tests.ui.conftest import new_ticket

# Modules the first paint must not load: mail (the worker starts after the first page), the
# PostgreSQL driver on SQLite, Alembic (only to upgrade), and libraries only some rules need.
NOT_AT_START = (
    "alembic",
    "mako",
    "psycopg",
    "keyring",
    "imapclient",
    "aiosmtplib",
    "holidays",
    "phonenumbers",
    "desk_app.cli_mail",
    "desk_app.ui.mail_sync",
)

# Runs `desk` as the command does, with a probe in place of the event loop: which of the
# modules above were loaded when the window was shown and started (the page is on its way;
# what is queued behind it comes after), then the rows of the first page.
PROBE = """
import json, sys, time
from desk_app.cli import main

def first_page(app, window):
    from PySide6.QtCore import QEventLoop
    watched = tuple(sys.argv[1].split(","))
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in watched or m in watched)
    deadline = time.monotonic() + 30
    while window.model.rowCount() == 0 and time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    print(json.dumps({"rows": window.model.rowCount(), "loaded": loaded}))
    return 0

sys.exit(main(sys.argv[2:], gui_session=first_page))
"""


def test_the_window_starts_without_mail_postgres_or_migration_modules(db, team, clock, tmp_path):
    from desk_app.store import Service

    ticket = new_ticket(Service(db, team.anna, clock), "Printer on fire", "p@example.com")
    Service(db, team.anna, clock).assign(ticket, agent=team.anna)  # in "My open", the first view
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DESK_HOME=str(tmp_path / "home"))
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            PROBE,
            ",".join(NOT_AT_START),
            "--database-url",
            db.url,
            "--as",
            "anna@desk.test",
        ],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["rows"] == 1
    assert report["loaded"] == []


def test_the_quick_schema_check_agrees_with_alembic(db):
    script = ScriptDirectory.from_config(db.alembic_config())
    known, head = migration_revisions()
    assert head == script.get_current_head() == db.head_revision()
    assert known == {revision.revision for revision in script.walk_revisions()}
    assert db.current_revision() == head
    assert db.schema_state() == "current"


def test_the_quick_schema_check_tells_empty_outdated_and_newer_apart(tmp_path):
    from desk_app.store import Database

    (tmp_path / "schema.sqlite3").touch()  # an empty database (Database never creates one)
    database = Database(f"sqlite:///{tmp_path / 'schema.sqlite3'}")
    try:
        assert database.current_revision() is None
        assert database.schema_state() == "empty"
        with database.engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32))")
            connection.exec_driver_sql("INSERT INTO alembic_version VALUES ('0001')")
        assert database.schema_state() == "outdated"
        with database.engine.begin() as connection:
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
        assert database.schema_state() == "newer"
    finally:
        database.dispose()


def test_mail_sync_joins_the_window_after_it_is_shown(qtbot, ctx, open_window, db, monkeypatch):
    from desk_app import app

    monkeypatch.setattr(app, "MAIL_START_DELAY_MS", 50)
    window = open_window(ctx)
    deferred = app.DeferredMailSync(window, db.url, enabled_by_default=False)
    assert deferred.mail is None  # nothing of mail before the delay
    qtbot.waitUntil(lambda: deferred.mail is not None, timeout=10_000)
    assert not deferred.mail.running  # off unless chosen: this test has no mail server
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    assert deferred.mail.action in file_menu.actions()
    deferred.stop()
