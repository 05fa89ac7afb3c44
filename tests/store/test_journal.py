"""Every command writes its audit events and change-log rows in its own transaction: both appear
together with the command's effect, or not at all."""

from __future__ import annotations

import pytest

from desk_app.core.errors import DeskError
from desk_app.store import Queries
from desk_app.store.journal import Journal
from tests.store.helpers import audit_rows, change_rows, max_seq, row_snapshot

COMMANDS = {
    "create_ticket": lambda s, t, c: s.create_ticket(
        subject="Another", customer_email="z@example.com", body="text"
    ),
    "add_inbound_message": lambda s, t, c: s.add_inbound_message(t, "more"),
    "reply": lambda s, t, c: s.reply(t, "answer"),
    "add_note": lambda s, t, c: s.add_note(t, "note"),
    "assign": lambda s, t, c: s.assign(t, department="Support", agent="anna@desk.test"),
    "set_status": lambda s, t, c: s.set_status(t, "pending"),
    "set_priority": lambda s, t, c: s.set_priority(t, "low"),
    "edit_customer": lambda s, t, c: s.edit_customer(c, name="Renamed"),
    "merge_customers": lambda s, t, c: s.merge_customers(
        c, s.create_ticket(subject="x", customer_email="target@example.com").customer_id
    ),
    "add_department": lambda s, t, c: s.add_department("Technical"),
    "add_agent": lambda s, t, c: s.add_agent("Kenji", "kenji@desk.test"),
}


ADMIN_COMMANDS = {"add_department", "add_agent"}


def test_every_command_writes_audit_and_change_log_with_its_effect(
    db, team, lena, system, clock, service_for
):
    admin = service_for(team.admin)
    # All commands share one database (a fresh ticket and customer each) to keep this fast.
    for number, name in enumerate(COMMANDS):
        actor = (admin, team.admin) if name in ADMIN_COMMANDS else (lena, team.lead)
        _check_command(db, actor, system, clock, name, number)


def _check_command(db, actor, system, clock, name, number):
    service, actor_id = actor
    created = system.create_ticket(
        subject="Base", customer_email=f"base{number}@example.com", body="x"
    )
    seq_before = max_seq(db)
    audit_before = len(audit_rows(db))
    clock.advance(minutes=1)
    result = COMMANDS[name](service, created.ticket_id, created.customer_id)

    new_audit = audit_rows(db)[audit_before:]
    new_changes = [c for c in change_rows(db) if c.seq > seq_before]
    assert new_audit, f"{name}: no audit event"
    assert new_changes, f"{name}: no change-log row"
    assert {e.at for e in new_audit if e.at >= clock()} == {clock()}
    assert {c.at for c in new_changes if c.at >= clock()} == {clock()}
    assert {c.actor_agent_id for c in new_changes if c.at == clock()} == {actor_id}
    assert {e.actor_agent_id for e in new_audit if e.at == clock()} == {actor_id}
    seqs = [c.seq for c in new_changes]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs)
    if hasattr(result, "change_seq"):
        assert result.change_seq == max_seq(db)
    if getattr(result, "ticket_id", None) and name != "create_ticket":
        assert ("ticket", result.ticket_id, "update") in {
            (c.entity, c.entity_id, c.op) for c in new_changes
        }
        detail = Queries(db, None).ticket(result.ticket_id)
        assert detail.version == result.version
        assert max(e.ticket_version or 0 for e in detail.audit) == detail.version


def _no_setup(s, t, c):
    return None


# name: (a successful step first, then the command that must fail and leave nothing behind)
FAILING = {
    "reply to closed": (
        lambda s, t, c: s.set_status(t, "closed"),
        lambda s, t, c: s.reply(t, "x"),
    ),
    "inbound to closed": (
        lambda s, t, c: s.set_status(t, "closed"),
        lambda s, t, c: s.add_inbound_message(t, "x"),
    ),
    "assign missing agent": (_no_setup, lambda s, t, c: s.assign(t, agent="ghost@desk.test")),
    "assign missing department": (_no_setup, lambda s, t, c: s.assign(t, department="Ghosts")),
    "assign outsider": (
        _no_setup,
        lambda s, t, c: s.assign(t, department="Support", agent="boris@desk.test"),
    ),
    "stale status": (
        lambda s, t, c: s.set_priority(t, "high"),
        lambda s, t, c: s.set_status(t, "solved", expected_version=1),
    ),
    "edit then conflict": (
        _no_setup,
        lambda s, t, c: s.edit_customer(
            c, name="New name", notes="n", add_emails=["taken@example.com"]
        ),
    ),
    "merge into missing": (_no_setup, lambda s, t, c: s.merge_customers(c, 424242)),
    "duplicate department": (_no_setup, lambda s, t, c: s.add_department("Support")),
    "duplicate agent": (_no_setup, lambda s, t, c: s.add_agent("Anna 2", "ANNA@desk.test")),
    "agent in missing department": (
        _no_setup,
        lambda s, t, c: s.add_agent("Kenji", "kenji@desk.test", departments=["Ghosts"]),
    ),
}


def test_failing_commands_change_nothing(db, team, lena, system):
    system.create_ticket(subject="Other", customer_email="taken@example.com")
    for number, name in enumerate(FAILING):
        _check_failure(db, lena, system, name, number)


def _check_failure(db, lena, system, name, number):
    created = system.create_ticket(
        subject="Base", customer_email=f"base{number}@example.com", body="x"
    )
    setup, command = FAILING[name]
    setup(lena, created.ticket_id, created.customer_id)
    before = row_snapshot(db)
    with db.engine.connect() as connection:
        agents_before = connection.exec_driver_sql("SELECT count(*) FROM agents").scalar_one()
    with pytest.raises(DeskError):
        command(lena, created.ticket_id, created.customer_id)
    assert row_snapshot(db) == before, name
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM agents").scalar_one() == (
            agents_before
        )


def test_change_rows_of_a_command_without_finish_are_written_at_commit(db, team, clock):
    """On PostgreSQL the change-log rows wait for finish(); a command that never calls it
    still writes them when it commits (as the ORM did), and one that rolls back writes none,
    not even in the next transaction of the same session."""
    seq_before = max_seq(db)
    with db.write() as session:
        journal = Journal(session, team.lead, clock())
        journal.changed("department", team.support, "update")
    assert [(c.entity, c.entity_id, c.op) for c in change_rows(db) if c.seq > seq_before] == [
        ("department", team.support, "update")
    ]

    seq_before = max_seq(db)
    with db._sessions() as session:  # one session, two transactions
        session.connection()
        Journal(session, team.lead, clock()).changed("department", team.billing, "update")
        session.rollback()
        Journal(session, team.lead, clock()).changed("department", team.support, "delete")
        session.commit()
    assert [(c.entity, c.entity_id, c.op) for c in change_rows(db) if c.seq > seq_before] == [
        ("department", team.support, "delete")
    ]
