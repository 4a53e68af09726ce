"""retention: the decisions that keep or delete records due under the retention rules

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 13:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retention_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("record_class", sa.String(length=60), nullable=False),
        sa.Column("rules_version", sa.String(length=80), nullable=False),
        sa.Column("due_before", sa.Date(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Integer(), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.Column("people_deleted", sa.Integer(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=False),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"],
            ["users.id"],
            name=op.f("fk_retention_decisions_decided_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_decisions")),
    )
    op.create_index(
        "ix_retention_decisions_force_class",
        "retention_decisions",
        ["force_code", "record_class"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_retention_decisions_force_class", table_name="retention_decisions")
    op.drop_table("retention_decisions")
