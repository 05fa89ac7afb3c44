"""Who may do what: the permission rules of the three roles, as plain data and functions.

The service layer asks these rules before every command, so a refusal looks the same whether
it comes from the window, the CLI (exit code 5) or a script; hiding a button is only a courtesy
on top. Kept free of storage: the caller says who is acting and which departments a ticket
moves between.

- agent: works tickets of their own departments (and tickets no department owns yet); reads
  other departments' tickets only when the team allows it; assigns within a department.
- lead: everything an agent may, on every department; moves tickets between departments;
  edits templates and routing rules of their departments; sees the workload board.
- admin: everything, including agents, departments, mail accounts, calendars and policies.
The system (mail worker, escalation) acts with no agent and is never refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from desk_app.core.enums import Role
from desk_app.core.errors import InvalidInput, PermissionDenied


class Permission(StrEnum):
    READ_TICKET = "read_ticket"
    WORK_TICKET = "work_ticket"  # reply, note, status, priority, assign within the department
    MOVE_TICKET = "move_ticket"  # to another department
    EDIT_CUSTOMER = "edit_customer"
    MERGE_CUSTOMERS = "merge_customers"
    EDIT_TEMPLATES = "edit_templates"  # department and team templates (personal: the owner)
    EDIT_ROUTING = "edit_routing"
    VIEW_BOARD = "view_board"
    MANAGE_ONCALL = "manage_oncall"  # rotations and overrides of their departments (leads)
    ADMINISTER = "administer"  # agents, departments, accounts, calendars, policies


@dataclass(frozen=True)
class Actor:
    """Who is acting. agent_id None is the system itself."""

    agent_id: int | None
    role: Role = Role.AGENT
    department_ids: frozenset[int] = frozenset()
    active: bool = True
    name: str = ""  # as audit texts and notices show them ("… by Anna Ivanova")

    @property
    def is_system(self) -> bool:
        return self.agent_id is None


SYSTEM = Actor(agent_id=None, role=Role.ADMIN)


@dataclass(frozen=True)
class TeamRules:
    """The team's choices that the rules depend on."""

    agents_read_other_departments: bool = True
    reason_required_between_departments: bool = True


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True)
_ARTICLE_ROLE = {Role.AGENT: "an agent", Role.LEAD: "a lead", Role.ADMIN: "an admin"}

_WHAT = {
    Permission.READ_TICKET: "read tickets of {department}",
    Permission.WORK_TICKET: "work on tickets of {department}",
    Permission.MOVE_TICKET: "move tickets to another department",
    Permission.EDIT_CUSTOMER: "edit customers",
    Permission.MERGE_CUSTOMERS: "merge customers",
    Permission.EDIT_TEMPLATES: "edit templates of {department}",
    Permission.EDIT_ROUTING: "edit routing rules of {department}",
    Permission.VIEW_BOARD: "see the workload board",
    Permission.MANAGE_ONCALL: "change the on-call rotation of {department}",
    Permission.ADMINISTER: "manage agents, departments, accounts, calendars and policies",
}


def decide(
    actor: Actor,
    permission: Permission,
    *,
    department_id: int | None = None,
    department_name: str | None = None,
    rules: TeamRules = TeamRules(),
) -> Decision:
    """May the actor do this, on something of this department (None: of no department)?"""
    if actor.is_system:
        return ALLOWED
    if not actor.active:
        return Decision(False, "not allowed: this agent is deactivated")
    if actor.role is Role.ADMIN:
        return ALLOWED
    own = department_id is None or department_id in actor.department_ids
    lead = actor.role is Role.LEAD
    if permission is Permission.READ_TICKET:
        allowed = lead or own or rules.agents_read_other_departments
    elif permission is Permission.WORK_TICKET:
        allowed = lead or own
    elif permission in (Permission.MOVE_TICKET, Permission.VIEW_BOARD):
        allowed = lead
    elif permission in (
        Permission.EDIT_TEMPLATES,
        Permission.EDIT_ROUTING,
        Permission.MANAGE_ONCALL,
    ):
        # department None here means team-wide: leads keep the shared library too.
        allowed = lead and own if department_id is not None else lead
    elif permission in (Permission.EDIT_CUSTOMER, Permission.MERGE_CUSTOMERS):
        # Customers are shared by every department, and finding that two addresses are one
        # person is everyday agent work (as in Zendesk and Help Scout); merges are audited.
        allowed = True
    else:
        allowed = False
    if allowed:
        return ALLOWED
    return Decision(False, _refusal(actor, permission, department_id, department_name))


def require(
    actor: Actor,
    permission: Permission,
    *,
    department_id: int | None = None,
    department_name: str | None = None,
    rules: TeamRules = TeamRules(),
) -> None:
    """Raise PermissionDenied (CLI exit code 5) with the reason when not allowed."""
    decision = decide(
        actor,
        permission,
        department_id=department_id,
        department_name=department_name,
        rules=rules,
    )
    if not decision:
        raise PermissionDenied(decision.reason)


def require_move(
    actor: Actor,
    from_department: int | None,
    to_department: int | None,
    *,
    reason: str | None,
    rules: TeamRules = TeamRules(),
    to_name: str | None = None,
) -> None:
    """Moving a ticket: within a department (or into one, from none) is ordinary work;
    between departments it is a lead's decision and needs a reason when the team says so."""
    if from_department == to_department:
        return
    if from_department is None and to_department is not None:
        # Filing an unsorted ticket: an agent may file it into one of their own departments.
        require(
            actor,
            Permission.WORK_TICKET,
            department_id=to_department,
            department_name=to_name,
            rules=rules,
        )
        return
    require(actor, Permission.MOVE_TICKET, rules=rules)
    if rules.reason_required_between_departments and not (reason or "").strip():
        raise InvalidInput("a reason is required when moving a ticket to another department")


def may_edit_personal(actor: Actor, owner_id: int | None) -> bool:
    """A personal template belongs to its owner (admins may clean up after people who left)."""
    return actor.is_system or actor.role is Role.ADMIN or actor.agent_id == owner_id


def _refusal(
    actor: Actor, permission: Permission, department_id: int | None, name: str | None
) -> str:
    department = name or ("its department" if department_id is not None else "the team")
    what = _WHAT[permission].format(department=department)
    return f"not allowed: {_ARTICLE_ROLE[actor.role]} may not {what}"
