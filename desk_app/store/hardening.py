"""`desk db harden`: database roles and row-level security for a team database.

Without it every desktop's role may read and change everything, and the department rules hold
only as long as people use Desk. Hardened, an agent's own credentials cannot read or change
other departments' tickets even with hand-written SQL:

- a NOLOGIN group role `<prefix>_agent` holds exactly the table privileges the app needs
  (hardening_rules: per table, down to the columns agents' commands update), and every active
  agent's login role (agents.db_user) is made a member; admins are also members of
  `<prefix>_admin`, which may manage agents, departments, mail accounts and SLA rules;
- row-level security on the tickets and every table that carries ticket data: an agent reads
  and changes tickets of their departments and tickets of no department; with the team setting
  `agents_read_other_departments` (on unless set to false, as in the service layer) they may
  also read, never change, other departments' tickets; leads and admins see everything. With
  it off, customers, their identities and the change log follow the tickets too;
- SECURITY DEFINER functions (hardening_functions) answer "which agent is this role, which
  departments, which scope" from agents, agent_departments and team_settings. Policies call
  them as scalar subqueries, so each is evaluated once per statement (an InitPlan), not once
  per row, and a role change or a new membership applies to the very next statement;
- deferred constraint triggers refuse, at commit, a ticket change or a new message by anyone
  but the owner that has no audit entry in its transaction.

The owner of the tables (the role that ran `desk db upgrade`, which the worker uses) is not
affected: RLS is enabled but not forced, so owners bypass it. Everything is regenerated on each
run (idempotent): re-run after adding agents, changing roles, or `desk db upgrade`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from desk_app.core.errors import PermissionDenied, UsageError
from desk_app.store.database import Database
from desk_app.store.hardening_functions import audit_trigger_sql, functions_sql
from desk_app.store.hardening_rules import (
    LOCK_KEY,
    POLICY_PREFIX,
    READ_OTHER_DEPARTMENTS,
    Policy,
    TableRule,
    quote_ident,
    quote_literal,
    table_rules,
)

__all__ = [
    "READ_OTHER_DEPARTMENTS",
    "Groups",
    "HardeningReport",
    "Policy",
    "TableRule",
    "harden",
    "inspect",
    "plan",
    "table_rules",
]


@dataclass(frozen=True)
class Groups:
    """The group roles. Roles are cluster-wide: two Desk databases on one server need two
    prefixes, or one database's agents would hold the other's table privileges."""

    prefix: str = "desk"

    @property
    def agent(self) -> str:
        return f"{self.prefix}_agent"

    @property
    def admin(self) -> str:
        return f"{self.prefix}_admin"


# --- what the database looks like now --------------------------------------------------------


@dataclass(frozen=True)
class AgentRow:
    id: int
    email: str
    role: str
    is_active: bool
    db_user: str | None


@dataclass(frozen=True)
class RoleRow:
    can_login: bool
    superuser: bool
    bypass_rls: bool


@dataclass(frozen=True)
class Inspection:
    schema: str
    owner: str  # of the Desk tables
    current_user: str
    superuser: bool
    can_create_roles: bool
    owns_schema: bool
    tables: frozenset[str]
    row_level_tables: frozenset[str]  # RLS enabled now
    policies: dict[str, tuple[str, ...]]  # table -> our policies (desk_*) now
    sequences: dict[str, tuple[str, ...]]  # table -> its (qualified) sequences
    roles: dict[str, RoleRow]
    members: dict[str, frozenset[str]]  # group -> member roles
    agents: tuple[AgentRow, ...]


def inspect(connection: sa.Connection) -> Inspection:
    """Read everything the plan depends on, in the caller's transaction."""

    def rows(sql: str, **params: object) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in connection.execute(sa.text(sql), params)]

    schema, user = rows("SELECT current_schema(), current_user")[0]
    owner_row = rows(
        "SELECT tableowner FROM pg_tables WHERE schemaname = :s AND tablename = 'tickets'",
        s=schema,
    )
    if not owner_row:
        raise LookupError(f"no Desk tables in schema {schema}")
    me = rows(
        "SELECT rolsuper, rolcreaterole, pg_has_role(current_user, n.nspowner, 'USAGE')"
        " FROM pg_roles, pg_namespace AS n WHERE rolname = current_user AND n.nspname = :s",
        s=schema,
    )[0]
    tables = rows(
        "SELECT c.relname, c.relrowsecurity FROM pg_class AS c"
        " JOIN pg_namespace AS n ON n.oid = c.relnamespace"
        " WHERE n.nspname = :s AND c.relkind IN ('r', 'p')",
        s=schema,
    )
    policies: dict[str, list[str]] = {}
    for table, name in rows(
        "SELECT tablename, policyname FROM pg_policies WHERE schemaname = :s"
        " AND starts_with(policyname, :prefix) ORDER BY tablename, policyname",
        s=schema,
        prefix=POLICY_PREFIX,
    ):
        policies.setdefault(str(table), []).append(str(name))
    sequences: dict[str, list[str]] = {}
    for table, sequence in rows(
        "SELECT t.relname, quote_ident(n.nspname) || '.' || quote_ident(s.relname)"
        " FROM pg_class AS s JOIN pg_namespace AS n ON n.oid = s.relnamespace"
        " JOIN pg_depend AS d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass"
        " AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')"
        " JOIN pg_class AS t ON t.oid = d.refobjid"
        " WHERE s.relkind = 'S' AND n.nspname = :s ORDER BY 1, 2",
        s=schema,
    ):
        sequences.setdefault(str(table), []).append(str(sequence))
    roles = {
        str(name): RoleRow(bool(login), bool(superuser), bool(bypass))
        for name, login, superuser, bypass in rows(
            "SELECT rolname, rolcanlogin, rolsuper, rolbypassrls FROM pg_roles"
        )
    }
    members: dict[str, set[str]] = {}
    for group, member in rows(
        "SELECT g.rolname, m.rolname FROM pg_auth_members AS a"
        " JOIN pg_roles AS g ON g.oid = a.roleid JOIN pg_roles AS m ON m.oid = a.member"
    ):
        members.setdefault(str(group), set()).add(str(member))
    agents = tuple(
        AgentRow(int(i), str(e), str(r), bool(a), None if d is None else str(d))
        for i, e, r, a, d in rows(
            f"SELECT id, email, role, is_active, db_user FROM {quote_ident(schema)}.agents"
            " ORDER BY id"
        )
    )
    return Inspection(
        schema=str(schema),
        owner=str(owner_row[0][0]),
        current_user=str(user),
        superuser=bool(me[0]),
        can_create_roles=bool(me[0] or me[1]),
        owns_schema=bool(me[0] or me[2]),
        tables=frozenset(str(t) for t, _ in tables),
        row_level_tables=frozenset(str(t) for t, enabled in tables if enabled),
        policies={t: tuple(p) for t, p in policies.items()},
        sequences={t: tuple(s) for t, s in sequences.items()},
        roles=roles,
        members={g: frozenset(m) for g, m in members.items()},
        agents=agents,
    )


# --- the plan --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewLogin:
    db_user: str
    agent_email: str


@dataclass
class Plan:
    statements: list[str] = field(default_factory=list)
    # Created between the group roles and the grants; their passwords exist only when applied.
    new_logins: list[NewLogin] = field(default_factory=list)
    login_position: int = 0
    members_granted: list[str] = field(default_factory=list)
    members_revoked: list[str] = field(default_factory=list)
    admins_granted: list[str] = field(default_factory=list)
    missing_logins: list[str] = field(default_factory=list)
    row_level_tables: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def sql(self) -> str:
        """The whole script, for --dry-run. New logins show where their password would go."""
        shown = list(self.statements)
        placeholders = [
            f"-- for {login.agent_email}; the generated password is shown once when run\n"
            f"CREATE ROLE {quote_ident(login.db_user)} LOGIN INHERIT PASSWORD '…'"
            for login in self.new_logins
        ]
        shown[self.login_position : self.login_position] = placeholders
        return "BEGIN;\n\n" + ";\n\n".join(shown) + ";\n\nCOMMIT;\n"


def plan(state: Inspection, groups: Groups, *, create_logins: bool = False) -> Plan:
    result = Plan()
    add = result.statements.append
    s = quote_ident(state.schema)
    agent_group, admin_group = quote_ident(groups.agent), quote_ident(groups.admin)
    add(f"SELECT pg_advisory_xact_lock(hashtext({quote_literal(LOCK_KEY)}))")
    for group in (groups.agent, groups.admin):
        # Recreated attributes each run, so a group role somebody loosened is put right.
        add(
            "DO $$ BEGIN\n"
            f"  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {quote_literal(group)}) THEN\n"
            f"    CREATE ROLE {quote_ident(group)} NOLOGIN;\n"
            "  END IF;\n"
            "END $$"
        )
        add(
            f"ALTER ROLE {quote_ident(group)} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
            " NOREPLICATION NOBYPASSRLS"
        )
    result.login_position = len(result.statements)

    wanted_agents, wanted_admins = _memberships(state, groups, result, create_logins)

    # No agent may create objects: a table or function of theirs in our schema could shadow
    # ours or take data out of reach of the policies.
    if state.owns_schema:
        add(f"REVOKE CREATE ON SCHEMA {s} FROM PUBLIC")
        # The owner may have relied on PUBLIC's CREATE (before PostgreSQL 15): keep
        # `desk db upgrade` working for it.
        add(f"GRANT CREATE ON SCHEMA {s} TO {quote_ident(state.owner)}")
    else:
        result.notes.append(
            f"could not revoke CREATE on schema {state.schema} from PUBLIC (only its owner "
            "can); PostgreSQL 15 and later do not grant it anyway"
        )
    add(f"GRANT USAGE ON SCHEMA {s} TO {agent_group}, {admin_group}")
    add(f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {agent_group}, {admin_group}")
    add(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {agent_group}, {admin_group}")

    rules = table_rules(state.schema)
    for table in sorted(rules):
        if table not in state.tables:
            continue
        rule = rules[table]
        name = f"{s}.{quote_ident(table)}"
        if rule.agent:
            add(f"GRANT {', '.join(rule.agent)} ON {name} TO {agent_group}")
        if rule.agent_update_columns:
            columns = ", ".join(quote_ident(c) for c in rule.agent_update_columns)
            add(f"GRANT UPDATE ({columns}) ON {name} TO {agent_group}")
        if rule.admin:
            # Admins are members of both groups: this group adds what agents may not do.
            add(f"GRANT {', '.join(rule.admin)} ON {name} TO {admin_group}")
        inserters = [
            group
            for group, privileges in ((agent_group, rule.agent), (admin_group, rule.admin))
            if "INSERT" in privileges
        ]
        for sequence in state.sequences.get(table, ()):
            if inserters:
                add(f"GRANT USAGE, SELECT ON SEQUENCE {sequence} TO {', '.join(inserters)}")

    add_all = result.statements.extend
    add_all(functions_sql(state.schema, state.owner, (groups.agent, groups.admin)))
    add_all(audit_trigger_sql(state.schema, state.owner))

    for table in sorted(set(rules) | set(state.policies)):
        if table not in state.tables:
            continue
        name = f"{s}.{quote_ident(table)}"
        decided = rules.get(table)
        for old in state.policies.get(table, ()):
            add(f"DROP POLICY IF EXISTS {quote_ident(old)} ON {name}")
        if decided is None or not decided.row_level:
            if table in state.row_level_tables and table in state.policies:
                add(f"ALTER TABLE {name} DISABLE ROW LEVEL SECURITY")
            continue
        result.row_level_tables.append(table)
        # Enabled, not forced: the owner (migrations, the worker) keeps seeing every row.
        add(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY")
        add(f"ALTER TABLE {name} NO FORCE ROW LEVEL SECURITY")
        for policy in decided.policies:
            add(_create_policy(name, policy, admin_group if policy.admin else agent_group))

    for member in wanted_agents:
        add(f"GRANT {agent_group} TO {quote_ident(member)}")
    for member in wanted_admins:
        add(f"GRANT {admin_group} TO {quote_ident(member)}")
    # Deactivated, unmapped or demoted: out of the group, so their table privileges go too.
    for group, wanted in ((groups.agent, wanted_agents), (groups.admin, wanted_admins)):
        for member in sorted(state.members.get(group, frozenset()) - set(wanted)):
            add(f"REVOKE {quote_ident(group)} FROM {quote_ident(member)}")
            result.members_revoked.append(f"{member} (from {group})")
    result.members_granted = list(wanted_agents)
    result.admins_granted = list(wanted_admins)
    return result


def _memberships(
    state: Inspection, groups: Groups, result: Plan, create_logins: bool
) -> tuple[list[str], list[str]]:
    """Which login roles belong in the agent and admin groups; notes for the ones that can't."""
    wanted_agents: list[str] = []
    wanted_admins: list[str] = []
    reserved = {groups.agent, groups.admin}
    for agent in state.agents:
        if not agent.is_active or not agent.db_user:
            continue
        role_name = agent.db_user
        if role_name in reserved or role_name.startswith("pg_"):
            result.notes.append(f"{agent.email}: '{role_name}' cannot be an agent's login role")
            continue
        role = state.roles.get(role_name)
        if role is None:
            if create_logins:
                result.new_logins.append(NewLogin(role_name, agent.email))
            else:
                result.missing_logins.append(role_name)
                result.notes.append(
                    f"{agent.email}: no database role '{role_name}' yet; pass --create-logins "
                    "or create it (LOGIN) and run this again"
                )
                continue
        elif not role.can_login:
            result.notes.append(f"{agent.email}: the role '{role_name}' cannot log in")
        if role is not None and (role.superuser or role.bypass_rls or role_name == state.owner):
            result.notes.append(
                f"{agent.email}: '{role_name}' is a superuser, the owner or has BYPASSRLS; "
                "row-level security does not restrict it"
            )
        wanted_agents.append(role_name)
        if agent.role == "admin":
            wanted_admins.append(role_name)
    return wanted_agents, wanted_admins


def _create_policy(table: str, policy: Policy, group: str) -> str:
    sql = f"CREATE POLICY {quote_ident(policy.name)} ON {table} FOR {policy.command} TO {group}"
    if policy.using is not None:
        sql += f"\n  USING ({policy.using})"
    if policy.check is not None:
        sql += f"\n  WITH CHECK ({policy.check})"
    return sql


# --- carrying it out -------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedLogin:
    db_user: str
    agent_email: str
    password: str  # generated; shown to the admin once, stored nowhere


def apply(connection: sa.Connection, result: Plan) -> list[CreatedLogin]:
    """Run the plan in the caller's transaction (all or nothing: PostgreSQL DDL, roles
    included, is transactional). New logins get a generated password, sent to the server only
    as a SCRAM verifier computed here, so not even a statement log shows it."""
    created: list[CreatedLogin] = []
    login_sql: list[str] = []
    for login in result.new_logins:
        password = secrets.token_urlsafe(18)
        verifier = _password_verifier(connection, login.db_user, password)
        login_sql.append(
            f"CREATE ROLE {quote_ident(login.db_user)} LOGIN INHERIT NOSUPERUSER NOCREATEDB"
            f" NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD {quote_literal(verifier)}"
        )
        created.append(CreatedLogin(login.db_user, login.agent_email, password))
    statements = list(result.statements)
    statements[result.login_position : result.login_position] = login_sql
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for statement in statements:
            # Straight to the driver: no parameters, so nothing in the text is a placeholder.
            cursor.execute(statement)
    finally:
        cursor.close()
    return created


def _password_verifier(connection: sa.Connection, user: str, password: str) -> str:
    pgconn = connection.connection.dbapi_connection.pgconn  # type: ignore[union-attr]
    # None: the algorithm the server's password_encryption asks for (scram-sha-256 today).
    verifier: bytes = pgconn.encrypt_password(password.encode(), user.encode(), None)
    return verifier.decode("ascii")


# --- the whole command -----------------------------------------------------------------------


@dataclass
class HardeningReport:
    database: str
    dry_run: bool
    agent_group: str
    admin_group: str
    row_level_tables: list[str]
    members: list[str]
    admins: list[str]
    members_revoked: list[str]
    missing_logins: list[str]
    logins_created: list[CreatedLogin]
    notes: list[str]
    sql: str | None = None


def harden(
    db: Database, groups: Groups = Groups(), *, create_logins: bool = False, dry_run: bool = False
) -> HardeningReport:
    """Inspect, plan and (unless dry_run) apply, in one transaction."""
    if db.is_sqlite:
        raise UsageError(
            "`desk db harden` is for a team database (PostgreSQL): the embedded database has "
            "no database roles to restrict; it is protected by the file's permissions"
        )
    try:
        db.ensure_schema(upgrade=False)
        with db.write() as session:
            connection = session.connection()
            state = inspect(connection)
            if not dry_run:
                _require_hardening_rights(state)
            result = plan(state, groups, create_logins=create_logins)
            created = [] if dry_run else apply(connection, result)
    except PermissionDenied as refused:
        raise PermissionDenied(
            f"{refused} — run `desk db harden` as the owner of the Desk tables or a superuser "
            "(a role that can also create roles)"
        ) from refused
    return HardeningReport(
        database=db.describe(),
        dry_run=dry_run,
        agent_group=groups.agent,
        admin_group=groups.admin,
        row_level_tables=result.row_level_tables,
        members=result.members_granted,
        admins=result.admins_granted,
        members_revoked=result.members_revoked,
        missing_logins=result.missing_logins,
        logins_created=created,
        notes=result.notes,
        sql=result.sql() if dry_run else None,
    )


def _require_hardening_rights(state: Inspection) -> None:
    if not state.can_create_roles:
        raise PermissionDenied(
            f"the role '{state.current_user}' cannot create roles (it needs CREATEROLE)"
        )
    if not state.superuser and state.current_user != state.owner:
        raise PermissionDenied(
            f"the role '{state.current_user}' does not own the Desk tables ('{state.owner}' "
            "does), so it cannot enable row-level security on them"
        )
