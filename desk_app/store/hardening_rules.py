"""What `desk db harden` grants each table, one decision per table (see hardening.py).

Table-driven on purpose: a migration that adds a table adds one entry to table_rules, and
tests/store/test_hardening.py fails until it does, so no table is ever granted by accident.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from desk_app.store.models import Ticket
from desk_app.store.oncall_settings import LAST_HANDOFF_AT

# The team setting the read policy follows (the service layer reads the same key).
READ_OTHER_DEPARTMENTS = "agents_read_other_departments"
# Team settings are a lead's or an admin's (set_team_setting demands it): the permission
# rules, but also texts that go to customers (help_centre_url in automatic replies, the
# company name). Agents' own commands write only this bookkeeping in passing: the last
# on-call hand-off (oncall_settings.remember_handoff). Routing's round-robin turns and the
# routing rules' version are written by the worker (the owner) and by leads.
AGENT_SETTING_KEYS = (LAST_HANDOFF_AT,)
POLICY_PREFIX = "desk_"
LOCK_KEY = "desk db harden"

SELECT = ("SELECT",)
READ_WRITE = ("SELECT", "INSERT", "UPDATE")
EVERYTHING = ("SELECT", "INSERT", "UPDATE", "DELETE")
# What an agent may change on their own agents row; role, is_active, db_user and e-mail are
# an admin's (and the RLS functions read them, so they must not be self-service).
AGENT_SELF_COLUMNS = ("available", "signature", "signatures", "time_zone", "personal_email")
# Set when a ticket is opened and never changed by an agent's command afterwards.
TICKET_FIXED_COLUMNS = ("id", "created_at", "channel", "mail_account_id", "follow_up_of_id")
TICKET_AGENT_COLUMNS = tuple(
    column.name for column in Ticket.__table__.columns if column.name not in TICKET_FIXED_COLUMNS
)
# What agents' commands change on a message once written: the reply's delivery state, set
# just after it is stored or when a failed reply is retried (which clears its error), and the
# author when two customers are merged. The text never.
MESSAGE_AGENT_COLUMNS = ("delivery_state", "delivery_error", "author_customer_id")
# What the agent's Retry changes on a failed reply's outbox row.
OUTBOX_RETRY_COLUMNS = ("state", "next_attempt_at", "first_attempt_at")
# Change-log entities that name a ticket, a message or a customer by id.
TICKET_ENTITIES = ("ticket",)
MESSAGE_ENTITIES = ("message",)
CUSTOMER_ENTITIES = ("customer",)
SCOPED_ENTITIES = (*TICKET_ENTITIES, *MESSAGE_ENTITIES, *CUSTOMER_ENTITIES)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    # standard_conforming_strings is on (the default since PostgreSQL 9.1): only ' needs care.
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class Policy:
    name: str
    command: str  # SELECT | INSERT | UPDATE | DELETE | ALL
    using: str | None = None
    check: str | None = None
    admin: bool = False  # for the admin group instead of the agent group


@dataclass(frozen=True)
class TableRule:
    agent: tuple[str, ...]
    admin: tuple[str, ...] = ()
    policies: tuple[Policy, ...] = ()
    agent_update_columns: tuple[str, ...] = ()

    @property
    def row_level(self) -> bool:
        return bool(self.policies)


class Expressions:
    """Policy expressions, schema-qualified so they mean the same whatever the search_path."""

    def __init__(self, schema: str) -> None:
        self.s = quote_ident(schema)

    def _call(self, function: str) -> str:
        # The scalar subquery makes PostgreSQL evaluate the function once per statement.
        return f"(SELECT {self.s}.{function}(current_user))"

    @property
    def me(self) -> str:
        return self._call("desk_agent_id")

    @property
    def scope(self) -> str:
        return self._call("desk_agent_scope")

    @property
    def departments(self) -> str:
        # The cast keeps `x = ANY (...)` an array comparison, not a comparison with a subquery.
        return f"{self._call('desk_agent_departments')}::integer[]"

    @property
    def sees_all(self) -> str:
        return f"{self.scope} IN ('lead', 'admin')"

    def may_read(self, department: str) -> str:
        return (
            f"({self.scope} IN ('lead', 'admin', 'read_others')"
            f" OR {department} = ANY ({self.departments})"
            f" OR ({department} IS NULL AND {self.scope} <> 'none'))"
        )

    def may_work(self, department: str) -> str:
        return (
            f"({self.sees_all}"
            f" OR {department} = ANY ({self.departments})"
            f" OR ({department} IS NULL AND {self.scope} <> 'none'))"
        )

    def ticket_readable(self, ticket_id: str) -> str:
        # The tickets policy applies inside the subquery too, so this is exactly "the agent
        # may read that ticket", kept in one place.
        return f"EXISTS (SELECT 1 FROM {self.s}.tickets AS t WHERE t.id = {ticket_id})"

    def ticket_workable(self, ticket_id: str) -> str:
        return (
            f"EXISTS (SELECT 1 FROM {self.s}.tickets AS t WHERE t.id = {ticket_id}"
            f" AND {self.may_work('t.department_id')})"
        )

    def customer_readable(self, customer_id: str) -> str:
        """A customer with a ticket the agent may read, or with no ticket at all (just created,
        or merged into another); every customer when the agent may read every department.
        The tickets policy applies inside the EXISTS; the function looks past it only to say
        whether the customer has any ticket."""
        return (
            f"({self.scope} IN ('lead', 'admin', 'read_others')"
            f" OR EXISTS (SELECT 1 FROM {self.s}.tickets AS t WHERE t.customer_id = {customer_id})"
            f" OR NOT {self.s}.desk_customer_has_tickets({customer_id}))"
        )

    def message_readable(self, message_id: str) -> str:
        return f"EXISTS (SELECT 1 FROM {self.s}.messages AS m WHERE m.id = {message_id})"

    def message_workable(self, message_id: str) -> str:
        return (
            f"EXISTS (SELECT 1 FROM {self.s}.messages AS m"
            f" JOIN {self.s}.tickets AS t ON t.id = m.ticket_id"
            f" WHERE m.id = {message_id} AND {self.may_work('t.department_id')})"
        )


def _by_ticket(
    x: Expressions, table: str, *, write: Sequence[str] = ("INSERT", "UPDATE")
) -> tuple[Policy, ...]:
    """Read where the ticket is readable; the listed writes where it may be worked on."""
    readable = x.ticket_readable(f"{table}.ticket_id")
    workable = x.ticket_workable(f"{table}.ticket_id")
    return (Policy("desk_read", "SELECT", using=readable), *_writes(write, workable))


def _by_message(x: Expressions, table: str, *, write: Sequence[str]) -> tuple[Policy, ...]:
    readable = x.message_readable(f"{table}.message_id")
    workable = x.message_workable(f"{table}.message_id")
    return (Policy("desk_read", "SELECT", using=readable), *_writes(write, workable))


def _writes(commands: Sequence[str], allowed: str) -> list[Policy]:
    policies = []
    for command in commands:
        name = f"desk_{command.lower()}"
        if command == "INSERT":
            policies.append(Policy(name, command, check=allowed))
        elif command == "UPDATE":
            policies.append(Policy(name, command, using=allowed, check=allowed))
        else:
            policies.append(Policy(name, command, using=allowed))
    return policies


def _in(*values: str) -> str:
    return ", ".join(quote_literal(value) for value in values)


def _agent_setting_key() -> str:
    return f"team_settings.key IN ({_in(*AGENT_SETTING_KEYS)})"


def table_rules(schema: str) -> dict[str, TableRule]:
    """Every Desk table, decided one by one. tests/store/test_hardening.py fails when a
    migration adds a table that is missing here, so each new table gets a decision."""
    x = Expressions(schema)
    own = f"agent_id = {x.me}"
    return {
        # --- ticket data: row-level security -------------------------------------------------
        # Never deleted by the app (a mistaken ticket is closed), so no DELETE at all. Moving a
        # ticket to another department fails WITH CHECK unless a lead does it, as in
        # core.permissions; filing an unsorted ticket into one's own department passes.
        # UPDATE only of the columns commands change; every change needs an audit row in its
        # transaction (hardening_functions.audit_trigger_sql).
        "tickets": TableRule(
            agent=("SELECT", "INSERT"),
            agent_update_columns=TICKET_AGENT_COLUMNS,
            policies=(
                Policy("desk_read", "SELECT", using=x.may_read("department_id")),
                Policy("desk_insert", "INSERT", check=x.may_work("department_id")),
                Policy(
                    "desk_update",
                    "UPDATE",
                    using=x.may_work("department_id"),
                    check=x.may_work("department_id"),
                ),
            ),
        ),
        # The conversation itself: never rewritten (see MESSAGE_AGENT_COLUMNS).
        # The delivery state starts as none and may only go from none to queued (the reply
        # being stored), or from failed to queued (the agent's Retry): nobody adds a "sent"
        # reply, and a sent one keeps saying so. Every message added, and every change of a
        # delivery state, needs its audit row (hardening_functions.audit_trigger_sql).
        "messages": TableRule(
            agent=("SELECT", "INSERT"),
            agent_update_columns=MESSAGE_AGENT_COLUMNS,
            policies=(
                *_by_ticket(x, "messages", write=()),
                Policy(
                    "desk_insert",
                    "INSERT",
                    check=f"({x.ticket_workable('messages.ticket_id')}"
                    " AND messages.delivery_state IS NULL)",
                ),
                Policy(
                    "desk_update",
                    "UPDATE",
                    using=f"({x.ticket_workable('messages.ticket_id')}"
                    " AND (messages.delivery_state IS NULL"
                    " OR messages.delivery_state = 'failed'))",
                    check=f"({x.ticket_workable('messages.ticket_id')}"
                    " AND (messages.delivery_state IS NULL OR messages.delivery_state = 'queued'))",
                ),
            ),
        ),
        "attachments": TableRule(
            agent=("SELECT", "INSERT"),
            policies=_by_message(x, "attachments", write=("INSERT",)),
        ),
        # A queued reply: agents queue it and the worker (the owner) moves its state. The one
        # move an agent makes is the Retry of a failed reply (Service.retry_replies), audited:
        # a sent or sending reply can never be put back in the queue (a second send).
        "outbox": TableRule(
            agent=("SELECT", "INSERT"),
            agent_update_columns=OUTBOX_RETRY_COLUMNS,
            policies=(
                *_by_message(x, "outbox", write=("INSERT",)),
                Policy(
                    "desk_retry",
                    "UPDATE",
                    using=f"({x.message_workable('outbox.message_id')}"
                    " AND outbox.state = 'failed')",
                    check=f"({x.message_workable('outbox.message_id')}"
                    " AND outbox.state = 'queued')",
                ),
            ),
        ),
        # The original e-mail. Only the worker writes; one that could not be parsed has no
        # message, hence no department: leads and admins see those.
        "raw_mails": TableRule(
            agent=SELECT,
            policies=(
                Policy(
                    "desk_read",
                    "SELECT",
                    using=f"((raw_mails.message_id IS NULL AND {x.sees_all})"
                    f" OR {x.message_readable('raw_mails.message_id')})",
                ),
            ),
        ),
        # Subject, customer and every message's text, normalised: the whole ticket again.
        "ticket_search": TableRule(agent=READ_WRITE, policies=_by_ticket(x, "ticket_search")),
        # Recomputed in the transaction of every change that moves a deadline.
        "sla_targets": TableRule(
            agent=EVERYTHING,
            policies=_by_ticket(x, "sla_targets", write=("INSERT", "UPDATE", "DELETE")),
        ),
        # SLA history: added to by the command whose recompute first finds a breach, met_at set
        # by the one that meets it; nothing else changes and nothing is deleted.
        "sla_breaches": TableRule(
            agent=("SELECT", "INSERT"),
            agent_update_columns=("met_at",),
            policies=_by_ticket(x, "sla_breaches", write=("INSERT", "UPDATE")),
        ),
        # Written by the worker only; agents see what happened to their tickets.
        "sla_escalations": TableRule(
            agent=SELECT, policies=_by_ticket(x, "sla_escalations", write=())
        ),
        "auto_replies": TableRule(agent=SELECT, policies=_by_ticket(x, "auto_replies", write=())),
        # Which template answered which ticket. DELETE: deleting a template removes its uses
        # (a usage fact, no ticket content), so reading the ticket is enough.
        "template_uses": TableRule(
            agent=("SELECT", "INSERT", "DELETE"),
            policies=(
                *_by_ticket(x, "template_uses", write=("INSERT",)),
                Policy("desk_delete", "DELETE", using=x.ticket_readable("template_uses.ticket_id")),
            ),
        ),
        # Personal state: one's own rows only, on tickets one may read (a draft may be kept
        # on a ticket read from another department; sending it is refused elsewhere).
        "drafts": TableRule(
            agent=EVERYTHING,
            policies=(
                Policy(
                    "desk_all",
                    "ALL",
                    using=f"({own} AND {x.ticket_readable('drafts.ticket_id')})",
                    check=f"({own} AND {x.ticket_readable('drafts.ticket_id')})",
                ),
            ),
        ),
        "ticket_reads": TableRule(
            agent=EVERYTHING,
            policies=(
                Policy(
                    "desk_all",
                    "ALL",
                    using=f"({own} AND {x.ticket_readable('ticket_reads.ticket_id')})",
                    check=f"({own} AND {x.ticket_readable('ticket_reads.ticket_id')})",
                ),
            ),
        ),
        # The trail is append-only (no UPDATE or DELETE), written in one's own name only, so
        # nobody can forge or erase history. Events of no ticket are readable by all agents,
        # but a customer's only by those who may read the customer.
        "audit_events": TableRule(
            agent=("SELECT", "INSERT"),
            policies=(
                Policy(
                    "desk_read",
                    "SELECT",
                    # A customer's events carry their names, notes and addresses: as the
                    # customer.
                    using=f"((audit_events.ticket_id IS NULL"
                    f" AND (audit_events.entity NOT IN ({_in(*CUSTOMER_ENTITIES)})"
                    f" OR {x.customer_readable('audit_events.entity_id')}))"
                    f" OR {x.ticket_readable('audit_events.ticket_id')})",
                ),
                Policy(
                    "desk_insert",
                    "INSERT",
                    check=f"(audit_events.actor_agent_id = {x.me} AND"
                    f" (audit_events.ticket_id IS NULL"
                    f" OR {x.ticket_workable('audit_events.ticket_id')}))",
                ),
            ),
        ),
        # Who looks at which ticket: only the ticket id, but a ticket id of another department
        # is still none of an agent's business. Expired rows of anyone may be cleaned up.
        "presence": TableRule(
            agent=EVERYTHING,
            policies=(
                # One's own row stays visible when its ticket moves away: the desktop
                # updates it in place by its key.
                Policy(
                    "desk_read",
                    "SELECT",
                    using=f"({own} OR presence.ticket_id IS NULL"
                    f" OR {x.ticket_readable('presence.ticket_id')})",
                ),
                Policy(
                    "desk_insert",
                    "INSERT",
                    check=f"({own} AND (presence.ticket_id IS NULL"
                    f" OR {x.ticket_readable('presence.ticket_id')}))",
                ),
                Policy(
                    "desk_update",
                    "UPDATE",
                    using=own,
                    check=f"({own} AND (presence.ticket_id IS NULL"
                    f" OR {x.ticket_readable('presence.ticket_id')}))",
                ),
                Policy("desk_delete", "DELETE", using=f"({own} OR presence.expires_at < now())"),
            ),
        ),
        # Notices carry ticket subjects. Readable when addressed to me or my department, or
        # about a ticket I may read (INSERT ... RETURNING needs the new row readable: telling
        # a colleague about a ticket I assigned them).
        "notifications": TableRule(
            agent=READ_WRITE,
            policies=(
                *(
                    Policy(
                        name,
                        command,
                        using=f"(notifications.agent_id = {x.me}"
                        f" OR (notifications.agent_id IS NULL AND"
                        f" (notifications.department_id IS NULL OR {x.sees_all}"
                        f" OR notifications.department_id = ANY ({x.departments})))"
                        f" OR (notifications.ticket_id IS NOT NULL"
                        f" AND {x.ticket_readable('notifications.ticket_id')}))",
                    )
                    for name, command in (("desk_read", "SELECT"), ("desk_update", "UPDATE"))
                ),
                Policy(
                    "desk_insert",
                    "INSERT",
                    check=f"(notifications.ticket_id IS NULL"
                    f" OR {x.ticket_workable('notifications.ticket_id')})",
                ),
            ),
        ),
        # A page goes to the person on call, who may not be a member of the ticket's
        # department: the paged agent sees and acknowledges it. The worker creates them.
        "pages": TableRule(
            agent=("SELECT", "UPDATE"),
            policies=tuple(
                Policy(
                    name,
                    command,
                    using=f"(pages.agent_id = {x.me} OR {x.ticket_readable('pages.ticket_id')})",
                    check=(
                        f"(pages.agent_id = {x.me} OR {x.ticket_readable('pages.ticket_id')})"
                        if command == "UPDATE"
                        else None
                    ),
                )
                for name, command in (("desk_read", "SELECT"), ("desk_update", "UPDATE"))
            ),
        ),
        # --- settings ----------------------------------------------------------------------
        # Read by everyone. Written by leads and admins; an agent only inserts and updates the
        # bookkeeping keys their commands write (AGENT_SETTING_KEYS), so no agent can widen
        # their own reading (agents_read_other_departments) or put a phishing link into
        # automatic replies (help_centre_url). The app deletes no setting, so nobody may.
        "team_settings": TableRule(
            agent=READ_WRITE,
            policies=(
                Policy("desk_read", "SELECT", using="true"),
                *_writes(("INSERT", "UPDATE"), f"({x.sees_all} OR {_agent_setting_key()})"),
            ),
        ),
        # Everyone reads the team; an agent changes only a few columns of their own row (away
        # switch, signature, time zone); admins manage everyone.
        "agents": TableRule(
            agent=SELECT,
            agent_update_columns=AGENT_SELF_COLUMNS,
            admin=("INSERT", "UPDATE", "DELETE"),
            policies=(
                Policy("desk_read", "SELECT", using="true"),
                Policy("desk_update", "UPDATE", using=f"id = {x.me}", check=f"id = {x.me}"),
                Policy(
                    "desk_admin_all",
                    "ALL",
                    using=f"{x.scope} = 'admin'",
                    check=f"{x.scope} = 'admin'",
                    admin=True,
                ),
            ),
        ),
        # --- customers and the change log: row-level when departments are kept apart ---------
        # Customers are shared by all departments (core.permissions: any agent edits and merges
        # them), but when the team keeps departments apart (agents_read_other_departments
        # false) an agent sees only the customers of tickets they may read, and customers with
        # no ticket at all. New customers are open to all: they have no ticket yet.
        "customers": TableRule(
            agent=READ_WRITE,
            policies=(
                Policy("desk_read", "SELECT", using=x.customer_readable("customers.id")),
                Policy("desk_insert", "INSERT", check="true"),
                Policy(
                    "desk_update",
                    "UPDATE",
                    using=x.customer_readable("customers.id"),
                    check=x.customer_readable("customers.id"),
                ),
            ),
        ),
        # Addresses and phone numbers: as their customer (the same test on customer_id, not
        # a subquery on customers, whose policy would add another level per row).
        "customer_identities": TableRule(
            agent=EVERYTHING,
            policies=(
                Policy(
                    "desk_all",
                    "ALL",
                    using=x.customer_readable("customer_identities.customer_id"),
                    check=x.customer_readable("customer_identities.customer_id"),
                ),
            ),
        ),
        # Ids and times only, but "ticket 812 changed just now, by Boris" is still another
        # department's business: rows naming a ticket, message or customer the agent may not
        # read are hidden (and rows of their own doing always shown, so INSERT ... RETURNING
        # works). Readers follow transaction ids, not sequence numbers, so the gaps are
        # harmless. Append-only: nobody but the owner updates or deletes it.
        "change_log": TableRule(
            agent=("SELECT", "INSERT"),
            policies=(
                Policy(
                    "desk_read",
                    "SELECT",
                    using=(
                        f"({x.scope} IN ('lead', 'admin', 'read_others')"
                        f" OR change_log.actor_agent_id = {x.me}"
                        f" OR change_log.entity NOT IN ({_in(*SCOPED_ENTITIES)})"
                        f" OR (change_log.entity IN ({_in(*TICKET_ENTITIES)})"
                        f" AND {x.ticket_readable('change_log.entity_id')})"
                        f" OR (change_log.entity IN ({_in(*MESSAGE_ENTITIES)})"
                        f" AND {x.message_readable('change_log.entity_id')})"
                        f" OR (change_log.entity IN ({_in(*CUSTOMER_ENTITIES)})"
                        f" AND {x.customer_readable('change_log.entity_id')}))"
                    ),
                ),
                Policy("desk_insert", "INSERT", check="true"),
            ),
        ),
        # --- shared by every department, no ticket data: privileges only --------------------
        "departments": TableRule(agent=SELECT, admin=("INSERT", "UPDATE", "DELETE")),
        "agent_departments": TableRule(agent=SELECT, admin=("INSERT", "UPDATE", "DELETE")),
        # Account settings (the passwords are in the worker's keyring, not here).
        "mail_accounts": TableRule(agent=SELECT, admin=("INSERT", "UPDATE", "DELETE")),
        "sla_calendars": TableRule(agent=SELECT, admin=("INSERT", "UPDATE", "DELETE")),
        "sla_policies": TableRule(agent=SELECT, admin=("INSERT", "UPDATE", "DELETE")),
        # Templates, routing rules and rotations: who may edit which is the service layer's
        # decision (personal, department, team); none of them holds ticket data.
        "templates": TableRule(agent=EVERYTHING),
        "template_favourites": TableRule(agent=EVERYTHING),
        "routing_rules": TableRule(agent=EVERYTHING),
        "oncall_rotations": TableRule(agent=EVERYTHING),
        "oncall_overrides": TableRule(agent=EVERYTHING),
        # The worker's own bookkeeping; it runs as the owner.
        "mail_folder_states": TableRule(agent=(), admin=EVERYTHING),
        "leases": TableRule(agent=()),
        # Every desktop checks the schema version when it starts.
        "alembic_version": TableRule(agent=SELECT),
    }
