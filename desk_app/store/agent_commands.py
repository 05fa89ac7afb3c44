"""Commands on the team itself: departments and agents (admin work), and the few settings
an agent keeps for themselves (availability, time zone, where pages go)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from desk_app.core.enums import Role
from desk_app.core.errors import ConflictError, InvalidInput
from desk_app.core.identities import normalise_email
from desk_app.core.permissions import Permission
from desk_app.store.command_base import CommandBase, choice
from desk_app.store.journal import Journal
from desk_app.store.models import Agent, AgentDepartment, Department

# What an agent may change about themselves; everything else about an agent is admin work.
SELF_SERVICE = frozenset({"available", "time_zone", "personal_email"})
_UNSET = object()


class AgentCommands(CommandBase):
    def add_department(self, name: str) -> int:
        name = name.strip()
        if not name:
            raise InvalidInput("a department needs a name")
        with self.db.write() as session:
            self._require(session, Permission.ADMINISTER)
            if session.scalar(select(Department.id).where(Department.name == name)):
                raise ConflictError(f"a department named '{name}' already exists")
            journal = self._journal(session)
            department = Department(name=name, created_at=journal.at)
            session.add(department)
            session.flush()
            journal.audit("department", department.id, "create", new=name)
            journal.changed("department", department.id, "insert")
            journal.finish()
            return department.id

    def add_agent(
        self,
        display_name: str,
        email: str,
        *,
        role: str = "agent",
        departments: Sequence[str] = (),
        time_zone: str = "UTC",
    ) -> int:
        email = normalise_email(email)
        role_value = choice(Role, role)
        if not display_name.strip():
            raise InvalidInput("an agent needs a display name")
        with self.db.write() as session:
            self._require(session, Permission.ADMINISTER)
            if session.scalar(select(Agent.id).where(Agent.email == email)):
                raise ConflictError(f"an agent with e-mail {email} already exists")
            journal = self._journal(session)
            agent = Agent(
                display_name=display_name.strip(),
                email=email,
                role=role_value.value,
                time_zone=time_zone,
                is_active=True,
                created_at=journal.at,
            )
            session.add(agent)
            session.flush()
            for name in departments:
                department = self._department(session, name)
                session.add(AgentDepartment(agent_id=agent.id, department_id=department.id))
            journal.audit("agent", agent.id, "create", new=email)
            journal.changed("agent", agent.id, "insert")
            journal.finish()
            return agent.id

    def edit_agent(
        self,
        agent: str | int,
        *,
        display_name: str | None = None,
        email: str | None = None,
        role: str | None = None,
        departments: Sequence[str] | None = None,
        time_zone: str | None = None,
        active: bool | None = None,
        available: bool | None = None,
        db_user: object = _UNSET,
        personal_email: object = _UNSET,
    ) -> None:
        """Change an agent; each changed field is audited. db_user and personal_email take
        None to clear them. Refuses to leave the team without an active admin."""
        changes: dict[str, object] = {}
        if display_name is not None:
            if not display_name.strip():
                raise InvalidInput("an agent needs a display name")
            changes["display_name"] = display_name.strip()
        if email is not None:
            changes["email"] = normalise_email(email)
        if role is not None:
            changes["role"] = choice(Role, role).value
        if time_zone is not None:
            changes["time_zone"] = _checked_zone(time_zone)
        if active is not None:
            changes["is_active"] = active
        if available is not None:
            changes["available"] = available
        if db_user is not _UNSET:
            changes["db_user"] = _checked_db_user(db_user)
        if personal_email is not _UNSET:
            changes["personal_email"] = (
                normalise_email(str(personal_email)) if personal_email else None
            )
        with self.db.write() as session:
            target = self._agent(session, agent)
            own = set(changes) | ({"departments"} if departments is not None else set())
            self_service = target.id == self.actor_id and own <= SELF_SERVICE
            self._require(session, Permission.EDIT_SELF if self_service else Permission.ADMINISTER)
            journal = self._journal(session)
            was_admin = target.role == Role.ADMIN.value and target.is_active
            changed = False
            for field, value in changes.items():
                old = getattr(target, field)
                if old == value:
                    continue
                changed = True
                if field == "email" and session.scalar(
                    select(Agent.id).where(Agent.email == value, Agent.id != target.id)
                ):
                    raise ConflictError(f"an agent with e-mail {value} already exists")
                if (
                    field == "db_user"
                    and value
                    and session.scalar(
                        select(Agent.id).where(Agent.db_user == value, Agent.id != target.id)
                    )
                ):
                    raise ConflictError(f"database user {value} already belongs to another agent")
                setattr(target, field, value)
                journal.audit("agent", target.id, "update", field=field, old=old, new=value)
            if departments is not None:
                changed |= self._set_memberships(session, journal, target, departments)
            session.flush()
            if was_admin and not (target.role == Role.ADMIN.value and target.is_active):
                _keep_an_admin(session)
            if changed:
                journal.changed("agent", target.id, "update")
                journal.finish()

    def _set_memberships(
        self, session: Session, journal: Journal, agent: Agent, names: Sequence[str]
    ) -> bool:
        wanted = {self._department(session, name).id: name for name in names}
        current = {d.id: d.name for d in agent.departments}
        if set(wanted) == set(current):
            return False
        session.execute(delete(AgentDepartment).where(AgentDepartment.agent_id == agent.id))
        for department_id in wanted:
            session.add(AgentDepartment(agent_id=agent.id, department_id=department_id))
        journal.audit(
            "agent",
            agent.id,
            "update",
            field="departments",
            old=", ".join(sorted(current.values())),
            new=", ".join(sorted(wanted.values())),
        )
        session.expire(agent, ["departments"])
        return True


def _keep_an_admin(session: Session) -> None:
    admins = session.scalar(
        select(func.count())
        .select_from(Agent)
        .where(Agent.role == Role.ADMIN.value, Agent.is_active.is_(True))
    )
    if not admins:
        raise InvalidInput(
            "the team needs at least one active admin: make someone else admin first"
        )


def _checked_zone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"'{name}' is not a time zone (e.g. Europe/Moscow, Asia/Tokyo)"
        ) from None
    return name


def _checked_db_user(value: object) -> str | None:
    if value is None or value == "":
        return None
    name = str(value).strip()
    # PostgreSQL role names: up to 63 bytes; keep to plain ones so they need no quoting worries.
    if not name or len(name.encode()) > 63 or not all(c.isalnum() or c in "_.-@" for c in name):
        raise InvalidInput(f"'{name}' is not a usable database user name")
    return name
