"""public_records: one (force_code, month, crime_type) index instead of three

The readers of public_records ask for a force's months and for a force's rows of one crime
type; one index serves both. The BNG index served no query and, with the other two, made a
large load spend more time building indexes than writing rows.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 09:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_public_records_bng", table_name="public_records", if_exists=True)
    op.drop_index("ix_public_records_force_month", table_name="public_records", if_exists=True)
    op.drop_index("ix_public_records_force_type_month", table_name="public_records", if_exists=True)
    op.create_index(
        "ix_public_records_force_month_type",
        "public_records",
        ["force_code", "month", "crime_type"],
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index("ix_public_records_force_month_type", table_name="public_records")
    op.create_index("ix_public_records_bng", "public_records", ["x_bng", "y_bng"])
    op.create_index("ix_public_records_force_month", "public_records", ["force_code", "month"])
    op.create_index(
        "ix_public_records_force_type_month",
        "public_records",
        ["force_code", "crime_type", "month"],
    )
