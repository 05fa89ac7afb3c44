"""The `desk` command: the GUI when given no verb, and a scripting interface otherwise.

Every verb accepts --database-url, --as and --json. Exit codes: 0 ok, 2 usage, 3 conflict,
4 not found, 5 permission denied, 6 unavailable; 1 is reserved for bugs, which are logged.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from desk_app import __version__, launch
from desk_app.cli_context import (
    MAX_STORED_INT,
    Context,
    acting_email,
    count,
    read_document,
    record_id,
    use_demo_database,
    verb,
    version_number,
    write_document,
)
from desk_app.config import resolve_database_url
from desk_app.core.enums import Channel, Priority, Role, Status
from desk_app.core.errors import DeskError, InvalidInput, NotFound, UsageError
from desk_app.core.permissions import Permission
from desk_app.core.reply_route import REASONS
from desk_app.core.views import Page, SortKey, View, ViewKind
from desk_app.logs import configure_logging
from desk_app.store import Database, Service, sla_store
from desk_app.store.authorisation import require_permission
from desk_app.store.credentials import SignInRequired
from desk_app.store.queries import CUSTOMER_HISTORY_ROWS
from desk_app.store.records import to_json

log = logging.getLogger(__name__)

# Runs in place of the GUI's event loop: (QApplication, MainWindow) -> exit code. Spelled
# loosely so that the verbs never import Qt.
GuiSession = Callable[[Any, Any], int]


# --- verbs -------------------------------------------------------------------------------------


def _read_body(path: str | None) -> str:
    if path is None:
        return ""
    try:
        if path == "-":
            return sys.stdin.read()
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}") from exc


def _parse_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"'{value}' is not an ISO 8601 time") from exc
    if parsed.tzinfo is None:
        raise InvalidInput(f"'{value}' needs a time zone offset, e.g. {value}+00:00")
    return parsed


def cmd_db_upgrade(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    db = Database(resolve_database_url(args.database_url))
    try:
        before = db.current_revision()
        db.upgrade()
        return {"database": db.describe(), "from": before, "to": db.current_revision()}
    finally:
        db.dispose()


def cmd_db_status(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    db = Database(resolve_database_url(args.database_url))
    try:
        return {
            "database": db.describe(),
            "backend": db.backend,
            "schema": db.schema_state(),
            "revision": db.current_revision(),
            "head": db.head_revision(),
        }
    finally:
        db.dispose()


def cmd_stats(args: argparse.Namespace, ctx: Context) -> dict[str, object]:
    return ctx.queries().stats()


def cmd_demo(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    from desk_app.demo.seed import seed_demo

    if args.database_url is None:
        args.database_url = resolve_database_url(demo=True)
    ctx.creates_database = True  # the demo seeds a database of its own
    # The demo brings a whole team (agents, departments, SLA, templates, a rotation): admin
    # work, or the setting up of a team that has no admin yet. The seeding itself runs as the
    # system, through the bulk loader.
    require_permission(ctx.db, ctx.changer_id(), Permission.ADMINISTER)
    return seed_demo(ctx.db, args.tickets, allow_existing=args.append)


def _view_from_args(args: argparse.Namespace, ctx: Context) -> View:
    kind = ViewKind(args.view)
    if kind is ViewKind.DEPARTMENT:
        if not args.department:
            raise UsageError("--view department needs --department NAME")
        match = [d for d in ctx.queries().departments() if d.name == args.department]
        if not match:
            raise NotFound(f"department '{args.department}' does not exist")
        return View(kind, match[0].id)
    if kind is ViewKind.MINE and ctx.actor_id(required=False) is None:
        raise UsageError("--view mine needs --as EMAIL (or DESK_AGENT)")
    return View(kind)


def cmd_tickets_list(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    view = _view_from_args(args, ctx)
    queries = ctx.queries()
    page = Page(
        limit=args.limit,
        offset=args.offset,
        sort=SortKey(args.sort) if args.sort else None,
        descending=not args.ascending,
    )
    rows = queries.view_page(view, page)
    return {"view": args.view, "count": queries.view_count(view), "tickets": rows}


def cmd_tickets_search(args: argparse.Namespace, ctx: Context) -> dict[str, Any] | str:
    """The newest matches at once, then how many match in all (a count of its own, which on a
    common word takes longer than the page): read as it comes, the rows do not wait for it."""
    queries = ctx.queries()
    rows = queries.search_page(args.query, args.limit).rows
    if not args.json:
        for row in to_json(rows):
            print(_ticket_line(row), flush=True)
    total = queries.search_count(args.query)
    if args.json:
        return {"query": args.query, "count": total, "tickets": rows}
    shown = f"showing {len(rows)} of " if len(rows) < total else ""
    return f"({shown}{total} matching)"


def cmd_tickets_show(args: argparse.Namespace, ctx: Context) -> Any:
    return ctx.queries().ticket(args.number)


def cmd_tickets_create(args: argparse.Namespace, ctx: Context) -> Any:
    return ctx.service(actor_required=False).create_ticket(
        subject=args.subject,
        customer_email=args.customer_email,
        customer_phone=args.customer_phone,
        customer_name=args.customer_name or "",
        department=args.department,
        priority=args.priority,
        channel=args.channel,
        body=_read_body(args.body_file),
        created_at=_parse_time(args.created_at),
    )


def cmd_tickets_assign(args: argparse.Namespace, ctx: Context) -> Any:
    return ctx.service().assign(
        args.number,
        department=args.department,
        agent=args.agent,
        unassign=args.unassign,
        reason=args.reason,
        expected_version=args.if_version,
    )


def cmd_tickets_status(args: argparse.Namespace, ctx: Context) -> Any:
    return ctx.service().set_status(
        args.number, args.status, reason=args.reason, expected_version=args.if_version
    )


def cmd_tickets_priority(args: argparse.Namespace, ctx: Context) -> Any:
    return ctx.service().set_priority(args.number, args.priority, expected_version=args.if_version)


def cmd_tickets_reply(args: argparse.Namespace, ctx: Context) -> Any:
    result = ctx.service().reply(
        args.number,
        _read_body(args.body_file),
        expected_version=args.if_version,
        seen_message_id=args.if_seen,
    )
    # Stored and queued all the same (a script's text is never lost, and it exits 0), but not
    # silently: the worker fails such a reply; once the reason is fixed, retry sends it.
    route = ctx.queries().reply_route(args.number)
    if route is not None:
        print(
            f"desk: warning: reply queued, but it cannot be sent: {REASONS[route]}; once that "
            f"is done, `desk tickets retry {args.number}` sends it if it has failed by then",
            file=sys.stderr,
        )
    return result


def cmd_tickets_retry(args: argparse.Namespace, ctx: Context) -> Any:
    return ctx.service().retry_replies(args.number, message_id=args.message)


def cmd_tickets_note(args: argparse.Namespace, ctx: Context) -> Any:
    return ctx.service().add_note(
        args.number,
        _read_body(args.body_file),
        expected_version=args.if_version,
        seen_message_id=args.if_seen,
    )


def cmd_customers_show(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    queries = ctx.queries()
    ref = args.customer
    customer = (
        queries.customer(_customer_number(ref)) if ref.isdigit() else queries.find_customer(ref)
    )
    tickets = queries.customer_tickets(customer.id)
    # The newest are listed; the total says whether that is all of them.
    total = (
        queries.customer_ticket_count(customer.id)
        if len(tickets) >= CUSTOMER_HISTORY_ROWS
        else len(tickets)
    )
    return {"customer": customer, "tickets": tickets, "ticket_count": total}


def _customer_number(ref: str) -> int:
    number = int(ref)
    if not 1 <= number <= MAX_STORED_INT:  # no customer can have it; the database would overflow
        raise NotFound(f"customer {number} does not exist")
    return number


def _customer_id(ctx: Context, ref: str) -> int:
    return _customer_number(ref) if ref.isdigit() else ctx.queries().find_customer(ref).id


def cmd_customers_edit(args: argparse.Namespace, ctx: Context) -> Any:
    return ctx.service().edit_customer(
        _customer_id(ctx, args.customer),
        name=args.name,
        organisation=args.organisation,
        tags=args.tags,
        language=args.language,
        add_emails=args.add_email or (),
        add_phones=args.add_phone or (),
        expected_version=args.if_version,
    )


def cmd_customers_merge(args: argparse.Namespace, ctx: Context) -> Any:
    return ctx.service().merge_customers(args.source, args.target)


def cmd_sla_show(args: argparse.Namespace, ctx: Context) -> Any:
    return sla_store.explain(ctx.db, args.number)


def cmd_sla_export(args: argparse.Namespace, ctx: Context) -> Any:
    document = sla_store.export_rules(ctx.db)
    write_document(args.file, document)
    return {"file": args.file, **{k: len(v) for k, v in document.items()}}


def cmd_sla_import(args: argparse.Namespace, ctx: Context) -> Any:
    return sla_store.import_rules(ctx.db, read_document(args.file), ctx.changer_id())


def cmd_report_sla(args: argparse.Namespace, ctx: Context) -> Any:
    since = _parse_day_or_time(args.since)
    until = _parse_day_or_time(args.until) if args.until else None
    return sla_store.compliance_report(ctx.db, since, until)


def _parse_day_or_time(value: str) -> datetime:
    """'2026-11-01' (midnight UTC) or a full ISO 8601 time with offset."""
    parsed = _parse_time(value if "T" in value else f"{value}T00:00:00+00:00")
    assert parsed is not None
    return parsed


def cmd_departments_list(args: argparse.Namespace, ctx: Context) -> Any:
    return {"departments": ctx.queries().departments()}


def cmd_agents_list(args: argparse.Namespace, ctx: Context) -> Any:
    return {"agents": ctx.queries().agents()}


def cmd_agents_add(args: argparse.Namespace, ctx: Context) -> Any:
    agent_id = ctx.admin_service().add_agent(
        args.name,
        args.email,
        role=args.role,
        departments=args.department or [],
        time_zone=args.time_zone,
    )
    return {"agent_id": agent_id}


def cmd_departments_add(args: argparse.Namespace, ctx: Context) -> Any:
    return {"department_id": ctx.admin_service().add_department(args.name)}


def cmd_agents_edit(args: argparse.Namespace, ctx: Context) -> Any:
    changes: dict[str, Any] = {}
    for option, field in (
        ("name", "display_name"),
        ("new_email", "email"),
        ("role", "role"),
        ("time_zone", "time_zone"),
        ("active", "active"),
        ("available", "available"),
        ("department", "departments"),
    ):
        value = getattr(args, option)
        if value is not None:
            changes[field] = value
    if args.db_user is not None:
        changes["db_user"] = args.db_user or None
    if args.pager is not None:
        changes["personal_email"] = args.pager or None
    if not changes:
        raise UsageError("say what to change (see desk agents edit --help)")
    agent = ctx.queries().agent_by_email(args.email)
    Service(ctx.db, ctx.changer_id()).edit_agent(agent.id, **changes)
    return {"agent": asdict(ctx.queries().agent_by_email(changes.get("email", args.email)))}


# --- parser ------------------------------------------------------------------------------------

TICKET = record_id("ticket #{}")  # the type of every ticket-number argument
PANELS = ("oncall", "workload", "workload-agents")  # what --panel opens for a screenshot


def build_parser(*, gui_only: bool = False) -> argparse.ArgumentParser:
    """Every verb; or with gui_only just the options of the app itself (no -h, so that asking
    for help falls through to the full parser)."""
    parser = argparse.ArgumentParser(
        prog="desk",
        description="Desk: the support agent's workstation. No verb opens the app.",
        add_help=not gui_only,
    )
    parser.add_argument("--version", action="version", version=f"desk {__version__}")
    parser.add_argument("--database-url", help="sqlite:///PATH or postgresql://… (team database)")
    parser.add_argument("--as", dest="as_agent", metavar="EMAIL", help="act as this agent")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    parser.add_argument("--demo", action="store_true", help="open the app on demo data")
    parser.add_argument("--screenshot", type=Path, help="render the window to a PNG and exit")
    parser.add_argument("--size", default="1440x900", help="window size for --screenshot")
    parser.add_argument(
        "--panel",
        choices=PANELS,
        help="with --screenshot: open the On call panel, or render the workload board",
    )
    parser.add_argument("--view", help="view to show first (GUI)")
    parser.add_argument("--ticket", type=int, help="ticket to open first (GUI)")
    if gui_only:
        return parser
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")

    db = verbs.add_parser("db", help="database schema").add_subparsers(
        dest="db_verb", required=True
    )
    verb(db, "upgrade", cmd_db_upgrade, "create or upgrade the schema")
    verb(db, "status", cmd_db_status, "show the schema state")
    from desk_app import cli_db  # `desk db harden`, `desk signin`, `desk signout`

    cli_db.register(verbs, db)
    verb(verbs, "stats", cmd_stats, "counts of tickets, messages, customers, agents")
    demo = verb(verbs, "demo", cmd_demo, "seed realistic demo data (the demo database by default)")
    demo.add_argument("--tickets", type=count, default=600)
    demo.add_argument("--append", action="store_true", help="add to a database that has tickets")

    tickets = verbs.add_parser("tickets", help="list, show and change tickets").add_subparsers(
        dest="tickets_verb", required=True
    )
    listing = verb(tickets, "list", cmd_tickets_list, "one page of a view")
    listing.add_argument("--view", required=True, choices=[k.value for k in ViewKind])
    listing.add_argument("--department")
    listing.add_argument("--limit", type=count, default=50)
    listing.add_argument("--offset", type=count, default=0)
    listing.add_argument("--sort", choices=[k.value for k in SortKey])
    listing.add_argument("--ascending", action="store_true")
    searching = verb(tickets, "search", cmd_tickets_search, "full-text search")
    searching.add_argument("query")
    searching.add_argument("--limit", type=count, default=50)
    verb(tickets, "show", cmd_tickets_show, "a ticket with messages and audit trail").add_argument(
        "number", type=TICKET
    )
    create = verb(tickets, "create", cmd_tickets_create, "create a ticket for a customer")
    create.add_argument("--subject", required=True)
    create.add_argument("--customer-email")
    create.add_argument("--customer-phone")
    create.add_argument("--customer-name")
    create.add_argument("--department")
    create.add_argument("--priority", default="normal", choices=[p.value for p in Priority])
    create.add_argument("--channel", default="email", choices=[c.value for c in Channel])
    create.add_argument("--body-file", help="file with the first message, - for stdin")
    create.add_argument("--created-at", help="ISO 8601 time with offset (imports)")
    assign = verb(tickets, "assign", cmd_tickets_assign, "move to a department and/or agent")
    assign.add_argument("number", type=TICKET)
    assign.add_argument("--department")
    assign.add_argument("--agent", metavar="EMAIL")
    assign.add_argument("--unassign", action="store_true")
    assign.add_argument("--reason")
    status = verb(tickets, "status", cmd_tickets_status, "set the status")
    status.add_argument("number", type=TICKET)
    status.add_argument("status", choices=[s.value for s in Status])
    status.add_argument("--reason")
    priority = verb(tickets, "priority", cmd_tickets_priority, "set the priority")
    priority.add_argument("number", type=TICKET)
    priority.add_argument("priority", choices=[p.value for p in Priority])
    for name, handler, text in (
        ("reply", cmd_tickets_reply, "reply to the customer (queued for sending)"),
        ("note", cmd_tickets_note, "add an internal note"),
    ):
        sub = verb(tickets, name, handler, text)
        sub.add_argument("number", type=TICKET)
        sub.add_argument("--body-file", required=True, help="file with the text, - for stdin")
        sub.add_argument(
            "--if-seen",
            type=record_id("message {}"),
            metavar="MESSAGE_ID",
            help="refuse (exit 3) if a message newer than this one was added",
        )
    retry = verb(tickets, "retry", cmd_tickets_retry, "send the ticket's failed replies again")
    retry.add_argument("number", type=TICKET)
    retry.add_argument(
        "--message",
        type=record_id("message {}"),
        metavar="MESSAGE_ID",
        help="only this reply (default: every failed reply of the ticket)",
    )
    for sub in (assign, status, priority, *_subparsers(tickets, "reply", "note")):
        sub.add_argument(
            "--if-version", type=version_number, metavar="V", help="refuse if changed since V"
        )

    customers = verbs.add_parser("customers", help="customers").add_subparsers(
        dest="customers_verb", required=True
    )
    verb(customers, "show", cmd_customers_show, "a customer and their tickets").add_argument(
        "customer", help="id, e-mail address or phone"
    )
    edit_customer = verb(customers, "edit", cmd_customers_edit, "change a customer's details")
    edit_customer.add_argument("customer", help="id, e-mail address or phone")
    edit_customer.add_argument("--name")
    edit_customer.add_argument("--organisation")
    edit_customer.add_argument("--tags", help='the whole set, e.g. "vip partner" ("" clears)')
    edit_customer.add_argument("--language", help='en, ja or ru ("" for not known)')
    edit_customer.add_argument("--add-email", action="append", metavar="ADDRESS")
    edit_customer.add_argument("--add-phone", action="append", metavar="NUMBER")
    edit_customer.add_argument("--if-version", type=version_number, metavar="V")
    merge = verb(customers, "merge", cmd_customers_merge, "merge SOURCE into TARGET")
    merge.add_argument("source", type=record_id("customer {}"))
    merge.add_argument("target", type=record_id("customer {}"))
    sla = verbs.add_parser("sla", help="SLA targets, policies and calendars").add_subparsers(
        dest="sla_verb", required=True
    )
    verb(sla, "show", cmd_sla_show, "explain a ticket's targets and due times").add_argument(
        "number", type=TICKET
    )
    verb(sla, "export", cmd_sla_export, "write calendars and policies to YAML/JSON").add_argument(
        "file"
    )
    verb(
        sla, "import", cmd_sla_import, "replace calendars and policies (validated first)"
    ).add_argument("file")
    report = verbs.add_parser("report", help="figures").add_subparsers(
        dest="report_verb", required=True
    )
    report_sla = verb(report, "sla", cmd_report_sla, "SLA compliance per department and agent")
    report_sla.add_argument("--since", required=True, help="date or ISO time")
    report_sla.add_argument("--until", help="date or ISO time (default: now)")
    departments = verbs.add_parser("departments", help="departments").add_subparsers(
        dest="departments_verb", required=True
    )
    verb(departments, "list", cmd_departments_list, "all departments")
    verb(departments, "add", cmd_departments_add, "add a department").add_argument("name")
    agents = verbs.add_parser("agents", help="agents").add_subparsers(
        dest="agents_verb", required=True
    )
    verb(agents, "list", cmd_agents_list, "all agents")
    add_agent = verb(agents, "add", cmd_agents_add, "add an agent")
    add_agent.add_argument("email")
    add_agent.add_argument("--name", required=True)
    add_agent.add_argument("--role", default="agent", choices=[r.value for r in Role])
    add_agent.add_argument("--department", action="append", help="repeat for several")
    add_agent.add_argument("--time-zone", default="UTC")
    edit_agent = verb(agents, "edit", cmd_agents_edit, "change an agent (admins; yourself: a few)")
    edit_agent.add_argument("email")
    edit_agent.add_argument("--name")
    edit_agent.add_argument("--email", dest="new_email", metavar="NEW_EMAIL")
    edit_agent.add_argument("--role", choices=[r.value for r in Role])
    edit_agent.add_argument(
        "--department", action="append", help="the agent's departments (repeat; replaces all)"
    )
    edit_agent.add_argument("--time-zone")
    edit_agent.add_argument("--active", action=argparse.BooleanOptionalAction, default=None)
    edit_agent.add_argument(
        "--available",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="--no-available: away (routing and the reassignment dialog skip them)",
    )
    edit_agent.add_argument(
        "--db-user", metavar="ROLE", help="PostgreSQL role that signs in as them ('' clears)"
    )
    edit_agent.add_argument("--pager", metavar="ADDRESS", help="where pages go ('' clears)")
    # Imported here: its mail libraries cost start-up time the GUI does not need.
    from desk_app import cli_mail

    cli_mail.register(verbs)
    from desk_app import cli_templates

    cli_templates.register(verbs)
    from desk_app import cli_oncall

    cli_oncall.register(verbs)
    return parser


def _subparsers(group: Any, *names: str) -> list[argparse.ArgumentParser]:
    return [group.choices[name] for name in names]


# --- output ------------------------------------------------------------------------------------


def _print_human(result: Any) -> None:
    data = to_json(result)
    if isinstance(data, str):  # a text meant to be read or piped as it is (SQL, a report)
        print(data)
        return
    if isinstance(data, dict) and "tickets" in data and isinstance(data["tickets"], list):
        for row in data["tickets"]:
            print(_ticket_line(row))
        if "count" in data:
            print(f"({data['count']} in view)")
        shown, total = len(data["tickets"]), data.get("ticket_count")
        if isinstance(total, int) and total > shown:
            print(f"(the newest {shown} of {total} tickets)")
        return
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _ticket_line(row: dict[str, Any]) -> str:
    return (
        f"#{row['id']:<7} {row['status']:<8} {row['priority']:<7} "
        f"{(row['department'] or '—'):<12} {(row['assignee'] or '—'):<20} "
        f"{row['subject']}"
    )


def main(argv: Sequence[str] | None = None, *, gui_session: GuiSession | None = None) -> int:
    """`gui_session` replaces the GUI's event loop (the UI benchmark measures in it)."""
    # Opening the app is the common case: parse its options without building every verb, whose
    # modules (mail, keyring) would cost start-up time before the first paint.
    parser = build_parser(gui_only=True)
    args, rest = parser.parse_known_args(argv)
    args.verb = None
    if rest:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except DeskError as exc:  # an argument type's verdict: an id no record can have
            return _refuse(exc, "--json" in (sys.argv[1:] if argv is None else argv))
    for name, default in (("database_url", None), ("as_agent", None), ("json", False)):
        if not hasattr(args, name):
            setattr(args, name, default)
    log_path = configure_logging()
    if args.verb is None:
        return _run_gui(args, parser, gui_session)
    launch.started()  # a verb's own work runs with the garbage collector as usual
    ctx = Context(args)
    try:
        use_demo_database(args)
        result = args.handler(args, ctx)
    except DeskError as exc:
        return _refuse(exc, args.json)
    except BrokenPipeError:  # a verb that prints as it goes (search) lost its reader
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception:
        log.exception("bug in `desk %s`", " ".join(sys.argv[1:]))
        print(f"desk: internal error (a bug); details are in {log_path}", file=sys.stderr)
        return 1
    finally:
        ctx.close()
    try:
        if args.json:
            print(json.dumps(to_json(result), ensure_ascii=False, indent=2))
        else:
            _print_human(result)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (`| head`) stopped early; that is not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _refuse(exc: DeskError, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"error": exc.kind, "message": str(exc)}, ensure_ascii=False))
    print(f"desk: {exc}", file=sys.stderr)
    return exc.exit_code


def _sign_in(url: str, refused: SignInRequired) -> bool:
    from desk_app.app import application
    from desk_app.ui.signin_dialog import ask_to_sign_in

    application()
    return ask_to_sign_in(url, None, error=refused) is not None


def _run_gui(
    args: argparse.Namespace, parser: argparse.ArgumentParser, session: GuiSession | None
) -> int:
    try:
        width, height = (int(part) for part in args.size.lower().split("x"))
    except ValueError:
        parser.error(f"--size must look like 1440x900, not {args.size}")
    try:
        url = resolve_database_url(args.database_url, demo=args.demo)
        agent_email = acting_email(args.as_agent, demo=args.demo)
        for attempt in range(3):
            db = Database(url)
            try:
                # The window's first start creates the embedded database.
                db.ensure_schema(upgrade=db.is_sqlite, create=True)
                if args.demo:
                    from desk_app.demo.seed import seed_demo_once

                    seed_demo_once(db)
                break
            except SignInRequired as refused:
                # The team database wants this agent's own credentials: ask in a window
                # (never for a screenshot), then try again with what the keyring now holds.
                if args.screenshot is not None or attempt == 2 or not _sign_in(url, refused):
                    raise
            finally:
                db.dispose()
    except DeskError as exc:
        print(f"desk: {exc}", file=sys.stderr)
        return exc.exit_code
    from desk_app.app import run_gui

    return run_gui(
        url,
        agent_email,
        screenshot=args.screenshot,
        size=(width, height),
        view=args.view,
        ticket=args.ticket,
        panel=args.panel,
        session=session,
    )
