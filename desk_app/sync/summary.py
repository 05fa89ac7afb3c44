"""What a batch of changes means for a window: which tickets, customers and lists to refresh.

Kept out of the UI so the mapping from change-log entities to refreshes is plain data and can be
merged cheaply when batches arrive faster than the window repaints.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from desk_app.store.change_feed import Change

# Entities whose rows feed the pickers (assignee, department) rather than the inbox.
PEOPLE_ENTITIES = frozenset({"agent", "department"})


@dataclass
class ChangeSummary:
    ticket_ids: set[int] = field(default_factory=set)
    customer_ids: set[int] = field(default_factory=set)
    # Tickets whose "who is on it" changed (presence): redraw the marks, nothing else.
    presence_ticket_ids: set[int] = field(default_factory=set)
    people: bool = False  # agents or departments changed: reload the pickers
    counts: bool = False  # something that view counts depend on changed

    @classmethod
    def of(cls, changes: list[Change]) -> ChangeSummary:
        summary = cls()
        summary.add(changes)
        return summary

    def add(self, changes: list[Change]) -> None:
        for change in changes:
            # A message change always comes with a change of its ticket (the service bumps the
            # ticket's version in the same transaction), so the ticket row is the one to use.
            if change.entity == "ticket":
                self.ticket_ids.add(change.entity_id)
                self.counts = True
            elif change.entity == "customer":
                self.customer_ids.add(change.entity_id)
            elif change.entity in PEOPLE_ENTITIES:
                self.people = True
                self.counts = True
            elif change.entity == "sla":
                self.counts = True
            elif change.entity == "presence":
                self.presence_ticket_ids.add(change.entity_id)

    def merge(self, other: ChangeSummary) -> None:
        self.ticket_ids |= other.ticket_ids
        self.customer_ids |= other.customer_ids
        self.presence_ticket_ids |= other.presence_ticket_ids
        self.people = self.people or other.people
        self.counts = self.counts or other.counts

    def __bool__(self) -> bool:
        return bool(
            self.ticket_ids
            or self.customer_ids
            or self.presence_ticket_ids
            or self.people
            or self.counts
        )
