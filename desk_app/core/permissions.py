"""Who may do what: the permission rules of the three roles, as plain data and functions.

The service layer asks these rules before every command, so a refusal looks the same whether
it comes from the window, the CLI (exit code 5) or a script; hiding a button is only a courtesy
on top. Kept free of storage: the caller says who is acting and which departments a ticket
moves between.

MINIMUM_ROLE below is the one table of who may do what; in words:

| Action                                                     | Minimum role                  |
|------------------------------------------------------------|-------------------------------|
| read tickets                                               | agent: own departments and    |
|                                                            | unsorted; others' while the   |
|                                                            | team allows it                |
| work tickets (reply, note, status, priority, assign within)| agent: own departments and    |
|                                                            | unsorted; lead: every one     |
| edit and merge customers                                   | agent                         |
| change their own availability, time zone, pager address    | agent (themselves only)       |
| move tickets between departments, see the workload board   | lead                          |
| shared templates (team-wide, department)                   | lead (of that department)     |
| personal templates                                         | their owner (and admins)      |
| routing rules                                              | lead (of the departments the  |
|                                                            | rules touch)                  |
| on-call rotations and overrides                            | lead (of that department);    |
|                                                            | anyone covering a shift       |
|                                                            | themselves                    |
| team settings (company, help centre, after-hours options)  | lead                          |
| agents, departments, mail accounts, SLA calendars/policies | admin                         |

The system (mail worker, escalation, paging, demo seeding) acts with no agent and is never
refused. Nobody named at all (the CLI without --as, DESK_AGENT or a signed-in database user)
may set up a team that has no active admin yet, and is refused any change to shared
configuration once one exists: see anonymous_change.
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
    EDIT_SELF = "edit_self"  # their own availability, time zone and pager address
    EDIT_TEMPLATES = "edit_templates"  # department and team templates (personal: the owner)
    EDIT_ROUTING = "edit_routing"
    VIEW_BOARD = "view_board"
    MANAGE_ONCALL = "manage_oncall"  # rotations and overrides of their departments (leads)
    TEAM_SETTINGS = "team_settings"  # company name, help centre, after-hours options
    ADMINISTER = "administer"  # agents, departments, accounts, calendars, policies


# The least role that may do each thing. Department-bound permissions (below) narrow it further
# to the actor's own departments; admins are never narrowed.
MINIMUM_ROLE: dict[Permission, Role] = {
    Permission.READ_TICKET: Role.AGENT,
    Permission.WORK_TICKET: Role.AGENT,
    Permission.EDIT_CUSTOMER: Role.AGENT,
    # Customers are shared by every department, and finding that two addresses are one
    # person is everyday agent work (as in Zendesk and Help Scout); merges are audited.
    Permission.MERGE_CUSTOMERS: Role.AGENT,
    Permission.EDIT_SELF: Role.AGENT,
    Permission.MOVE_TICKET: Role.LEAD,
    Permission.VIEW_BOARD: Role.LEAD,
    Permission.EDIT_TEMPLATES: Role.LEAD,
    Permission.EDIT_ROUTING: Role.LEAD,
    Permission.MANAGE_ONCALL: Role.LEAD,
    Permission.TEAM_SETTINGS: Role.LEAD,
    Permission.ADMINISTER: Role.ADMIN,
}
_RANK = {Role.AGENT: 0, Role.LEAD: 1, Role.ADMIN: 2}
# An agent reads and works only their own departments' tickets (leads: every department's).
_AGENT_DEPARTMENT_BOUND = frozenset({Permission.READ_TICKET, Permission.WORK_TICKET})
# A lead edits only their own departments' templates, rules and rotations; department None
# means team-wide, which every lead keeps.
_LEAD_DEPARTMENT_BOUND = frozenset(
    {Permission.EDIT_TEMPLATES, Permission.EDIT_ROUTING, Permission.MANAGE_ONCALL}
)


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
    Permission.EDIT_SELF: "change their own settings",
    Permission.EDIT_TEMPLATES: "edit templates of {department}",
    Permission.EDIT_ROUTING: "edit routing rules of {department}",
    Permission.VIEW_BOARD: "see the workload board",
    Permission.MANAGE_ONCALL: "change the on-call rotation of {department}",
    Permission.TEAM_SETTINGS: "change team settings",
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
    allowed = _RANK[actor.role] >= _RANK[MINIMUM_ROLE[permission]]
    if permission in _AGENT_DEPARTMENT_BOUND and actor.role is Role.AGENT:
        reading_others = (
            permission is Permission.READ_TICKET and rules.agents_read_other_departments
        )
        allowed = own or reading_others
    elif permission in _LEAD_DEPARTMENT_BOUND:
        allowed = allowed and own
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


def anonymous_change(team_has_admin: bool) -> Decision:
    """May nobody in particular change shared configuration (the CLI run with no --as, no
    DESK_AGENT and no signed-in database user)? Only while the team has no active admin: the
    system sets a new team up (its first departments, its first admin, demo data), since
    nobody exists yet who could. After that, changes are made by someone named, whose role
    the service layer then checks."""
    if not team_has_admin:
        return ALLOWED
    return Decision(False, ANONYMOUS_REFUSAL)


ANONYMOUS_REFUSAL = (
    "not allowed: say who you are (--as EMAIL, DESK_AGENT or desk signin); once a team has "
    "an admin, nobody changes its configuration anonymously"
)


def _refusal(
    actor: Actor, permission: Permission, department_id: int | None, name: str | None
) -> str:
    department = name or ("its department" if department_id is not None else "the team")
    what = _WHAT[permission].format(department=department)
    return f"not allowed: {_ARTICLE_ROLE[actor.role]} may not {what}"
