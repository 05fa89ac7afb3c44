"""How far a desk is set up: what the inbox's empty state shows a new team (ui/empty_state.py).
One read transaction of a few counts, run on the task runner."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from desk_app.store.database import Database
from desk_app.store.models import (
    Agent,
    Department,
    MailAccount,
    SlaPolicyRow,
    Template,
    Ticket,
)


@dataclass(frozen=True)
class SetupState:
    tickets: int
    mail_accounts: int  # active ones
    departments: int
    agents: int  # active ones
    sla_policies: int
    templates: int

    @property
    def is_new(self) -> bool:
        """Nothing has happened here yet: no ticket at all, in any view."""
        return self.tickets == 0


def setup_state(db: Database) -> SetupState:
    with db.read() as session:

        def count(statement: object) -> int:
            return int(session.scalar(statement) or 0)  # type: ignore[call-overload]

        return SetupState(
            tickets=count(select(func.count()).select_from(Ticket)),
            mail_accounts=count(
                select(func.count()).select_from(MailAccount).where(MailAccount.is_active)
            ),
            departments=count(select(func.count()).select_from(Department)),
            agents=count(select(func.count()).select_from(Agent).where(Agent.is_active)),
            sla_policies=count(select(func.count()).select_from(SlaPolicyRow)),
            templates=count(select(func.count()).select_from(Template)),
        )
