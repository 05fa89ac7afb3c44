"""`desk signin`, `desk signout` and `desk db harden` end to end, in-process.

Sign-in runs against a PostgreSQL server of this module's own that asks for passwords
(scram-sha-256), as a production server does; the shared test server trusts everybody, so a
wrong password could not be told from a right one there. Passwords go to an explicitly chosen
keyrings.alt file in a temporary directory.
"""

from __future__ import annotations

import io
import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import keyring
import keyring.core
import psycopg
import pytest
import sqlalchemy as sa
from keyring.backends import fail

from desk_app.cli import main
from desk_app.store import Database, Service, database
from desk_app.store.credentials import DatabaseAddress, current_agent_for_connection
from desk_app.sync.wakeups import PostgresWakeups, libpq_url
from tests.pg_control import OwnServer, own_server, require_passwords


def run(capsys, *argv: str, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse refusing the command line
        code = exit_.code
    out = capsys.readouterr()
    data = json.loads(out.out) if "--json" in argv and out.out.strip() else None
    return code, data, out.out, out.err


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An explicitly chosen plaintext file keyring outside DESK_HOME."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    previous = keyring.get_keyring()
    keyring.core.init_backend()
    yield tmp_path / "xdg-data"
    keyring.set_keyring(previous)


@pytest.fixture(scope="module")
def password_server() -> Iterator[OwnServer]:
    with own_server() as server:
        require_passwords(server)
        yield server


@dataclass
class TeamDatabase:
    owner_url: str  # the superuser that owns the tables
    url: str  # what an agent configures: server and database, no user, no password
    anna_role: str
    password: str
    support_ticket: int
    billing_ticket: int
    prefix: str

    def owner_sql(self, sql: str, **params: object) -> list[tuple]:
        engine = sa.create_engine(self.owner_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                result = connection.execute(sa.text(sql), params)
                return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            engine.dispose()


@pytest.fixture
def team_db(password_server: OwnServer, clock) -> Iterator[TeamDatabase]:
    """A fresh Desk database on the password server: Anna (Support) with a login role of her
    own, a ticket in Support and one in Billing."""
    server_url = sa.make_url(Database(password_server.url).url)
    name = f"desk_cli_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    owner_url = server_url.set(database=name).render_as_string(hide_password=False)
    db = Database(owner_url)
    db.upgrade()
    system = Service(db, None, clock)
    system.add_department("Support")
    system.add_department("Billing")
    anna = system.add_agent("Anna Ivanova", "anna@desk.test", departments=["Support"])
    support = system.create_ticket(
        subject="Parcel", customer_email="olga@example.ru", department="Support", body="Где?"
    ).ticket_id
    billing = system.create_ticket(
        subject="Refund", customer_email="ken@example.jp", department="Billing", body="返金"
    ).ticket_id
    suffix = uuid.uuid4().hex[:8]
    role, password = f"anna_{suffix}", f"pw-{suffix}-ünï"
    with db.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE agents SET db_user = :r WHERE id = :id"), {"r": role, "id": anna}
        )
        connection.exec_driver_sql(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
    db.dispose()
    url = sa.URL.create(
        "postgresql+psycopg", database=name, query=dict(server_url.query)
    ).render_as_string()
    assert support and billing
    yield TeamDatabase(owner_url, url, role, password, support, billing, f"cli{suffix}")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def files_containing(root: Path, secret: str) -> list[Path]:
    return [
        path for path in root.rglob("*") if path.is_file() and secret.encode() in path.read_bytes()
    ]


# --- signing in ----------------------------------------------------------------------------


def harden(capsys, team_db: TeamDatabase, *options: str) -> dict:
    code, report, _, err = run(
        capsys, "db", "harden", "--group-prefix", team_db.prefix,
        "--database-url", team_db.owner_url, "--json", *options,
    )  # fmt: skip
    assert code == 0, err
    return report


def test_signin_keeps_the_password_in_the_keyring_and_maps_the_agent(
    capsys, monkeypatch, team_db, file_keyring, desk_home
):
    harden(capsys, team_db)
    code, data, _, err = run(
        capsys,
        "signin", "--user", team_db.anna_role, "--password-stdin",
        "--database-url", team_db.url, "--json",
        stdin=team_db.password + "\n", monkeypatch=monkeypatch,
    )  # fmt: skip
    assert code == 0, err
    assert data["user"] == team_db.anna_role
    assert data["agent"]["email"] == "anna@desk.test" and data["agent"]["departments"] == [
        "Support"
    ]
    service = DatabaseAddress.from_url(team_db.url).keyring_service
    assert keyring.get_password(service, team_db.anna_role) == team_db.password
    # Only the keyring holds it: not the settings, not the log, nothing under DESK_HOME.
    assert files_containing(desk_home, team_db.password) == []
    settings = json.loads((desk_home / "config" / "settings.json").read_text(encoding="utf-8"))
    assert team_db.anna_role in json.dumps(settings)

    # Every later connection to this database is Anna's, with the password from the keyring.
    db = Database(team_db.url)
    try:
        agent = current_agent_for_connection(db)
        assert agent is not None and agent.email == "anna@desk.test"
    finally:
        db.dispose()
    # So is the live-sync listener's own connection (outside the pool), and it hears changes.
    wakeups = PostgresWakeups(libpq_url(team_db.url))
    try:
        assert wakeups.fetch is not None
        assert wakeups.fetch("SELECT current_user", {}) == [(team_db.anna_role,)]
        team_db.owner_sql("SELECT pg_notify('desk_changes', '1')")
        assert wakeups.wait(10)
    finally:
        wakeups.close()
    code, data, _, err = run(
        capsys, "tickets", "list", "--view", "all_open", "--database-url", team_db.url, "--json"
    )
    assert code == 0, err
    assert files_containing(desk_home, team_db.password) == []

    code, data, _, _ = run(capsys, "signout", "--database-url", team_db.url, "--json")
    assert code == 0 and data["signed_out"] == team_db.anna_role
    assert keyring.get_password(service, team_db.anna_role) is None
    code, data, _, err = run(
        capsys, "tickets", "list", "--view", "all_open", "--database-url", team_db.url, "--json"
    )
    assert code == 5 and data["error"] == "signin_required"
    assert "desk signin" in err and "Traceback" not in err


def test_a_wrong_password_is_refused_plainly_and_nothing_is_stored(
    capsys, monkeypatch, team_db, file_keyring, desk_home
):
    code, data, _, err = run(
        capsys,
        "signin", "--user", team_db.anna_role, "--password-stdin",
        "--database-url", team_db.url, "--json",
        stdin="not-her-password\n", monkeypatch=monkeypatch,
    )  # fmt: skip
    # 5, not 6: the server is there and said no; trying again later will not help.
    assert code == 5, err
    assert data["error"] == "permission_denied"
    assert "refused the sign-in" in err and "Nothing was stored" in err
    assert "Traceback" not in err and "not-her-password" not in err
    service = DatabaseAddress.from_url(team_db.url).keyring_service
    assert keyring.get_password(service, team_db.anna_role) is None
    assert not (desk_home / "config" / "settings.json").exists()


def test_an_unknown_user_is_refused_like_a_wrong_password(
    capsys, monkeypatch, team_db, file_keyring
):
    code, _, _, err = run(
        capsys,
        "signin", "--user", "nobody_here", "--password-stdin", "--database-url", team_db.url,
        stdin="whatever\n", monkeypatch=monkeypatch,
    )  # fmt: skip
    assert code == 5 and "refused the sign-in of 'nobody_here'" in err


def test_signin_without_a_keyring_says_what_to_do(capsys, monkeypatch, team_db):
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        code, _, _, err = run(
            capsys,
            "signin", "--user", team_db.anna_role, "--password-stdin",
            "--database-url", team_db.url,
            stdin=team_db.password + "\n", monkeypatch=monkeypatch,
        )  # fmt: skip
    finally:
        keyring.set_keyring(previous)
    assert code == 6
    assert "no usable keyring" in err and "PYTHON_KEYRING_BACKEND" in err


def test_signin_is_for_team_databases(capsys, monkeypatch, sqlite_database_url):
    code, _, _, err = run(
        capsys,
        "signin", "--user", "anna", "--password-stdin", "--database-url", sqlite_database_url,
        stdin="pw\n", monkeypatch=monkeypatch,
    )  # fmt: skip
    assert code == 2 and "team database" in err


# --- hardening ------------------------------------------------------------------------------


def test_harden_on_sqlite_explains_and_exits_2(capsys, sqlite_database_url):
    code, _, _, err = run(capsys, "db", "harden", "--database-url", sqlite_database_url)
    assert code == 2 and "team database (PostgreSQL)" in err


def test_harden_dry_run_prints_the_sql_and_changes_nothing(capsys, team_db):
    code, _, out, err = run(
        capsys, "db", "harden", "--dry-run", "--group-prefix", team_db.prefix,
        "--database-url", team_db.owner_url,
    )  # fmt: skip
    assert code == 0, err
    assert out.startswith("BEGIN;") and out.rstrip().endswith("COMMIT;")
    assert 'ALTER TABLE "public"."tickets" ENABLE ROW LEVEL SECURITY' in out
    assert "CREATE POLICY" in out and "SECURITY DEFINER" in out
    assert team_db.owner_sql(
        "SELECT count(*) FROM pg_roles WHERE rolname = :r", r=f"{team_db.prefix}_agent"
    ) == [(0,)]
    assert team_db.owner_sql("SELECT count(*) FROM pg_policies") == [(0,)]


def test_harden_creates_logins_once_and_the_agent_then_sees_only_their_department(
    capsys, monkeypatch, team_db, file_keyring
):
    # Kenji has a database user but no role yet: --create-logins makes one.
    kenji_role = f"kenji_{team_db.prefix}"
    owner = ["--database-url", team_db.owner_url, "--json", "--group-prefix", team_db.prefix]
    code, _, _, err = run(
        capsys, "agents", "add", "kenji@desk.test", "--name", "Kenji", "--department", "Support",
        *owner[:3],
    )  # fmt: skip
    assert code == 0, err
    team_db.owner_sql(
        "UPDATE agents SET db_user = :r WHERE email = 'kenji@desk.test'", r=kenji_role
    )
    # Agents read other departments unless the team says no; this team says no.
    team_db.owner_sql(
        "INSERT INTO team_settings (key, value) VALUES ('agents_read_other_departments', 'false')"
    )
    code, report, _, err = run(capsys, "db", "harden", *owner)
    assert code == 0, err
    assert report["missing_logins"] == [kenji_role]
    assert report["members"] == [team_db.anna_role]

    code, report, _, err = run(capsys, "db", "harden", "--create-logins", *owner)
    assert code == 0, err
    [created] = report["logins_created"]
    assert created["db_user"] == kenji_role and created["agent_email"] == "kenji@desk.test"
    assert sorted(report["members"]) == sorted([team_db.anna_role, kenji_role])
    assert "tickets" in report["row_level_tables"]

    # The printed password works (sent as a SCRAM verifier, checked by the server), and that
    # role reads Support only, with hand-written SQL.
    conninfo = sa.make_url(team_db.url).set(
        drivername="postgresql", username=kenji_role, password=created["password"]
    )
    with psycopg.connect(conninfo.render_as_string(hide_password=False)) as kenji:
        seen = {row[0] for row in kenji.execute("SELECT id FROM tickets")}
        assert seen == {team_db.support_ticket}
        assert (
            kenji.execute(
                "UPDATE tickets SET subject = 'x' WHERE id = %s", (team_db.billing_ticket,)
            ).rowcount
            == 0
        )

    # Idempotent: a second run creates nobody and grants the same.
    code, again, _, err = run(capsys, "db", "harden", "--create-logins", *owner)
    assert code == 0, err
    assert again["logins_created"] == [] and sorted(again["members"]) == sorted(report["members"])

    # Anna, signed in through Desk, lists her department's tickets only.
    code, _, _, err = run(
        capsys,
        "signin", "--user", team_db.anna_role, "--password-stdin",
        "--database-url", team_db.url, "--json",
        stdin=team_db.password + "\n", monkeypatch=monkeypatch,
    )  # fmt: skip
    assert code == 0, err
    code, listing, _, err = run(
        capsys, "tickets", "list", "--view", "all_open", "--database-url", team_db.url, "--json"
    )
    assert code == 0, err
    assert [row["id"] for row in listing["tickets"]] == [team_db.support_ticket]
    code, _, _, err = run(
        capsys, "tickets", "show", str(team_db.billing_ticket), "--database-url", team_db.url,
        "--json",
    )  # fmt: skip
    assert code in (4, 5) and "Traceback" not in err


def test_signin_before_hardening_works_and_says_what_is_missing(
    capsys, monkeypatch, team_db, file_keyring
):
    code, data, _, err = run(
        capsys,
        "signin", "--user", team_db.anna_role, "--password-stdin",
        "--database-url", team_db.url, "--json",
        stdin=team_db.password + "\n", monkeypatch=monkeypatch,
    )  # fmt: skip
    assert code == 0, err
    assert data["agent"] is None and "desk db harden" in data["note"]


def test_harden_by_an_agent_is_not_allowed(capsys, monkeypatch, team_db, file_keyring):
    harden(capsys, team_db)
    code, _, _, err = run(
        capsys,
        "signin", "--user", team_db.anna_role, "--password-stdin", "--database-url", team_db.url,
        stdin=team_db.password + "\n", monkeypatch=monkeypatch,
    )  # fmt: skip
    assert code == 0, err
    code, _, _, err = run(
        capsys, "db", "harden", "--group-prefix", team_db.prefix,
        "--database-url", team_db.url, "--json",
    )  # fmt: skip
    assert code == 5, err
    assert "cannot create roles" in err and "owner of the Desk tables" in err


# --- which database: a bad --database-url is refused in one line, and nothing is created ---


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("desk: ") and "Traceback" not in stderr
    return lines[0]


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")} if folder.exists() else set()


@pytest.mark.parametrize("argv", [["stats"], ["db", "status"], ["db", "upgrade"], ["demo"]])
def test_an_empty_database_url_is_a_usage_error(capsys, desk_home, argv):
    code, _, _, err = run(capsys, *argv, "--database-url", "")
    assert code == 2
    assert "--database-url is empty" in _one_line(err)
    # Not the default database instead: nothing was opened or created.
    assert not any(name.endswith(".sqlite3") for name in _files(desk_home))


@pytest.mark.parametrize("where", ["missing-folder/deeper/desk.sqlite3", "desk.sqlite3"])
@pytest.mark.parametrize(
    "argv", [["stats"], ["tickets", "list", "--view", "all_open"], ["db", "status"], ["worker"]]
)
def test_a_missing_sqlite_database_is_unavailable_and_not_created(capsys, tmp_path, where, argv):
    folder = tmp_path / "here"
    folder.mkdir()
    target = folder / where
    code, _, _, err = run(capsys, *argv, "--database-url", f"sqlite:///{target}")
    assert code == 6
    line = _one_line(err)
    assert f"no database at {target}" in line and "desk db upgrade" in line
    assert _files(folder) == set()  # no stray file, no folders


def test_only_db_upgrade_creates_a_missing_database_and_its_folders(capsys, tmp_path):
    target = tmp_path / "new" / "folder" / "desk.sqlite3"
    url = f"sqlite:///{target}"
    code, upgraded, _, _ = run(capsys, "db", "upgrade", "--database-url", url, "--json")
    assert code == 0 and upgraded["from"] is None and target.is_file()
    code, status, _, _ = run(capsys, "db", "status", "--database-url", url, "--json")
    assert code == 0 and status["schema"] == "current"


def test_demo_creates_its_own_database(capsys, tmp_path):
    target = tmp_path / "demo" / "demo.sqlite3"
    url = f"sqlite:///{target}"
    code, _, _, err = run(capsys, "demo", "--tickets", "5", "--database-url", url)
    assert code == 0, err
    assert target.is_file()


@pytest.mark.parametrize("content", [b"hello, this is a text file\n" * 20, b"\x00" * 10 + b"x"])
@pytest.mark.parametrize("argv", [["stats"], ["db", "status"], ["db", "upgrade"]])
def test_a_file_that_is_not_a_database_is_unavailable(capsys, tmp_path, content, argv):
    folder = tmp_path / "here"
    folder.mkdir()
    target = folder / "notes.txt"
    target.write_bytes(content * 10)
    code, _, _, err = run(capsys, *argv, "--database-url", f"sqlite:///{target}")
    assert code == 6
    assert f"{target} is not an SQLite database" in _one_line(err)
    assert target.read_bytes() == content * 10
    assert _files(folder) == {"notes.txt"}


@pytest.mark.parametrize("argv", [["stats"], ["db", "upgrade"]])
def test_an_sqlite_database_of_another_program_is_not_touched(capsys, tmp_path, argv):
    target = tmp_path / "places.sqlite"
    other = sqlite3.connect(target)
    other.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
    other.commit()
    other.close()
    code, _, _, err = run(capsys, *argv, "--database-url", f"sqlite:///{target}")
    assert code == 6
    assert f"{target} is not a Desk database" in _one_line(err)
    other = sqlite3.connect(target)
    tables = {row[0] for row in other.execute("SELECT name FROM sqlite_master")}
    other.close()
    assert tables == {"moz_places"}


# --- a writer that cannot get the lock in time says so: exit 6, one line ---


@pytest.fixture
def sqlite_team(sqlite_database_url: str, clock) -> tuple[str, int]:
    db = Database(sqlite_database_url)
    system = Service(db, None, clock)
    system.add_department("Support")
    system.add_agent("Anna Ivanova", "anna@desk.test", departments=["Support"])
    ticket = system.create_ticket(
        subject="Locked out", customer_email="k@example.com", body="Hi", department="Support"
    ).ticket_id
    db.dispose()
    assert ticket is not None
    return sqlite_database_url, ticket


def test_a_write_that_cannot_get_the_lock_in_time_is_unavailable(
    capsys, tmp_path, monkeypatch, sqlite_team
):
    url, ticket = sqlite_team
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 300)
    body = tmp_path / "note.txt"
    body.write_text("a note", encoding="utf-8")
    holder = sqlite3.connect(sa.make_url(url).database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program holding the write lock
    try:
        started = time.monotonic()
        code, _, _, err = run(
            capsys, "tickets", "note", str(ticket), "--body-file", str(body),
            "--database-url", url, "--as", "anna@desk.test",
        )  # fmt: skip
        waited = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 6
    assert "is busy" in _one_line(err) and "try again" in err
    assert waited >= 0.3  # it did wait its turn first
    # Once the lock is free, the same command goes through.
    code, _, _, err = run(
        capsys, "tickets", "note", str(ticket), "--body-file", str(body),
        "--database-url", url, "--as", "anna@desk.test",
    )  # fmt: skip
    assert code == 0, err


def test_a_read_that_cannot_get_the_database_in_time_is_unavailable(
    capsys, monkeypatch, sqlite_team
):
    url, _ = sqlite_team
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 300)
    holder = sqlite3.connect(sa.make_url(url).database, isolation_level=None)
    # Exclusive locking mode: a program that keeps the whole file to itself (even readers
    # of a WAL database have to wait).
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE tickets SET subject = subject")
    holder.execute("COMMIT")
    try:
        code, _, _, err = run(
            capsys, "tickets", "list", "--view", "all_open", "--database-url", url, "--as",
            "anna@desk.test",
        )  # fmt: skip
    finally:
        holder.close()
    assert code == 6
    assert "is busy" in _one_line(err)
