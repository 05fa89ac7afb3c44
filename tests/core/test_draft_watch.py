"""What counts as news for a reply draft, and how far the service may take the draft as read."""

from __future__ import annotations

from desk_app.core.draft_watch import ShownMessage, arrived_since, newest, safe_seen

IN, OUT, NOTE = "inbound", "outbound", "note"


def _thread(*items: tuple[int, str]) -> list[ShownMessage]:
    return [ShownMessage(i, d) for i, d in items]


def test_nothing_after_the_mark_is_no_news_and_everything_shown_is_seen():
    shown = _thread((1, IN), (2, OUT), (3, IN))
    assert arrived_since(shown, 3) == []
    assert safe_seen(shown, 3) == 3
    assert newest(shown) == 3


def test_a_colleagues_reply_and_a_customer_message_after_the_mark_are_news():
    shown = _thread((1, IN), (4, OUT), (7, IN))
    assert arrived_since(shown, 1) == [4, 7]
    # The service may only take the draft as read up to just before the first news.
    assert safe_seen(shown, 1) == 1


def test_a_colleagues_note_is_not_announced_but_not_taken_as_read_either():
    shown = _thread((1, IN), (2, NOTE), (5, OUT), (6, NOTE))
    assert arrived_since(shown, 1) == [5]
    # The service then names the note when it refuses the send.
    assert safe_seen(shown, 1) == 1
    assert arrived_since(_thread((1, IN), (2, NOTE)), 1) == []
    assert safe_seen(_thread((1, IN), (2, NOTE)), 1) == 1


def test_what_the_agent_added_themselves_after_the_mark_counts_as_read():
    shown = _thread((1, IN), (2, NOTE), (3, NOTE), (4, NOTE))
    assert safe_seen(shown, 1, own={2, 3}) == 3
    # Only up to the first message by someone else: an own note after it does not help.
    assert safe_seen(_thread((1, IN), (2, NOTE), (3, NOTE)), 1, own={3}) == 1


def test_a_mark_ahead_of_what_is_drawn_is_kept():
    # After "Send anyway" the mark may name a message the reload has not drawn yet.
    shown = _thread((1, IN))
    assert safe_seen(shown, 9) == 9
    assert arrived_since(shown, 9) == []


def test_an_empty_conversation():
    assert newest([]) == 0
    assert arrived_since([], 0) == []
    assert safe_seen([], 0) == 0
