"""`desk oncall ...`: rotations, overrides, who is on call now, pages and their
acknowledgement, the morning hand-off, and the after-hours options."""

from __future__ import annotations

import argparse
from datetime import date, datetime, time, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from desk_app.cli_context import Context, record_id, verb, within
from desk_app.core.errors import InvalidInput
from desk_app.core.handoff import render_text
from desk_app.core.oncall import Override, Rotation
from desk_app.store import Queries
from desk_app.store.handoff_store import default_since, handoff_summary
from desk_app.store.oncall_settings import remember_handoff, save_setting, settings_document
from desk_app.store.oncall_store import MAX_CALENDAR_WEEKS, OncallStore
from desk_app.store.paging_store import PagingStore


def _agent_id(ctx: Context, email: str) -> int:
    return Queries(ctx.db, None).agent_by_email(email.strip()).id


def _instant(text: str, what: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{what}: expected an ISO date and time, got '{text}'") from None
    if value.tzinfo is None:
        raise InvalidInput(f"{what}: give a time zone, e.g. {text}+09:00")
    return value


def cmd_oncall_now(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    store = OncallStore(ctx.db, None)
    return {"on_call": store.now(args.department)}


def cmd_oncall_set(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    try:
        handoff = time.fromisoformat(args.handoff)
        starts_on = date.fromisoformat(args.starts_on)
    except ValueError as error:
        raise InvalidInput(str(error)) from None
    rotation = Rotation(
        name=args.name,
        agent_ids=tuple(_agent_id(ctx, e) for e in args.agents.split(",") if e.strip()),
        handoff=handoff,
        length=args.length,
        time_zone=args.time_zone,
        starts_on=starts_on,
        department=args.department,
    )
    rotation_id = OncallStore(ctx.db, ctx.changer_id()).save_rotation(rotation)
    return {"rotation_id": rotation_id, "rotation": rotation.to_dict()}


def cmd_oncall_override(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    override = Override(
        agent_id=_agent_id(ctx, args.agent),
        starts_at=_instant(args.start, "--from"),
        ends_at=_instant(args.end, "--to"),
        covers_agent_id=_agent_id(ctx, args.covers) if args.covers else None,
        reason=args.reason or "",
    )
    override_id = OncallStore(ctx.db, ctx.changer_id()).add_override(args.rotation, override)
    return {"override_id": override_id}


def cmd_oncall_calendar(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    store = OncallStore(ctx.db, None)
    start = _instant(args.start, "--from") if args.start else store.clock()
    names = {a.id: a.display_name for a in Queries(ctx.db, None).agents()}
    return {
        "rotation": args.rotation,
        "shifts": [
            {
                "agent": names.get(shift.agent_id, str(shift.agent_id)),
                "starts_at": shift.starts_at,
                "ends_at": shift.ends_at,
                "override": shift.override is not None,
                "reason": shift.override.reason if shift.override else None,
            }
            for shift in store.calendar(args.rotation, start, args.weeks)
        ],
    }


def cmd_oncall_pages(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    return {"pages": PagingStore(ctx.db).pages(open_only=not args.all)}


def cmd_oncall_ack(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    agent_id = ctx.actor_id()
    assert agent_id is not None  # required: actor_id() refuses otherwise
    return {"page": PagingStore(ctx.db).acknowledge(args.ticket, agent_id)}


def cmd_oncall_pager(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    agent_id = ctx.actor_id()
    assert agent_id is not None
    address = PagingStore(ctx.db).set_page_address(agent_id, args.address)
    work = {a.id: a.email for a in Queries(ctx.db, None).agents()}
    return {"pages_go_to": address or work.get(agent_id)}


def _zone(ctx: Context, name: str | None) -> tzinfo:
    """--time-zone, else the acting agent's zone, else UTC."""
    agent_id = ctx.actor_id(required=False) if name is None else None
    if agent_id is not None:
        name = {a.id: a.time_zone for a in Queries(ctx.db, None).agents()}.get(agent_id)
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"--time-zone: unknown time zone '{name}'") from None


def cmd_oncall_handoff(args: argparse.Namespace, ctx: Context) -> Any:
    store = OncallStore(ctx.db, None)
    now = store.clock()
    until = _instant(args.until, "--until") if args.until else now
    since = _instant(args.since, "--since") if args.since else default_since(ctx.db, until)
    summary = handoff_summary(ctx.db, since, until)
    zone = _zone(ctx, args.time_zone)
    text = render_text(summary, zone)
    if args.send_to:
        # Imported here: sending brings the SMTP and keyring modules, which reading does not.
        from desk_app.worker.direct_mail import send_internal

        send_internal(
            ctx.db,
            to_address=args.send_to,
            subject=summary.subject(zone),
            text=text,
            now=now,
            ca_file=args.ca_file,
        )
        remember_handoff(ctx.db, ctx.actor_id(required=False), until, store.clock)
    if args.json:
        return {**summary.to_dict(), "sent_to": args.send_to}
    return text + (f"\n(sent to {args.send_to})\n" if args.send_to else "")


def cmd_oncall_settings(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    if args.key is not None:
        if args.value is None:
            raise InvalidInput(f"give a value for {args.key} (an empty one: '')")
        save_setting(ctx.db, ctx.changer_id(), args.key, args.value)
    return {"settings": settings_document(ctx.db)}


def register(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    oncall = verbs.add_parser("oncall", help="on-call rotations").add_subparsers(
        dest="oncall_verb", required=True
    )
    now = verb(oncall, "now", cmd_oncall_now, "who is on call now")
    now.add_argument("--department", help="this department (else team-wide rotations)")
    rotation = verb(oncall, "set", cmd_oncall_set, "create or replace a rotation")
    rotation.add_argument("name")
    rotation.add_argument(
        "--agents", required=True, help="e-mail addresses, in order, comma-separated"
    )
    rotation.add_argument("--handoff", default="09:00", help="local time of the hand-off")
    rotation.add_argument("--length", default="weekly", choices=["daily", "weekly"])
    rotation.add_argument("--time-zone", default="UTC")
    rotation.add_argument("--starts-on", required=True, help="date of the first shift")
    rotation.add_argument("--department", help="omit for a team-wide rotation")
    override = verb(oncall, "override", cmd_oncall_override, "someone covers a shift")
    override.add_argument("rotation")
    override.add_argument("--agent", required=True, help="who covers (e-mail)")
    override.add_argument("--from", dest="start", required=True, help="ISO time with zone")
    override.add_argument("--to", dest="end", required=True, help="ISO time with zone")
    override.add_argument("--covers", help="only instead of this agent (e-mail)")
    override.add_argument("--reason")
    calendar = verb(oncall, "calendar", cmd_oncall_calendar, "the next weeks of a rotation")
    calendar.add_argument("rotation")
    calendar.add_argument("--from", dest="start", help="ISO time with zone (default now)")
    calendar.add_argument(
        "--weeks",
        type=within(1, MAX_CALENDAR_WEEKS, "--weeks"),
        default=4,
        help=f"how many weeks to show (1 to {MAX_CALENDAR_WEEKS}, default 4)",
    )
    pages = verb(oncall, "pages", cmd_oncall_pages, "unacknowledged pages (urgent after hours)")
    pages.add_argument("--all", action="store_true", help="acknowledged ones too")
    ack = verb(oncall, "ack", cmd_oncall_ack, "acknowledge the page of a ticket")
    ack.add_argument("ticket", type=record_id("ticket #{}"))
    pager = verb(oncall, "pager", cmd_oncall_pager, "where your pages go (your phone's e-mail)")
    pager.add_argument("address", help="an e-mail address; '' for your work address")
    handoff = verb(oncall, "handoff", cmd_oncall_handoff, "the hand-off summary for the shift")
    handoff.add_argument("--since", help="ISO time with zone (default: the last hand-off)")
    handoff.add_argument("--until", help="ISO time with zone (default: now)")
    handoff.add_argument("--send-to", metavar="ADDR", help="e-mail it to this address")
    handoff.add_argument("--time-zone", help="write times in this zone (default: yours)")
    handoff.add_argument("--ca-file", help="an extra CA file for the SMTP server")
    settings = verb(oncall, "settings", cmd_oncall_settings, "show or set after-hours options")
    settings.add_argument("key", nargs="?", help="the option to set")
    settings.add_argument("value", nargs="?", help="its new value")
