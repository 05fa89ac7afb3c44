"""Which inbox columns fit: the subject takes what is left, and on a narrow list the columns
the ticket header repeats give way instead of the list scrolling sideways.

At 1024 px wide, with the navigation and the customer panel open, the list is about 590 px;
nine columns at widths that show their text need about 850. A sideways scroll bar hides the
subject (what the agent reads first) or the SLA (what they act on) behind a scroll, so the
columns whose facts are also in the ticket header (channel and department in its meta line
and fields, the assignee in its fields) and the last-update time step aside, one at a time,
and come back when the list is wide enough again.
"""

from __future__ import annotations

from collections.abc import Mapping

from desk_app.ui.inbox_model import Column

# The order in which columns give way; the SLA, priority, subject, customer and status stay.
GIVE_WAY_ORDER = (Column.CHANNEL, Column.DEPARTMENT, Column.ASSIGNEE, Column.UPDATED)
SUBJECT_MINIMUM = 180  # about 25 characters of subject, and the snippet under it


def columns_to_hide(
    available: int, widths: Mapping[Column, int], subject_minimum: int = SUBJECT_MINIMUM
) -> set[Column]:
    """The columns to hide so that every other one keeps its width and the subject still
    gets subject_minimum pixels of `available`; the fewest, in GIVE_WAY_ORDER."""
    needed = subject_minimum + sum(
        width for column, width in widths.items() if column is not Column.SUBJECT
    )
    hidden: set[Column] = set()
    for column in GIVE_WAY_ORDER:
        if needed <= available:
            break
        hidden.add(column)
        needed -= widths.get(column, 0)
    return hidden
