"""Routing rules applied by the worker to new tickets from IMAP, in the ticket's own
transaction: pymap → worker → routed tickets, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import sqlalchemy as sa

from desk_app.core.enums import Priority
from desk_app.core.routing import AssignBy, RoutingRule
from desk_app.store import Queries, Service
from desk_app.store.models import Agent, AuditEvent, Ticket
from desk_app.store.routing_store import save_rules
from tests.worker.conftest import run_once
from tests.worker.mails import encoded, simple

RULES = [
    RoutingRule(
        "Refunds",
        keywords=("返金", "возврат"),
        department="Billing",
        priority=Priority.HIGH,
        tags=("refund",),
        assign_by=AssignBy.ROUND_ROBIN,
    ),
    RoutingRule(
        "Deliveries",
        subject_keywords=("配達", "доставка"),
        department="Support",
        assign_by=AssignBy.LEAST_LOADED,
    ),
    RoutingRule("Partners", senders=frozenset({"@partner.example"}), priority=Priority.URGENT),
]


def tickets(db) -> list[Ticket]:
    with db.read() as session:
        return list(session.scalars(sa.select(Ticket).order_by(Ticket.id)))


def route_events(db, ticket_id: int) -> dict[str, AuditEvent]:
    with db.read() as session:
        rows = session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.ticket_id == ticket_id, AuditEvent.action == "route"
            )
        )
        return {row.field: row for row in rows}


def test_japanese_and_russian_keywords_route_new_mail(
    db, team, clock, account_id, worker, imap_server
):
    save_rules(db, RULES, team.lead, clock)
    imap_server.append_many(
        [
            encoded("iso-2022-jp", "返金のお願い", "注文をキャンセルしました。", 1)[0],
            encoded("koi8-r", "Вопрос", "Прошу оформить возврат денег.", 2)[0],
            encoded("shift_jis", "配達について", "荷物が届きません。", 3)[0],
            encoded("windows-1251", "Доставка заказа", "Где моя посылка?", 4)[0],
            simple("Hello", "Just a question", sender="bob@elsewhere.example")[0],
        ]
    )
    assert run_once(worker).accounts[0].stored == 5
    refund_ja, refund_ru, delivery_ja, delivery_ru, other = tickets(db)
    for refund in (refund_ja, refund_ru):
        assert (refund.department_id, refund.priority, refund.tags) == (
            team.billing,
            "high",
            "refund",
        )
        assert refund.assignee_id in (team.boris, team.lead)
    # Round-robin: the two refunds went to different members.
    assert refund_ja.assignee_id != refund_ru.assignee_id
    for delivery in (delivery_ja, delivery_ru):
        assert delivery.department_id == team.support and delivery.priority == "normal"
        assert delivery.assignee_id in (team.anna, team.lead)
    # No rule matched: the account's department, nobody assigned, nothing recorded.
    assert (other.department_id, other.assignee_id) == (team.support, None)
    assert route_events(db, other.id) == {}

    # The timeline of the Russian refund says which rule fired and why.
    events = route_events(db, refund_ru.id)
    assert events["routing_rule"].new_value == "Refunds"
    assert events["department"].reason == "rule 'Refunds': mentions 'возврат'"
    detail = Queries(db, team.lead, clock).ticket(refund_ru.id)
    assert any(a.action == "route" and a.field == "assignee" for a in detail.audit)
    # The SLA was computed for the routed department and priority, in the same transaction.
    assert detail.department == "Billing" and detail.priority == "high"


def test_the_first_matching_rule_wins(db, team, clock, account_id, worker, imap_server):
    save_rules(db, RULES, team.lead, clock)
    # Matches Deliveries (subject) and Refunds (body) and Partners (sender): Refunds is first.
    imap_server.append(
        simple("Доставка", "Нужен возврат", sender="Partner <desk@partner.example>")[0]
    )
    run_once(worker)
    (ticket,) = tickets(db)
    assert route_events(db, ticket.id)["routing_rule"].new_value == "Refunds"
    assert ticket.priority == "high"  # not the Partners rule's urgent

    save_rules(db, [RULES[2], *RULES[:2]], team.lead, clock)
    imap_server.append(
        simple("Доставка 2", "Нужен возврат", sender="Partner <desk@partner.example>")[0]
    )
    run_once(worker)
    second = tickets(db)[-1]
    assert route_events(db, second.id)["routing_rule"].new_value == "Partners"
    assert (second.priority, second.department_id) == ("urgent", team.support)


def test_round_robin_is_fair_over_many_tickets_and_skips_the_unavailable(
    db, team, clock, account_id, worker, imap_server
):
    save_rules(db, RULES[:1], team.lead, clock)
    system = Service(db, None, clock)
    extra = system.add_agent("Chie Kato", "chie@desk.test", departments=["Billing"])
    imap_server.append_many(
        simple(f"返金 {n}", "返金してください", sender=f"c{n}@example.jp")[0] for n in range(30)
    )
    run_once(worker)
    assigned = [t.assignee_id for t in tickets(db)]
    assert Counter(assigned) == {team.boris: 10, team.lead: 10, extra: 10}
    # In turn: no member gets two in a row.
    assert all(a != b for a, b in pairwise(assigned))

    with db.write() as session:
        session.execute(sa.update(Agent).where(Agent.id == team.boris).values(available=False))
    imap_server.append_many(
        simple(f"返金 again {n}", "返金", sender=f"d{n}@example.jp")[0] for n in range(6)
    )
    run_once(worker)
    later = [t.assignee_id for t in tickets(db)[30:]]
    assert Counter(later) == {team.lead: 3, extra: 3}


def test_least_loaded_goes_to_the_member_with_the_fewest_open(
    db, team, clock, account_id, worker, imap_server
):
    save_rules(db, RULES[1:2], team.lead, clock)
    lead = Service(db, team.lead, clock)
    for n in range(2):
        ticket = lead.create_ticket(
            subject=f"Busy {n}", customer_email=f"b{n}@example.com", body="hi", department="Support"
        ).ticket_id
        lead.assign(ticket, agent=team.anna)
    imap_server.append(simple("配達の遅れ", "まだ届きません")[0])
    run_once(worker)
    routed = tickets(db)[-1]
    assert routed.assignee_id == team.lead  # Anna has two open, the lead none
    # The lead has one open now, Anna two: the next goes to the lead again.
    imap_server.append(simple("配達 2", "まだです", sender="k@example.jp")[0])
    run_once(worker)
    assert tickets(db)[-1].assignee_id == team.lead
