"""`desk templates ...`: list, share (export/import as JSON or YAML) and try out templates.

`desk templates render NAME --ticket N --json` prints the filled-in text and every placeholder
the ticket could not fill, so a script (or a person) sees exactly what an agent would get.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from desk_app.cli_context import Context, read_document, record_id, verb, write_document
from desk_app.core.errors import UsageError

if TYPE_CHECKING:
    from desk_app.store.template_store import TemplateStore


def _store(ctx: Context, actor_id: int | None) -> TemplateStore:
    # Imported on use: Jinja2 costs start-up time that the GUI and other verbs do not need.
    from desk_app.store.template_store import TemplateStore

    return TemplateStore(ctx.db, actor_id)


def cmd_templates_list(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    templates = _store(ctx, ctx.actor_id(required=False)).templates()
    if args.language:
        templates = [t for t in templates if t.language == args.language]
    return {
        "templates": [
            {
                "id": t.id,
                "title": t.title,
                "shortcut": f"/{t.shortcut}" if t.shortcut else None,
                "language": t.language,
                "scope": t.scope,
                "department": t.department,
                "tags": t.tags,
                "inputs": t.inputs,
                "uses": t.uses,
                "tickets": t.tickets,
                "solved_first_time": t.solved_first_time,
                "share_solved": round(t.share_solved, 3) if t.share_solved is not None else None,
            }
            for t in templates
        ]
    }


def cmd_templates_export(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    document = _store(ctx, ctx.actor_id(required=False)).export_library()
    write_document(args.file, document)
    return {"file": args.file, "templates": len(document["templates"])}


def cmd_templates_import(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    # Shared templates are shared configuration: nobody anonymous overwrites them.
    store = _store(ctx, ctx.changer_id())
    return {"file": args.file, **store.import_library(read_document(args.file))}


def cmd_templates_render(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    inputs: dict[str, str] = {}
    for item in args.input or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--input takes NAME=VALUE, not '{item}'")
        inputs[name.strip()] = value
    filled = _store(ctx, ctx.actor_id(required=False)).fill(args.name, args.ticket, inputs)
    return {
        "template_id": filled.template_id,
        "title": filled.title,
        "ticket": args.ticket,
        "subject": filled.subject,
        "text": filled.text,
        "html": filled.html,
        "unresolved": filled.missing,
        "inputs": filled.inputs,
    }


def register(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    templates = verbs.add_parser("templates", help="reply templates").add_subparsers(
        dest="templates_verb", required=True
    )
    listing = verb(templates, "list", cmd_templates_list, "templates with use figures")
    listing.add_argument("--language", help="only this language (en, ja, ru...)")
    verb(templates, "export", cmd_templates_export, "write templates to YAML/JSON").add_argument(
        "file"
    )
    verb(
        templates, "import", cmd_templates_import, "add or update templates (validated first)"
    ).add_argument("file")
    render = verb(templates, "render", cmd_templates_render, "fill a template for a ticket")
    render.add_argument("name", help="title, /shortcut or id")
    render.add_argument(
        "--ticket", type=record_id("ticket #{}"), required=True, help="ticket number"
    )
    render.add_argument(
        "--input", action="append", metavar="NAME=VALUE", help="a value for {{ input.NAME }}"
    )
