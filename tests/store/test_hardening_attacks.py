"""Issue 14: what an agent's own PostgreSQL login could still do after `desk db harden`, each
attempt made as that login on a real server, and the app's own commands as the same login.

- change or delete team settings (help_centre_url goes into automatic replies: a phishing
  link; company.name goes into every template);
- put a sent reply back in the outbox queue (a second send), or a failed one unrecorded;
- change a ticket with no audit entry;
- read every customer, identity and change-log row while the team keeps departments apart.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from psycopg import errors

from desk_app.core.after_hours import HELP_CENTRE_URL
from desk_app.core.clock import Clock
from desk_app.core.errors import ConflictError, DeskError
from desk_app.core.views import View, ViewKind
from desk_app.store import Queries, Service
from desk_app.store.change_feed import ChangeReader
from desk_app.store.oncall_settings import remember_handoff
from desk_app.store.template_store import COMPANY_NAME, TemplateStore
from tests.store.hardened_team import (
    Hardened,
    audited,
    changed,
    ids,
    refused,
    set_read_others,
    team,
)

__all__ = ["team"]  # the fixture, imported so pytest finds it here

PHISHING = json.dumps("https://help.desk-support.example.evil/login")


def setting(team: Hardened, key: str) -> list[tuple[Any, ...]]:
    return team.owner_sql("SELECT value FROM team_settings WHERE key = :k", k=key)


# --- team settings -------------------------------------------------------------------------


@pytest.mark.parametrize("key", [HELP_CENTRE_URL, COMPANY_NAME])
def test_an_agent_cannot_change_or_delete_team_settings(team: Hardened, key: str) -> None:
    original = json.dumps("https://help.example.com" if key == HELP_CENTRE_URL else "Example Ltd")
    team.owner_sql("INSERT INTO team_settings (key, value) VALUES (:k, :v)", k=key, v=original)
    with team.connect("anna") as anna:
        assert ids(anna, "SELECT 1 FROM team_settings WHERE key = %s", key) == {1}  # she reads
        assert (
            changed(anna, "UPDATE team_settings SET value = %s WHERE key = %s", PHISHING, key) == 0
        )
        refused(
            anna,
            "INSERT INTO team_settings (key, value) VALUES (%s, %s)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            key,
            PHISHING,
        )
        refused(anna, "DELETE FROM team_settings WHERE key = %s", key)
        refused(anna, "TRUNCATE team_settings")
    assert setting(team, key) == [(original,)]


def test_an_agent_cannot_create_a_team_setting_that_is_not_set_yet(team: Hardened) -> None:
    """Unset, the after-hours reply has no help-centre link: an agent must not add one."""
    with team.connect("boris") as boris:
        refused(
            boris,
            "INSERT INTO team_settings (key, value) VALUES (%s, %s)",
            HELP_CENTRE_URL,
            PHISHING,
        )
    assert setting(team, HELP_CENTRE_URL) == []


def test_leads_still_change_team_settings_and_agents_their_bookkeeping(
    team: Hardened, clock: Clock
) -> None:
    db = team.database("lena")
    try:
        TemplateStore(db, team.agents["lena"], clock).set_team_setting(COMPANY_NAME, "Desk Ltd")
    finally:
        db.dispose()
    assert setting(team, COMPANY_NAME) == [(json.dumps("Desk Ltd"),)]
    db = team.database("anna")
    try:
        # An agent's own commands write one bookkeeping setting in passing: the hand-off.
        remember_handoff(db, team.agents["anna"], clock(), clock)
        remember_handoff(db, team.agents["anna"], clock(), clock)
    finally:
        db.dispose()
    assert len(setting(team, "oncall.last_handoff_at")) == 1
    with team.connect("anna") as anna:
        # Routing's round-robin turn is the worker's: an agent could steer the next ticket.
        refused(
            anna,
            "INSERT INTO team_settings (key, value) VALUES (%s, %s)",
            f"routing.last_assigned.{team.support}",
            str(team.agents["anna"]),
        )


# --- the outbox ----------------------------------------------------------------------------


def failed_reply(team: Hardened, clock: Clock) -> int:
    """Anna's reply on her own ticket, which the worker (the owner) marked failed."""
    db = team.database("anna")
    try:
        result = Service(db, team.agents["anna"], clock).reply(team.support_ticket, "Tracking: 42")
    finally:
        db.dispose()
    assert result.message_id is not None
    team.owner_sql(
        "UPDATE outbox SET state = 'failed', last_error = '550 no such user' WHERE message_id = :m",
        m=result.message_id,
    )
    team.owner_sql(
        "UPDATE messages SET delivery_state = 'failed', delivery_error = '550 no such user'"
        " WHERE id = :m",
        m=result.message_id,
    )
    return result.message_id


def test_an_agent_cannot_put_a_reply_back_in_the_queue(team: Hardened, clock: Clock) -> None:
    message = failed_reply(team, clock)
    team.owner_sql("UPDATE outbox SET state = 'sent' WHERE message_id = :m", m=message)
    with team.connect("anna") as anna:
        # Her own reply, on her own ticket: she sees it, but sending is the worker's business.
        assert ids(anna, "SELECT message_id FROM outbox") == {message}
        # A sent or sending reply never goes back in the queue (a second send); a failed one
        # only through Desk's Retry, which records who did it (not by hand: no audit entry).
        requeue = (
            "UPDATE outbox SET state = 'queued', next_attempt_at = now() WHERE message_id = %s"
        )
        for state in ("sent", "sending"):
            team.owner_sql("UPDATE outbox SET state = :s WHERE message_id = :m", s=state, m=message)
            assert changed(anna, requeue, message) == 0
        team.owner_sql("UPDATE outbox SET state = 'failed' WHERE message_id = :m", m=message)
        assert "without an audit entry" in refused(anna, requeue, message)
        refused(anna, "UPDATE outbox SET attempts = 0 WHERE message_id = %s", message)
        refused(anna, "DELETE FROM outbox WHERE message_id = %s", message)
        # Nor may the conversation claim it went out, or is on its way again, unrecorded.
        refused(anna, "UPDATE messages SET delivery_state = 'sent' WHERE id = %s", message)
        refused(anna, "UPDATE messages SET delivery_state = 'queued' WHERE id = %s", message)
        refused(anna, "UPDATE messages SET delivery_error = NULL WHERE id = %s", message)
        # A second outbox row for the same message is refused by its key, and a new message to
        # carry the old text goes through reply, which audits it.
        with pytest.raises(errors.UniqueViolation):
            anna.execute(
                "INSERT INTO outbox (message_id, state, attempts, next_attempt_at, created_at)"
                " VALUES (%s, 'queued', 0, now(), now())",
                (message,),
            )
    assert team.owner_sql("SELECT state FROM outbox WHERE message_id = :m", m=message) == [
        ("failed",)
    ]
    assert team.owner_sql("SELECT delivery_state FROM messages WHERE id = :m", m=message) == [
        ("failed",)
    ]


def test_an_agent_retries_a_failed_reply_through_desk_on_the_record(
    team: Hardened, clock: Clock
) -> None:
    """The agent's Retry (Service.retry_replies) as her own login: queued again, audited."""
    message = failed_reply(team, clock)
    db = team.database("anna")
    try:
        Service(db, team.agents["anna"], clock).retry_replies(team.support_ticket)
    finally:
        db.dispose()
    assert team.owner_sql("SELECT state FROM outbox WHERE message_id = :m", m=message) == [
        ("queued",)
    ]
    assert team.owner_sql(
        "SELECT delivery_state, delivery_error FROM messages WHERE id = :m", m=message
    ) == [("queued", None)]
    assert team.owner_sql(
        "SELECT actor_agent_id, old_value FROM audit_events"
        " WHERE action = 'retry_delivery' AND entity_id = :m",
        m=message,
    ) == [(team.agents["anna"], "550 no such user")]


# --- tickets change only with an audit entry ------------------------------------------------


def test_an_agent_cannot_change_a_ticket_without_an_audit_entry(team: Hardened) -> None:
    ticket, anna_id = team.support_ticket, team.agents["anna"]
    before = team.owner_sql(
        "SELECT status, assignee_id, version FROM tickets WHERE id = :t", t=ticket
    )
    with team.connect("anna") as anna:
        message = refused(anna, "UPDATE tickets SET status = 'solved' WHERE id = %s", ticket)
        assert "without an audit entry" in message
        refused(
            anna,
            "UPDATE tickets SET assignee_id = %s, version = version + 1 WHERE id = %s",
            anna_id,
            ticket,
        )
        # An audit row for another ticket, or one from an earlier transaction, does not count.
        with pytest.raises(errors.InsufficientPrivilege), anna.transaction():
            anna.execute("UPDATE tickets SET status = 'solved' WHERE id = %s", (ticket,))
            anna.execute(
                "INSERT INTO audit_events (at, actor_agent_id, entity, entity_id, ticket_id,"
                " action) VALUES (now(), %s, 'ticket', %s, %s, 'update')",
                (anna_id, team.unsorted_ticket, team.unsorted_ticket),
            )
        assert (
            audited(anna, anna_id, ticket, "UPDATE tickets SET tags = 'vip' WHERE id = %s", ticket)
            == 1
        )
        refused(anna, "UPDATE tickets SET status = 'solved' WHERE id = %s", ticket)
        # Deferring the check is all it allows; SET ROLE to the group leaves her nothing.
        refused(anna, "SET CONSTRAINTS ALL IMMEDIATE; UPDATE tickets SET status = 'solved'")
        anna.execute(f'SET ROLE "{team.groups.agent}"')
        assert changed(anna, "UPDATE tickets SET status = 'solved' WHERE id = %s", ticket) == 0
    after = team.owner_sql(
        "SELECT status, assignee_id, version FROM tickets WHERE id = :t", t=ticket
    )
    assert after == before
    assert team.owner_sql("SELECT tags FROM tickets WHERE id = :t", t=ticket) == [("vip",)]


def test_an_agent_cannot_insert_a_ticket_without_an_audit_entry(team: Hardened) -> None:
    with team.connect("anna") as anna:
        refused(
            anna,
            "INSERT INTO tickets (subject, status, priority, channel, department_id, customer_id,"
            " created_at, updated_at, preview, message_count, version)"
            " SELECT 'unrecorded', 'new', 'low', 'email', %s, customer_id, now(), now(), '', 0, 1"
            " FROM tickets WHERE id = %s",
            team.support,
            team.support_ticket,
        )
    assert team.owner_sql("SELECT id FROM tickets WHERE subject = 'unrecorded'") == []


def test_an_agent_cannot_add_a_message_without_an_audit_entry(team: Hardened) -> None:
    """A "customer's" message or a "sent" reply slipped into a conversation by hand."""
    ticket, anna_id = team.support_ticket, team.agents["anna"]
    insert = (
        "INSERT INTO messages (ticket_id, direction, subject, body_text, created_at{extra})"
        " VALUES (%s, %s, '', %s, now(){values}) RETURNING id"
    )
    plain = insert.format(extra="", values="")
    with team.connect("anna") as anna:
        message = refused(anna, plain, ticket, "inbound", "Please send the refund to IBAN …")
        assert "without an audit entry" in message
        refused(
            anna,
            insert.format(extra=", delivery_state", values=", 'sent'"),
            ticket,
            "outbound",
            "We have refunded you.",
        )
        # Recorded, as the app records every message, it is ordinary work.
        with anna.transaction():
            (added,) = anna.execute(plain, (ticket, "note", "Checked.")).fetchall()[0]
            anna.execute(
                "INSERT INTO audit_events (at, actor_agent_id, entity, entity_id, ticket_id,"
                " action) VALUES (now(), %s, 'message', %s, %s, 'note')",
                (anna_id, added, ticket),
            )
    bodies = team.owner_sql("SELECT body_text FROM messages WHERE ticket_id = :t", t=ticket)
    assert ("Checked.",) in bodies
    assert not {("Please send the refund to IBAN …",), ("We have refunded you.",)} & set(bodies)


def test_leads_and_admins_are_held_to_the_audit_too_but_not_the_owner(team: Hardened) -> None:
    for person in ("lena", "ada"):
        with team.connect(person) as login:
            refused(login, "UPDATE tickets SET priority = 'low' WHERE id = %s", team.billing_ticket)
    # The worker runs as the owner, whose own paths (mail ingest, sending) are trusted.
    team.owner_sql("UPDATE tickets SET priority = 'low' WHERE id = :t", t=team.billing_ticket)
    assert team.owner_sql("SELECT priority FROM tickets WHERE id = :t", t=team.billing_ticket) == [
        ("low",)
    ]


def test_only_computed_and_bookkeeping_columns_change_without_an_audit_entry(
    team: Hardened,
) -> None:
    """Editing a customer's tags recomputes their tickets' deadlines with no ticket event, and
    a command that changed nothing still bumps the version: neither column is a fact."""
    with team.connect("anna") as anna:
        assert (
            changed(
                anna,
                "UPDATE tickets SET sla_due_at = now(), sla_policy = 'Gold',"
                " version = version + 1, updated_at = now() WHERE id = %s",
                team.support_ticket,
            )
            == 1
        )
        refused(
            anna,
            "UPDATE tickets SET sla_due_at = now(), priority = 'urgent' WHERE id = %s",
            team.support_ticket,
        )


def test_an_agent_cannot_rewrite_the_audit_trail_or_the_change_log(team: Hardened) -> None:
    with team.connect("anna") as anna:
        for table in ("audit_events", "change_log"):
            refused(anna, f"UPDATE {table} SET at = now()")
            refused(anna, f"DELETE FROM {table}")


# --- customers, identities and the change log when departments are kept apart -------------


def test_an_agent_reads_no_customer_identity_or_change_of_another_department(
    team: Hardened,
) -> None:
    billing_customer = team.owner_sql(
        "SELECT customer_id FROM tickets WHERE id = :t", t=team.billing_ticket
    )[0][0]
    with team.connect("anna") as anna:
        assert billing_customer not in ids(anna, "SELECT id FROM customers")
        assert ids(anna, "SELECT count(*) FROM customers WHERE id = %s", billing_customer) == {0}
        assert (
            ids(anna, "SELECT customer_id FROM customer_identities WHERE value = 'ken@example.jp'")
            == set()
        )
        assert billing_customer not in ids(anna, "SELECT customer_id FROM customer_identities")
        assert (
            ids(
                anna,
                "SELECT seq FROM change_log WHERE entity = 'ticket' AND entity_id = %s",
                team.billing_ticket,
            )
            == set()
        )
        assert (
            ids(
                anna,
                "SELECT seq FROM change_log WHERE entity = 'message' AND entity_id = %s",
                team.billing_message,
            )
            == set()
        )
        assert (
            ids(
                anna,
                "SELECT seq FROM change_log WHERE entity = 'customer' AND entity_id = %s",
                billing_customer,
            )
            == set()
        )
        # Nor its audit trail, which names them ("create: ken@example.jp").
        assert (
            ids(
                anna,
                "SELECT id FROM audit_events WHERE entity = 'customer' AND entity_id = %s",
                billing_customer,
            )
            == set()
        )
        # Nor may she change them unseen.
        assert (
            changed(anna, "UPDATE customers SET notes = 'x' WHERE id = %s", billing_customer) == 0
        )
        assert (
            changed(
                anna, "DELETE FROM customer_identities WHERE customer_id = %s", billing_customer
            )
            == 0
        )
        # Her own department's and unsorted tickets' customers she does see, and their changes.
        mine = ids(anna, "SELECT customer_id FROM tickets")
        assert len(mine) == 2 and mine <= ids(anna, "SELECT id FROM customers")
        assert mine <= ids(anna, "SELECT customer_id FROM customer_identities")
        assert team.support_ticket in ids(
            anna, "SELECT entity_id FROM change_log WHERE entity = 'ticket'"
        )
        # Changes of no ticket or customer (settings, agents...) stay visible to everyone.
        assert "agent" in {row[0] for row in anna.execute("SELECT DISTINCT entity FROM change_log")}
    assert team.owner_sql(
        "SELECT count(*) FROM customer_identities WHERE customer_id = :c", c=billing_customer
    ) == [(1,)]
    set_read_others(team, True)  # the team reads across departments: so does she
    with team.connect("anna") as anna:
        assert billing_customer in ids(anna, "SELECT id FROM customers")
        assert team.billing_ticket in ids(
            anna, "SELECT entity_id FROM change_log WHERE entity = 'ticket'"
        )
        assert billing_customer in ids(
            anna, "SELECT entity_id FROM audit_events WHERE entity = 'customer'"
        )


# --- the app's own commands, as the agent's login ----------------------------------------


def test_the_apps_ticket_and_customer_commands_work_as_the_agent(
    team: Hardened, clock: Clock
) -> None:
    anna_id, kenji_id = team.agents["anna"], team.agents["kenji"]
    db = team.database("anna")
    try:
        reader = ChangeReader(db)
        service = Service(db, anna_id, clock)
        queries = Queries(db, anna_id, clock)
        ticket = team.support_ticket
        page = queries.view_page(View(ViewKind.ALL_OPEN))
        assert {row.id for row in page} == {ticket, team.unsorted_ticket}
        detail = queries.ticket(ticket)
        service.reply(ticket, "On its way.", seen_message_id=detail.messages[-1].id)
        service.add_note(ticket, "Courier says Tuesday.")
        service.assign(ticket, agent=kenji_id)
        service.assign(ticket, agent=kenji_id)  # changes nothing, bumps the version
        service.set_priority(ticket, "high")
        service.set_status(ticket, "pending")
        service.assign(team.unsorted_ticket, department="Support")  # filing it: her own
        customer = queries.ticket(ticket).customer.id
        service.edit_customer(customer, name="Olga", tags="vip", add_phones=["+7 900 000 00 00"])
        created = service.create_ticket(
            subject="Second parcel", customer_email="olga2@example.ru", department="Support"
        )
        assert created.customer_id is not None
        service.merge_customers(created.customer_id, customer)
        changes = {(c.entity, c.entity_id) for c in reader.poll()}
        assert {("ticket", ticket), ("customer", customer)} <= changes
        assert ("ticket", team.billing_ticket) not in changes
        detail = queries.ticket(ticket)
        assert (detail.priority, detail.status, detail.assignee_id) == ("high", "pending", kenji_id)
        with pytest.raises(DeskError):
            service.assign(ticket, department="Billing")  # a lead's call
    finally:
        db.dispose()
    audit = team.owner_sql(
        "SELECT DISTINCT field FROM audit_events WHERE ticket_id = :t AND field IS NOT NULL",
        t=team.support_ticket,
    )
    assert {"priority", "status", "assignee"} <= {row[0] for row in audit}


def test_a_customer_hidden_by_department_is_a_clear_conflict_not_a_crash(
    team: Hardened, clock: Clock
) -> None:
    """With departments kept apart, Billing's customer is invisible to Support: opening a
    ticket for that address, or adding it to another customer, is refused in one clear line
    (the identity's unique key), never a database error."""
    db = team.database("anna")
    try:
        service = Service(db, team.agents["anna"], clock)
        with pytest.raises(ConflictError, match="a customer you cannot see"):
            service.create_ticket(
                subject="Phone call", customer_email="ken@example.jp", department="Support"
            )
        olga = Queries(db, team.agents["anna"], clock).ticket(team.support_ticket).customer.id
        with pytest.raises(ConflictError, match="a customer you cannot see"):
            service.edit_customer(olga, add_emails=["ken@example.jp"])
    finally:
        db.dispose()
    assert team.owner_sql(
        "SELECT count(*) FROM customer_identities WHERE value = 'ken@example.jp'"
    ) == [(1,)]


def test_the_customer_and_change_log_policies_probe_indexes(team: Hardened) -> None:
    """Per row, the policies look up the customer's tickets and the change's ticket by index
    (benchmarks/hardening_bench.py shows the same plans on thousands of tickets)."""
    customer = team.owner_sql(
        "SELECT customer_id FROM tickets WHERE id = :t", t=team.support_ticket
    )
    with team.connect("anna") as anna:
        anna.execute("SET enable_seqscan = off")  # a handful of rows: can an index serve?

        def plan(sql: str, *params: object) -> str:
            return "\n".join(row[0] for row in anna.execute("EXPLAIN " + sql, params))

        customers = plan("SELECT name FROM customers WHERE id = %s", customer[0][0])
        assert "ix_tickets_customer" in customers and "Seq Scan" not in customers
        log = plan(
            "SELECT seq FROM change_log WHERE txid >= %s ORDER BY seq",
            team.owner_sql("SELECT max(txid) FROM change_log")[0][0],
        )
        assert "ix_change_log_txid" in log and "pk_tickets" in log and "Seq Scan" not in log
