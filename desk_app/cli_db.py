"""`desk signin`, `desk signout` and `desk db harden`: who connects to a team database, and what
their database role may do there.

`desk db harden --create-logins` creates a login role for each agent whose agents.db_user has
none yet, with a generated password printed once in the command's output (and stored nowhere):
hand it to the agent, who signs in with it. Reading passwords for several agents from stdin
would only tempt people to keep them in a file.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

import sqlalchemy as sa

from desk_app.cli_context import Context, verb
from desk_app.config import resolve_database_url
from desk_app.core.errors import InvalidInput, UsageError
from desk_app.store import credentials, hardening
from desk_app.store.database import Database, normalise_url


def _team_url(args: argparse.Namespace) -> str:
    return normalise_url(resolve_database_url(args.database_url))


def _read_password(args: argparse.Namespace, user: str, where: str) -> str:
    if args.password_stdin:
        # One line: a password file piped in keeps its final newline, which is no part of it.
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UsageError("no terminal to ask for the password on: pipe it in with --password-stdin")
    try:
        return getpass.getpass(f"Password for {user} on the {where}: ")
    except (EOFError, KeyboardInterrupt):
        raise UsageError("no password entered") from None


def cmd_signin(args: argparse.Namespace, ctx: Context) -> credentials.SignInResult:
    url = _team_url(args)
    address = credentials.DatabaseAddress.from_url(url)  # SQLite: a usage error, exit 2
    user = args.user or sa.make_url(url).username or credentials.signed_in_user(address)
    if not user:
        raise UsageError("say who signs in: --user NAME (your database user)")
    from desk_app.mail.passwords import usable_backend

    usable_backend()  # no keyring: say so before asking for a password
    password = _read_password(args, user, address.describe())
    if not password:
        raise InvalidInput("the password is empty")
    return credentials.sign_in(url, user, password)


def cmd_signout(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    url = _team_url(args)
    user = credentials.sign_out(url, args.user)
    return {"database": credentials.DatabaseAddress.from_url(url).describe(), "signed_out": user}


def cmd_db_harden(args: argparse.Namespace, ctx: Context) -> Any:
    db = Database(resolve_database_url(args.database_url))
    try:
        report = hardening.harden(
            db,
            hardening.Groups(args.group_prefix),
            create_logins=args.create_logins,
            dry_run=args.dry_run,
        )
    finally:
        db.dispose()
    if args.dry_run and not args.json:
        return report.sql  # the script itself, ready for psql
    return report


def register(verbs: Any, db: Any) -> None:
    """`verbs`: the top-level verbs; `db`: the verbs under `desk db`."""
    harden = verb(db, "harden", cmd_db_harden, "database roles and row-level security (PostgreSQL)")
    harden.add_argument("--dry-run", action="store_true", help="print the SQL, change nothing")
    harden.add_argument(
        "--create-logins",
        action="store_true",
        help="create missing agent login roles; their generated passwords are printed once",
    )
    harden.add_argument(
        "--group-prefix",
        default="desk",
        help="group roles are PREFIX_agent and PREFIX_admin (one prefix per Desk database)",
    )
    signin = verb(verbs, "signin", cmd_signin, "sign in to the team database as yourself")
    signin.add_argument("--user", help="your database user (default: the one signed in before)")
    signin.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    signout = verb(verbs, "signout", cmd_signout, "forget the team database password")
    signout.add_argument("--user", help="default: whoever signed in")
