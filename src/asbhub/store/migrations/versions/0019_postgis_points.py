"""PostGIS point indexes for radius reads, where the server offers the extension

Where PostGIS is available (Debian's postgresql-15-postgis-3), the extension is created and
incidents and locations get a GiST index on their British National Grid point, which the
``ST_DWithin`` radius reads use (``incidents.queries.within_box``, ``store.spatial``). Without
it, and on SQLite, nothing changes and the reads keep their plain-SQL bounding box.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 15:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POINTS = {"incidents": "ix_incidents_bng_point", "locations": "ix_locations_bng_point"}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    offered = bind.execute(
        text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
    ).scalar()
    if not offered:
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    for table, name in POINTS.items():
        # BNG is in metres, so a plain (SRID 0) point measures distances as the reads need.
        op.execute(f"CREATE INDEX {name} ON {table} USING gist (ST_Point(x_bng, y_bng))")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in POINTS.values():
        op.execute(f"DROP INDEX IF EXISTS {name}")
