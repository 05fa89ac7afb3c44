"""The inbox views agents pick from, as plain values. The SQL behind them lives in store/."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

# "Due soon" means an SLA target falls due within this window.
DUE_SOON_WINDOW = timedelta(hours=2)
# "Recently solved" looks back this far.
RECENTLY_SOLVED_WINDOW = timedelta(days=7)
# Narrowing a view to NOBODY keeps the tickets without a department, or without an assignee.
NOBODY = 0


class ViewKind(StrEnum):
    MINE = "mine"
    UNASSIGNED = "unassigned"
    DEPARTMENT = "department"
    ALL_OPEN = "all_open"
    DUE_SOON = "due_soon"
    BREACHED = "breached"
    PENDING = "pending"
    SOLVED_RECENTLY = "solved_recently"


class SortKey(StrEnum):
    UPDATED = "updated"
    CREATED = "created"
    DUE = "due"
    PRIORITY = "priority"
    SUBJECT = "subject"
    STATUS = "status"


@dataclass(frozen=True)
class View:
    kind: ViewKind
    department_id: int | None = None
    # A view narrowed to one department's or one agent's tickets: the workload board's
    # drill-downs ("Billing's breached tickets", "Anna's open tickets"). Not in the navigation
    # pane; the window shows them under their wider view with a note saying so.
    only_department: int | None = None
    only_assignee: int | None = None

    def __post_init__(self) -> None:
        if (self.kind is ViewKind.DEPARTMENT) != (self.department_id is not None):
            raise ValueError("a department view needs a department, and only it")

    @property
    def is_narrowed(self) -> bool:
        return self.only_department is not None or self.only_assignee is not None

    def widened(self) -> View:
        """The view without its narrowing: the one the navigation pane lists."""
        return View(self.kind, self.department_id)

    @property
    def default_sort(self) -> tuple[SortKey, bool]:
        """(key, descending): deadline views show the most urgent first, others the newest."""
        if self.kind in (ViewKind.DUE_SOON, ViewKind.BREACHED):
            return SortKey.DUE, False
        return SortKey.UPDATED, True


@dataclass(frozen=True)
class Page:
    """Which slice of a view to fetch: paging and sorting happen in the database."""

    limit: int = 50
    offset: int = 0
    sort: SortKey | None = None
    descending: bool = True
    # Continue after this ticket (keyset paging): as fast at row 100,000 as at row 50. When
    # given, offset is ignored for sort orders that support it.
    after_id: int | None = None
