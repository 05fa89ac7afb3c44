"""English plural forms for Qt's numerus strings.

Sources follow Qt's convention ("%n new message(s)"), so a translation file can give every
language its own forms through tr(text, "", n). Desk ships no English translation file, and
without one tr() returns the source with only %n filled in; this picks the English form, so
the window never says "1 new message(s)".
"""

from __future__ import annotations


def english_plural(text: str, n: int) -> str:
    """Resolve "(s)" and "y(ies)" in an untranslated numerus string; a translated one has none
    left."""
    return text.replace("y(ies)", "y" if n == 1 else "ies").replace("(s)", "" if n == 1 else "s")
