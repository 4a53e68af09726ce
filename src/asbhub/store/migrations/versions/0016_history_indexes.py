"""incidents: the history indexes end with received_at (a place's or a box's window is a range)

Triage reads a place's incidents and the incidents in a 50 m box within twelve months of the
call, newest first. On ``(location_id)`` and ``(x_bng, y_bng)`` alone every incident ever
recorded there was fetched from the table to be filtered and sorted (4,819 at one generated
town-centre point); with ``received_at`` in the index the window is read from the index alone.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 15:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_incidents_location", table_name="incidents")
    op.create_index("ix_incidents_location", "incidents", ["location_id", "received_at"])
    op.drop_index("ix_incidents_bng", table_name="incidents")
    op.create_index("ix_incidents_bng", "incidents", ["x_bng", "y_bng", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_incidents_bng", table_name="incidents")
    op.create_index("ix_incidents_bng", "incidents", ["x_bng", "y_bng"])
    op.drop_index("ix_incidents_location", table_name="incidents")
    op.create_index("ix_incidents_location", "incidents", ["location_id"])
