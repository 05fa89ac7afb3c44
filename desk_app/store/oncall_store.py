"""On-call rotations in the database: defining them, overrides with their own audit, and who
is on call now (per department, or team-wide when a department has no rotation of its own)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from desk_app.core.clock import Clock, utc_now
from desk_app.core.errors import InvalidInput, NotFound
from desk_app.core.oncall import Override, Rotation, Shift, on_call, shifts_between
from desk_app.core.permissions import Permission
from desk_app.store.authorisation import load_actor, require_on
from desk_app.store.database import Database
from desk_app.store.journal import Journal
from desk_app.store.models import Agent, Department, OncallOverride, OncallRotation

MAX_CALENDAR_WEEKS = 104  # two years ahead: what a rota is planned for, and a page of output


@dataclass(frozen=True)
class OnCallNow:
    rotation: str
    department: str | None
    agent_id: int
    agent_name: str
    until: datetime
    covering_for: str | None  # set when an override puts someone else on


class OncallStore:
    def __init__(self, db: Database, actor_id: int | None, clock: Clock = utc_now) -> None:
        self.db = db
        self.actor_id = actor_id
        self.clock = clock

    # --- rotations ------------------------------------------------------------------------------

    def save_rotation(self, rotation: Rotation) -> int:
        """Create or replace the rotation of this name."""
        with self.db.write() as session:
            journal = Journal(session, self.actor_id, self.clock())
            department_id = _department_id(session, rotation.department)
            self._require_manage(session, department_id)
            _check_agents(session, rotation.agent_ids)
            row = session.scalars(
                select(OncallRotation).where(OncallRotation.name == rotation.name)
            ).first()
            definition = json.dumps(rotation.to_dict(), ensure_ascii=False)
            if row is None:
                row = OncallRotation(name=rotation.name)
                session.add(row)
            old = row.definition if row.id else None
            row.department_id = department_id
            row.definition = definition
            row.updated_at = journal.at
            session.flush()
            journal.audit("rotation", row.id, "save", old=old, new=definition)
            journal.changed("rotation", row.id, "update")
            journal.finish()
            return row.id

    def rotations(self) -> list[tuple[int, Rotation]]:
        with self.db.read() as session:
            return _rotations(session)

    # --- overrides ------------------------------------------------------------------------------

    def add_override(self, rotation_name: str, override: Override) -> int:
        with self.db.write() as session:
            journal = Journal(session, self.actor_id, self.clock())
            rotation_id = _rotation_id(session, rotation_name)
            if override.agent_id != self.actor_id:
                # Taking a shift yourself is every agent's to offer; moving others is a lead's.
                self._require_manage(session, _rotation_department(session, rotation_id))
            _check_agents(session, [override.agent_id])
            row = OncallOverride(
                rotation_id=rotation_id,
                agent_id=override.agent_id,
                covers_agent_id=override.covers_agent_id,
                starts_at=override.starts_at,
                ends_at=override.ends_at,
                reason=override.reason,
                created_by_id=self.actor_id,
                created_at=journal.at,
            )
            session.add(row)
            session.flush()
            journal.audit(
                "rotation",
                rotation_id,
                "override",
                new=f"agent {override.agent_id} from {override.starts_at.isoformat()} to "
                f"{override.ends_at.isoformat()}",
                reason=override.reason,
            )
            journal.changed("rotation", rotation_id, "update")
            journal.finish()
            return row.id

    def remove_override(self, override_id: int) -> None:
        with self.db.write() as session:
            row = session.get(OncallOverride, override_id)
            if row is None:
                raise NotFound(f"override {override_id} does not exist")
            if row.agent_id != self.actor_id:
                self._require_manage(session, _rotation_department(session, row.rotation_id))
            journal = Journal(session, self.actor_id, self.clock())
            journal.audit("rotation", row.rotation_id, "remove_override", old=str(override_id))
            journal.changed("rotation", row.rotation_id, "update")
            session.delete(row)
            journal.finish()

    def _require_manage(self, session: Session, department_id: int | None) -> None:
        if self.actor_id is not None:
            actor = load_actor(session, self.actor_id)
            require_on(session, actor, Permission.MANAGE_ONCALL, department_id)

    # --- who ------------------------------------------------------------------------------------

    def now(self, department: str | None = None, at: datetime | None = None) -> list[OnCallNow]:
        """Who is on call: for one department (its own rotation, else the team-wide ones), or
        every rotation when no department is given."""
        at = at or self.clock()
        with self.db.read() as session:
            rotations = _rotations(session)
            if department is not None:
                _department_id(session, department)  # refuse unknown names clearly
                own = [(i, r) for i, r in rotations if r.department == department]
                rotations = own or [(i, r) for i, r in rotations if r.department is None]
            names = dict(session.execute(select(Agent.id, Agent.display_name)).all())
            result = []
            for rotation_id, rotation in rotations:
                shift = on_call(rotation, at, _overrides(session, rotation_id, at, at))
                result.append(
                    OnCallNow(
                        rotation=rotation.name,
                        department=rotation.department,
                        agent_id=shift.agent_id,
                        agent_name=names.get(shift.agent_id, f"agent {shift.agent_id}"),
                        until=shift.ends_at,
                        covering_for=(
                            names.get(shift.scheduled_agent_id)
                            if shift.override is not None
                            else None
                        ),
                    )
                )
            return result

    def calendar(self, rotation_name: str, start: datetime, weeks: int = 4) -> list[Shift]:
        """The next weeks of one rotation, overrides marked (Shift.override)."""
        if not 1 <= weeks <= MAX_CALENDAR_WEEKS:
            raise InvalidInput(f"a calendar shows 1 to {MAX_CALENDAR_WEEKS} weeks, not {weeks}")
        end = start + timedelta(weeks=weeks)
        with self.db.read() as session:
            rotation_id = _rotation_id(session, rotation_name)
            rotation = dict(_rotations(session))[rotation_id]
            return shifts_between(
                rotation, start, end, _overrides(session, rotation_id, start, end)
            )


def on_call_ids(session: Session, department: str | None, at: datetime) -> set[int]:
    """Who is on call at `at` for a department (its own rotations, else the team-wide ones),
    inside the caller's transaction: routing asks while it creates a ticket."""
    rotations = _rotations(session)
    chosen = [(i, r) for i, r in rotations if r.department == department and department]
    chosen = chosen or [(i, r) for i, r in rotations if r.department is None]
    return {on_call(r, at, _overrides(session, i, at, at)).agent_id for i, r in chosen}


@dataclass(frozen=True)
class OnCallChoice:
    """The rotation that covers a department and who is on it at one instant."""

    rotation_id: int
    rotation: Rotation
    shift: Shift


def on_call_for(session: Session, department_id: int | None, at: datetime) -> OnCallChoice | None:
    """Who covers this department at `at`: its own rotation, else a team-wide one (the first
    by name, as `desk oncall now` lists them). None: nobody is on call for it."""
    rows = session.execute(
        select(OncallRotation.id, OncallRotation.department_id, OncallRotation.definition)
        .where(
            (OncallRotation.department_id == department_id) | OncallRotation.department_id.is_(None)
        )
        .order_by(OncallRotation.department_id.is_(None), OncallRotation.name)
    ).all()
    if not rows:
        return None
    rotation_id, _department, definition = rows[0]
    rotation = Rotation.from_dict(json.loads(definition))
    shift = on_call(rotation, at, _overrides(session, rotation_id, at, at))
    return OnCallChoice(rotation_id, rotation, shift)


def rotation_by_id(session: Session, rotation_id: int) -> Rotation | None:
    row = session.get(OncallRotation, rotation_id)
    return Rotation.from_dict(json.loads(row.definition)) if row is not None else None


def _rotations(session: Session) -> list[tuple[int, Rotation]]:
    rows = session.scalars(select(OncallRotation).order_by(OncallRotation.name))
    return [(row.id, Rotation.from_dict(json.loads(row.definition))) for row in rows]


def _overrides(
    session: Session, rotation_id: int, start: datetime, end: datetime
) -> list[Override]:
    """Overrides touching [start, end], oldest first (so the latest wins in core.oncall)."""
    rows = session.scalars(
        select(OncallOverride)
        .where(
            OncallOverride.rotation_id == rotation_id,
            OncallOverride.ends_at > start,
            OncallOverride.starts_at <= end,
        )
        .order_by(OncallOverride.id)
    )
    return [
        Override(row.agent_id, row.starts_at, row.ends_at, row.covers_agent_id, row.reason)
        for row in rows
    ]


def _rotation_department(session: Session, rotation_id: int) -> int | None:
    return session.scalar(
        select(OncallRotation.department_id).where(OncallRotation.id == rotation_id)
    )


def _rotation_id(session: Session, name: str) -> int:
    found = session.scalars(select(OncallRotation.id).where(OncallRotation.name == name)).first()
    if found is None:
        raise NotFound(f"rotation '{name}' does not exist")
    return found


def _department_id(session: Session, name: str | None) -> int | None:
    if name is None:
        return None
    found = session.scalars(select(Department.id).where(Department.name == name)).first()
    if found is None:
        raise NotFound(f"department '{name}' does not exist")
    return found


def _check_agents(session: Session, agent_ids: Iterable[int]) -> None:
    wanted = set(agent_ids)
    known = set(session.scalars(select(Agent.id).where(Agent.id.in_(wanted), Agent.is_active)))
    missing = sorted(wanted - known)
    if missing:
        raise InvalidInput(f"no active agent with id {', '.join(map(str, missing))}")
