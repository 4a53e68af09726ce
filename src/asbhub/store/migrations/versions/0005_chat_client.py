"""chats: the starter's keyed client hash, so chat starts are rate-limited like reports

Nullable: chats started before this revision, and generated chats, have no client.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 10:15:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("chats", sa.Column("client_key", sa.String(length=64), nullable=True))
    op.create_index("ix_chats_client_started", "chats", ["client_key", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_chats_client_started", table_name="chats")
    with op.batch_alter_table("chats") as batch:
        batch.drop_column("client_key")
