"""What every `desk` verb shares: the common options, the Context (database and acting agent)
and how a verb is registered. Verb modules (cli.py, cli_mail.py) build on this."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desk_app.config import configured_agent_email, resolve_database_url
from desk_app.core.errors import InvalidInput, NotFound, PermissionDenied, UsageError
from desk_app.store import Database, Queries, Service
from desk_app.store.authorisation import require_anonymous_may_change
from desk_app.store.credentials import current_agent_for_connection

Handler = Callable[[argparse.Namespace, "Context"], Any]


class Context:
    """What a verb needs: the database (opened on first use) and who is acting."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self._db: Database | None = None
        self._actor: tuple[int | None] | None = None
        # Only `desk demo` (which seeds its own database) may create a missing SQLite file;
        # any other verb says there is no database there and leaves nothing behind.
        self.creates_database = False

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(resolve_database_url(self.args.database_url))
            # The demo database is made and seeded on first use, by a verb as by the window.
            demo = _demo(self.args)
            self._db.ensure_schema(upgrade=self._db.is_sqlite, create=self.creates_database or demo)
            if demo and not self.creates_database:  # `desk --demo demo` seeds it itself
                from desk_app.demo.seed import seed_demo_once

                seed_demo_once(self._db)
        return self._db

    def actor_id(self, required: bool = True) -> int | None:
        """Who is acting: --as, else DESK_AGENT or the settings' agent_email, else (on
        PostgreSQL) the agent mapped to the signed-in database user. On a database where the
        connection belongs to an agent, --as may name someone else only for an admin."""
        if self._actor is not None:
            return self._actor[0]
        email = acting_email(self.args.as_agent, demo=_demo(self.args))
        connected = current_agent_for_connection(self.db)
        actor: int | None
        if email is None:
            actor = connected.id if connected is not None else None
        else:
            actor = Queries(self.db, None).agent_by_email(email).id
            if connected is not None and connected.id != actor and connected.role != "admin":
                raise PermissionDenied(
                    f"not allowed: you are signed in as {connected.email}; "
                    "only an admin may act as someone else"
                )
        if actor is None and required:
            raise UsageError("say who is acting: pass --as EMAIL or set DESK_AGENT")
        self._actor = (actor,)
        return actor

    def changer_id(self) -> int | None:
        """Who changes shared configuration (agents, departments, accounts, templates, SLA,
        on-call, team settings): the agent named, whose role the service layer checks; or,
        with nobody named, the system, but only while the team has no active admin yet (that
        is how a team is set up). Otherwise refused, exit 5."""
        actor = self.actor_id(required=False)
        if actor is None:
            require_anonymous_may_change(self.db)
        return actor

    def admin_service(self) -> Service:
        return Service(self.db, self.changer_id())

    def service(self, actor_required: bool = True) -> Service:
        return Service(self.db, self.actor_id(actor_required))

    def queries(self) -> Queries:
        return Queries(self.db, self.actor_id(required=False))

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()


def _demo(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "demo", False))


def use_demo_database(args: argparse.Namespace) -> None:
    """`desk --demo VERB`: the verb works on the demo database the window shows, not on the
    normal one (which it used to read silently, listing nobody)."""
    if not _demo(args):
        return
    if args.database_url is not None:
        raise UsageError("--demo uses the demo database: leave out --database-url")
    args.database_url = resolve_database_url(demo=True)


def acting_email(given: str | None, *, demo: bool) -> str | None:
    """Who acts: --as, else DESK_AGENT or the settings' agent_email; on the demo database,
    else the demo's own agent, as the window signs in."""
    email = given or configured_agent_email()
    if email is None and demo:
        from desk_app.demo.seed import demo_agent_email

        return demo_agent_email()
    return email


def common_options() -> argparse.ArgumentParser:
    # SUPPRESS keeps a verb's parser from overwriting values given before the verb.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", default=argparse.SUPPRESS, help="database to use")
    common.add_argument("--as", dest="as_agent", default=argparse.SUPPRESS, metavar="EMAIL")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    return common


_COMMON = common_options()


def verb(group: Any, name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
    """Add a verb to a subparser group; it takes the common options after its name too."""
    sub: argparse.ArgumentParser = group.add_parser(name, parents=[_COMMON], help=help_text)
    sub.set_defaults(handler=handler)
    return sub


def read_document(path: str) -> Any:
    """A YAML or JSON file (by extension; YAML is a superset of JSON), for the import verbs."""
    import yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
        return json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}") from exc


def write_document(path: str, document: Any) -> None:
    """JSON or YAML by the file's extension, for the export verbs; Unicode kept readable."""
    import yaml

    text = (
        json.dumps(document, ensure_ascii=False, indent=2)
        if path.endswith(".json")
        else yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
    )
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc}") from exc


# --- argument types ------------------------------------------------------------------------
# A number that is not a whole number is a usage error (exit 2: argparse's usage, then one line
# saying what is wrong). A well-formed id that no record can have (zero, negative, or beyond
# the 64-bit integers ids are stored in) is not found (exit 4), as any other missing id: it is
# never handed to the database, whose integer types would overflow.

MAX_STORED_INT = 2**63 - 1  # ids: BIGINT on PostgreSQL, INTEGER on SQLite
MAX_VERSION = 2**31 - 1  # versions: INTEGER on PostgreSQL


def _whole_number(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None


def record_id(what: str) -> Callable[[str], int]:
    """The type of an argument naming a record by id; `what` reads e.g. "ticket #{}"."""

    def parse(text: str) -> int:
        value = _whole_number(text)
        if not 1 <= value <= MAX_STORED_INT:
            raise NotFound(f"{what.format(value)} does not exist")
        return value

    return parse


def version_number(text: str) -> int:
    """--if-version: a version a record can have (they count up from 1)."""
    value = _whole_number(text)
    if not 1 <= value <= MAX_VERSION:
        raise argparse.ArgumentTypeError(
            f"{value} cannot be a version (versions run from 1 to {MAX_VERSION})"
        )
    return value


def within(low: int, high: int, what: str) -> Callable[[str], int]:
    """The type of a bounded number, e.g. a port (1 to 65535); `what` names it in the error."""

    def parse(text: str) -> int:
        value = _whole_number(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} must be from {low} to {high}, not {value}")
        return value

    return parse


def count(text: str) -> int:
    """--limit, --offset and other counts: zero or more."""
    value = _whole_number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative: give 0 or more")
    if value > MAX_STORED_INT:
        raise argparse.ArgumentTypeError(f"{value} is too large (at most {MAX_STORED_INT})")
    return value
