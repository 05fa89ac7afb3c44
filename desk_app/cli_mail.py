"""`desk account ...` and `desk worker`: mail accounts and the headless worker.

Passwords go to the OS keyring only (see desk_app/mail/passwords.py). TLS certificates are
verified against the system CAs; `--ca-file FILE` or DESK_EXTRA_CA_FILE=FILE trusts one more CA
bundle (a company CA, or the test servers' CA) without turning verification off.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from dataclasses import asdict
from typing import Any

from desk_app.cli_context import Context, verb, within
from desk_app.core.errors import InvalidInput, Unavailable, UsageError
from desk_app.core.permissions import Permission
from desk_app.mail import passwords
from desk_app.mail.connection import MailServerError, ServerSettings, tls_context
from desk_app.mail.imap import ImapMailbox
from desk_app.mail.smtp import SmtpConnection
from desk_app.store.authorisation import require_permission
from desk_app.store.mail_store import MAX_PORT, MailStore
from desk_app.store.records import AccountRecord, to_json


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        try:
            password = getpass.getpass(f"Password for {args.username} on {args.imap_host}: ")
        except (EOFError, KeyboardInterrupt):
            raise UsageError("no password entered") from None
    if not password:
        raise InvalidInput("the password is empty")
    return password


def cmd_account_add(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    # Mail accounts are admin work (the store checks again as it adds one): refuse before
    # asking for a password.
    actor_id = ctx.changer_id()
    require_permission(ctx.db, actor_id, Permission.ADMINISTER)
    passwords.usable_backend()  # refuse before anything is stored, not half-way
    password = _read_password(args)
    store = MailStore(ctx.db, actor_id)
    account_id = store.add_account(
        args.name,
        address=args.address,
        username=args.username,
        imap_host=args.imap_host,
        smtp_host=args.smtp_host,
        imap_port=args.imap_port,
        smtp_port=args.smtp_port,
        security=args.security,
        department=args.department,
        folder=args.folder,
        after_import=args.after_import,
    )
    try:
        passwords.store_password(args.name.strip(), password)
    except Unavailable:
        store.remove_account(args.name.strip())
        raise
    return {"account_id": account_id, "name": args.name.strip()}


def _status(account: AccountRecord) -> str:
    """One line a person understands."""
    if account.last_error and (
        account.last_sync_at is None
        or (account.last_error_at is not None and account.last_error_at >= account.last_sync_at)
    ):
        state = f"problem: {account.last_error}"
    elif account.last_sync_at is not None:
        state = f"ok, last synced {account.last_sync_at.isoformat(timespec='seconds')}"
    else:
        state = "not synced yet"
    if account.queued or account.failed:
        state += f"; {account.queued} queued, {account.failed} failed to send"
    return state


def cmd_account_list(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    accounts = MailStore(ctx.db, None).accounts()
    return {"accounts": [{**to_json(a), "status": _status(a)} for a in accounts]}


def _settings(account: AccountRecord, smtp: bool, password: str, ca_file: str | None) -> Any:
    return ServerSettings(
        host=account.smtp_host if smtp else account.imap_host,
        port=account.smtp_port if smtp else account.imap_port,
        security=account.security,
        username=account.username,
        password=password,
        context=tls_context(ca_file),
        timeout=15.0,
    )


async def _test_smtp(settings: ServerSettings) -> None:
    connection = SmtpConnection(settings)
    await connection.connect()
    await connection.close()


def cmd_account_test(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    account = MailStore(ctx.db, None).account(args.name)
    password = passwords.password_for(account.name)
    results: dict[str, str] = {}
    problems: list[str] = []
    try:
        with ImapMailbox(_settings(account, False, password, args.ca_file), account.folder) as box:
            box.select()
        results["imap"] = "ok"
    except MailServerError as exc:
        results["imap"] = str(exc)
        problems.append(f"IMAP: {exc}")
    try:
        asyncio.run(_test_smtp(_settings(account, True, password, args.ca_file)))
        results["smtp"] = "ok"
    except MailServerError as exc:
        results["smtp"] = str(exc)
        problems.append(f"SMTP: {exc}")
    if problems:
        raise Unavailable("; ".join(problems))
    return {"account": account.name, **results}


def cmd_account_remove(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    MailStore(ctx.db, ctx.changer_id()).remove_account(args.name)
    note = None
    try:
        passwords.forget_password(args.name)
    except Unavailable as exc:
        note = f"the password could not be removed from the keyring: {exc}"
    return {"removed": args.name, **({"note": note} if note else {})}


def cmd_worker(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    from desk_app.worker.options import WorkerOptions
    from desk_app.worker.runner import MailWorker, stop_on_signals

    if args.poll_seconds <= 0 or args.lease_seconds <= 0:
        raise InvalidInput("--poll-seconds and --lease-seconds must be positive")
    options = WorkerOptions(
        poll_seconds=args.poll_seconds,
        lease_seconds=args.lease_seconds,
        renew_seconds=min(10.0, args.lease_seconds / 3),
        send_seconds=min(5.0, args.poll_seconds),
        ca_file=args.ca_file,
    )
    worker = MailWorker(ctx.db, options)

    async def run() -> dict[str, Any]:
        stop_on_signals(worker)
        if args.once:
            summary = await worker.run_once()
            _refuse_unavailable(summary.unavailable_accounts(), len(summary.accounts))
            return asdict(summary)
        await worker.run_forever()
        return {"stopped": True}

    return asyncio.run(run())


def _refuse_unavailable(failing: dict[str, str], accounts: int) -> None:
    """`desk worker --once` for a script or a monitor: the pass worked every account it
    could; if some could not be reached or logged in to, say which (one line each, on
    stderr) and exit 6, so a broken account does not pass for a quiet mailbox."""
    if not failing:
        return
    for name, error in failing.items():
        print(f"desk: mail account '{name}' unavailable: {error}", file=sys.stderr)
    accounts = max(accounts, len(failing))
    noun = "mail account" if accounts == 1 else "mail accounts"
    others = "; the others were worked" if len(failing) < accounts else ""
    raise Unavailable(f"{len(failing)} of {accounts} {noun} unavailable{others}")


def register(verbs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    accounts = verbs.add_parser("account", help="mail accounts").add_subparsers(
        dest="account_verb", required=True
    )
    add = verb(accounts, "add", cmd_account_add, "add a mail account (password to the keyring)")
    add.add_argument("name")
    add.add_argument("--address", required=True, help="the address customers write to")
    add.add_argument("--imap-host", required=True)
    add.add_argument("--imap-port", type=within(1, MAX_PORT, "a port"))
    add.add_argument("--smtp-host", required=True)
    add.add_argument("--smtp-port", type=within(1, MAX_PORT, "a port"))
    add.add_argument("--username", required=True)
    add.add_argument("--security", default="ssl", choices=["ssl", "starttls", "none"])
    add.add_argument("--department", help="new tickets from this account go here")
    add.add_argument("--folder", default="INBOX")
    add.add_argument(
        "--after-import", default="keep", metavar="keep|seen|move:FOLDER", help="default keep"
    )
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    verb(accounts, "list", cmd_account_list, "accounts and how their sync is doing")
    for name, handler, text in (
        ("test", cmd_account_test, "log in to IMAP and SMTP and report plainly"),
        ("remove", cmd_account_remove, "stop using an account (its tickets stay)"),
    ):
        verb(accounts, name, handler, text).add_argument("name")
    accounts.choices["test"].add_argument("--ca-file", help="also trust this CA (PEM)")

    worker = verb(verbs, "worker", cmd_worker, "fetch and send mail (until stopped)")
    worker.add_argument("--once", action="store_true", help="one full pass, then exit")
    worker.add_argument("--poll-seconds", type=float, default=60.0, help="without IDLE")
    worker.add_argument(
        "--lease-seconds",
        type=float,
        default=30.0,
        help="another worker takes over a dead one's accounts after this (default 30)",
    )
    worker.add_argument("--ca-file", help="also trust this CA (PEM); or DESK_EXTRA_CA_FILE")
