"""Signing in to a team database: on PostgreSQL each agent connects with their own role.

The database URL in the configuration names the server and the database, never a password.
`desk signin` (or the sign-in dialog) checks a user name and password against the server
first, then keeps the password in the OS keyring under the service "desk-db:HOST:PORT/DBNAME"
with the database user as the keyring's user name, and remembers which user signed in to that
database in the settings file (`database_users`, user names only).

Every engine Desk opens on PostgreSQL calls attach(): at connect time, through SQLAlchemy's
do_connect hook, the signed-in user and the keyring's password are added as connect
parameters. So the password never becomes part of a URL string, a settings file, an
exception message or a log line, and a desktop that signs in again picks up the new password
on its next connection. A URL that names its own user wins over the signed-in one (scripts,
admins, the worker); a URL that carries a password is used as it is.

A refused sign-in (wrong password, unknown role, no password known) is PermissionDenied, exit
code 5, not Unavailable (6): retrying will not help, the person has to sign in again. A server
that cannot be reached stays Unavailable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from desk_app.config import load_settings, save_settings
from desk_app.core.errors import InvalidInput, PermissionDenied, Unavailable, UsageError
from desk_app.store.models import Agent
from desk_app.store.records import AgentRecord

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from desk_app.store.database import Database

SERVICE_PREFIX = "desk-db"
SETTINGS_KEY = "database_users"
DEFAULT_PORT = 5432
CONNECT_TIMEOUT_S = 5

# What libpq and the server say when they turn a sign-in away. A connection error carries no
# SQLSTATE in psycopg, so the text is all there is; 28000/28P01 cover servers that send one.
_REFUSED_MARKERS = (
    "password authentication failed",
    "no password supplied",
    "authentication failed",
    "pg_hba.conf",
    "password is required",
)
_REFUSED_STATES = ("28000", "28P01")


class SignInRequired(PermissionDenied):
    """The team database turned this connection away: sign in (again) as `user`.

    The window catches it to show the sign-in dialog; the CLI exits with 5."""

    kind = "signin_required"

    def __init__(self, message: str, user: str | None) -> None:
        super().__init__(message)
        self.user = user


@dataclass(frozen=True)
class DatabaseAddress:
    """Which team database: what the keyring entry and the remembered user are keyed by."""

    host: str
    port: int
    dbname: str

    @classmethod
    def from_url(cls, url: str | sa.URL) -> DatabaseAddress:
        parsed = sa.make_url(url) if isinstance(url, str) else url
        if parsed.get_backend_name() != "postgresql":
            raise UsageError(
                "signing in is for a team database (PostgreSQL); the embedded database needs "
                "no database password"
            )
        query_host = parsed.query.get("host")
        if isinstance(query_host, tuple):
            query_host = query_host[0] if query_host else None
        query_port = parsed.query.get("port")
        if isinstance(query_port, tuple):
            query_port = query_port[0] if query_port else None
        return cls(
            host=parsed.host or query_host or "localhost",
            port=int(parsed.port or query_port or DEFAULT_PORT),
            dbname=parsed.database or "",
        )

    @property
    def key(self) -> str:
        return f"{self.host}:{self.port}/{self.dbname}"

    @property
    def keyring_service(self) -> str:
        return f"{SERVICE_PREFIX}:{self.key}"

    def describe(self) -> str:
        return f"team database {self.dbname} on {self.host}"


@dataclass(frozen=True)
class SignInResult:
    database: str
    user: str
    # None: the database knows the user, but no Desk agent is mapped to it (agents.db_user).
    agent: AgentRecord | None
    note: str | None = None


# --- who is signed in where ------------------------------------------------------------------


def signed_in_user(address: DatabaseAddress) -> str | None:
    users = load_settings().get(SETTINGS_KEY)
    if not isinstance(users, dict):
        return None
    user = users.get(address.key)
    return str(user) if user else None


def _remember_user(address: DatabaseAddress, user: str | None) -> None:
    users = load_settings().get(SETTINGS_KEY)
    users = dict(users) if isinstance(users, dict) else {}
    if user is None:
        users.pop(address.key, None)
    else:
        users[address.key] = user
    save_settings({SETTINGS_KEY: users})


def _keyring_password(address: DatabaseAddress, user: str) -> str | None:
    # Imported here: the keyring (and its backends) is only needed once a team database is
    # opened by someone who signed in; the embedded database never loads it.
    from keyring.errors import KeyringError

    from desk_app.mail.passwords import usable_backend

    backend = usable_backend()
    try:
        return backend.get_password(address.keyring_service, user)
    except KeyringError as exc:
        raise Unavailable(f"the keyring could not be read: {exc}") from None


def connect_parameters(url: str | sa.URL) -> dict[str, str]:
    """The user and password to add to a connection to this database, as keyword arguments
    (for SQLAlchemy's connect parameters, or psycopg.connect(url, **these)). Empty when the URL
    says everything itself or nobody signed in to this database."""
    parsed = sa.make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() != "postgresql" or parsed.password:
        return {}
    address = DatabaseAddress.from_url(parsed)
    signed_in = signed_in_user(address)
    if signed_in is None or (parsed.username and parsed.username != signed_in):
        # Nobody signed in here, or the URL names another role on purpose: libpq's own ways
        # (.pgpass, PGPASSWORD, peer or certificate authentication) apply unchanged.
        return {}
    password = _keyring_password(address, signed_in)
    parameters = {"user": signed_in}
    if password is not None:
        parameters["password"] = password
    return parameters


def attach(engine: Engine) -> None:
    """Give every new connection of this PostgreSQL engine the signed-in credentials, and turn
    a refused sign-in into SignInRequired instead of 'cannot reach the database'."""
    url = engine.url
    address = DatabaseAddress.from_url(url)

    @event.listens_for(engine, "do_connect")
    def _add_credentials(_dialect: Any, _record: Any, _args: Any, params: dict[str, Any]) -> None:
        if params.get("password"):
            return
        for name, value in connect_parameters(url).items():
            params[name] = value

    @event.listens_for(engine, "handle_error")
    def _explain_refusal(context: sa.engine.ExceptionContext) -> None:
        if context.connection is None and is_refused_sign_in(context.original_exception):
            # Only connection attempts: a statement error on an open connection is no sign-in.
            user = url.username or signed_in_user(address)
            raise SignInRequired(_refusal_message(address, user), user) from None


def is_refused_sign_in(exc: BaseException) -> bool:
    if getattr(exc, "sqlstate", None) in _REFUSED_STATES:
        return True
    text = str(exc).lower()
    if 'role "' in text and "does not exist" in text:
        return True
    return any(marker in text for marker in _REFUSED_MARKERS)


def _refusal_message(address: DatabaseAddress, user: str | None) -> str:
    if user is None:
        return (
            f"the {address.describe()} wants to know who you are: sign in with "
            "`desk signin --user NAME` (your own database user and password)"
        )
    return (
        f"the {address.describe()} refused the sign-in of '{user}' (wrong or missing password, "
        f"or no such database user); sign in again with `desk signin --user {user}`"
    )


# --- signing in and out ----------------------------------------------------------------------


def sign_in(url: str, user: str, password: str) -> SignInResult:
    """Check the user and password against the server; only then keep the password in the
    keyring and remember the user for this database. Nothing is stored when it fails."""
    from desk_app.mail.passwords import usable_backend

    parsed = sa.make_url(url)
    address = DatabaseAddress.from_url(parsed)
    user = user.strip()
    if not user:
        raise InvalidInput("say which database user signs in: --user NAME")
    if parsed.password:
        raise InvalidInput(
            "the database URL carries a password; take it out: Desk keeps the password in "
            "the OS keyring"
        )
    if parsed.username and parsed.username != user:
        raise InvalidInput(
            f"the database URL names the user '{parsed.username}'; remove it from the URL to "
            f"sign in as '{user}'"
        )
    if not password:
        raise InvalidInput("the password is empty")
    backend = usable_backend()  # refuse before connecting, not after the server said yes
    agent, note = _check_sign_in(parsed, address, user, password)
    from keyring.errors import KeyringError

    try:
        backend.set_password(address.keyring_service, user, password)
    except KeyringError as exc:
        raise Unavailable(f"the keyring refused to store the password: {exc}") from None
    _remember_user(address, user)
    return SignInResult(database=address.describe(), user=user, agent=agent, note=note)


def sign_out(url: str, user: str | None = None) -> str | None:
    """Forget the password of `user` (default: whoever signed in) for this database; returns
    the user signed out, None when nobody was signed in."""
    from keyring.errors import KeyringError, PasswordDeleteError

    from desk_app.mail.passwords import usable_backend

    parsed = sa.make_url(url)
    address = DatabaseAddress.from_url(parsed)
    remembered = signed_in_user(address)
    user = user or remembered or parsed.username
    if user is None:
        return None
    if user == remembered:
        _remember_user(address, None)
    backend = usable_backend()
    try:
        backend.delete_password(address.keyring_service, user)
    except PasswordDeleteError:
        pass  # nothing stored: signed out already
    except KeyringError as exc:
        raise Unavailable(f"the keyring could not delete the password: {exc}") from None
    return user


def _check_sign_in(
    url: sa.URL, address: DatabaseAddress, user: str, password: str
) -> tuple[AgentRecord | None, str | None]:
    """Connect once as the user (outside any pool, without attach()) and find their agent."""
    target = sa.URL.create(
        "postgresql+psycopg",
        username=user,
        host=url.host,
        port=url.port,
        database=url.database,
        query=dict(url.query),
    )
    engine = sa.create_engine(
        target,
        poolclass=NullPool,
        # The password travels as a connect parameter, never inside the URL.
        connect_args={
            "password": password,
            "connect_timeout": CONNECT_TIMEOUT_S,
            "application_name": "desk-signin",
        },
    )
    try:
        with engine.connect() as connection:
            if connection.scalar(sa.text("SELECT to_regclass('agents')")) is None:
                return None, f"the {address.describe()} has no Desk schema yet"
            from sqlalchemy.orm import Session

            with Session(connection) as session:
                agent = agent_for_session(session)
    except sa.exc.ProgrammingError as exc:
        if getattr(exc.orig, "sqlstate", None) != "42501":
            raise
        # Signed in fine, but the role has no privileges on Desk's tables yet.
        return None, (
            f"the database user '{user}' may not read Desk's tables yet; an admin maps it to an "
            "agent (agents.db_user) and runs `desk db harden`"
        )
    except sa.exc.OperationalError as exc:
        if is_refused_sign_in(exc.orig or exc):
            raise PermissionDenied(
                f"the {address.describe()} refused the sign-in of '{user}': wrong password or "
                "no such database user. Nothing was stored."
            ) from None
        first_line = str(exc.orig or exc).strip().splitlines()[0]
        raise Unavailable(f"cannot reach the {address.describe()}: {first_line}") from None
    finally:
        engine.dispose()
    if agent is None:
        return None, (
            f"no Desk agent is mapped to the database user '{user}' yet; an admin sets it "
            "(agents.db_user) and runs `desk db harden`"
        )
    return agent, None


# --- which agent this connection is ----------------------------------------------------------


def current_agent_for_connection(db: Database) -> AgentRecord | None:
    """The agent whose database role this connection uses (agents.db_user = current_user).

    None on SQLite (it has no roles; the embedded database asks who you are instead) and when
    no agent is mapped to the role, e.g. the owner or a worker's role. Deactivated agents are
    returned as they are (is_active False), so the caller can refuse them with a reason."""
    if db.is_sqlite:
        return None
    with db.read() as session:
        return agent_for_session(session)


def agent_for_session(session: Session) -> AgentRecord | None:
    """current_agent_for_connection inside a transaction the caller already holds."""
    agent = session.scalars(
        sa.select(Agent).where(Agent.db_user == sa.cast(sa.func.current_user(), sa.String))
    ).first()
    return None if agent is None else AgentRecord.of(agent)
