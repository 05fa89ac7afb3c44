"""The permission matrix of the three roles, and the rules for moving a ticket."""

from __future__ import annotations

import pytest

from desk_app.core.enums import Role
from desk_app.core.errors import InvalidInput, PermissionDenied
from desk_app.core.permissions import (
    MINIMUM_ROLE,
    SYSTEM,
    Actor,
    Permission,
    TeamRules,
    anonymous_change,
    decide,
    may_edit_personal,
    require,
    require_move,
)

SUPPORT, BILLING = 1, 2
AGENT = Actor(10, Role.AGENT, frozenset({SUPPORT}))
LEAD = Actor(20, Role.LEAD, frozenset({SUPPORT}))
ADMIN = Actor(30, Role.ADMIN)
P = Permission

# (permission, department, agent, lead, admin): may each role do it?
MATRIX = [
    (P.READ_TICKET, SUPPORT, True, True, True),
    (P.READ_TICKET, BILLING, True, True, True),  # the team allows reading by default
    (P.READ_TICKET, None, True, True, True),
    (P.WORK_TICKET, SUPPORT, True, True, True),
    (P.WORK_TICKET, BILLING, False, True, True),
    (P.WORK_TICKET, None, True, True, True),  # nobody owns it yet: anyone may pick it up
    (P.MOVE_TICKET, None, False, True, True),
    (P.EDIT_CUSTOMER, None, True, True, True),
    (P.MERGE_CUSTOMERS, None, True, True, True),
    (P.EDIT_TEMPLATES, SUPPORT, False, True, True),
    (P.EDIT_TEMPLATES, BILLING, False, False, True),
    (P.EDIT_TEMPLATES, None, False, True, True),
    (P.EDIT_ROUTING, SUPPORT, False, True, True),
    (P.EDIT_ROUTING, BILLING, False, False, True),
    (P.VIEW_BOARD, None, False, True, True),
    (P.MANAGE_ONCALL, SUPPORT, False, True, True),
    (P.MANAGE_ONCALL, BILLING, False, False, True),
    (P.MANAGE_ONCALL, None, False, True, True),
    (P.TEAM_SETTINGS, None, False, True, True),
    (P.EDIT_SELF, None, True, True, True),
    (P.ADMINISTER, None, False, False, True),
]


def test_every_permission_has_a_minimum_role():
    assert set(MINIMUM_ROLE) == set(Permission)


@pytest.mark.parametrize(("permission", "department", "agent", "lead", "admin"), MATRIX)
def test_the_permission_matrix(permission, department, agent, lead, admin):
    for actor, expected in ((AGENT, agent), (LEAD, lead), (ADMIN, admin), (SYSTEM, True)):
        assert bool(decide(actor, permission, department_id=department)) is expected, (
            actor.role,
            permission,
            department,
        )


def test_a_refusal_says_who_may_not_do_what_and_maps_to_exit_code_5():
    with pytest.raises(PermissionDenied) as caught:
        require(AGENT, P.WORK_TICKET, department_id=BILLING, department_name="Billing")
    assert str(caught.value) == "not allowed: an agent may not work on tickets of Billing"
    assert caught.value.exit_code == 5
    assert "a lead may not manage agents" in decide(LEAD, P.ADMINISTER).reason


def test_a_team_can_keep_other_departments_private():
    private = TeamRules(agents_read_other_departments=False)
    assert not decide(AGENT, P.READ_TICKET, department_id=BILLING, rules=private)
    assert decide(AGENT, P.READ_TICKET, department_id=SUPPORT, rules=private)
    assert decide(LEAD, P.READ_TICKET, department_id=BILLING, rules=private)


def test_a_deactivated_agent_may_do_nothing():
    gone = Actor(11, Role.LEAD, frozenset({SUPPORT}), active=False)
    assert decide(gone, P.READ_TICKET, department_id=SUPPORT).reason == (
        "not allowed: this agent is deactivated"
    )


def test_moving_between_departments_is_for_leads_and_needs_a_reason():
    require_move(AGENT, SUPPORT, SUPPORT, reason=None)  # not a move
    require_move(AGENT, None, SUPPORT, reason=None)  # filing an unsorted ticket in her own
    with pytest.raises(PermissionDenied):
        require_move(AGENT, None, BILLING, reason=None)
    with pytest.raises(PermissionDenied, match="move tickets to another department"):
        require_move(AGENT, SUPPORT, BILLING, reason="wrong queue")
    with pytest.raises(InvalidInput, match="a reason is required"):
        require_move(LEAD, SUPPORT, BILLING, reason="  ")
    require_move(LEAD, SUPPORT, BILLING, reason="refund question")
    require_move(LEAD, SUPPORT, BILLING, reason=None, rules=TeamRules(False, False))


def test_personal_templates_belong_to_their_owner():
    assert may_edit_personal(AGENT, AGENT.agent_id)
    assert not may_edit_personal(LEAD, AGENT.agent_id)
    assert may_edit_personal(ADMIN, AGENT.agent_id)


def test_nobody_named_may_set_up_a_team_only_until_it_has_an_admin():
    assert anonymous_change(team_has_admin=False)
    refused = anonymous_change(team_has_admin=True)
    assert not refused and refused.reason.startswith("not allowed: say who you are")
