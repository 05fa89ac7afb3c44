"""English plural forms for Qt's numerus strings.

Sources follow Qt's convention ("%n new message(s)"), so a translation file can give every
language its own forms through tr(text, "", n). Desk ships no English translation file, and
without one tr() returns the source with only %n filled in; this picks the English form, so
the window never says "1 new message(s)".

Where more than a noun's ending changes, the source spells both English forms as
"[one|other]": "%n ticket(s) [was|were] already there". A translation replaces the whole
sentence with its own forms, so it has none of these left.
"""

from __future__ import annotations

import re

_CHOICE = re.compile(r"\[([^\[\]|]*)\|([^\[\]|]*)\]")
_MARKER = re.compile(r"%(\d)")


def english_plural(text: str, n: int) -> str:
    """Resolve "(s)", "y(ies)" and "[one|other]" in an untranslated numerus string; a
    translated one has none left."""
    one = n == 1
    text = _CHOICE.sub(lambda m: m.group(1) if one else m.group(2), text)
    return text.replace("y(ies)", "y" if one else "ies").replace("(s)", "" if one else "s")


def fill(template: str, *values: str) -> str:
    """A translated string's %1, %2... filled in one pass (QString::arg's job): a value that
    itself contains "%2", a name say, stays as written."""

    def value(match: re.Match[str]) -> str:
        number = int(match.group(1))
        return values[number - 1] if 0 < number <= len(values) else match.group(0)

    return _MARKER.sub(value, template)
