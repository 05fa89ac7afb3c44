"""The tickets ui_bench opens: a realistic mix instead of one kind of short thread.

What makes opening a ticket slow in real use is rarely the average ticket; it is the long
thread, the HTML newsletter a customer forwarded, the customer who has written a thousand
times (a full history sidebar), the ticket whose SLA header has every target running. The mix
has a few tickets of each kind, seeded through the service layer (as mail ingest and agents
would leave them) except the long histories, which the bulk loader writes in one go.

Each kind's tickets belong to customers named open-mix-<kind>-<n>@example.com, so a database
seeded before can be read back (ui_bench --reuse) without a table of its own.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

# kind -> how many tickets of it the bench opens in turn
KINDS: dict[str, int] = {"thread": 2, "html": 2, "history": 2, "sla": 2, "twenty": 2}
THREAD_MESSAGES = (60, 150)  # a long thread, and a very long one
HISTORY_TICKETS = 600  # tickets of a customer with a long history (the sidebar shows 200)
HTML_MESSAGES = 6  # HTML mails per HTML ticket, one of them a large newsletter


def customer_email(kind: str, n: int) -> str:
    return f"open-mix-{kind}-{n}@example.com"


def seed_mix(url: str, agent_email: str, now: datetime) -> dict[str, list[int]]:
    """Add the mix to a database the bench has seeded (its team and SLA rules in place)."""
    from desk_app.store import Database, Queries, Service
    from desk_app.store.bulk import BulkLoader

    db = Database(url)
    try:
        agent = Queries(db, None).agent_by_email(agent_email)
        service = Service(db, agent.id)
        rng = random.Random(15)
        loader = BulkLoader(db, workers=0)
        loader.ensure_team([], [])
        loader.load(_histories(now, agent_email))
        makers: dict[str, Callable[[Any, int, datetime, random.Random], int]] = {
            "thread": _long_thread,
            "html": _html_ticket,
            "history": lambda s, n, _now, r: _history_ticket(s, n, r),
            "sla": _sla_ticket,
            "twenty": lambda s, n, _now, _r: _twenty_messages(s, n),
        }
        return {
            kind: [makers[kind](service, n, now, rng) for n in range(count)]
            for kind, count in KINDS.items()
        }
    finally:
        db.dispose()


def mix_before(url: str) -> dict[str, list[int]] | None:
    """The mix a database was seeded with before, or None if it has none."""
    from desk_app.core.errors import NotFound
    from desk_app.store import Database, Queries

    db = Database(url)
    try:
        queries = Queries(db, None)
        found: dict[str, list[int]] = {}
        for kind, count in KINDS.items():
            ids = []
            for n in range(count):
                try:
                    customer = queries.find_customer(customer_email(kind, n))
                except NotFound:
                    return None
                # The newest: for a long history, the one the customer just wrote.
                ids.append(queries.customer_tickets(customer.id, limit=1)[0].id)
            found[kind] = ids
        return found
    finally:
        db.dispose()


# --- the kinds ---------------------------------------------------------------------------------


def _twenty_messages(service: Any, n: int) -> int:
    """The bench's original case: 20 short plain-text messages."""
    result = service.create_ticket(
        subject=f"Order NW-{4000 + n} arrived damaged, second box missing",
        customer_email=customer_email("twenty", n),
        body="The parcel arrived today but the box was crushed and one item is missing.",
        department="Support",
    )
    ticket_id = int(result.ticket_id)
    for index in range(1, 20):
        text = f"Message {index + 1} in this thread. " + "Some detail about the order. " * 12
        if index % 2:
            service.reply(ticket_id, f"Thanks, we are looking into it. {text}")
        else:
            service.add_inbound_message(ticket_id, f"Any news on this? {text}\n\n> quoted\n> text")
    return ticket_id


def _long_thread(service: Any, n: int, now: datetime, rng: random.Random) -> int:
    """Weeks of back and forth: customer mails quoting the whole thread, replies, notes, and
    the field changes a long case collects (moves, status changes)."""
    total = THREAD_MESSAGES[n % len(THREAD_MESSAGES)]
    start = now - timedelta(days=40)
    result = service.create_ticket(
        subject=f"Recurring sync failures on the warehouse integration (case {7100 + n})",
        customer_email=customer_email("thread", n),
        customer_name=f"Priya Raman {n}",
        body=_paragraphs(rng, 3),
        department="Technical",
        priority="high",
        created_at=start,
    )
    ticket_id = int(result.ticket_id)
    quoted: list[str] = []
    for index in range(1, total):
        body = _paragraphs(rng, rng.randint(1, 4))
        if index % 3 == 0:
            service.add_note(ticket_id, f"Internal: {body}")
        elif index % 3 == 1:
            service.reply(ticket_id, f"Hello,\n\n{body}\n\nBest regards,\nSupport")
        else:
            # Mail clients quote everything above; the thread grows with every answer.
            history = "\n".join(f"> {line}" for line in "\n".join(quoted[-6:]).splitlines())
            service.add_inbound_message(ticket_id, f"{body}\n\nOn a day, you wrote:\n{history}")
        quoted.append(body)
        if index % 25 == 0:
            status = "pending" if index % 50 else "open"
            service.set_status(ticket_id, status, reason="waiting for the customer's logs")
    return ticket_id


def _html_ticket(service: Any, n: int, now: datetime, rng: random.Random) -> int:
    """Mail as it comes from Outlook and shops: layout tables, inline styles, quoted history in
    nested blocks, remote images, and one large newsletter-style order confirmation."""
    from desk_app.mail.sanitise import html_to_text, sanitise_html

    def mail(html: str) -> tuple[str, str]:
        clean = sanitise_html(html)
        return html_to_text(clean), clean

    text, html = mail(_outlook_html(rng, 0))
    result = service.create_ticket(
        subject=f"Invoice INV-{88000 + n} does not match the order",
        customer_email=customer_email("html", n),
        customer_name=f"Jonas Becker {n}",
        body=text,
        body_html=html,
        department="Billing",
        created_at=now - timedelta(days=3),
    )
    ticket_id = int(result.ticket_id)
    for index in range(1, HTML_MESSAGES):
        if index % 2:
            service.reply(ticket_id, _paragraphs(rng, 2))
        big = index == HTML_MESSAGES - 1
        text, html = mail(_newsletter_html(rng) if big else _outlook_html(rng, index))
        service.add_inbound_message(ticket_id, text, body_html=html)
    return ticket_id


def _history_ticket(service: Any, n: int, rng: random.Random) -> int:
    """The newest ticket of a customer who has written HISTORY_TICKETS times before."""
    result = service.create_ticket(
        subject=f"Another delivery question from a regular ({n})",
        customer_email=customer_email("history", n),
        body=_paragraphs(rng, 2),
        department="Support",
    )
    return int(result.ticket_id)


def _sla_ticket(service: Any, n: int, now: datetime, rng: random.Random) -> int:
    """Urgent, every target running, the first response already breached (the SLA header
    shows them all, counting down and overdue)."""
    result = service.create_ticket(
        subject=f"Checkout down for all customers in region {n}",
        customer_email=customer_email("sla", n),
        body=_paragraphs(rng, 2),
        department="Support",
        priority="urgent",
        created_at=now - timedelta(minutes=90 + 30 * n),
    )
    ticket_id = int(result.ticket_id)
    for _ in range(3):
        service.add_inbound_message(ticket_id, _paragraphs(rng, 1))
    return ticket_id


def _histories(now: datetime, agent_email: str) -> Any:
    """HISTORY_TICKETS past tickets for each history customer, through the bulk loader."""
    from desk_app.core.enums import Channel, Direction, Priority, Status
    from desk_app.store.seeds import SeedCustomer, SeedMessage, SeedTicket

    for n in range(KINDS["history"]):
        customer = SeedCustomer(
            name=f"Regular Customer {n}", email=customer_email("history", n), organisation="Acme"
        )
        for index in range(HISTORY_TICKETS):
            at = now - timedelta(days=2 * HISTORY_TICKETS - 2 * index, hours=n)
            yield SeedTicket(
                subject=f"Question {index} about order AC-{index:05d}",
                customer=customer,
                status=Status.CLOSED if index < HISTORY_TICKETS - 20 else Status.SOLVED,
                priority=Priority.NORMAL,
                channel=Channel.EMAIL if index % 4 else Channel.PHONE,
                created_at=at,
                department="Support",
                assignee_email=agent_email,
                messages=(
                    SeedMessage(Direction.INBOUND, f"Where is order AC-{index:05d}?", at),
                    SeedMessage(
                        Direction.OUTBOUND,
                        "It left our warehouse today.",
                        at + timedelta(hours=2),
                        author_agent_email=agent_email,
                    ),
                ),
            )


# --- text ----------------------------------------------------------------------------------------

_SENTENCES = (
    "The export job stopped again at about three in the morning.",
    "We attached the log from the integration server, see the lines marked ERROR.",
    "Our finance team needs the corrected invoice before the end of the month.",
    "The tracking number you sent does not show any movement since Tuesday.",
    "Could you check whether the credit note was applied to the right account?",
    "Restarting the connector helps for a few hours, then the queue fills up again.",
    "I have tried the steps from your last mail, without success unfortunately.",
    "Please call me back on the number below if that is easier for you.",
    "The customer portal shows a different amount than the PDF we received.",
    "Thank you for your patience while we look into this with the carrier.",
)


def _paragraphs(rng: random.Random, count: int) -> str:
    return "\n\n".join(
        " ".join(rng.choice(_SENTENCES) for _ in range(rng.randint(2, 6))) for _ in range(count)
    )


def _outlook_html(rng: random.Random, depth: int) -> str:
    """A reply from Outlook: WordSection markup, a signature table, and the earlier mails quoted
    below it, one nested block per earlier mail."""
    quoted = ""
    for level in range(depth + 2):
        quoted = (
            '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
            f'<p class="MsoNormal"><b>From:</b> Support &lt;support@example.com&gt;<br>'
            f"<b>Sent:</b> Monday, {level + 1} March<br><b>Subject:</b> RE: Invoice</p></div>"
            f'<p class="MsoNormal">{_paragraphs(rng, 2).replace(chr(10), "<br>")}</p>'
            f'<blockquote style="margin-left:6pt;border-left:solid #ccc 1pt">{quoted}</blockquote>'
        )
    signature = (
        '<table border="0" cellspacing="0" cellpadding="0" style="border-collapse:collapse">'
        '<tr><td style="padding:0 8pt 0 0"><img src="https://cdn.example.com/logo.png" '
        'width="80" height="30" alt="Acme"></td><td><p class="MsoNormal"><b>Jonas Becker</b>'
        "<br>Accounts payable<br>+49 30 1234567</p></td></tr></table>"
    )
    body = "".join(
        f'<p class="MsoNormal"><span style="font-size:11.0pt;font-family:Calibri">'
        f"{paragraph}</span></p>"
        for paragraph in _paragraphs(rng, 3).split("\n\n")
    )
    return f'<div class="WordSection1">{body}{signature}{quoted}</div>'


def _newsletter_html(rng: random.Random) -> str:
    """A forwarded order confirmation: a 600px layout table with a row and an image per item."""
    rows = "".join(
        '<tr><td width="80" style="padding:8px"><img src="https://img.example-shop.com/p/'
        f'{rng.randint(10000, 99999)}.jpg" width="64" height="64" alt="item"></td>'
        f'<td style="padding:8px;font-family:Arial,sans-serif;font-size:14px;color:#333">'
        f"<b>Item {index}: {rng.choice(_SENTENCES)}</b><br>"
        f'<span style="color:#777">Art. {rng.randint(100000, 999999)} · Qty 1</span></td>'
        f'<td align="right" style="padding:8px;font-family:Arial">€{rng.randint(5, 400)}.99'
        "</td></tr>"
        for index in range(60)
    )
    return (
        '<table width="100%" cellpadding="0" cellspacing="0" bgcolor="#f4f4f4"><tr><td '
        'align="center"><table width="600" cellpadding="0" cellspacing="0" bgcolor="#ffffff" '
        'style="border:1px solid #ddd"><tr><td style="padding:20px"><img '
        'src="https://img.example-shop.com/header.png" width="560" height="120" alt="Shop">'
        '<h1 style="font-family:Arial;font-size:22px">Thank you for your order</h1></td></tr>'
        f'<tr><td><table width="100%" cellpadding="0" cellspacing="0">{rows}</table></td></tr>'
        '<tr><td style="padding:20px;font-size:11px;color:#999">'
        f"{_paragraphs(rng, 6).replace(chr(10), '<br>')}</td></tr></table></td></tr></table>"
    )


__all__ = ["KINDS", "customer_email", "mix_before", "seed_mix"]
