"""Editing and merging customers, on both databases."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from desk_app.core.errors import ConflictError, InvalidInput, NotFound
from desk_app.store import Queries, Service
from desk_app.store.models import Customer, CustomerIdentity, Message, Ticket
from tests.store.helpers import audit_rows, change_rows, row_snapshot


@pytest.fixture
def ivan(system) -> int:
    return system.create_ticket(
        subject="Hello", customer_email="ivan@example.com", customer_name="Ivan", body="hi"
    ).customer_id


def _customer(db, customer_id):
    return Queries(db, None).customer(customer_id)


def test_edit_customer_fields_and_identities(db, team, anna, ivan, clock):
    clock.advance(minutes=2)
    result = anna.edit_customer(
        ivan,
        name=" Ivan Petrov ",
        organisation="ООО Ромашка",
        notes="Prefers phone",
        add_emails=["I.Petrov@Пример.рф"],
        add_phones=["+7 (495) 123-45-67"],
        expected_version=1,
    )
    record = _customer(db, ivan)
    assert record.name == "Ivan Petrov"
    assert record.organisation == "ООО Ромашка"
    assert record.notes == "Prefers phone"
    assert record.emails == ["ivan@example.com", "i.petrov@xn--e1afmkfd.xn--p1ai"]
    assert record.phones == ["+74951234567"]
    assert record.version == result.version == 2

    events = audit_rows(db, entity="customer", entity_id=ivan)
    edits = [(e.action, e.field, e.old_value, e.new_value) for e in events if e.at == clock()]
    assert ("edit", "name", "Ivan", "Ivan Petrov") in edits
    assert ("edit", "organisation", "", "ООО Ромашка") in edits
    assert ("edit", "notes", "", "Prefers phone") in edits
    assert ("add_identity", None, None, "i.petrov@xn--e1afmkfd.xn--p1ai") in edits
    assert all(e.actor_agent_id == team.anna for e in events if e.at == clock())
    last = change_rows(db)[-1]
    assert (last.entity, last.entity_id, last.op, last.seq) == (
        "customer",
        ivan,
        "update",
        result.change_seq,
    )


def test_edit_customer_refuses_national_phone_without_region(db, team, anna, ivan):
    # Without a country code the number cannot be read; the service must not guess silently.
    before = row_snapshot(db)
    with pytest.raises(InvalidInput, match="phone number"):
        anna.edit_customer(ivan, add_phones=["8 (495) 123-45-67"])
    assert row_snapshot(db) == before


def test_edit_customer_removes_identity(db, team, anna, ivan):
    anna.edit_customer(ivan, add_emails=["second@example.com"])
    anna.edit_customer(ivan, remove_identities=["ivan@example.com"])
    assert _customer(db, ivan).emails == ["second@example.com"]
    assert audit_rows(db, entity="customer", entity_id=ivan)[-1].action == "remove_identity"
    # The removed address is free again: a new ticket from it makes a new customer.
    again = Service(db, None).create_ticket(subject="Back", customer_email="ivan@example.com")
    assert again.customer_id != ivan


def test_edit_customer_removes_identity_written_another_way(db, team, anna, ivan):
    anna.edit_customer(ivan, add_phones=["+7 495 123-45-67"])
    anna.edit_customer(ivan, remove_identities=["+7 495 123 45 67"])
    assert _customer(db, ivan).phones == []


def test_edit_customer_cannot_remove_last_identity(db, team, anna, ivan):
    before = row_snapshot(db)
    with pytest.raises(InvalidInput, match="at least one"):
        anna.edit_customer(ivan, remove_identities=["ivan@example.com"])
    assert row_snapshot(db) == before


def test_edit_customer_identity_conflict_rolls_back_everything(db, team, system, anna, ivan):
    other = system.create_ticket(
        subject="Other", customer_email="olga@example.com", body="x"
    ).customer_id
    before = row_snapshot(db)
    with pytest.raises(ConflictError, match=f"customer {other}"):
        anna.edit_customer(ivan, name="Renamed", add_emails=["OLGA@example.com"])
    # The rename and its audit event were in the same transaction as the failed identity.
    assert row_snapshot(db) == before
    assert _customer(db, ivan).name == "Ivan"


def test_edit_customer_unknown_identity_to_remove_rolls_back(db, team, anna, ivan):
    before = row_snapshot(db)
    with pytest.raises(NotFound):
        anna.edit_customer(ivan, add_emails=["new@example.com"], remove_identities=["nope@x.y"])
    assert row_snapshot(db) == before


def test_edit_customer_stale_version_conflicts(db, team, anna, lena, ivan):
    lena.edit_customer(ivan, notes="called twice")
    before = row_snapshot(db)
    with pytest.raises(ConflictError, match="version 2, you had 1"):
        anna.edit_customer(ivan, notes="mine", expected_version=1)
    assert row_snapshot(db) == before


def test_edit_customer_bad_input(db, team, anna, ivan):
    before = row_snapshot(db)
    with pytest.raises(InvalidInput):
        anna.edit_customer(ivan, add_emails=["no-at-sign"])
    with pytest.raises(InvalidInput):
        anna.edit_customer(ivan, add_phones=["call me maybe"])
    with pytest.raises(NotFound):
        anna.edit_customer(424242, name="x")
    assert row_snapshot(db) == before


def test_merge_customers_moves_identities_and_tickets(db, team, system, lena, clock):
    source_ticket = system.create_ticket(
        subject="From phone",
        customer_phone="+81 3-1234-5678",
        customer_name="山田太郎",
        body="電話しました",
        channel="phone",
    )
    source = source_ticket.customer_id
    system.edit_customer(source, organisation="Yamada KK", notes="Tokyo office")
    target_ticket = system.create_ticket(
        subject="From mail", customer_email="taro@example.jp", body="メールです"
    )
    target = target_ticket.customer_id
    clock.advance(minutes=30)

    result = lena.merge_customers(source, target)

    survivor = _customer(db, target)
    assert survivor.emails == ["taro@example.jp"]
    assert survivor.phones == ["+81312345678"]
    assert survivor.name == "山田太郎"  # the target had none
    assert survivor.organisation == "Yamada KK"
    assert survivor.notes == "Tokyo office"
    assert result.customer_id == target
    assert result.version == survivor.version

    tombstone = _customer(db, source)
    assert tombstone.merged_into_id == target
    assert tombstone.emails == tombstone.phones == []

    with db.read() as session:
        assert set(session.scalars(sa.select(Ticket.id).where(Ticket.customer_id == target))) == {
            source_ticket.ticket_id,
            target_ticket.ticket_id,
        }
        assert session.get_one(Ticket, source_ticket.ticket_id).version == 2
        assert (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(Message)
                .where(Message.author_customer_id == source)
            )
            == 0
        )
        assert (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(CustomerIdentity)
                .where(CustomerIdentity.customer_id == source)
            )
            == 0
        )
        assert session.get_one(Customer, source).merged_into_id == target

    merge = [e for e in audit_rows(db, action="merge")]
    assert len(merge) == 1
    assert (merge[0].entity_id, merge[0].actor_agent_id) == (target, team.lead)
    moved = audit_rows(db, ticket_id=source_ticket.ticket_id, field="customer")
    assert len(moved) == 1
    assert str(source) in moved[0].old_value
    assert str(target) in moved[0].new_value
    assert moved[0].actor_agent_id == team.lead
    changes = {(c.entity, c.entity_id) for c in change_rows(db) if c.at == clock()}
    assert changes == {
        ("ticket", source_ticket.ticket_id),
        ("customer", source),
        ("customer", target),
    }

    # Both tickets now show under the survivor, and new mail from the old phone finds it.
    tickets = Queries(db, None).customer_tickets(target)
    assert {t.id for t in tickets} == {source_ticket.ticket_id, target_ticket.ticket_id}
    again = system.create_ticket(subject="Again", customer_phone="+81312345678")
    assert again.customer_id == target
    assert Queries(db, None).stats()["customers"] == 1


def test_merge_is_named_in_conflict_of_a_stale_ticket_write(db, team, system, lena, anna):
    source_ticket = system.create_ticket(subject="A", customer_email="a@example.com", body="x")
    target = system.create_ticket(subject="B", customer_email="b@example.com", body="y")
    lena.merge_customers(source_ticket.customer_id, target.customer_id)
    with pytest.raises(ConflictError) as caught:
        anna.set_priority(source_ticket.ticket_id, "high", expected_version=1)
    assert "Lena Lead" in str(caught.value)
    assert "customer" in str(caught.value)


def test_merge_refusals(db, team, system, lena):
    a = system.create_ticket(subject="A", customer_email="a@example.com").customer_id
    b = system.create_ticket(subject="B", customer_email="b@example.com").customer_id
    c = system.create_ticket(subject="C", customer_email="c@example.com").customer_id
    with pytest.raises(InvalidInput, match="itself"):
        lena.merge_customers(a, a)
    with pytest.raises(NotFound):
        lena.merge_customers(a, 777_777)
    lena.merge_customers(a, b)
    before = row_snapshot(db)
    with pytest.raises(InvalidInput, match="merged"):
        lena.merge_customers(a, c)
    with pytest.raises(InvalidInput, match="merged"):
        lena.merge_customers(c, a)
    with pytest.raises(InvalidInput, match="merged"):
        lena.edit_customer(a, name="zombie")
    assert row_snapshot(db) == before


def test_find_customer_by_identity(db, team, system, anna):
    created = system.create_ticket(
        subject="Hi", customer_email="Ivan@Пример.рф", customer_phone="+7 495 123 45 67"
    )
    queries = Queries(db, None)
    assert queries.find_customer("ivan@xn--e1afmkfd.xn--p1ai").id == created.customer_id
    assert queries.find_customer("+74951234567").id == created.customer_id
    with pytest.raises(NotFound):
        queries.find_customer("nobody@example.com")


def test_find_customer_accepts_identity_as_typed(db, team, system):
    created = system.create_ticket(
        subject="Hi", customer_email="Ivan@Пример.рф", customer_phone="+7 495 123 45 67"
    )
    queries = Queries(db, None)
    assert queries.find_customer("Ivan@Пример.рф").id == created.customer_id
    assert queries.find_customer("+7 (495) 123-45-67").id == created.customer_id


def test_tags_and_language_are_kept_in_one_form_and_audited(db, team, anna, ivan, clock):
    anna.edit_customer(ivan, tags="VIP, Partner  vip", language="RU")
    record = _customer(db, ivan)
    assert record.tags == ("partner", "vip")
    assert record.language == "ru"
    events = audit_rows(db, entity="customer", entity_id=ivan)
    assert ("tags", "", "partner vip") in [(e.field, e.old_value, e.new_value) for e in events]
    anna.edit_customer(ivan, tags=[], language="")
    record = _customer(db, ivan)
    assert record.tags == () and record.language is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tags": "v.i.p"}, "use letters, digits"),
        ({"tags": "x" * 41}, "at most 40"),
        ({"language": "klingon"}, "use one of en, ja, ru"),
    ],
)
def test_bad_tags_or_language_change_nothing(db, anna, ivan, changes, message):
    before = _customer(db, ivan)
    with pytest.raises(InvalidInput, match=message):
        anna.edit_customer(ivan, **changes)
    assert _customer(db, ivan) == before
