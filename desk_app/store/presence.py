"""Presence: which agent is looking at or replying to which ticket, right now.

Each desktop owns one row (keyed by a random client id) and refreshes it every REFRESH seconds;
a row older than its expires_at is ignored, so a desktop that crashed or lost its network
disappears on its own after TTL. Only a change of ticket or activity writes a change-log row:
refreshes are silent, so ten idle desktops do not wake every other desktop every ten seconds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from desk_app.core.clock import Clock, utc_now
from desk_app.store.database import Database
from desk_app.store.journal import Journal
from desk_app.store.models import Agent, Presence

REFRESH = timedelta(seconds=10)
TTL = timedelta(seconds=30)
ACTIVITIES = ("viewing", "replying")


@dataclass(frozen=True)
class Colleague:
    """Someone else on a ticket."""

    agent_id: int
    name: str
    activity: str  # viewing | replying

    def describe(self) -> str:
        return f"{self.name} is {self.activity}"


class PresenceStore:
    def __init__(self, db: Database, client_id: str, clock: Clock = utc_now) -> None:
        self.db = db
        self.client_id = client_id
        self.clock = clock

    def publish(self, agent_id: int, ticket_id: int | None, activity: str | None) -> bool:
        """Say what this desktop's agent is doing; returns True when others were told of a
        change (a different ticket or activity), False for a silent refresh."""
        if activity is not None and activity not in ACTIVITIES:
            raise ValueError(f"activity must be one of {ACTIVITIES}, got {activity!r}")
        if ticket_id is None:
            activity = None
        now = self.clock()
        with self.db.write() as session:
            row = session.get(Presence, self.client_id)
            before = (None, None) if row is None else (row.ticket_id, row.activity)
            live_before = row is not None and row.expires_at > now
            if row is None:
                row = Presence(client_id=self.client_id, agent_id=agent_id)
                session.add(row)
            row.agent_id = agent_id
            row.ticket_id = ticket_id
            row.activity = activity
            row.updated_at = now
            row.expires_at = now + TTL
            moved = (ticket_id, activity) != before or not live_before
            if moved:
                # Both the ticket left and the ticket joined need their "who is here" redrawn.
                journal = Journal(session, agent_id, now)
                for affected in {before[0], ticket_id} - {None}:
                    assert affected is not None
                    journal.changed("presence", affected, "update")
                journal.finish()
            return moved

    def withdraw(self) -> None:
        """The window closes: leave at once rather than after TTL."""
        now = self.clock()
        with self.db.write() as session:
            row = session.get(Presence, self.client_id)
            if row is None:
                return
            ticket_id, agent_id = row.ticket_id, row.agent_id
            session.execute(delete(Presence).where(Presence.client_id == self.client_id))
            if ticket_id is not None:
                journal = Journal(session, agent_id, now)
                journal.changed("presence", ticket_id, "delete")
                journal.finish()

    def on_tickets(self, ticket_ids: Iterable[int]) -> dict[int, list[Colleague]]:
        """Who else is on these tickets now (never this desktop; the same agent on another
        desktop does count). Replying sorts before viewing."""
        wanted = sorted(set(ticket_ids))
        if not wanted:
            return {}
        now = self.clock()
        with self.db.read() as session:
            rows = _live_rows(session, wanted, self.client_id, now)
        found: dict[int, list[Colleague]] = defaultdict(list)
        seen: set[tuple[int, int]] = set()
        for ticket_id, agent_id, name, activity in rows:
            if (ticket_id, agent_id) in seen:
                continue  # the same person on two desktops: once, with the busier activity
            seen.add((ticket_id, agent_id))
            found[ticket_id].append(Colleague(agent_id, name, activity or "viewing"))
        return dict(found)

    def purge_expired(self) -> int:
        """Delete rows long dead (housekeeping; readers already ignore them)."""
        cutoff = self.clock() - TTL * 10
        with self.db.write() as session:
            result = session.execute(delete(Presence).where(Presence.expires_at < cutoff))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _live_rows(
    session: Session, ticket_ids: list[int], client_id: str, now: datetime
) -> list[tuple[int, int, str, str | None]]:
    rows = session.execute(
        select(Presence.ticket_id, Presence.agent_id, Agent.display_name, Presence.activity)
        .join(Agent, Agent.id == Presence.agent_id)
        .where(
            Presence.ticket_id.in_(ticket_ids),
            Presence.expires_at > now,
            Presence.client_id != client_id,
        )
        # "replying" < "viewing": the busier activity first for each person.
        .order_by(Presence.ticket_id, Presence.activity, Agent.display_name)
    ).all()
    # ticket_id is NULL only for a desktop on no ticket, which IN never matches: this test
    # drops nothing, it tells the type checker so.
    return [(int(t), int(a), str(n), act) for t, a, n, act in rows if t is not None]
