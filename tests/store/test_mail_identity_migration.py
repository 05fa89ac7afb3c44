"""Migration 0009: mail stored before the upgrade gets its fingerprint, so a copy of it that
arrives after the upgrade is still recognised (and not stored a second time)."""

from __future__ import annotations

import sqlalchemy as sa

from desk_app.mail.parse import parse_message
from desk_app.store import Queries
from desk_app.store.mail_store import MailStore
from desk_app.store.models import RawMail
from desk_app.worker.imap_ingest import to_inbound
from tests.store.helpers import loopback_account
from tests.worker.mails import delivered, notification


def test_upgrade_fingerprints_stored_mail(db, team, clock):
    from alembic import command

    store = MailStore(db, None, clock)
    account = loopback_account(db, clock=clock)
    with_id = notification(0, "<fixed@courier.example.com>", "Parcel", "Parcel 1 left.")
    without_id = notification(1, None, "Scan", "Scanned page 1")
    for uid, raw in enumerate([with_id, without_id], start=1):
        raw = delivered(raw, to="support@desk.test", hop="a")
        assert store.ingest(account, "INBOX", 7, uid, to_inbound(raw, parse_message(raw))).outcome
    with db.read() as session:
        expected = session.execute(
            sa.select(RawMail.id, RawMail.header_message_id, RawMail.fingerprint)
        ).all()
    # Back to the schema before 0009, with the content key 0008's code wrote (other value).
    config = db.alembic_config()

    def alembic(action, revision: str) -> None:
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            action(config, revision)

    alembic(command.downgrade, "0008")
    with db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "UPDATE raw_mails SET header_message_id = 'content-sha256:old' "
                "WHERE header_message_id LIKE 'content-sha256:%'"
            )
        )
    alembic(command.upgrade, "head")
    with db.read() as session:
        after = session.execute(
            sa.select(RawMail.id, RawMail.header_message_id, RawMail.fingerprint)
        ).all()
    assert sorted(after) == sorted(expected)
    assert all(row.fingerprint and len(row.fingerprint) == 64 for row in after)
    # Copies delivered to another address after the upgrade are the same e-mails.
    for uid, raw in enumerate([with_id, without_id], start=3):
        raw = delivered(raw, to="sales@desk.test", hop="bb")
        result = store.ingest(account, "INBOX", 7, uid, to_inbound(raw, parse_message(raw)))
        assert result.outcome == "duplicate"
    assert Queries(db, None).stats()["messages"] == 2
