"""mail identity: a content fingerprint per raw e-mail; when a reply's sending began

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 20:20:00

Ingest used to take any e-mail whose Message-ID it had seen for the one it had, and senders
reuse Message-IDs. Now an e-mail is a copy of a stored one only when its fingerprint (headers
without the transport ones, and body: core.mail_identity) matches too. Stored raw mail gets its
fingerprint here, so copies of mail fetched before the upgrade are still recognised, and mail
without a Message-ID gets its content key under the new definition (which leaves out all
transport headers, not only trace lines).

The outbox gets first_attempt_at, so a reply that keeps failing temporarily is given up on
after the team's outbox_retry_hours instead of being retried forever.

The backfill reads every stored raw e-mail once, in batches by id; it uses the application's
own fingerprint function on purpose, so the stored values are the ones ingest compares with.
"""

import sqlalchemy as sa
from alembic import op

from desk_app.core.mail_identity import CONTENT_KEY_PREFIX, content_key, fingerprint

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_BATCH = 500


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, no default) on both databases: no table rebuild on SQLite.
    op.add_column("raw_mails", sa.Column("fingerprint", sa.String(length=64), nullable=True))
    _backfill()
    op.create_index(op.f("ix_raw_mails_fingerprint"), "raw_mails", ["fingerprint"], unique=False)
    # Bounded retries of replies (issue 14): when this round of sending began.
    op.add_column(
        "outbox", sa.Column("first_attempt_at", sa.DateTime(timezone=True), nullable=True)
    )


def _backfill() -> None:
    connection = op.get_bind()
    raw_mails = sa.table(
        "raw_mails",
        sa.column("id", sa.BigInteger()),
        sa.column("header_message_id", sa.String()),
        sa.column("fingerprint", sa.String()),
        sa.column("content", sa.LargeBinary()),
    )
    read = (
        sa.select(raw_mails.c.id, raw_mails.c.header_message_id, raw_mails.c.content)
        .where(raw_mails.c.id > sa.bindparam("after"))
        .order_by(raw_mails.c.id)
        .limit(_BATCH)
    )
    write = (
        sa.update(raw_mails)
        .where(raw_mails.c.id == sa.bindparam("row_id"))
        .values(
            fingerprint=sa.bindparam("new_fingerprint"),
            header_message_id=sa.bindparam("new_key"),
        )
    )
    after = 0
    while True:
        rows = connection.execute(read, {"after": after}).all()
        if not rows:
            return
        updates = []
        for row_id, key, content in rows:
            raw = bytes(content or b"")
            if key is None or key.startswith(CONTENT_KEY_PREFIX):
                key = content_key(raw)
            updates.append({"row_id": row_id, "new_fingerprint": fingerprint(raw), "new_key": key})
        connection.execute(write, updates)
        after = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("first_attempt_at")
    op.drop_index(op.f("ix_raw_mails_fingerprint"), table_name="raw_mails")
    with op.batch_alter_table("raw_mails", schema=None) as batch_op:
        batch_op.drop_column("fingerprint")
