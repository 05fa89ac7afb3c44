"""Every command against every role: the service layer itself refuses, whatever the window
shows. A refusal changes nothing and says "not allowed" (CLI exit code 5)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time
from typing import Any

import pytest
from sqlalchemy import delete, update

from desk_app.core.errors import InvalidInput, NotFound, PermissionDenied
from desk_app.core.oncall import Rotation
from desk_app.core.routing import RoutingRule
from desk_app.store import Queries, Service
from desk_app.store.authorisation import READ_OTHER_DEPARTMENTS
from desk_app.store.mail_store import MailStore
from desk_app.store.models import (
    Agent,
    Department,
    MailAccount,
    OncallRotation,
    RoutingRuleRow,
    TeamSetting,
    Template,
)
from desk_app.store.oncall_store import OncallStore
from desk_app.store.routing_store import save_rules
from desk_app.store.sla_store import export_rules, import_rules
from desk_app.store.template_store import TemplateStore
from tests.store.helpers import row_snapshot


@dataclass(frozen=True)
class Case:
    """What one command needs: a Support ticket (id), its customer, and the acting agent."""

    ticket_id: int
    customer_id: int
    actor_id: int
    other_customer_id: int  # a second customer, to merge with


Command = Callable[[Any, Service, Case], object]

# role -> may they? Roles: anna (agent, Support), boris (agent, Billing), lena (lead, Support
# and Billing), tom (lead, Technical only), ada (admin), gone (deactivated agent, Support).
ROLES = ("anna", "boris", "lena", "tom", "ada", "gone")


def allowed(*who: str) -> dict[str, bool]:
    return {role: role in who for role in ROLES}


EVERYONE_ACTIVE = allowed("anna", "boris", "lena", "tom", "ada")
SUPPORT_WORKERS = allowed("anna", "lena", "tom", "ada")  # members, and every lead and admin
LEADS = allowed("lena", "tom", "ada")
ADMINS = allowed("ada")

MATRIX: dict[str, tuple[Command, dict[str, bool]]] = {
    "reply": (lambda db, s, c: s.reply(c.ticket_id, "Hello"), SUPPORT_WORKERS),
    "add_note": (lambda db, s, c: s.add_note(c.ticket_id, "psst"), SUPPORT_WORKERS),
    "set_status": (lambda db, s, c: s.set_status(c.ticket_id, "pending"), SUPPORT_WORKERS),
    "set_priority": (lambda db, s, c: s.set_priority(c.ticket_id, "high"), SUPPORT_WORKERS),
    "assign_within": (
        lambda db, s, c: s.assign(c.ticket_id, agent="anna@desk.test"),
        SUPPORT_WORKERS,
    ),
    "move_to_billing": (
        lambda db, s, c: s.assign(c.ticket_id, department="Billing", reason="invoice"),
        LEADS,
    ),
    "bulk_move": (
        lambda db, s, c: s.assign_many([c.ticket_id], department="Billing", reason="invoices"),
        LEADS,
    ),
    "create_in_support": (
        lambda db, s, c: s.create_ticket(
            subject="Phone call", customer_email="caller@example.com", department="Support"
        ),
        SUPPORT_WORKERS,
    ),
    "mark_read": (lambda db, s, c: s.mark_read(c.ticket_id), EVERYONE_ACTIVE),
    "edit_customer": (
        lambda db, s, c: s.edit_customer(c.customer_id, name="Renamed"),
        EVERYONE_ACTIVE,
    ),
    "merge_customers": (
        lambda db, s, c: s.merge_customers(c.customer_id, c.other_customer_id),
        EVERYONE_ACTIVE,
    ),
    # Their own availability: any active agent (the deactivated one is refused).
    "mark_self_away": (lambda db, s, c: s.edit_agent(c.actor_id, available=False), EVERYONE_ACTIVE),
    "rename_an_agent": (
        lambda db, s, c: s.edit_agent("boris@desk.test", display_name="Boris S."),
        ADMINS,  # not one of the few things Boris may change about himself
    ),
    "import_shared_templates": (
        lambda db, s, c: TemplateStore(db, c.actor_id).import_library(
            {"templates": [{"title": "Imported", "body": "Hello", "scope": "everyone"}]}
        ),
        LEADS,
    ),
    "add_department": (lambda db, s, c: s.add_department("Sales"), ADMINS),
    "add_agent": (lambda db, s, c: s.add_agent("Kenji", "kenji@desk.test"), ADMINS),
    "add_mail_account": (
        lambda db, s, c: MailStore(db, c.actor_id).add_account(
            "sales",
            address="sales@desk.test",
            username="sales",
            imap_host="imap.desk.test",
            smtp_host="smtp.desk.test",
        ),
        ADMINS,
    ),
    "import_sla_rules": (
        lambda db, s, c: import_rules(db, export_rules(db), c.actor_id),
        ADMINS,
    ),
    "edit_support_routing": (
        lambda db, s, c: save_rules(
            db,
            [RoutingRule(name="Refunds", keywords=("refund",), department="Support")],
            c.actor_id,
        ),
        allowed("lena", "ada"),  # Tom leads Technical, not Support
    ),
    "set_support_rotation": (
        lambda db, s, c: OncallStore(db, c.actor_id).save_rotation(
            Rotation(
                name="Support nights",
                agent_ids=(c.actor_id,),
                handoff=time(18, 0),
                length="weekly",
                time_zone="UTC",
                starts_on=date(2026, 11, 23),
                department="Support",
            )
        ),
        allowed("lena", "ada"),
    ),
    "team_setting": (
        lambda db, s, c: TemplateStore(db, c.actor_id).set_team_setting("company_name", "X"),
        LEADS,
    ),
}


@pytest.fixture
def roles(db, team, service_for) -> dict[str, int]:
    admin = service_for(team.admin)
    admin.add_department("Technical")
    tom = admin.add_agent("Tom Lead", "tom@desk.test", role="lead", departments=["Technical"])
    gone = admin.add_agent("Gone Agent", "gone@desk.test", departments=["Support"])
    admin.edit_agent(gone, active=False)
    return {
        "anna": team.anna,
        "boris": team.boris,
        "lena": team.lead,
        "tom": tom,
        "ada": team.admin,
        "gone": gone,
    }


@pytest.mark.parametrize("command", list(MATRIX))
def test_each_command_is_allowed_exactly_for_its_roles(db, roles, service_for, command):
    run, expected = MATRIX[command]
    for number, role in enumerate(ROLES):
        created = Service(db, None).create_ticket(
            subject=f"Case {number}",
            customer_email=f"case{number}@example.com",
            body="Help",
            department="Support",
        )
        other = Service(db, None).create_ticket(
            subject="Other", customer_email=f"other{number}@example.com"
        )
        case = Case(created.ticket_id, created.customer_id, roles[role], other.customer_id)
        before = row_snapshot(db)
        if expected[role]:
            try:
                run(db, service_for(roles[role]), case)
            except (InvalidInput, NotFound) as exc:  # pragma: no cover - shows which one
                pytest.fail(f"{command} as {role}: {exc}")
        else:
            with pytest.raises(PermissionDenied, match="not allowed") as refused:
                run(db, service_for(roles[role]), case)
            assert refused.value.exit_code == 5
            assert row_snapshot(db) == before, f"{command} as {role} changed something"
        _undo_names(db)


def _undo_names(db) -> None:
    """Take back what a command created once, so the next role meets the same state."""
    with db.write() as session:
        session.execute(delete(Department).where(Department.name == "Sales"))
        session.execute(delete(Agent).where(Agent.email == "kenji@desk.test"))
        session.execute(delete(MailAccount).where(MailAccount.name == "sales"))
        session.execute(delete(RoutingRuleRow))
        session.execute(delete(OncallRotation))
        session.execute(delete(TeamSetting).where(TeamSetting.key == "company_name"))
        session.execute(delete(Template).where(Template.title == "Imported"))
        session.execute(
            update(Agent).where(Agent.email == "boris@desk.test").values(display_name="Boris Sato")
        )


def test_moving_between_departments_needs_a_reason_unless_the_team_says_otherwise(
    db, team, lena, system, service_for
):
    ticket_id = system.create_ticket(
        subject="Invoice", customer_email="c@example.com", body="?", department="Support"
    ).ticket_id
    with pytest.raises(InvalidInput, match="a reason is required"):
        lena.assign(ticket_id, department="Billing")
    TemplateStore(db, team.admin).set_team_setting("reason_required_between_departments", False)
    lena.assign(ticket_id, department="Billing")
    detail = Queries(db, None).ticket(ticket_id)
    assert detail.department_id == team.billing


def test_private_departments_hide_other_tickets_from_agents_but_not_leads(
    db, team, system, service_for
):
    billing = system.create_ticket(
        subject="Invoice", customer_email="c@example.com", body="?", department="Billing"
    ).ticket_id
    support = system.create_ticket(
        subject="Login", customer_email="c@example.com", body="?", department="Support"
    ).ticket_id
    anna = Queries(db, team.anna)
    assert anna.ticket(billing).subject == "Invoice"  # readable by default
    TemplateStore(db, team.admin).set_team_setting(READ_OTHER_DEPARTMENTS, False)
    anna = Queries(db, team.anna)
    with pytest.raises(PermissionDenied, match="not allowed"):
        anna.ticket(billing)
    assert anna.ticket(support).subject == "Login"
    customer = anna.ticket(support).customer.id
    assert [row.id for row in anna.customer_tickets(customer)] == [support]
    assert [row.id for row in anna.search("Invoice")] == []
    lead = Queries(db, team.lead)
    assert {row.id for row in lead.customer_tickets(customer)} == {billing, support}
    # Reading is not working: read-only access never lets an agent change the ticket.
    with pytest.raises(PermissionDenied):
        service_for(team.anna).add_note(billing, "mine now?")
