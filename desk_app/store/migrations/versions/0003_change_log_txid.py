"""change log txid: the writing transaction, so readers never skip a late commit

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 17:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("change_log") as batch_op:
        batch_op.add_column(sa.Column("txid", sa.BigInteger(), nullable=True))
        batch_op.create_index("ix_change_log_txid", ["txid"])


def downgrade() -> None:
    with op.batch_alter_table("change_log") as batch_op:
        batch_op.drop_index("ix_change_log_txid")
        batch_op.drop_column("txid")
