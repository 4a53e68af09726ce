"""case_incidents.incident_id: RESTRICT instead of CASCADE, so deleting an incident (the
retention job) cannot silently unlink it from a case

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 16:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK = "fk_case_incidents_incident_id_incidents"


def _recreate(ondelete: str) -> None:
    with op.batch_alter_table("case_incidents") as batch:
        batch.drop_constraint(FK, type_="foreignkey")
        batch.create_foreign_key(FK, "incidents", ["incident_id"], ["id"], ondelete=ondelete)


def upgrade() -> None:
    _recreate("RESTRICT")


def downgrade() -> None:
    _recreate("CASCADE")
