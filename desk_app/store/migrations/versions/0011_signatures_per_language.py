"""Signatures per language

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 23:15:00

An agent had one signature, so a Japanese template ended in an English sign-off. `signatures`
holds their signature for other languages, as a JSON object {"ja": "...", "ru": "..."};
`signature` stays the one used where no language has its own.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("agents", sa.Column("signatures", sa.Text(), server_default="{}", nullable=False))


def downgrade() -> None:
    # Native DROP COLUMN (SQLite 3.35+): a batch copy would drop the referenced table.
    op.drop_column("agents", "signatures")
