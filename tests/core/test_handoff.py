"""The hand-off summary as text and Markdown: counts, the longest wait first, pages, escaping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from desk_app.core.handoff import (
    SHOWN_PER_LIST,
    DepartmentHandoff,
    HandoffSummary,
    HandoffTicket,
    PageLine,
    linked_ticket,
    render_markdown,
    render_text,
    ticket_link,
)

UNTIL = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
SINCE = UNTIL - timedelta(hours=14)
TOKYO = ZoneInfo("Asia/Tokyo")


def ticket(number: int, subject: str = "Order missing", **extra) -> HandoffTicket:
    values = {
        "id": number,
        "subject": subject,
        "priority": "normal",
        "status": "new",
        "customer": "Olga",
        "created_at": SINCE + timedelta(hours=1),
    }
    values.update(extra)
    return HandoffTicket(**values)


def summary() -> HandoffSummary:
    waiting = ticket(2, "Site *down*", priority="urgent", waiting_since=UNTIL - timedelta(hours=3))
    return HandoffSummary(
        since=SINCE,
        until=UNTIL,
        departments=(DepartmentHandoff("Support", (ticket(1), waiting), (ticket(1),), (waiting,)),),
        pages=(PageLine(2, "Site *down*", "Boris", SINCE + timedelta(hours=2), None, None, 1),),
    )


def test_text_names_the_window_counts_waits_and_unanswered_pages():
    text = render_text(summary(), TOKYO)
    first = text.splitlines()[0]
    assert (
        first == "Hand-off Mon 23 Nov 19:00 – Tue 24 Nov 09:00: 2 arrived, 1 answered, 1 still open"
    )
    assert "Still open: 1\n  - #2 Site *down* (urgent, Olga, waiting 3h 00m)" in text
    assert "paged Boris, escalated 1×; NOT acknowledged" in text
    data = summary().to_dict()
    assert data["totals"] == {"arrived": 2, "answered": 1, "still_open": 1, "pages": 1}


def test_markdown_escapes_what_customers_wrote():
    markdown = render_markdown(summary(), TOKYO)
    assert "Site \\*down\\*" in markdown and "Site *down*" not in markdown
    assert "### Support" in markdown and "**Still open: 1**" in markdown


def test_long_lists_are_cut_but_counted_and_an_empty_night_says_so():
    many = tuple(ticket(n) for n in range(SHOWN_PER_LIST + 5))
    big = HandoffSummary(SINCE, UNTIL, (DepartmentHandoff("Support", many, (), ()),))
    text = render_text(big, UTC)
    assert f"Arrived: {SHOWN_PER_LIST + 5}" in text and "… and 5 more" in text
    empty = render_text(HandoffSummary(SINCE, UNTIL), UTC)
    assert "Nothing arrived, nothing was answered, nothing is open." in empty


def test_markdown_links_every_ticket_number_to_its_ticket():
    markdown = render_markdown(summary(), TOKYO)
    assert f"- [\\#2]({ticket_link(2)}) Site \\*down\\*: paged Boris" in markdown  # the page
    assert f"- [\\#1]({ticket_link(1)}) Order missing \\(Olga\\)" in markdown
    assert markdown.count(f"]({ticket_link(2)})") == 3  # the page, arrived, still open
    assert linked_ticket(ticket_link(42)) == 42
    for other in ("https://example.com/42", "desk-ticket:", "desk-ticket:4x", "desk-ticket:٤٢"):
        assert linked_ticket(other) is None
