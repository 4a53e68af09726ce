"""statutory powers: records, their life, deadlines, reminders, letters and rule settings

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 11:50:48.346956
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "power_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("power", sa.String(length=40), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "draft",
                "issued",
                "complied",
                "breached",
                "varied",
                "appealed",
                "expired",
                "discharged",
                name="power_state",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "subject_type",
            sa.Enum(
                "individual",
                "body",
                "premises",
                "locality",
                name="subject_type",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("body_name", sa.String(length=200), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("place_text", sa.String(length=300), nullable=True),
        sa.Column("local_authority_code", sa.String(length=12), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("issuer", sa.String(length=40), nullable=False),
        sa.Column("issuer_rank", sa.String(length=40), nullable=True),
        sa.Column("issuer_name", sa.String(length=120), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=True),
        sa.Column("owner_name", sa.String(length=120), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("record_date", sa.Date(), nullable=True),
        sa.Column("starts_at", sa.DateTime(), nullable=True),
        sa.Column("ends_at", sa.DateTime(), nullable=True),
        sa.Column("rules_version", sa.String(length=120), nullable=True),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_power_records_location_id_locations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["owner_user_id"],
            ["users.id"],
            name=op.f("fk_power_records_owner_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["power_records.id"],
            name=op.f("fk_power_records_parent_id_power_records"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_power_records_person_id_people"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_power_records")),
    )
    with op.batch_alter_table("power_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_power_records_force_power_date",
            ["force_code", "power", "record_date"],
            unique=False,
        )
        batch_op.create_index("ix_power_records_parent", ["parent_id"], unique=False)
        batch_op.create_index("ix_power_records_person", ["person_id"], unique=False)

    op.create_table(
        "power_rule_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("value", sa.String(length=80), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.Column("set_by_user_id", sa.Integer(), nullable=True),
        sa.Column("set_by_name", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_by_user_id"],
            ["users.id"],
            name=op.f("fk_power_rule_settings_set_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_power_rule_settings")),
    )
    with op.batch_alter_table("power_rule_settings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_power_rule_settings_force_key", ["force_code", "key", "id"], unique=False
        )

    op.create_table(
        "power_deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("section", sa.String(length=200), nullable=False),
        sa.Column("action", sa.Boolean(), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=True),
        sa.Column("owner_name", sa.String(length=120), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_user_id"],
            ["users.id"],
            name=op.f("fk_power_deadlines_owner_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["power_records.id"],
            name=op.f("fk_power_deadlines_record_id_power_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_power_deadlines")),
    )
    with op.batch_alter_table("power_deadlines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_power_deadlines_open", ["force_code", "done_at", "due_at"], unique=False
        )
        batch_op.create_index("ix_power_deadlines_record", ["record_id"], unique=False)

    op.create_table(
        "power_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("event", sa.String(length=30), nullable=False),
        sa.Column(
            "from_state",
            sa.Enum(
                "draft",
                "issued",
                "complied",
                "breached",
                "varied",
                "appealed",
                "expired",
                "discharged",
                name="power_state",
                native_enum=False,
                length=40,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_state",
            sa.Enum(
                "draft",
                "issued",
                "complied",
                "breached",
                "varied",
                "appealed",
                "expired",
                "discharged",
                name="power_state",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=120), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("rules_version", sa.String(length=120), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_power_events_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["power_records.id"],
            name=op.f("fk_power_events_record_id_power_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_power_events")),
    )
    with op.batch_alter_table("power_events", schema=None) as batch_op:
        batch_op.create_index("ix_power_events_record", ["record_id", "id"], unique=False)

    op.create_table(
        "power_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rules_version", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["power_records.id"],
            name=op.f("fk_power_letters_record_id_power_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_power_letters")),
    )
    with op.batch_alter_table("power_letters", schema=None) as batch_op:
        batch_op.create_index("ix_power_letters_record", ["record_id"], unique=False)

    op.create_table(
        "power_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("deadline_id", sa.Integer(), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=True),
        sa.Column("owner_name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deadline_id"],
            ["power_deadlines.id"],
            name=op.f("fk_power_reminders_deadline_id_power_deadlines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_user_id"],
            ["users.id"],
            name=op.f("fk_power_reminders_owner_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_power_reminders")),
        sa.UniqueConstraint("deadline_id", "kind", name=op.f("uq_power_reminders_deadline_id")),
    )
    with op.batch_alter_table("power_reminders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_power_reminders_owner", ["owner_user_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("power_reminders", schema=None) as batch_op:
        batch_op.drop_index("ix_power_reminders_owner")

    op.drop_table("power_reminders")
    with op.batch_alter_table("power_letters", schema=None) as batch_op:
        batch_op.drop_index("ix_power_letters_record")

    op.drop_table("power_letters")
    with op.batch_alter_table("power_events", schema=None) as batch_op:
        batch_op.drop_index("ix_power_events_record")

    op.drop_table("power_events")
    with op.batch_alter_table("power_deadlines", schema=None) as batch_op:
        batch_op.drop_index("ix_power_deadlines_record")
        batch_op.drop_index("ix_power_deadlines_open")

    op.drop_table("power_deadlines")
    with op.batch_alter_table("power_rule_settings", schema=None) as batch_op:
        batch_op.drop_index("ix_power_rule_settings_force_key")

    op.drop_table("power_rule_settings")
    with op.batch_alter_table("power_records", schema=None) as batch_op:
        batch_op.drop_index("ix_power_records_person")
        batch_op.drop_index("ix_power_records_parent")
        batch_op.drop_index("ix_power_records_force_power_date")

    op.drop_table("power_records")
