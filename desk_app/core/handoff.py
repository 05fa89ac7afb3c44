"""The hand-off summary for the morning shift: what arrived overnight, what was answered, what
is still open, per department, and who was paged. Plain data (store/handoff_store.py fills it)
and its rendering as plain text (for e-mail) and Markdown (for the app)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

DEFAULT_WINDOW = timedelta(hours=14)
# Each list shows at most this many tickets; the counts are always complete.
SHOWN_PER_LIST = 15
NO_DEPARTMENT = "No department"
# In the app, ticket numbers are links that open the ticket: "desk-ticket:123".
TICKET_LINK_SCHEME = "desk-ticket"


@dataclass(frozen=True)
class HandoffTicket:
    id: int
    subject: str
    priority: str
    status: str
    customer: str
    created_at: datetime
    assignee: str | None = None
    # The customer's last message with no reply after it: how long they have been waiting.
    waiting_since: datetime | None = None


@dataclass(frozen=True)
class DepartmentHandoff:
    name: str
    arrived: tuple[HandoffTicket, ...] = ()
    answered: tuple[HandoffTicket, ...] = ()
    still_open: tuple[HandoffTicket, ...] = ()


@dataclass(frozen=True)
class PageLine:
    ticket_id: int
    subject: str
    paged: str  # who is (or was last) paged
    created_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    escalations: int


@dataclass(frozen=True)
class HandoffSummary:
    since: datetime
    until: datetime
    departments: tuple[DepartmentHandoff, ...] = ()
    pages: tuple[PageLine, ...] = field(default=())

    @property
    def arrived(self) -> int:
        return sum(len(d.arrived) for d in self.departments)

    @property
    def answered(self) -> int:
        return sum(len(d.answered) for d in self.departments)

    @property
    def still_open(self) -> int:
        return sum(len(d.still_open) for d in self.departments)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["totals"] = {
            "arrived": self.arrived,
            "answered": self.answered,
            "still_open": self.still_open,
            "pages": len(self.pages),
        }
        return data

    def subject(self, zone: tzinfo) -> str:
        return (
            f"Hand-off {_when(self.since, zone)} – {_when(self.until, zone)}: "
            f"{self.arrived} arrived, {self.answered} answered, {self.still_open} still open"
        )


def _when(at: datetime, zone: tzinfo) -> str:
    return at.astimezone(zone).strftime("%a %d %b %H:%M")


def ticket_link(ticket_id: int) -> str:
    return f"{TICKET_LINK_SCHEME}:{ticket_id}"


def linked_ticket(url: str) -> int | None:
    """The ticket a link of the summary opens; None for any other link."""
    scheme, _, rest = url.partition(":")
    return int(rest) if scheme == TICKET_LINK_SCHEME and rest.isascii() and rest.isdigit() else None


def _ticket_line(ticket: HandoffTicket, zone: tzinfo, now: datetime) -> str:
    return f"#{ticket.id} {_ticket_text(ticket, zone, now)}"


def _ticket_text(ticket: HandoffTicket, zone: tzinfo, now: datetime) -> str:
    """The line after the ticket's number."""
    details = [ticket.priority] if ticket.priority in ("urgent", "high") else []
    details.append(ticket.customer)
    if ticket.assignee:
        details.append(f"with {ticket.assignee}")
    if ticket.waiting_since is not None:
        details.append(f"waiting {_duration(now - ticket.waiting_since)}")
    return f"{ticket.subject} ({', '.join(details)})"


def _duration(span: timedelta) -> str:
    minutes = max(0, int(span.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def _page_line(page: PageLine, zone: tzinfo) -> str:
    return f"#{page.ticket_id} {_page_text(page, zone)}"


def _page_text(page: PageLine, zone: tzinfo) -> str:
    """The line after the ticket's number."""
    if page.acknowledged_at is not None:
        state = f"acknowledged by {page.acknowledged_by or 'someone'} at "
        state += page.acknowledged_at.astimezone(zone).strftime("%H:%M")
    else:
        state = "NOT acknowledged"
    escalated = f", escalated {page.escalations}×" if page.escalations else ""
    return f"{page.subject}: paged {page.paged}{escalated}; {state}"


def _sections(summary: HandoffSummary) -> list[tuple[str, list[tuple[str, list[Any]]]]]:
    return [
        (
            department.name,
            [
                ("Still open", list(department.still_open)),
                ("Arrived", list(department.arrived)),
                ("Answered", list(department.answered)),
            ],
        )
        for department in summary.departments
    ]


def render_text(summary: HandoffSummary, zone: tzinfo) -> str:
    """Plain text, for the e-mail: readable in any client, on a phone too."""
    lines = [summary.subject(zone), ""]
    if summary.pages:
        lines.append("Pages")
        lines += [f"  - {_page_line(page, zone)}" for page in summary.pages]
        lines.append("")
    if not summary.departments:
        lines.append("Nothing arrived, nothing was answered, nothing is open.")
    for name, parts in _sections(summary):
        lines.append(name)
        lines.append("=" * len(name))
        for title, tickets in parts:
            lines.append(f"{title}: {len(tickets)}")
            lines += [
                f"  - {_ticket_line(t, zone, summary.until)}" for t in tickets[:SHOWN_PER_LIST]
            ]
            if len(tickets) > SHOWN_PER_LIST:
                lines.append(f"  … and {len(tickets) - SHOWN_PER_LIST} more")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _md(text: str) -> str:
    # Subjects are customers' words: anything Markdown would read as markup is escaped,
    # entities ("&lt;") included.
    return "".join("\\" + ch if ch in "\\`*_{}[]()#+-.!|<>~&" else ch for ch in text)


def _number(ticket_id: int) -> str:
    """The ticket's number as a link that opens it."""
    return f"[\\#{ticket_id}]({ticket_link(ticket_id)})"


def render_markdown(summary: HandoffSummary, zone: tzinfo) -> str:
    """Markdown, for the app's dialog (QTextBrowser.setMarkdown); ticket numbers link to
    their tickets (see linked_ticket)."""
    out = [
        f"## {_md(summary.subject(zone))}",
        "",
    ]
    if summary.pages:
        out.append("### Pages")
        out += [
            f"- {_number(page.ticket_id)} {_md(_page_text(page, zone))}" for page in summary.pages
        ]
        out.append("")
    if not summary.departments:
        out.append("Nothing arrived, nothing was answered, nothing is open.")
    for name, parts in _sections(summary):
        out.append(f"### {_md(name)}")
        for title, tickets in parts:
            out.append(f"**{title}: {len(tickets)}**")
            out.append("")
            out += [
                f"- {_number(t.id)} {_md(_ticket_text(t, zone, summary.until))}"
                for t in tickets[:SHOWN_PER_LIST]
            ]
            if len(tickets) > SHOWN_PER_LIST:
                out.append(f"- … and {len(tickets) - SHOWN_PER_LIST} more")
            out.append("")
    return "\n".join(out).rstrip() + "\n"
