"""SLA breach history

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 20:40:00

A breach used to live only in sla_targets, which every recompute rewrites: moving a breached
ticket to a department with a longer (or no) target erased it. sla_breaches keeps each breach
as a fact. The backfill copies the breaches sla_targets holds today (a target breached now, or
met late), under the policy the ticket has now: the only one known.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sla_breaches",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("policy", sa.String(length=120), nullable=False),
        sa.Column("met_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_sla_breaches_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_sla_breaches_department_id_departments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["agents.id"],
            name=op.f("fk_sla_breaches_assignee_id_agents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_breaches")),
        sa.UniqueConstraint(
            "ticket_id", "kind", "due_at", name=op.f("uq_sla_breaches_ticket_id_kind_due_at")
        ),
    )
    op.create_index("ix_sla_breaches_kind_started", "sla_breaches", ["kind", "started_at"])
    # breached_at is the missed due time (core.sla records a breach at its due time); it is set
    # on every target in state 'breached' and kept on one met late.
    op.execute(
        "INSERT INTO sla_breaches (ticket_id, kind, started_at, due_at, policy, met_at,"
        " recorded_at, department_id, assignee_id)"
        " SELECT s.ticket_id, s.kind, s.started_at, s.breached_at,"
        " COALESCE(t.sla_policy, '(unknown)'), s.met_at, s.breached_at,"
        " t.department_id, t.assignee_id"
        " FROM sla_targets s JOIN tickets t ON t.id = s.ticket_id"
        " WHERE s.breached_at IS NOT NULL AND s.started_at IS NOT NULL"
        " ORDER BY s.ticket_id, s.kind"
    )


def downgrade() -> None:
    op.drop_index("ix_sla_breaches_kind_started", table_name="sla_breaches")
    op.drop_table("sla_breaches")
