"""An index for the incident list's qualifier filter

"Personal ASB not attended" (the deep dive's under-served victims) matches about 3% of a force's
incidents. Newest first, the list walked ``ix_incidents_force_received`` and read a table row
for each of the ~1,600 newer incidents it skipped to fill a page: 4.3 ms of SQLite at 500,000
incidents, against 0.08 ms on (force_code, qualifier, received_at) (docs/benchmarks.md, web).

On SQLite the table's statistics are renewed when it has any: with statistics for every other
index and none for this one, the planner takes it for an unfiltered list too and sorts the
whole force (184 ms a page measured).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 20:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_incidents_force_qualifier_received"


def upgrade() -> None:
    op.create_index(NAME, "incidents", ["force_code", "qualifier", "received_at"])
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        analysed = bind.execute(
            text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
        ).scalar()
        if analysed:
            op.execute("ANALYZE incidents")


def downgrade() -> None:
    op.drop_index(NAME, table_name="incidents")
