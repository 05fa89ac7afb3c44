"""The functions and the trigger `desk db harden` installs beside the grants and policies.

The functions are SECURITY DEFINER so they read agents, settings and tickets whatever the
caller may read; owned by the tables' owner (who bypasses RLS); with a fixed search_path so a
caller cannot slip in objects of their own. current_user is passed in where it matters: inside
them it is the owner.

The trigger makes the audit trail a database rule for everyone but the owner: the app writes
an audit row for every change of a ticket, in the change's transaction, and an agent's login
that changes a ticket by hand-written SQL without one is refused at commit.
"""

from __future__ import annotations

from collections.abc import Sequence

from desk_app.store.hardening_rules import READ_OTHER_DEPARTMENTS, quote_ident, quote_literal

AUDIT_TRIGGERS = ("desk_ticket_insert_audited", "desk_ticket_update_audited")  # on tickets
MESSAGE_AUDIT_TRIGGER = "desk_message_insert_audited"
# A failed reply put back in the queue (the agent's Retry) must be recorded like any change.
DELIVERY_AUDIT_TRIGGERS = ("desk_message_delivery_audited", "desk_outbox_retry_audited")
AUDIT_FUNCTION = "desk_require_audit"


def functions_sql(schema: str, owner: str, groups: Sequence[str]) -> list[str]:
    s = quote_ident(schema)
    falsy = ", ".join(quote_literal(v) for v in ("false", "0", "0.0", '""', "[]", "{}"))
    # name -> (arguments, returns, body)
    bodies = {
        "desk_agent_id": (
            "role_name name DEFAULT current_user",
            "integer",
            f"SELECT a.id FROM {s}.agents AS a WHERE a.db_user = role_name::text AND a.is_active",
        ),
        "desk_agent_departments": (
            "role_name name DEFAULT current_user",
            "integer[]",
            "SELECT coalesce(array_agg(ad.department_id ORDER BY ad.department_id),"
            " '{}'::integer[])"
            f" FROM {s}.agents AS a JOIN {s}.agent_departments AS ad ON ad.agent_id = a.id"
            " WHERE a.db_user = role_name::text AND a.is_active",
        ),
        # none: not an active agent; own; read_others (the team allows reading other
        # departments, like core.permissions, on unless set to a false value); lead; admin.
        "desk_agent_scope": (
            "role_name name DEFAULT current_user",
            "text",
            "SELECT coalesce((SELECT CASE"
            " WHEN a.role IN ('lead', 'admin') THEN a.role"
            f" WHEN coalesce((SELECT btrim(v.value) NOT IN ({falsy})"
            f" FROM {s}.team_settings AS v"
            f" WHERE v.key = {quote_literal(READ_OTHER_DEPARTMENTS)}), true)"
            " THEN 'read_others' ELSE 'own' END"
            f" FROM {s}.agents AS a WHERE a.db_user = role_name::text AND a.is_active), 'none')",
        ),
        # Whether a customer has any ticket at all, whoever may read it: a customer with none
        # (just created, or a merged tombstone) belongs to no department. Says yes or no only.
        "desk_customer_has_tickets": (
            "customer bigint",
            "boolean",
            f"SELECT EXISTS (SELECT 1 FROM {s}.tickets AS t WHERE t.customer_id = customer)",
        ),
    }
    granted = ", ".join(quote_ident(group) for group in groups)
    statements: list[str] = []
    for name, (arguments, returns, body) in bodies.items():
        signature = f"{s}.{name}({arguments.split()[1]})"
        statements += [
            f"CREATE OR REPLACE FUNCTION {s}.{name}({arguments}) RETURNS {returns}\n"
            "  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp\n"
            f"  AS $desk$ {body} $desk$",
            f"ALTER FUNCTION {signature} OWNER TO {quote_ident(owner)}",
            f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC",
            f"GRANT EXECUTE ON FUNCTION {signature} TO {granted}",
        ]
    return statements


def unaudited_columns() -> tuple[str, ...]:
    """Ticket columns an agent's command changes without a ticket event, so the audit check
    ignores them: nothing in them is a fact of its own.

    - the SLA engine's computed columns (sla_store.TICKET_COLUMNS): editing a customer's tags
      recomputes the deadlines of their tickets; they derive from audited facts and the next
      change recomputes them anyway;
    - version and updated_at: concurrency bookkeeping, which a command that changed nothing
      still bumps (assigning a ticket to the agent who already has it)."""
    from desk_app.store.sla_store import TICKET_COLUMNS  # heavy: only when hardening

    return (*TICKET_COLUMNS, "version", "updated_at")


def audit_trigger_sql(schema: str, owner: str) -> list[str]:
    """Deferred constraint triggers: at commit, every ticket a non-owner role inserted or
    changed, and every message it added, must have an audit row written by this same
    transaction (for a message, the app's audit row of the message itself: so nobody slips a
    "customer's" message or a "sent" reply into a conversation unrecorded).

    Deferred, so it does not matter whether a command writes the audit row before or after
    the ticket (the app writes it after, with the version it produced). "This transaction"
    is the audit row's xmin: the app never writes audit rows inside a savepoint, and a row's
    xmin equals the current transaction id only if this transaction inserted it.

    Not checked: the owner (the worker and migrations; they are trusted and bypass row-level
    security anyway, and the WHEN clause keeps their mail ingest from queuing any check),
    superusers and BYPASSRLS roles; and changes of only unaudited_columns()."""
    s = quote_ident(schema)
    function = f"{s}.{AUDIT_FUNCTION}()"
    computed = "ARRAY[" + ", ".join(quote_literal(c) for c in unaudited_columns()) + "]::text[]"
    not_owner = f"session_user <> {quote_literal(owner)}"
    substantive_change = (
        f"(to_jsonb(OLD) - {computed}) IS DISTINCT FROM (to_jsonb(NEW) - {computed})"
    )
    body = (
        "BEGIN\n"
        # session_user: the login, which SET ROLE does not change (inside this function
        # current_user is the owner).
        f"  IF pg_has_role(session_user, {quote_literal(owner)}, 'USAGE')\n"
        "     OR (SELECT r.rolbypassrls FROM pg_catalog.pg_roles AS r"
        " WHERE r.rolname = session_user) THEN\n"
        "    RETURN NULL;\n"
        "  END IF;\n"
        "  IF TG_TABLE_NAME = 'outbox' THEN\n"
        f"    IF NOT EXISTS (SELECT 1 FROM {s}.audit_events AS a\n"
        "                   WHERE a.entity = 'message' AND a.entity_id = NEW.message_id"
        " AND a.xmin = pg_catalog.pg_current_xact_id()::xid) THEN\n"
        "      RAISE EXCEPTION 'the delivery of message % was changed without an audit entry',"
        " NEW.message_id\n"
        "        USING ERRCODE = 'insufficient_privilege',\n"
        "              HINT = 'retry replies through Desk: every change is recorded';\n"
        "    END IF;\n"
        "  ELSIF TG_TABLE_NAME = 'messages' THEN\n"
        f"    IF NOT EXISTS (SELECT 1 FROM {s}.audit_events AS a\n"
        "                   WHERE a.entity = 'message' AND a.entity_id = NEW.id"
        " AND a.xmin = pg_catalog.pg_current_xact_id()::xid) THEN\n"
        "      RAISE EXCEPTION 'message % was added without an audit entry', NEW.id\n"
        "        USING ERRCODE = 'insufficient_privilege',\n"
        "              HINT = 'add messages through Desk: every change is recorded';\n"
        "    END IF;\n"
        f"  ELSIF NOT EXISTS (SELECT 1 FROM {s}.audit_events AS a\n"
        "                    WHERE a.ticket_id = NEW.id"
        " AND a.xmin = pg_catalog.pg_current_xact_id()::xid) THEN\n"
        "    RAISE EXCEPTION 'ticket #% was changed without an audit entry', NEW.id\n"
        "      USING ERRCODE = 'insufficient_privilege',\n"
        "            HINT = 'change tickets through Desk: every change is recorded';\n"
        "  END IF;\n"
        "  RETURN NULL;\n"
        "END"
    )
    statements = [
        f"CREATE OR REPLACE FUNCTION {function} RETURNS trigger\n"
        "  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp\n"
        f"  AS $desk$\n{body}\n$desk$",
        f"ALTER FUNCTION {function} OWNER TO {quote_ident(owner)}",
        f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC",
    ]
    for table_name, trigger, event, when in (
        ("tickets", AUDIT_TRIGGERS[0], "INSERT", not_owner),
        ("tickets", AUDIT_TRIGGERS[1], "UPDATE", f"{not_owner} AND {substantive_change}"),
        ("messages", MESSAGE_AUDIT_TRIGGER, "INSERT", not_owner),
        (
            "messages",
            DELIVERY_AUDIT_TRIGGERS[0],
            "UPDATE",
            f"{not_owner} AND OLD.delivery_state IS DISTINCT FROM NEW.delivery_state",
        ),
        ("outbox", DELIVERY_AUDIT_TRIGGERS[1], "UPDATE", not_owner),
    ):
        table = f"{s}.{quote_ident(table_name)}"
        statements += [
            f"DROP TRIGGER IF EXISTS {quote_ident(trigger)} ON {table}",
            f"CREATE CONSTRAINT TRIGGER {quote_ident(trigger)} AFTER {event} ON {table}\n"
            "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW\n"
            f"  WHEN ({when})\n"
            f"  EXECUTE FUNCTION {function}",
        ]
    return statements
