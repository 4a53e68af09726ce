"""power_records.case_id: a statutory power on a problem-solving case

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 15:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("power_records") as batch:
        batch.add_column(sa.Column("case_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_power_records_case_id_cases"),
            "cases",
            ["case_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch.create_index("ix_power_records_case", ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("power_records") as batch:
        batch.drop_index("ix_power_records_case")
        batch.drop_constraint(batch.f("fk_power_records_case_id_cases"), type_="foreignkey")
        batch.drop_column("case_id")
