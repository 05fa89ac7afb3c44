"""`desk oncall ...`: rotations, overrides, and who is on call now."""

from __future__ import annotations

import argparse
from datetime import date, datetime, time
from typing import Any

from desk_app.cli_context import Context, verb
from desk_app.core.errors import InvalidInput
from desk_app.core.oncall import Override, Rotation
from desk_app.store import Queries
from desk_app.store.oncall_store import OncallStore


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
    rotation_id = OncallStore(ctx.db, ctx.actor_id()).save_rotation(rotation)
    return {"rotation_id": rotation_id, "rotation": rotation.to_dict()}


def cmd_oncall_override(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    override = Override(
        agent_id=_agent_id(ctx, args.agent),
        starts_at=_instant(args.start, "--from"),
        ends_at=_instant(args.end, "--to"),
        covers_agent_id=_agent_id(ctx, args.covers) if args.covers else None,
        reason=args.reason or "",
    )
    override_id = OncallStore(ctx.db, ctx.actor_id()).add_override(args.rotation, override)
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
    calendar.add_argument("--weeks", type=int, default=4)
