"""Every `desk` verb × {nobody named, agent, lead, admin}: the documented exit code.

The verbs are read from the argparse parser itself, so a new verb without an entry in EXPECTED
fails test_every_verb_has_a_decided_outcome until someone decides who may run it. Each case
runs in-process on its own copy of one SQLite database seeded once for the module.

Identities: nobody (no --as, no DESK_AGENT, no settings), anna (agent, Support), lena (lead,
Support and Billing), ada (admin). Exit codes: 0 ok, 2 usage (e.g. "say who is acting"),
5 refused, 6 unavailable.
"""

from __future__ import annotations

import argparse
import io
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import keyring
import keyring.core
import pytest

from desk_app.cli import build_parser, main
from desk_app.core.oncall import Rotation
from desk_app.mail import passwords
from desk_app.store import Database, Service
from desk_app.store.mail_store import MailStore
from desk_app.store.models import Page
from desk_app.store.oncall_store import OncallStore
from desk_app.store.template_store import TemplateFields, TemplateStore
from tests.store.helpers import row_snapshot

IDENTITIES = ("nobody", "agent", "lead", "admin")
AS = {"nobody": None, "agent": "anna@desk.test", "lead": "lena@desk.test", "admin": "ada@desk.test"}


@dataclass(frozen=True)
class Outcome:
    """The exit code for each identity, and why (what the README promises)."""

    nobody: int
    agent: int
    lead: int
    admin: int
    why: str

    def code(self, identity: str) -> int:
        return int(getattr(self, identity))


def everyone(why: str = "reading: anyone") -> Outcome:
    return Outcome(0, 0, 0, 0, why)


# Ticket and customer work: any agent of the ticket's department; nobody named is told to say
# who they are (a usage error, exit 2), since a reply or a note needs an author.
WORK = Outcome(2, 0, 0, 0, "ticket work: an agent of its department; says who is acting")
# Shared configuration: refused to nobody named once the team has an admin (exit 5).
LEADS = Outcome(5, 5, 0, 0, "shared configuration: leads and admins")
ADMINS = Outcome(5, 5, 5, 0, "team configuration: admins only")


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    outcome: Outcome
    stdin: str = ""
    prepare: Callable[[Database], None] | None = None


def _add_account(db: Database) -> None:
    """A mail account whose servers are not running (port 1 on loopback refuses at once)."""
    MailStore(db, None).add_account(
        "support",
        address="support@desk.test",
        username="support",
        imap_host="127.0.0.1",
        imap_port=1,
        smtp_host="127.0.0.1",
        smtp_port=1,
        security="none",
        department="Support",
    )
    passwords.store_password("support", "secret")


def _fail_a_reply(db: Database) -> None:
    """A reply on ticket 1 that the mail server refused, for `tickets retry`."""
    _add_account(db)
    Service(db, 3).reply(1, "Here is your invoice.")
    store = MailStore(db, None)
    store.mark_failed(store.claim_outgoing()[0].outbox_id, "550 mailbox unavailable")


ACCOUNT_ARGS = (
    "sales",
    "--address",
    "sales@desk.test",
    "--username",
    "sales",
    "--imap-host",
    "127.0.0.1",
    "--smtp-host",
    "127.0.0.1",
    "--security",
    "none",
    "--password-stdin",
)

# Who may run each verb, decided. {body}, {sla}, {templates} and {out} are files of the case.
EXPECTED: dict[str, tuple[Case, ...]] = {
    "db upgrade": (Case((), everyone("the database's own schema work, not a Desk role")),),
    "db status": (Case((), everyone()),),
    "db harden": (
        Case(
            (),
            Outcome(
                2, 2, 2, 2, "PostgreSQL only; run by the tables' owner, PostgreSQL checks that"
            ),
        ),
    ),
    "signin": (
        Case(
            ("--user", "anna", "--password-stdin"),
            Outcome(2, 2, 2, 2, "team database only"),
            stdin="pw\n",
        ),
    ),
    "signout": (Case((), Outcome(2, 2, 2, 2, "team database only")),),
    "stats": (Case((), everyone()),),
    "demo": (Case(("--tickets", "1", "--append"), ADMINS),),
    "tickets list": (Case(("--view", "all_open"), everyone()),),
    "tickets search": (Case(("Invoice",), everyone()),),
    "tickets show": (Case(("1",), everyone()),),
    "tickets create": (
        Case(
            (
                "--subject",
                "Phone call",
                "--customer-email",
                "new@example.com",
                "--department",
                "Support",
                "--body-file",
                "{body}",
            ),
            everyone("taking in a customer's request; the system files it for scripts"),
        ),
    ),
    "tickets assign": (Case(("1", "--agent", "anna@desk.test"), WORK),),
    "tickets status": (Case(("1", "pending"), WORK),),
    "tickets priority": (Case(("1", "high"), WORK),),
    "tickets reply": (Case(("1", "--body-file", "{body}"), WORK),),
    "tickets note": (Case(("1", "--body-file", "{body}"), WORK),),
    "tickets retry": (Case(("1",), WORK, prepare=_fail_a_reply),),
    "customers show": (Case(("1",), everyone()),),
    "customers edit": (Case(("1", "--name", "Renamed"), WORK),),
    "customers merge": (Case(("2", "1"), WORK),),
    "sla show": (Case(("1",), everyone()),),
    "sla export": (Case(("{out}.yaml",), everyone()),),
    "sla import": (Case(("{sla}",), ADMINS),),
    "report sla": (Case(("--since", "2026-01-01"), everyone()),),
    "departments list": (Case((), everyone()),),
    "departments add": (Case(("Sales",), ADMINS),),
    "agents list": (Case((), everyone()),),
    "agents add": (Case(("kenji@desk.test", "--name", "Kenji"), ADMINS),),
    "agents edit": (
        Case(("anna@desk.test", "--role", "lead"), ADMINS),
        Case(
            ("anna@desk.test", "--no-available"),
            Outcome(5, 0, 5, 0, "an agent marks herself away; admins change anyone"),
        ),
    ),
    "account add": (Case(ACCOUNT_ARGS, ADMINS, stdin="pw\n"),),
    "account list": (Case((), everyone()),),
    "account test": (
        Case(
            ("support",),
            Outcome(6, 6, 6, 6, "anyone may test; 6: its servers are not running here"),
            prepare=_add_account,
        ),
    ),
    "account remove": (Case(("support",), ADMINS, prepare=_add_account),),
    "worker": (Case(("--once",), everyone("the worker is the system, whoever starts it")),),
    "templates list": (Case((), everyone()),),
    "templates export": (Case(("{out}.yaml",), everyone()),),
    "templates import": (Case(("{templates}",), LEADS),),
    "templates render": (Case(("/thanks", "--ticket", "1"), everyone()),),
    "oncall now": (Case((), everyone()),),
    "oncall set": (
        Case(
            ("Nights", "--agents", "anna@desk.test,lena@desk.test", "--starts-on", "2026-11-02"),
            LEADS,
        ),
    ),
    "oncall override": (
        Case(
            (
                "Nights",
                "--agent",
                "anna@desk.test",
                "--from",
                "2026-12-01T18:00+00:00",
                "--to",
                "2026-12-02T09:00+00:00",
            ),
            Outcome(5, 0, 0, 0, "leads; an agent covering a shift herself"),
        ),
    ),
    "oncall calendar": (Case(("Nights",), everyone()),),
    "oncall pages": (Case((), everyone()),),
    "oncall ack": (Case(("1",), WORK),),
    "oncall pager": (Case(("anna.phone@example.net",), WORK),),
    "oncall handoff": (Case((), everyone()),),
    "oncall settings": (
        Case((), everyone()),
        Case(("help_centre_url", "https://help.example.com"), LEADS),
    ),
}


def leaf_verbs(parser: argparse.ArgumentParser, prefix: str = "") -> Iterator[str]:
    """Every runnable verb, "tickets list" style, walking the subparsers."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                path = f"{prefix} {name}".strip()
                if any(isinstance(a, argparse._SubParsersAction) for a in sub._actions):
                    yield from leaf_verbs(sub, path)
                else:
                    yield path


def test_every_verb_has_a_decided_outcome() -> None:
    verbs = set(leaf_verbs(build_parser()))
    undecided = sorted(verbs - set(EXPECTED))
    assert not undecided, "\n".join(
        f"decide who may run `desk {verb}`: add it to EXPECTED in {__file__}" for verb in undecided
    )
    assert not sorted(set(EXPECTED) - verbs), "EXPECTED names verbs that no longer exist"


# --- the seeded team ---------------------------------------------------------------------------

SLA_DOCUMENT = """\
calendars:
  - name: London office
    timezone: Europe/London
    hours: {mon-fri: "09:00-17:00"}
policies:
  - name: Everyone
    calendar: London office
    targets:
      - {kind: first_response, minutes: 240, business_hours: true}
"""
TEMPLATES_DOCUMENT = """\
templates:
  - title: Thanks
    shortcut: thanks
    language: en
    scope: everyone
    body: "Overwritten by whoever imports this."
"""


@pytest.fixture(scope="module")
def seeded(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("role-matrix") / "team.sqlite3"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    system = Service(db, None)
    system.add_department("Support")
    system.add_department("Billing")
    ada = system.add_agent("Ada Admin", "ada@desk.test", role="admin")
    lena = system.add_agent(
        "Lena Lead", "lena@desk.test", role="lead", departments=["Support", "Billing"]
    )
    anna = system.add_agent("Anna Agent", "anna@desk.test", departments=["Support"])
    assert (ada, lena, anna) == (1, 2, 3)
    first = system.create_ticket(
        subject="Invoice missing",
        customer_email="olga@example.com",
        body="Where is it?",
        department="Support",
    )
    second = system.create_ticket(
        subject="Login",
        customer_email="olga.private@example.com",
        body="Cannot log in",
        department="Support",
    )
    assert (first.ticket_id, first.customer_id, second.customer_id) == (1, 1, 2)
    TemplateStore(db, None).create(TemplateFields("Thanks", "Thank you!", shortcut="thanks"))
    OncallStore(db, None).save_rotation(
        Rotation(
            name="Nights",
            agent_ids=(anna, lena),
            handoff=time(18, 0),
            length="weekly",
            time_zone="UTC",
            starts_on=date(2026, 11, 2),
        )
    )
    # An open page on ticket 1, not due again for a long while (the worker leaves it alone).
    later = datetime.now(UTC) + timedelta(days=365)
    with db.write() as session:
        session.add(
            Page(
                ticket_id=1,
                agent_id=anna,
                reason="urgent",
                created_at=datetime.now(UTC),
                next_send_at=later,
                escalate_at=later,
            )
        )
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    previous = keyring.get_keyring()
    keyring.core.init_backend()
    yield
    keyring.set_keyring(previous)


def _cases() -> Iterator[object]:
    for verb, cases in EXPECTED.items():
        for number, case in enumerate(cases):
            for identity in IDENTITIES:
                label = f"{verb.replace(' ', '-')}{number or ''}-{identity}"
                yield pytest.param(verb, case, identity, id=label)


@pytest.mark.parametrize(("verb", "case", "identity"), list(_cases()))
def test_verb_as_identity(
    verb: str,
    case: Case,
    identity: str,
    seeded: Path,
    tmp_path: Path,
    file_keyring: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "team.sqlite3"
    shutil.copy(seeded, path)
    url = f"sqlite:///{path}"
    db = Database(url)
    try:
        if case.prepare is not None:
            case.prepare(db)
        files = {
            "{body}": _write(tmp_path / "body.txt", "Thank you, we are on it."),
            "{sla}": _write(tmp_path / "sla.yaml", SLA_DOCUMENT),
            "{templates}": _write(tmp_path / "templates.yaml", TEMPLATES_DOCUMENT),
            "{out}": str(tmp_path / "out"),
        }
        args = [_fill(arg, files) for arg in case.args]
        email = AS[identity]
        who = ["--as", email] if email else []
        monkeypatch.setattr("sys.stdin", io.StringIO(case.stdin))
        expected = case.outcome.code(identity)
        before = row_snapshot(db) if expected == 5 else None
        capsys.readouterr()
        code = main([*verb.split(), *args, "--database-url", url, *who])
        err = capsys.readouterr().err
        assert code == expected, (
            f"`desk {verb}` as {identity}: exit {code}, documented {expected} "
            f"({case.outcome.why}); stderr: {err.strip()}"
        )
        assert "Traceback" not in err
        if expected == 5:
            # One clear line, and the refusal changed nothing.
            assert err.startswith("desk: not allowed") and err.count("\n") == 1, err
            assert row_snapshot(db) == before
    finally:
        db.dispose()


def _write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def _fill(arg: str, files: dict[str, str]) -> str:
    for placeholder, value in files.items():
        arg = arg.replace(placeholder, value)
    return arg


# --- a new team: the system sets it up, then stands aside -------------------------------------


def test_a_new_team_is_set_up_without_an_identity_until_it_has_an_admin(
    sqlite_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = sqlite_database_url

    def desk(*argv: str) -> tuple[int, str]:
        code = main([*argv, "--database-url", url])
        return code, capsys.readouterr().err

    assert desk("db", "upgrade")[0] == 0
    assert desk("departments", "add", "Support")[0] == 0
    assert (
        desk("agents", "add", "anna@desk.test", "--name", "Anna", "--department", "Support")[0] == 0
    )
    assert desk("agents", "edit", "anna@desk.test", "--time-zone", "Asia/Tokyo")[0] == 0
    assert desk("agents", "add", "ada@desk.test", "--name", "Ada", "--role", "admin")[0] == 0
    # From now on nobody changes the team anonymously; reading and upgrading still work.
    for argv in (
        ("departments", "add", "Billing"),
        ("agents", "add", "kenji@desk.test", "--name", "Kenji"),
        ("agents", "edit", "anna@desk.test", "--time-zone", "UTC"),
        ("demo", "--tickets", "1", "--append"),
    ):
        code, err = desk(*argv)
        assert code == 5, argv
        assert err.startswith("desk: not allowed: say who you are") and err.count("\n") == 1
    assert desk("db", "upgrade")[0] == 0
    assert desk("departments", "list")[0] == 0
    assert desk("departments", "add", "Billing", "--as", "ada@desk.test")[0] == 0


def test_the_demo_seeds_a_fresh_database_without_an_identity(
    sqlite_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--tickets", "2", "--database-url", sqlite_database_url]) == 0
    capsys.readouterr()
