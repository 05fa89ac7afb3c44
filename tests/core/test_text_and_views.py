"""Message previews and the inbox view values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk_app.core.text import PREVIEW_LENGTH, preview_of
from desk_app.core.views import Page, SortKey, View, ViewKind


def test_preview_collapses_whitespace():
    assert preview_of("  Hello\n\n  world\t again  ") == "Hello world again"


def test_preview_drops_quoted_lines():
    body = "Thanks!\n> On Monday you wrote:\n>> old text\n  > indented quote\nBye"
    assert preview_of(body) == "Thanks! Bye"


def test_preview_of_only_quotes_is_empty():
    assert preview_of("> a\n> b") == ""
    assert preview_of("") == ""


def test_preview_keeps_short_text_whole():
    text = "x" * PREVIEW_LENGTH
    assert preview_of(text) == text


def test_preview_truncates_long_text_with_ellipsis():
    text = "word " * 100
    preview = preview_of(text)
    assert len(preview) <= PREVIEW_LENGTH
    assert preview.endswith("…")
    assert not preview[:-1].endswith(" ")
    assert text.startswith(preview[:-1])


def test_preview_custom_length():
    assert preview_of("abcdefghij", length=5) == "abcd…"
    assert preview_of("Привет, мир", length=20) == "Привет, мир"


@given(st.text(), st.integers(min_value=2, max_value=300))
def test_preview_never_exceeds_length_or_contains_newlines(body, length):
    preview = preview_of(body, length)
    assert len(preview) <= length
    assert "\n" not in preview
    assert preview == preview.strip()


def test_department_view_needs_a_department():
    assert View(ViewKind.DEPARTMENT, 3).department_id == 3
    with pytest.raises(ValueError):
        View(ViewKind.DEPARTMENT)


@pytest.mark.parametrize("kind", [k for k in ViewKind if k is not ViewKind.DEPARTMENT])
def test_other_views_take_no_department(kind):
    assert View(kind).department_id is None
    with pytest.raises(ValueError):
        View(kind, 1)


def test_views_are_hashable_values():
    assert View(ViewKind.MINE) == View(ViewKind.MINE)
    assert len({View(ViewKind.DEPARTMENT, 1), View(ViewKind.DEPARTMENT, 1)}) == 1
    assert View(ViewKind.DEPARTMENT, 1) != View(ViewKind.DEPARTMENT, 2)


@pytest.mark.parametrize("kind", list(ViewKind))
def test_default_sort(kind):
    view = View(kind, 1 if kind is ViewKind.DEPARTMENT else None)
    if kind in (ViewKind.DUE_SOON, ViewKind.BREACHED):
        assert view.default_sort == (SortKey.DUE, False)
    else:
        assert view.default_sort == (SortKey.UPDATED, True)


def test_page_defaults():
    page = Page()
    assert (page.limit, page.offset, page.sort, page.descending) == (50, 0, None, True)


def test_view_kinds_round_trip_from_strings():
    for kind in ViewKind:
        assert ViewKind(kind.value) is kind
    assert {k.value for k in SortKey} == {
        "updated",
        "created",
        "due",
        "priority",
        "subject",
        "status",
    }
