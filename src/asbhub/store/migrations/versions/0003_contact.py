"""contact channels: public_submissions, chats, chat_messages

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 08:34:52.446503
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "waiting", "active", "closed", name="chat_status", native_enum=False, length=40
            ),
            nullable=False,
        ),
        sa.Column("display_name", sa.String(length=80), nullable=True),
        sa.Column("topic", sa.String(length=500), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("waiting_seconds", sa.Float(), nullable=True),
        sa.Column("handling_seconds", sa.Float(), nullable=True),
        sa.Column("handler_id", sa.Integer(), nullable=True),
        sa.Column("handler_name", sa.String(length=120), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["handler_id"],
            ["users.id"],
            name=op.f("fk_chats_handler_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_chats_incident_id_incidents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chats")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_chats_incident_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_chats_token_hash")),
    )
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.create_index("ix_chats_force_started", ["force_code", "started_at"], unique=False)
        batch_op.create_index(
            "ix_chats_force_status_started", ["force_code", "status", "started_at"], unique=False
        )

    op.create_table(
        "public_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("client_key", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("ongoing", sa.Boolean(), nullable=False),
        sa.Column("impact", sa.Text(), nullable=False),
        sa.Column("targeted", sa.String(length=10), nullable=False),
        sa.Column("hate_strands", sa.JSON(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("pin_longitude", sa.Float(), nullable=True),
        sa.Column("pin_latitude", sa.Float(), nullable=True),
        sa.Column("consent_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_public_submissions_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_submissions")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_public_submissions_incident_id")),
    )
    with op.batch_alter_table("public_submissions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_public_submissions_client_submitted", ["client_key", "submitted_at"], unique=False
        )

    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("chat_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column(
            "sender",
            sa.Enum(
                "public", "handler", "system", name="chat_sender", native_enum=False, length=40
            ),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.id"],
            name=op.f("fk_chat_messages_chat_id_chats"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
    )
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.create_index("ix_chat_messages_chat", ["chat_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_messages_chat")

    op.drop_table("chat_messages")
    with op.batch_alter_table("public_submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_public_submissions_client_submitted")

    op.drop_table("public_submissions")
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.drop_index("ix_chats_force_status_started")
        batch_op.drop_index("ix_chats_force_started")

    op.drop_table("chats")
