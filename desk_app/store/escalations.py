"""Escalation on SLA breach: which targets are overdue, and carrying a policy's actions out.

The worker asks ``overdue_targets`` for work and hands each one to ``EscalationCommands``. The
row in ``sla_escalations`` (unique on ticket, target kind and due time) is inserted first, in the
same transaction as the actions, with "insert unless present": whichever worker gets there first
escalates, a second one (or a second pass) finds the row and does nothing. A target escalates
once per clock: a new next-response clock is a new breach and escalates again, but the same
unanswered target under another policy (the ticket moved, its priority changed) does not.

"Notify the leads" is an audit event per lead (entity ``sla_notice``, the lead's agent id as
entity id, the ticket in ticket_id) plus a change-log row; a lead's desktop reads its notices by
the audit table's (entity, entity_id) index. Its ticket_version is NULL, so conflict messages
and the ticket timeline, which show ticket changes, leave it out; the ticket itself gets one
"escalation" audit row naming whom it told.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Exists,
    Select,
    SQLColumnExpression,
    and_,
    exists,
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from desk_app.core.clock import Clock, utc_now
from desk_app.core.enums import UNSOLVED_STATUSES, Priority, Role
from desk_app.core.errors import InvalidInput, NotFound
from desk_app.core.sla import Escalation, TargetKind
from desk_app.store.database import Database
from desk_app.store.journal import Journal
from desk_app.store.models import (
    UNSOLVED_SQL,
    Agent,
    AgentDepartment,
    SlaEscalation,
    SlaTarget,
    Ticket,
)
from desk_app.store.service import Service
from desk_app.store.sla_store import SlaRules, load_rules

NOTICE_ENTITY = "sla_notice"
_UNSOLVED = [status.value for status in UNSOLVED_STATUSES]
_UNSOLVED_SQL: ColumnElement[Any] = literal_column(UNSOLVED_SQL, type_=None)
# Targets whose clock runs; a breached one keeps its due time (the breach instant).
_OVERDUE_STATES = ("running", "breached")


@dataclass(frozen=True)
class OverdueTarget:
    ticket_id: int
    kind: TargetKind
    due_at: datetime


@dataclass(frozen=True)
class EscalationDone:
    ticket_id: int
    kind: TargetKind
    due_at: datetime
    actions: dict[str, Any]


def breach_reason(kind: TargetKind) -> str:
    """The reason the audit trail shows: "SLA breach: first response"."""
    return f"SLA breach: {kind.value.replace('_', ' ')}"


def escalating_policies(rules: SlaRules) -> dict[str, Escalation]:
    return {p.name: p.escalation for p in rules.policies if p.escalation is not None}


def _escalated_since(
    ticket_id: SQLColumnExpression[int] | int,
    kind: SQLColumnExpression[str] | str,
    started_at: SQLColumnExpression[datetime | None] | datetime | None,
) -> Exists:
    """An escalation of this target since its clock started. One per target, not per due
    time: a move to a stricter policy shows the same unanswered target with an earlier due
    time, which is no new breach to escalate. (A new next-response clock starts after the
    reply that met the last one, so after every due time of it.)"""
    return exists().where(
        SlaEscalation.ticket_id == ticket_id,
        SlaEscalation.kind == kind,
        SlaEscalation.due_at >= started_at,
    )


def overdue_query(
    policies: Mapping[str, Escalation], now: datetime, limit: int, since: datetime | None = None
) -> Select[int, str, datetime | None]:
    """Overdue, not yet escalated targets of the given escalating policies, earliest first;
    with ``since``, only tickets whose earliest due time came after it."""
    already = _escalated_since(SlaTarget.ticket_id, SlaTarget.kind, SlaTarget.started_at)
    # Which targets each policy escalates, in SQL: targets a policy leaves alone must not take
    # up the page (they would, on every pass, since they are never escalated). The kind is
    # compared as an expression ("kind || ''") so SQLite does not start from the index on
    # (kind, started_at), a scan of every ticket's target, instead of the due-time index.
    unindexed_kind = SlaTarget.kind + ""
    applicable = [
        and_(Ticket.sla_policy == name, unindexed_kind.in_(sorted(escalation.breach_of)))
        if escalation.breach_of
        else Ticket.sla_policy == name
        for name, escalation in sorted(policies.items())
    ]
    return (
        select(Ticket.id, SlaTarget.kind, SlaTarget.due_at)
        .join(SlaTarget, SlaTarget.ticket_id == Ticket.id)
        .where(
            # The partial index's own condition as literal SQL: with bound parameters SQLite
            # cannot prove the index covers the query and scans the table instead.
            _UNSOLVED_SQL,
            Ticket.sla_due_at <= now,
            Ticket.sla_due_at > since if since is not None else true(),
            or_(*applicable),
            SlaTarget.state.in_(_OVERDUE_STATES),
            SlaTarget.met_at.is_(None),
            SlaTarget.due_at <= now,
            ~already,
        )
        .order_by(Ticket.sla_due_at, Ticket.id)
        .limit(limit)
    )


def overdue_targets(
    db: Database, now: datetime, limit: int = 500, since: datetime | None = None
) -> list[OverdueTarget]:
    """Overdue targets of unsolved tickets under an escalating policy, not yet escalated.

    Reads the partial index on tickets.sla_due_at (every overdue target makes its ticket's
    earliest due time overdue), the targets by primary key and the escalations by their unique
    key: its cost follows the number of overdue tickets, never the size of the table. ``since``
    narrows it to tickets that became overdue after that instant (see worker.escalation)."""
    with db.read() as session:
        policies = escalating_policies(load_rules(session))
        if not policies:
            return []
        rows = session.execute(overdue_query(policies, now, limit, since)).all()
    # due_at is never NULL here (the query compares it with now).
    return [
        OverdueTarget(ticket_id, TargetKind(kind), due_at)
        for ticket_id, kind, due_at in rows
        if due_at is not None
    ]


class EscalationCommands(Service):
    """Carries out a policy's escalation with the service layer's own ticket commands, so the
    audit trail, change log, version and SLA recompute are the same as for an agent's change.
    Runs as the system (no acting agent)."""

    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        super().__init__(db, None, clock)

    def escalate(self, target: OverdueTarget) -> EscalationDone | None:
        """Escalate one overdue target, once: None when it was done already, is no longer
        overdue, or its policy no longer escalates it."""
        with self.db.write() as session:
            journal = self._journal(session)
            ticket = self._ticket_for_update(session, target.ticket_id, None)
            escalation = self._still_due(session, ticket, target, journal.at)
            if escalation is None or not self._claim(session, target, journal.at):
                return None
            reason = breach_reason(target.kind)
            actions: dict[str, Any] = {"reason": reason}
            departments = {ticket.department_id}
            raised = escalation.raised_priority(Priority(ticket.priority))
            if raised is not None:
                actions["priority"] = [ticket.priority, raised.value]
                self._set_field(journal, ticket, "priority", raised.value, reason)
            if escalation.move_to is not None:
                self._move(session, journal, ticket, escalation.move_to, reason, actions)
                departments.add(ticket.department_id)
            if escalation.notify_leads:
                self._notify_leads(session, journal, ticket, departments, reason, actions)
            self._finish_ticket(journal, ticket)
            session.execute(
                update(SlaEscalation)
                .where(
                    SlaEscalation.ticket_id == target.ticket_id,
                    SlaEscalation.kind == target.kind.value,
                    SlaEscalation.due_at == target.due_at,
                )
                .values(actions=json.dumps(actions))
            )
            return EscalationDone(target.ticket_id, target.kind, target.due_at, actions)

    def _still_due(
        self, session: Session, ticket: Ticket, target: OverdueTarget, now: datetime
    ) -> Escalation | None:
        # Read again under the ticket's lock: a reply or a status change may have come between
        # the worker's query and this transaction.
        if ticket.status not in _UNSOLVED:
            return None
        row = session.get(SlaTarget, (ticket.id, target.kind.value))
        if (
            row is None
            or row.met_at is not None
            or row.state not in _OVERDUE_STATES
            or row.due_at != target.due_at
            or row.due_at > now
            or session.scalar(select(_escalated_since(ticket.id, row.kind, row.started_at)))
        ):
            return None
        escalation = escalating_policies(load_rules(session)).get(ticket.sla_policy or "")
        if escalation is None or not escalation.applies_to(target.kind):
            return None
        return escalation

    def _claim(self, session: Session, target: OverdueTarget, now: datetime) -> bool:
        """Insert the escalation row unless present; True when this transaction inserted it."""
        values = {
            "ticket_id": target.ticket_id,
            "kind": target.kind.value,
            "due_at": target.due_at,
            "escalated_at": now,
            "actions": "",
        }
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        statement = (
            insert(SlaEscalation)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["ticket_id", "kind", "due_at"])
            .returning(SlaEscalation.id)
        )
        return session.execute(statement).first() is not None

    def _move(
        self,
        session: Session,
        journal: Journal,
        ticket: Ticket,
        department: str,
        reason: str,
        actions: dict[str, Any],
    ) -> None:
        before = ticket.department.name if ticket.department else None
        if before == department:
            return
        try:
            move = self._move_context(session, ticket, department, None)
            self._assign(session, journal, ticket, move, department, None, False, reason)
        except (NotFound, InvalidInput) as exc:
            # The rules were saved before the department was deleted or renamed: the breach
            # is still escalated by the other actions, and the trail says what could not be done.
            actions["problems"] = [f"could not move the ticket: {exc}"]
            return
        actions["department"] = [before, department]

    def _notify_leads(
        self,
        session: Session,
        journal: Journal,
        ticket: Ticket,
        department_ids: set[int | None],
        reason: str,
        actions: dict[str, Any],
    ) -> None:
        ids = [d for d in department_ids if d is not None]
        leads = (
            session.execute(
                select(Agent.id, Agent.display_name)
                .join(AgentDepartment, AgentDepartment.agent_id == Agent.id)
                .where(
                    AgentDepartment.department_id.in_(ids),
                    Agent.role == Role.LEAD.value,
                    Agent.is_active.is_(True),
                )
                .distinct()
                .order_by(Agent.id)
            ).all()
            if ids
            else []
        )
        for lead_id, _name in leads:
            journal.audit(
                NOTICE_ENTITY,
                lead_id,
                "notify",
                ticket_id=ticket.id,
                new=ticket.subject,
                reason=reason,
            )
            journal.changed(NOTICE_ENTITY, lead_id, "insert")
        names = [name for _id, name in leads]
        actions["notified"] = names
        journal.audit(
            "ticket",
            ticket.id,
            "update",
            ticket_id=ticket.id,
            ticket_version=ticket.version + 1,
            field="escalation",
            new=f"leads notified: {', '.join(names)}" if names else "no lead to notify",
            reason=reason,
        )
