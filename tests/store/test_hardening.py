"""`desk db harden` proven with hand-written SQL under agents' own login roles
(tests/store/hardened_team.py builds the team)."""

from __future__ import annotations

import pytest

from desk_app.core.errors import DeskError, PermissionDenied, UsageError
from desk_app.core.views import View, ViewKind
from desk_app.store import (
    Database,
    Queries,
    Service,
    hardening,
    hardening_rules,
)
from desk_app.store.change_feed import ChangeReader
from desk_app.store.credentials import current_agent_for_connection
from desk_app.store.hardening_functions import (
    AUDIT_TRIGGERS,
    DELIVERY_AUDIT_TRIGGERS,
    MESSAGE_AUDIT_TRIGGER,
)
from desk_app.store.journal import Journal
from desk_app.store.models import Base
from desk_app.store.notifications import notify
from desk_app.store.presence import PresenceStore
from tests.store.hardened_team import (
    UNSOLVED,
    Hardened,
    audited,
    changed,
    ids,
    refused,
    set_read_others,
    team,
)

__all__ = ["team"]  # the fixture, imported so pytest finds it here
# --- every table decided ---------------------------------------------------------------------


def test_every_table_has_a_decision_and_ticket_data_is_row_level():
    rules = hardening.table_rules("public")
    assert set(Base.metadata.tables) <= set(rules), "a new table needs a hardening decision"
    for table in Base.metadata.sorted_tables:
        refers_to_tickets = "ticket_id" in table.columns or any(
            fk.column.table.name in ("tickets", "messages") for fk in table.foreign_keys
        )
        if refers_to_tickets or table.name == "tickets":
            assert rules[table.name].row_level, f"{table.name} holds ticket data"


def test_the_ticket_columns_agents_may_not_update_exist():
    fixed = set(hardening_rules.TICKET_FIXED_COLUMNS)
    assert fixed <= set(Base.metadata.tables["tickets"].columns.keys())
    assert not fixed & set(hardening_rules.TICKET_AGENT_COLUMNS)


def test_sqlite_has_nothing_to_harden(sqlite_database_url):
    db = Database(sqlite_database_url)
    try:
        with pytest.raises(UsageError, match="team database"):
            hardening.harden(db)
        assert current_agent_for_connection(db) is None
    finally:
        db.dispose()


# --- an agent's own departments only ---------------------------------------------------------


def test_an_agent_reads_and_changes_only_their_departments_tickets(team: Hardened):
    billing = team.billing_ticket
    with team.connect("anna") as anna:
        assert ids(anna, "SELECT id FROM tickets") == {team.support_ticket, team.unsorted_ticket}
        assert ids(anna, "SELECT id FROM messages WHERE ticket_id = %s", billing) == set()
        assert ids(anna, "SELECT id FROM attachments") == set()
        assert (
            ids(anna, "SELECT ticket_id FROM ticket_search WHERE ticket_id = %s", billing) == set()
        )
        assert ids(anna, "SELECT id FROM audit_events WHERE ticket_id = %s", billing) == set()
        assert ids(anna, "SELECT ticket_id FROM sla_targets WHERE ticket_id = %s", billing) == set()
        assert ids(anna, "SELECT id FROM outbox") == set()  # Boris's queued reply
        # Searching the text finds nothing of Billing either.
        assert (
            ids(anna, "SELECT ticket_id FROM ticket_search WHERE body LIKE %s", "%返金%") == set()
        )

        assert changed(anna, "UPDATE tickets SET subject = 'mine now' WHERE id = %s", billing) == 0
        # Messages are never rewritten, not even her own department's.
        refused(anna, "UPDATE messages SET body_text = 'x' WHERE ticket_id = %s", billing)
        assert "permission denied" in refused(anna, "DELETE FROM tickets WHERE id = %s", billing)
        refused(anna, "DELETE FROM messages WHERE ticket_id = %s", billing)
        assert "row-level security" in refused(
            anna,
            "INSERT INTO messages (ticket_id, direction, subject, body_text, created_at)"
            " VALUES (%s, 'note', '', 'sneaky', now())",
            billing,
        )
        refused(
            anna,
            "INSERT INTO tickets (subject, status, priority, channel, department_id, customer_id,"
            " created_at, updated_at, preview, message_count, version)"
            " SELECT 'x', 'new', 'low', 'email', %s, customer_id, now(), now(), '', 0, 1"
            " FROM tickets WHERE id = %s",
            team.billing,
            team.support_ticket,
        )

        # Her own department's work goes through (audited, as the app does it), but not
        # moving it to another department.
        anna_id, support = team.agents["anna"], team.support_ticket
        assert (
            audited(
                anna,
                anna_id,
                support,
                "UPDATE tickets SET priority = 'high' WHERE id = %s",
                support,
            )
            == 1
        )
        refused(
            anna,
            "UPDATE tickets SET department_id = %s WHERE id = %s",
            team.billing,
            team.support_ticket,
        )
        # Filing an unsorted ticket into her own department is ordinary work.
        assert (
            audited(
                anna,
                anna_id,
                team.unsorted_ticket,
                "UPDATE tickets SET department_id = %s WHERE id = %s",
                team.support,
                team.unsorted_ticket,
            )
            == 1
        )

    assert team.owner_sql("SELECT subject FROM tickets WHERE id = :id", id=billing) == [
        ("Refund for invoice 77",)
    ]
    assert team.owner_sql("SELECT count(*) FROM messages WHERE ticket_id = :id", id=billing) == [
        (2,)
    ]


def test_the_billing_agent_is_kept_out_of_support_the_same_way(team: Hardened):
    with team.connect("boris") as boris:
        assert ids(boris, "SELECT id FROM tickets") == {team.billing_ticket, team.unsorted_ticket}
        assert ids(boris, "SELECT id FROM attachments") != set()  # his own ticket's invoice
        assert (
            changed(
                boris, "UPDATE tickets SET status = 'solved' WHERE id = %s", team.support_ticket
            )
            == 0
        )


def test_an_agent_cannot_escalate(team: Hardened):
    anna_id, boris_id = team.agents["anna"], team.agents["boris"]
    with team.connect("anna") as anna:
        refused(anna, "CREATE TABLE stash (body text)")
        refused(
            anna,
            "CREATE FUNCTION public.desk_agent_scope2() RETURNS text LANGUAGE sql AS 'SELECT 1'",
        )
        refused(anna, "ALTER TABLE tickets DISABLE ROW LEVEL SECURITY")
        refused(anna, "DROP POLICY desk_read ON tickets")
        refused(anna, "UPDATE agents SET role = 'admin' WHERE id = %s", anna_id)
        refused(anna, "UPDATE agents SET is_active = true, db_user = NULL WHERE id = %s", anna_id)
        refused(
            anna,
            "INSERT INTO agent_departments (agent_id, department_id) VALUES (%s, %s)",
            anna_id,
            team.billing,
        )
        # The setting that would widen her reading is a lead's: her UPDATE finds no row.
        assert (
            changed(
                anna,
                "UPDATE team_settings SET value = 'true'"
                " WHERE key = 'agents_read_other_departments'",
            )
            == 0
        )
        refused(
            anna,
            "INSERT INTO team_settings (key, value)"
            " VALUES ('agents_read_other_departments', 'true')"
            " ON CONFLICT (key) DO UPDATE SET value = 'true'",
        )
        refused(
            anna,
            "INSERT INTO team_settings (key, value)"
            " VALUES ('reason_required_between_departments', 'false')",
        )
        # Bookkeeping her own commands write in passing stays open.
        assert (
            changed(
                anna,
                "INSERT INTO team_settings (key, value)"
                " VALUES ('oncall.last_handoff_at', '\"2026-11-23T09:00:00+00:00\"')",
            )
            == 1
        )
        refused(anna, f'SET ROLE "{team.groups.admin}"')
        refused(anna, f'GRANT "{team.groups.admin}" TO "{team.roles["anna"]}"')
        refused(anna, "CREATE ROLE sneaky LOGIN")
        refused(anna, f'ALTER ROLE "{team.roles["anna"]}" BYPASSRLS')
        refused(
            anna,
            "INSERT INTO audit_events (at, actor_agent_id, entity, entity_id, action)"
            " VALUES (now(), %s, 'agent', 1, 'forged')",
            boris_id,
        )
        refused(anna, "DELETE FROM audit_events")
        # What she may change about herself, she may; nobody else's row.
        assert changed(anna, "UPDATE agents SET signature = 'Anna' WHERE id = %s", anna_id) == 1
        assert changed(anna, "UPDATE agents SET signature = 'Boris' WHERE id = %s", boris_id) == 0
    assert team.owner_sql("SELECT role FROM agents WHERE id = :id", id=anna_id) == [("agent",)]


def test_other_departments_are_read_only_when_the_team_allows_reading_them(team: Hardened):
    billing = team.billing_ticket
    set_read_others(team, True)  # no re-run needed: the policies read the setting
    with team.connect("anna") as anna:
        assert billing in ids(anna, "SELECT id FROM tickets")
        assert ids(anna, "SELECT ticket_id FROM messages WHERE ticket_id = %s", billing) == {
            billing
        }
        assert changed(anna, "UPDATE tickets SET subject = 'x' WHERE id = %s", billing) == 0
        refused(anna, "UPDATE messages SET body_text = 'x' WHERE ticket_id = %s", billing)
        assert (
            changed(anna, "UPDATE messages SET delivery_state = 'x' WHERE ticket_id = %s", billing)
            == 0
        )
        refused(
            anna,
            "INSERT INTO messages (ticket_id, direction, subject, body_text, created_at)"
            " VALUES (%s, 'note', '', 'x', now())",
            billing,
        )
        assert ids(anna, "SELECT id FROM tickets WHERE id = %s FOR UPDATE", billing) == set()
    set_read_others(team, None)  # unset: allowed, as in the service layer's rules
    with team.connect("anna") as anna:
        assert billing in ids(anna, "SELECT id FROM tickets")


def test_leads_and_admins_see_everything_and_the_owner_is_unaffected(team: Hardened, clock):
    billing = team.billing_ticket
    with team.connect("lena") as lena:  # a lead of Support only
        assert billing in ids(lena, "SELECT id FROM tickets")
        assert (
            audited(
                lena,
                team.agents["lena"],
                billing,
                "UPDATE tickets SET priority = 'urgent' WHERE id = %s",
                billing,
            )
            == 1
        )
        refused(lena, "UPDATE agents SET role = 'admin' WHERE id = %s", team.agents["lena"])
    with team.connect("ada") as ada:
        assert (
            changed(ada, "UPDATE agents SET role = 'lead' WHERE id = %s", team.agents["kenji"]) == 1
        )
        assert billing in ids(ada, "SELECT id FROM tickets")
    # An admin's own role manages the team through the app.
    db = team.database("ada")
    try:
        admin = Service(db, team.agents["ada"], clock)
        admin.add_department("Returns")
        admin.add_agent("Rita Returns", "rita@desk.test", departments=["Returns"])
    finally:
        db.dispose()
    db = team.database("lena")
    try:
        with pytest.raises(PermissionDenied):  # a lead is no admin, whatever the app is told
            Service(db, None, clock).add_department("Sneaky")
    finally:
        db.dispose()
    assert team.owner_sql(
        "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'tickets'"
    ) == [(True, False)]
    assert len(team.owner_sql("SELECT id FROM tickets")) == 3
    assert team.owner_sql("SELECT count(*) FROM departments") == [(3,)]


def test_a_deactivated_agent_loses_access_at_once_and_their_role_on_the_next_run(team: Hardened):
    team.owner_sql("UPDATE agents SET is_active = false WHERE id = :id", id=team.agents["boris"])
    with team.connect("boris") as boris:
        assert ids(boris, "SELECT id FROM tickets") == set()
    report = team.harden()
    assert f"{team.roles['boris']} (from {team.groups.agent})" in report.members_revoked
    with team.connect("boris") as boris:
        refused(boris, "SELECT id FROM tickets")
        refused(boris, "SELECT id FROM customers")


def test_hardening_again_is_idempotent_and_a_dry_run_changes_nothing(team: Hardened):
    policies = "SELECT tablename, policyname, qual, with_check FROM pg_policies ORDER BY 1, 2"
    triggers = (
        "SELECT tgname, tgdeferrable, tginitdeferred FROM pg_trigger"
        " WHERE tgrelid IN ('tickets'::regclass, 'messages'::regclass, 'outbox'::regclass)"
        " AND NOT tgisinternal"
        " ORDER BY 1"
    )
    audit_triggers = [
        (name, True, True)
        for name in sorted([*AUDIT_TRIGGERS, MESSAGE_AUDIT_TRIGGER, *DELIVERY_AUDIT_TRIGGERS])
    ]
    before = team.owner_sql(policies)
    assert team.owner_sql(triggers) == audit_triggers
    report = team.harden()
    assert team.owner_sql(policies) == before
    assert team.owner_sql(triggers) == audit_triggers
    # Every table the migrations made has a decision (one the rules don't name gets nothing).
    tables = team.owner_sql("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    assert {name for (name,) in tables} <= set(hardening.table_rules("public"))
    assert "tickets" in report.row_level_tables and "messages" in report.row_level_tables
    role = team.roles["anna"]
    assert team.owner_sql(
        "SELECT has_column_privilege(:r, 'agents', 'role', 'UPDATE'),"
        " has_column_privilege(:r, 'agents', 'signature', 'UPDATE'),"
        " has_table_privilege(:r, 'tickets', 'DELETE'),"
        " has_column_privilege(:r, 'tickets', 'channel', 'UPDATE'),"
        " has_column_privilege(:r, 'tickets', 'status', 'UPDATE'),"
        " has_table_privilege(:r, 'outbox', 'UPDATE'),"
        " has_column_privilege(:r, 'messages', 'body_text', 'UPDATE'),"
        " has_table_privilege(:r, 'team_settings', 'DELETE')",
        r=role,
    ) == [(False, True, False, False, True, False, False, False)]
    dry = team.harden(dry_run=True)
    assert dry.sql is not None
    assert "CREATE POLICY" in dry.sql and "ENABLE ROW LEVEL SECURITY" in dry.sql
    assert "SECURITY DEFINER" in dry.sql
    # The script shows everything a run does: the audit trigger and the customer check too.
    assert "CREATE CONSTRAINT TRIGGER" in dry.sql and "desk_customer_has_tickets" in dry.sql
    assert "GRANT UPDATE (" in dry.sql
    assert team.owner_sql(policies) == before


def test_ticket_lists_stay_index_friendly_under_the_policies(team: Hardened):
    with team.connect("anna") as anna:
        anna.execute(
            "SET enable_seqscan = off"
        )  # a handful of rows: ask whether an index *can* serve
        department_view = "\n".join(
            row[0]
            for row in anna.execute(
                f"EXPLAIN SELECT id FROM tickets WHERE department_id = %s AND {UNSOLVED}"
                " ORDER BY updated_at DESC, id DESC LIMIT 50",
                (team.support,),
            )
        )
        assert "ix_tickets_unsolved_department" in department_view
        # The policy's functions run once per statement (InitPlan), never once per row.
        assert "InitPlan" in department_view and "SubPlan" not in department_view
        open_view = "\n".join(
            row[0]
            for row in anna.execute(
                f"EXPLAIN SELECT id FROM tickets WHERE {UNSOLVED}"
                " ORDER BY updated_at DESC, id DESC LIMIT 50"
            )
        )
        assert "ix_tickets_unsolved_updated" in open_view


# --- the app itself, connected as the agent --------------------------------------------------


def test_the_apps_commands_work_when_connected_as_the_agent(team: Hardened, clock):
    anna_id, kenji_id = team.agents["anna"], team.agents["kenji"]
    db = team.database("anna")
    try:
        me = current_agent_for_connection(db)
        assert me is not None and me.id == anna_id and me.departments == ["Support"]
        assert current_agent_for_connection(team.db) is None  # the owner is nobody's role
        reader = ChangeReader(db)
        service = Service(db, anna_id, clock)
        ticket = team.support_ticket
        with team.connect("anna") as listener:
            listener.execute("LISTEN desk_changes")
            service.add_note(ticket, "Checked with the courier.")
            service.reply(ticket, "Your parcel is on its way.")
            service.assign(ticket, agent=kenji_id)  # within Support
            service.mark_read(ticket)
            service.save_draft(ticket, "reply", "Half-written…")
            created = service.create_ticket(
                subject="Phone call",
                customer_phone="+7 900 123 45 67",
                department="Support",
                channel="phone",
                body="Called about the parcel.",
            )
            assert any(True for _ in listener.notifies(timeout=5, stop_after=1))
        changes = reader.poll()
        assert {("ticket", ticket), ("ticket", created.ticket_id)} <= {
            (c.entity, c.entity_id) for c in changes
        }
        queries = Queries(db, anna_id, clock)
        detail = queries.ticket(ticket)
        assert [m.direction for m in detail.messages][-2:] == ["note", "outbound"]
        assert detail.assignee_id == kenji_id
        listed = {row.id for row in queries.view_page(View(ViewKind.ALL_OPEN))}
        assert team.billing_ticket not in listed and ticket in listed
        assert [row.id for row in queries.search("посылка")] == [ticket]
        assert queries.search("返金") == []

        with pytest.raises(DeskError):
            service.add_note(team.billing_ticket, "Not my department.")
        with pytest.raises(DeskError):
            queries.ticket(team.billing_ticket)
    finally:
        db.dispose()
    assert team.owner_sql(
        "SELECT actor_agent_id FROM audit_events WHERE ticket_id = :t AND action = 'note'",
        t=team.support_ticket,
    ) == [(anna_id,)]


def test_notices_and_presence_work_for_the_agent_and_stay_in_the_department(team: Hardened, clock):
    anna_id, kenji_id = team.agents["anna"], team.agents["kenji"]
    db = team.database("anna")
    try:
        # Telling a colleague about a ticket of her department (INSERT ... RETURNING).
        with db.write() as session:
            journal = Journal(session, anna_id, clock())
            notify(
                session,
                journal,
                kind="assigned",
                text="#1 is yours",
                ticket_id=team.support_ticket,
                agent_id=kenji_id,
            )
            journal.finish()
        with pytest.raises(PermissionDenied, match="row-level security"), db.write() as session:
            journal = Journal(session, anna_id, clock())
            notify(
                session,
                journal,
                kind="assigned",
                text="psst",
                ticket_id=team.billing_ticket,
                agent_id=kenji_id,
            )
        presence = PresenceStore(db, "anna-desktop", clock)
        presence.publish(anna_id, team.support_ticket, "viewing")
        team.owner_sql(
            "UPDATE tickets SET department_id = :d WHERE id = :t",
            d=team.billing,
            t=team.support_ticket,
        )
        # The ticket left her department: her own row still updates in place.
        presence.publish(anna_id, None, None)
    finally:
        db.dispose()
    with team.connect("kenji") as kenji:
        assert ids(kenji, "SELECT ticket_id FROM notifications") == {team.support_ticket}
        assert ids(kenji, "SELECT count(*) FROM presence WHERE ticket_id IS NOT NULL") == {0}
