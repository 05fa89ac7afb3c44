"""mail accounts raw mail leases

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 17:51:59.514298
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "mail_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("username", sa.String(length=320), nullable=False),
        sa.Column("imap_host", sa.String(length=255), nullable=False),
        sa.Column("imap_port", sa.Integer(), nullable=False),
        sa.Column("smtp_host", sa.String(length=255), nullable=False),
        sa.Column("smtp_port", sa.Integer(), nullable=False),
        sa.Column("security", sa.String(length=16), nullable=False),
        sa.Column("folder", sa.String(length=255), nullable=False),
        sa.Column("after_import", sa.String(length=300), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_mail_accounts_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_accounts")),
        sa.UniqueConstraint("name", name=op.f("uq_mail_accounts_name")),
    )
    op.create_table(
        "mail_folder_states",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("folder", sa.String(length=255), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["mail_accounts.id"],
            name=op.f("fk_mail_folder_states_account_id_mail_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "folder", name=op.f("pk_mail_folder_states")),
    )
    op.create_table(
        "raw_mails",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("folder", sa.String(length=255), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("header_message_id", sa.String(length=998), nullable=True),
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("parse_failed", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["mail_accounts.id"],
            name=op.f("fk_raw_mails_account_id_mail_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_raw_mails_message_id_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raw_mails")),
        sa.UniqueConstraint(
            "account_id",
            "folder",
            "uidvalidity",
            "uid",
            name=op.f("uq_raw_mails_account_id_folder_uidvalidity_uid"),
        ),
    )
    with op.batch_alter_table("raw_mails", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_raw_mails_header_message_id"), ["header_message_id"], unique=False
        )

    # Plain ALTER TABLE ADD COLUMN on both databases: SQLite can add a column with an inline
    # REFERENCES without rebuilding the table (a rebuild would have to recreate the partial
    # indexes of the inbox views by hand).
    op.add_column("messages", sa.Column("match_reason", sa.String(length=200), nullable=True))
    op.add_column("messages", sa.Column("warnings", sa.Text(), nullable=True))
    op.add_column("messages", sa.Column("auto_kind", sa.String(length=16), nullable=True))
    op.add_column("outbox", sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "tickets",
        sa.Column("subject_key", sa.String(length=500), nullable=False, server_default=""),
    )
    _add_reference("tickets", "mail_account_id", "INTEGER", "mail_accounts")
    _add_reference("tickets", "follow_up_of_id", "BIGINT", "tickets")
    op.create_index("ix_tickets_customer_subject_key", "tickets", ["customer_id", "subject_key"])


def _add_reference(table: str, column: str, sql_type: str, target: str) -> None:
    """A nullable foreign-key column. SQLite takes an inline REFERENCES in ADD COLUMN, but
    Alembic would try a separate ADD CONSTRAINT, which SQLite lacks."""
    name = f"fk_{table}_{column}_{target}"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
            f"CONSTRAINT {name} REFERENCES {target} (id)"
        )
    else:
        op.add_column(
            table, sa.Column(column, sa.BigInteger() if sql_type == "BIGINT" else sa.Integer())
        )
        op.create_foreign_key(name, table, target, [column], ["id"])


def downgrade() -> None:

    op.drop_index("ix_tickets_customer_subject_key", table_name="tickets")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("follow_up_of_id")
        batch_op.drop_column("mail_account_id")
        batch_op.drop_column("subject_key")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("claimed_at")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("auto_kind")
        batch_op.drop_column("warnings")
        batch_op.drop_column("match_reason")

    with op.batch_alter_table("raw_mails", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_raw_mails_header_message_id"))

    op.drop_table("raw_mails")
    op.drop_table("mail_folder_states")
    op.drop_table("mail_accounts")
    op.drop_table("leases")
