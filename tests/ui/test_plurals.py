"""Untranslated numerus strings read as English: never "1 ticket(s)"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import desk_app.ui
from desk_app.ui.plurals import english_plural


@pytest.mark.parametrize(
    ("source", "n", "expected"),
    [
        ("1 ticket(s)", 1, "1 ticket"),
        ("2 ticket(s)", 2, "2 tickets"),
        ("0 ticket(s)", 0, "0 tickets"),
        ("1 policy(ies)", 1, "1 policy"),
        ("3 policy(ies) and 3 rule(s)", 3, "3 policies and 3 rules"),
        ("5 билетов", 5, "5 билетов"),  # a translation has nothing left to resolve
        ("1 ticket(s) [was|were] already there.", 1, "1 ticket was already there."),
        ("3 ticket(s) [was|were] already there.", 3, "3 tickets were already there."),
        ("[Its|Their] %n lead(s)", 2, "Their %n leads"),
        ("[x] stays [", 2, "[x] stays ["),  # no choice: brackets left as they are
    ],
)
def test_english_plural(source: str, n: int, expected: str) -> None:
    assert english_plural(source, n) == expected


def test_no_window_message_is_built_with_a_literal_plural_placeholder() -> None:
    """Messages with counts go through tr(text, "", n) and english_plural, not f"{n} x(s)"."""
    offenders = []
    for path in Path(desk_app.ui.__file__).parent.glob("*.py"):
        if path.name == "plurals.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "(s)" in line and "%n" not in line and not line.lstrip().startswith("#"):
                offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert offenders == []


ENGLISH_ONLY_PLURAL = re.compile(r"""[!=]= 1 else|['"]s['"] if""")


def test_no_window_message_picks_an_english_plural_by_hand() -> None:
    """f"{n} ticket" if n == 1 else f"{n} tickets" cannot be translated into Russian (three
    forms) or Japanese (one): counted words go through tr(text, "", n)."""
    offenders = []
    for path in Path(desk_app.ui.__file__).parent.glob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if ENGLISH_ONLY_PLURAL.search(line) and not line.lstrip().startswith("#"):
                offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert offenders == []
