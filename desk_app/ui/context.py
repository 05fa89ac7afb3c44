"""What every widget needs to reach the store: built once by app.py and passed down, so there is
no global main-window object to reach through."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from desk_app.config import paths
from desk_app.core.clock import Clock, utc_now
from desk_app.core.enums import Role
from desk_app.core.permissions import Actor, Permission, decide
from desk_app.store import Queries, Service
from desk_app.store.records import AgentRecord, DepartmentRecord
from desk_app.sync.local_drafts import LocalDrafts, database_key
from desk_app.ui.messages import MessageBridge
from desk_app.ui.tasks import TaskRunner


@dataclass
class DeskContext:
    queries: Queries
    service: Service
    runner: TaskRunner
    messages: MessageBridge
    agent: AgentRecord | None
    time_zone: tzinfo
    clock: Clock = utc_now
    # Network fetches (remote images) get their own threads: a slow server must never hold up
    # the database queue.
    network: TaskRunner = field(default_factory=lambda: TaskRunner(workers=2, name="desk-net"))
    # Filled once at start-up by the main window; pickers read them without a round trip.
    agents: list[AgentRecord] = field(default_factory=list)
    departments: list[DepartmentRecord] = field(default_factory=list)
    # Drafts on this computer until the database confirms them (see sync.local_drafts).
    local_drafts: LocalDrafts = field(init=False)

    def __post_init__(self) -> None:
        self.local_drafts = LocalDrafts(paths().data, database_key(self.queries.db.url))

    def now(self) -> datetime:
        return self.clock()

    def may(self, permission: Permission) -> bool:
        """Whether the signed-in agent's role allows this anywhere: for showing or hiding an
        action as a courtesy. The service layer decides for real, per department."""
        agent = self.agent
        if agent is None:
            return False
        actor = Actor(agent.id, Role(agent.role), active=agent.is_active)
        return bool(decide(actor, permission))
