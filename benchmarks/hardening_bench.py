"""What `desk db harden` costs an agent: views and assign as the agent's own login.

    python benchmarks/hardening_bench.py --tickets 5000 [--database-url URL-of-a-superuser]

Seeds demo tickets on a throwaway pgserver (or the given server, into its current database),
hardens it, then times, as a plain agent's login role:
- view pages and counts with departments kept apart (agents_read_other_departments false:
  the customers, identities and change-log policies do work) and with reading allowed;
- assign within the agent's department with the audit trigger on and off, in alternating
  blocks within one run so both see the same machine load;
- EXPLAIN ANALYZE of a view page's ids, its rows (customers joined) and a change-log poll.

Prints progress to stderr and one JSON object as the last line of stdout.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import uuid
from datetime import UTC, datetime
from functools import partial
from typing import Any

import psycopg
import sqlalchemy as sa
from _common import database_url, percentiles, time_ms

from desk_app.core.views import Page, View, ViewKind
from desk_app.demo.generate import DEPARTMENTS, demo_agents, demo_tickets
from desk_app.demo.sla_rules import DEMO_SLA
from desk_app.store import Database, Queries, Service, hardening
from desk_app.store.bulk import BulkLoader
from desk_app.store.change_feed import POSTGRES_POLL_SQL, ChangeReader
from desk_app.store.hardening_functions import AUDIT_TRIGGERS
from desk_app.store.sla_store import import_rules

PASSWORD = "bench-agent-password"
UNSOLVED = "status IN ('new', 'open', 'pending', 'on_hold')"
CUSTOMER_RLS_TABLES = ("customers", "customer_identities", "change_log")


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def owner_sql(db: Database, sql: str, **params: object) -> list[tuple[Any, ...]]:
    with db.engine.begin() as connection:
        result = connection.execute(sa.text(sql), params)
        return [tuple(row) for row in result] if result.returns_rows else []


def set_read_others(db: Database, allowed: bool) -> None:
    owner_sql(db, "DELETE FROM team_settings WHERE key = 'agents_read_other_departments'")
    owner_sql(
        db,
        "INSERT INTO team_settings (key, value) VALUES ('agents_read_other_departments', :v)",
        v="true" if allowed else "false",
    )


def explain(db: Database, sql: str, params: dict[str, object]) -> list[str]:
    with db.engine.connect() as connection:
        return [
            str(row[0])
            for row in connection.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF) " + sql, params)
        ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=5_000)
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--blocks", type=int, default=6, help="assign blocks per setting")
    args = parser.parse_args()
    now = datetime.now(UTC)
    prefix = f"bench_{uuid.uuid4().hex[:6]}"
    login = f"{prefix}_login"

    with database_url(args.database_url, "postgresql") as url:
        db = Database(url)
        db.upgrade()
        progress(f"seeding {args.tickets} demo tickets")
        loader = BulkLoader(db)
        loader.ensure_team(DEPARTMENTS, demo_agents())
        counts = loader.load(demo_tickets(args.tickets, now))
        import_rules(db, DEMO_SLA, actor_id=None)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")

        # A plain agent of one department, and a colleague there to assign tickets to.
        agent_id, department_id, colleague_id = owner_sql(
            db,
            "SELECT a.id, ad.department_id, b.id FROM agents AS a"
            " JOIN agent_departments AS ad ON ad.agent_id = a.id"
            " JOIN agent_departments AS bd ON bd.department_id = ad.department_id"
            " JOIN agents AS b ON b.id = bd.agent_id AND b.id <> a.id AND b.is_active"
            " WHERE a.role = 'agent' AND a.is_active"
            " AND (SELECT count(*) FROM agent_departments AS x WHERE x.agent_id = a.id) = 1"
            " ORDER BY a.id, b.id LIMIT 1",
        )[0]
        owner_sql(db, "UPDATE agents SET db_user = :u WHERE id = :a", u=login, a=agent_id)
        owner_sql(db, f"CREATE ROLE {login} LOGIN PASSWORD '{PASSWORD}'")
        set_read_others(db, False)
        hardening.harden(db, hardening.Groups(prefix))
        agent_url = (
            sa.make_url(url)
            .set(username=login, password=PASSWORD)
            .render_as_string(hide_password=False)
        )
        agent_db = Database(agent_url)
        gc.collect()
        gc.freeze()

        queries = Queries(agent_db, agent_id)
        views = queries.standard_views()
        result: dict[str, object] = {
            "benchmark": "hardening",
            "tickets": counts.tickets,
            "customers": counts.customers,
            "agent_sees_tickets": owner_sql(
                db,
                "SELECT count(*) FROM tickets WHERE department_id = :d OR department_id IS NULL",
                d=department_id,
            )[0][0],
        }
        # Departments kept apart, with the customer, identity and change-log policies on and
        # (as before issue 14) off, in alternating blocks; then with reading allowed.
        settings = [("own_departments", False, True), ("own_no_customer_rls", False, False)]
        timed: dict[str, tuple[list[float], list[float]]] = {}
        for _block in range(args.blocks):
            for key, allowed, customer_rls in [*settings, ("read_others", True, True)]:
                set_read_others(db, allowed)
                for table in CUSTOMER_RLS_TABLES:
                    action = "ENABLE" if customer_rls else "DISABLE"
                    owner_sql(db, f"ALTER TABLE {table} {action} ROW LEVEL SECURITY")
                pages, view_counts = timed.setdefault(key, ([], []))
                for view in views:
                    pages += time_ms(
                        partial(queries.view_page, view, Page(limit=50)), args.repeat // 4
                    )
                    view_counts += time_ms(partial(queries.view_count, view), args.repeat // 4)
        for key, (pages, view_counts) in timed.items():
            result[f"view_page_ms_{key}"] = percentiles(pages)
            result[f"view_count_ms_{key}"] = percentiles(view_counts)
        set_read_others(db, False)

        progress("timing assign within the department, audit trigger on and off")
        service = Service(agent_db, agent_id)
        open_ids = [
            row[0]
            for row in owner_sql(
                db,
                f"SELECT id FROM tickets WHERE department_id = :d AND {UNSOLVED}"
                " ORDER BY id LIMIT 200",
                d=department_id,
            )
        ]
        turn = iter(range(10**9))

        def assign_once() -> None:
            ticket_id = open_ids[next(turn) % len(open_ids)]
            service.assign(ticket_id, agent=colleague_id if next(turn) % 2 else agent_id)

        # The trigger alone: one audited change in one transaction, the way the app makes it,
        # on a plain connection, so the command's own Python time does not drown it.
        libpq = sa.make_url(agent_url).set(drivername="postgresql")
        raw = psycopg.connect(libpq.render_as_string(hide_password=False))

        def audited_change() -> None:
            ticket_id = open_ids[next(turn) % len(open_ids)]
            with raw.transaction():
                raw.execute(
                    "UPDATE tickets SET priority = CASE priority WHEN 'low' THEN 'normal'"
                    " ELSE 'low' END WHERE id = %s",
                    (ticket_id,),
                )
                raw.execute(
                    "INSERT INTO audit_events (at, actor_agent_id, entity, entity_id, ticket_id,"
                    " action) VALUES (now(), %s, 'ticket', %s, %s, 'update')",
                    (agent_id, ticket_id, ticket_id),
                )

        samples: dict[bool, list[float]] = {True: [], False: []}
        raw_samples: dict[bool, list[float]] = {True: [], False: []}
        for block in range(args.blocks):
            # Alternating which comes first, so neither always follows the ALTER TABLE's
            # invalidation or the other's warm cache.
            for enabled in (True, False) if block % 2 else (False, True):
                action = "ENABLE" if enabled else "DISABLE"
                for trigger in AUDIT_TRIGGERS:
                    owner_sql(db, f"ALTER TABLE tickets {action} TRIGGER {trigger}")
                samples[enabled] += time_ms(assign_once, args.repeat // 2)
                raw_samples[enabled] += time_ms(audited_change, args.repeat * 2)
        for trigger in AUDIT_TRIGGERS:
            owner_sql(db, f"ALTER TABLE tickets ENABLE TRIGGER {trigger}")
        # The server's own time for the check, per changed ticket: fired at once instead of at
        # commit, so EXPLAIN ANALYZE reports it.
        trigger_ms: list[float] = []
        for index in range(args.repeat):
            ticket_id = open_ids[index % len(open_ids)]
            with raw.transaction():
                raw.execute(
                    "INSERT INTO audit_events (at, actor_agent_id, entity, entity_id, ticket_id,"
                    " action) VALUES (now(), %s, 'ticket', %s, %s, 'update')",
                    (agent_id, ticket_id, ticket_id),
                )
                raw.execute("SET CONSTRAINTS ALL IMMEDIATE")
                for (line,) in raw.execute(
                    "EXPLAIN (ANALYZE, COSTS OFF) UPDATE tickets SET priority ="
                    " CASE priority WHEN 'low' THEN 'normal' ELSE 'low' END WHERE id = %s",
                    (ticket_id,),
                ):
                    if line.startswith(f"Trigger for constraint {AUDIT_TRIGGERS[1]}"):
                        trigger_ms.append(float(line.split("time=")[1].split()[0]))
        result["audit_trigger_server_ms_per_ticket"] = percentiles(trigger_ms)
        raw.close()
        result["assign_ms_audit_trigger_on"] = percentiles(samples[True])
        result["assign_ms_audit_trigger_off"] = percentiles(samples[False])
        result["audited_update_ms_trigger_on"] = percentiles(raw_samples[True])
        result["audited_update_ms_trigger_off"] = percentiles(raw_samples[False])

        progress("explaining")
        result["explain_page_ids"] = explain(
            agent_db,
            f"SELECT id FROM tickets WHERE {UNSOLVED} ORDER BY updated_at DESC, id DESC LIMIT 50",
            {},
        )
        page_ids = [row.id for row in queries.view_page(View(ViewKind.ALL_OPEN), Page(limit=50))]
        result["explain_page_rows"] = explain(
            agent_db,
            "SELECT t.id, c.name, (SELECT i.value FROM customer_identities AS i"
            " WHERE i.customer_id = t.customer_id ORDER BY i.id LIMIT 1)"
            " FROM tickets AS t JOIN customers AS c ON c.id = t.customer_id"
            " WHERE t.id = ANY(%(ids)s)",
            {"ids": page_ids},
        )
        result["explain_change_poll_everything"] = explain(
            agent_db, POSTGRES_POLL_SQL, {"position": 0}
        )
        # A desktop's poll: from the oldest transaction still running, after a burst of 40
        # assigns (the owner's, like the worker's changes).
        reader = ChangeReader(agent_db)
        position = reader.position
        boss = Service(db, None)
        for ticket_id in open_ids[:40]:
            boss.assign(ticket_id, agent=agent_id)
        result["explain_change_poll_after_40_assigns"] = explain(
            agent_db, POSTGRES_POLL_SQL, {"position": position}
        )
        result["change_poll_after_40_assigns_rows"] = len(reader.poll())
        result["change_poll_idle_ms"] = percentiles(time_ms(reader.poll, args.repeat))
        result["change_log_rows"] = owner_sql(db, "SELECT count(*) FROM change_log")[0][0]
        agent_db.dispose()
        owner_sql(db, f"DROP OWNED BY {login}, {prefix}_agent, {prefix}_admin")
        owner_sql(db, f"DROP ROLE {login}, {prefix}_agent, {prefix}_admin")
        db.dispose()

    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
