"""Templates in the store, on SQLite and PostgreSQL: scope rules, versions, audit and change log,
uses recorded with replies, effectiveness on real data, libraries in and out."""

from __future__ import annotations

import pytest
import yaml

from desk_app.core.errors import ConflictError, InvalidInput, NotFound, PermissionDenied
from desk_app.core.templates import TemplateError
from desk_app.store import Database, Service
from desk_app.store.models import Customer, Ticket
from desk_app.store.sla_store import import_rules
from desk_app.store.template_store import COMPANY_NAME, TemplateFields, TemplateStore
from tests.store.helpers import audit_rows, change_rows, row_snapshot

RULES = {
    "calendars": [],
    "policies": [
        {
            "name": "Standard",
            "targets": [
                {"kind": "first_response", "minutes": 120, "business_hours": False},
                {"kind": "next_response", "minutes": 240, "business_hours": False},
            ],
        }
    ],
}


@pytest.fixture
def store_for(db, clock):
    return lambda actor: TemplateStore(db, actor, clock)


def shared(title: str = "Refund", **kw: object) -> TemplateFields:
    base: dict[str, object] = {"title": title, "body": "Hi {{ customer.first_name }}"}
    base.update(kw)
    return TemplateFields(**base)  # type: ignore[arg-type]


def test_create_edit_delete_with_versions_audit_and_change_log(db, team, store_for):
    lena = store_for(team.lead)
    created = lena.create(shared(shortcut="/Refund", tags="Billing #money billing"))
    assert (created.shortcut, created.tags, created.version) == ("refund", ["billing", "money"], 1)
    edited = lena.edit(
        created.id, shared(title="Refund policy", shortcut="refund"), expected_version=1
    )
    assert edited.version == 2 and edited.title == "Refund policy"
    with pytest.raises(ConflictError, match=r"changed by Lena Lead .*your version 1, now 2"):
        lena.edit(created.id, shared(title="Stale"), expected_version=1)
    assert lena.get(created.id).title == "Refund policy"
    with pytest.raises(ConflictError, match="version 1"):
        lena.delete(created.id, expected_version=1)
    lena.delete(created.id, expected_version=2)
    with pytest.raises(NotFound):
        lena.get(created.id)
    actions = [(e.action, e.field) for e in audit_rows(db, entity="template")]
    assert actions == [("create", None), ("update", "title"), ("update", "tags"), ("delete", None)]
    ops = [c.op for c in change_rows(db, entity="template")]
    assert ops == ["insert", "update", "delete"]


def test_scope_rules_personal_department_everyone(db, team, store_for):
    anna, boris, lena = store_for(team.anna), store_for(team.boris), store_for(team.lead)
    mine = anna.create(shared("Anna's own", scope="personal"))
    support = lena.create(shared("Support only", scope="department", department="Support"))
    billing = lena.create(shared("Billing only", scope="department", department="Billing"))
    everyone = lena.create(shared("For all"))
    assert {t.id for t in anna.templates()} == {mine.id, support.id, everyone.id}
    assert {t.id for t in boris.templates()} == {billing.id, everyone.id}
    assert {t.id for t in store_for(None).templates()} == {support.id, billing.id, everyone.id}
    with pytest.raises(NotFound):
        boris.get(mine.id)
    with pytest.raises(NotFound):
        lena.edit(mine.id, shared("Taken over"), expected_version=1)
    with pytest.raises(PermissionDenied, match="only leads and admins"):
        anna.create(shared("Shared by an agent"))
    with pytest.raises(PermissionDenied, match="only leads and admins"):
        anna.edit(
            support.id, shared("x", scope="department", department="Support"), expected_version=1
        )
    # A lead of Support and Billing cannot take a template into a department they are not in.
    store_for(team.admin).create(shared("Admin dept", scope="department", department="Support"))
    db_ops = store_for(team.admin).templates()
    assert mine.id not in {t.id for t in db_ops}  # personal stays personal, even for admins


def test_duplicate_is_personal_without_shortcut_and_favourites_are_personal(team, store_for):
    lena, anna = store_for(team.lead), store_for(team.anna)
    original = lena.create(shared(shortcut="refund", subject="Your refund"))
    copy = anna.duplicate(original.id)
    assert (copy.title, copy.scope, copy.shortcut, copy.owner_id, copy.subject) == (
        "Refund (copy)",
        "personal",
        None,
        team.anna,
        "Your refund",
    )
    assert anna.toggle_favourite(original.id) is True
    assert {t.id for t in anna.templates() if t.favourite} == {original.id}
    assert not any(t.favourite for t in lena.templates())
    assert anna.toggle_favourite(original.id) is False


def test_bad_input_is_refused_with_the_place_and_nothing_is_stored(db, team, store_for):
    lena = store_for(team.lead)
    before = row_snapshot(db)
    with pytest.raises(TemplateError, match="body has a mistake at line 2, column 6"):
        lena.create(shared(body="Hello\nDear {{ customer.name }"))
    with pytest.raises(TemplateError, match="subject has a mistake"):
        lena.create(shared(subject="Re {% if %}"))
    with pytest.raises(InvalidInput, match="not a scope"):
        lena.create(shared(scope="galaxy"))
    with pytest.raises(InvalidInput, match="shortcut"):
        lena.create(shared(shortcut="no spaces please"))
    with pytest.raises(InvalidInput, match="needs a title"):
        lena.create(shared(title="  "))
    with pytest.raises(NotFound, match="department 'Nowhere'"):
        lena.create(shared(scope="department", department="Nowhere"))
    assert row_snapshot(db) == before
    lena.create(shared(shortcut="refund"))
    with pytest.raises(ConflictError, match="/refund is already used by 'Refund'"):
        lena.create(shared("Other", shortcut="REFUND"))


def _ticket_for(db: Database, clock, customer: str, language: str | None = None) -> int:
    slug = "".join(ch for ch in customer.lower() if ch.isascii() and ch.isalnum()) or "customer"
    created = Service(db, None, clock).create_ticket(
        subject="Where is my order?",
        customer_email=f"{slug}@example.com",
        customer_name=customer,
        body="It did not arrive.",
        department="Support",
    )
    with db.write() as session:
        ticket = session.get_one(Ticket, created.ticket_id)
        session.get_one(Customer, ticket.customer_id).language = language
    return int(created.ticket_id or 0)


def test_fill_uses_every_value_of_the_ticket(db, team, clock, store_for):
    import_rules(db, RULES, None, clock)
    store_for(None).set_team_setting(COMPANY_NAME, "Acme")
    store_for(None).set_signature("Anna\nAcme support", team.anna)
    ticket_id = _ticket_for(db, clock, "Мария Петрова", "ru")
    lena = store_for(team.lead)
    template = lena.create(
        shared(
            body=(
                "{{ customer.first_name }}|{{ customer.name }}|{{ customer.email }}|"
                "{{ ticket.number }}|{{ ticket.subject }}|{{ ticket.department }}|"
                "{{ agent.name }}|{{ agent.signature }}|{{ sla.first_response_due }}|"
                "{{ sla.expected_response }}|{{ sla.response_target }}|{{ company.name }}|"
                "{{ input.order }}"
            ),
            subject="Заказ {{ input.order }} {{ ticket.subject }}",
        )
    )
    filled = store_for(team.anna).fill(template.id, ticket_id, {"order": "A-1\nBcc: x@evil"})
    assert filled.text.split("|") == [
        "Мария",
        "Мария Петрова",
        "customer@example.com",
        str(ticket_id),
        "Where is my order?",
        "Support",
        "Anna Ivanova",
        "Anna\nAcme support",
        "23 ноября 2026, 11:00",
        "сегодня до 11:00",
        "в течение 2 часов",
        "Acme",
        "A-1\nBcc: x@evil",
    ]
    assert filled.subject == "Заказ A-1 Bcc: x@evil Where is my order?"
    assert filled.missing == []
    unfilled = store_for(team.anna).fill(template.id, ticket_id)
    assert unfilled.missing == ["input.order"] and unfilled.inputs == ["order"]


def test_replies_record_uses_and_effectiveness_follows_real_tickets(db, team, clock, store_for):
    lena = store_for(team.lead)
    good = lena.create(shared("Good answer"))
    weak = lena.create(shared("Weak answer"))
    anna = Service(db, team.anna, clock)
    solved_ids = [_ticket_for(db, clock, f"Solved{n} Person") for n in range(3)]
    for ticket_id in solved_ids:
        anna.reply(ticket_id, "Here you go", template_ids=[good.id], status_after="solved")
    came_back = _ticket_for(db, clock, "Back Again")
    anna.reply(came_back, "Try this", template_ids=[good.id, weak.id], status_after="solved")
    clock.advance(days=2)
    Service(db, None, clock).add_inbound_message(came_back, "Still broken")
    # A message after the 7-day window does not count against the template.
    late = _ticket_for(db, clock, "Late Writer")
    anna.reply(late, "Done", template_ids=[weak.id], status_after="solved")
    clock.advance(days=8)
    Service(db, None, clock).add_inbound_message(late, "Thanks again!")
    Service(db, team.anna, clock).set_status(late, "solved")
    # A deleted template does not stop a reply from going out.
    gone = lena.create(shared("Gone"))
    lena.delete(gone.id, expected_version=1)
    open_ticket = _ticket_for(db, clock, "Still Open")
    anna.reply(open_ticket, "Looking", template_ids=[gone.id, weak.id])
    figures = {t.title: t for t in lena.templates()}
    assert (figures["Good answer"].uses, figures["Good answer"].tickets) == (4, 4)
    assert figures["Good answer"].solved_first_time == 3
    assert figures["Good answer"].share_solved == pytest.approx(0.75)
    assert (figures["Weak answer"].uses, figures["Weak answer"].tickets) == (3, 3)
    assert figures["Weak answer"].solved_first_time == 1  # only the late writer's ticket
    with db.read() as session:
        from sqlalchemy import select

        from desk_app.store.models import TemplateUse

        rows = session.scalars(select(TemplateUse).order_by(TemplateUse.id)).all()
    assert all(r.message_id is not None and r.agent_id == team.anna for r in rows)


def test_library_round_trip_is_validated_before_anything_changes(db, team, clock, store_for):
    lena = store_for(team.lead)
    lena.create(shared("Refund", shortcut="refund", tags="billing", subject="Re: refund"))
    lena.create(shared("返金", language="ja", scope="department", department="Billing"))
    store_for(team.anna).create(shared("Mine", scope="personal"))
    document = yaml.safe_load(yaml.safe_dump(lena.export_library(), allow_unicode=True))
    assert [t["title"] for t in document["templates"]] == ["Refund", "返金"]
    assert lena.import_library(document) == {"created": 0, "updated": 0, "unchanged": 2}
    document["templates"][0]["body"] = "Changed {{ ticket.number }}"
    document["templates"].append({"title": "New one", "body": "Hello", "tags": ["a", "b"]})
    assert lena.import_library(document) == {"created": 1, "updated": 1, "unchanged": 1}
    assert lena.get("/refund").body == "Changed {{ ticket.number }}"
    before = row_snapshot(db)
    broken = {"templates": [*document["templates"], {"title": "Bad", "body": "{{ oops"}]}
    with pytest.raises(TemplateError, match=r"template 4 .'Bad'.: the body has a mistake"):
        lena.import_library(broken)
    duplicated = {
        "templates": [*document["templates"], {"title": "X", "body": "x", "shortcut": "refund"}]
    }
    with pytest.raises(InvalidInput, match="also used by 'Refund'"):
        lena.import_library(duplicated)
    with pytest.raises(InvalidInput, match="unknown fields colour"):
        lena.import_library({"templates": [{"title": "x", "body": "y", "colour": "red"}]})
    with pytest.raises(PermissionDenied):
        store_for(team.anna).import_library(document)
    assert row_snapshot(db) == before


def test_round_trip_into_a_fresh_team(db, team, clock, store_for, tmp_path):
    lena = store_for(team.lead)
    lena.create(
        shared(
            "Refund",
            shortcut="refund",
            tags="billing money",
            subject="Re: {{ ticket.subject }}",
            body_html="<p>Hi {{ customer.name }}</p>",
        )
    )
    exported = lena.export_library()
    other = Database(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        other.ensure_schema(upgrade=True, create=True)
        Service(other, None, clock).add_department("Support")
        imported = TemplateStore(other, None, clock)
        assert imported.import_library(exported) == {"created": 1, "updated": 0, "unchanged": 0}
        assert imported.export_library() == exported
    finally:
        other.dispose()


def test_find_by_shortcut_title_or_id(team, store_for):
    lena = store_for(team.lead)
    t = lena.create(shared("Password reset", shortcut="reset"))
    assert lena.get("/reset").id == t.id == lena.get("password RESET").id == lena.get(str(t.id)).id
    with pytest.raises(NotFound, match="no template called 'nothing'"):
        lena.get("nothing")


def test_signature_and_settings_permissions(team, store_for):
    with pytest.raises(PermissionDenied):
        store_for(team.anna).set_signature("x", team.boris)
    store_for(team.anna).set_signature("— Anna")
    with pytest.raises(PermissionDenied):
        store_for(team.anna).set_team_setting(COMPANY_NAME, "Evil Corp")
    store_for(None).set_team_setting(COMPANY_NAME, "Acme")
    with pytest.raises(NotFound):
        store_for(team.anna).reply_facts(999)
