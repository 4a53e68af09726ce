"""triage and the incident's life: assessments, reviews, status history, assignments

Also the indexes the repeat checks use: locations by postcode, people by name in any case.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 08:48:46.924228
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incident_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("assignee_user_id", sa.Integer(), nullable=True),
        sa.Column("assignee_name", sa.String(length=120), nullable=True),
        sa.Column("team", sa.String(length=120), nullable=True),
        sa.Column("assigned_at", sa.DateTime(), nullable=False),
        sa.Column("assigned_by", sa.String(length=120), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_user_id"],
            ["users.id"],
            name=op.f("fk_incident_assignments_assignee_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_assignments_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_assignments")),
    )
    with op.batch_alter_table("incident_assignments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incident_assignments_assignee", ["assignee_user_id", "ended_at"], unique=False
        )
        batch_op.create_index(
            "ix_incident_assignments_incident", ["incident_id", "ended_at"], unique=False
        )

    op.create_table(
        "incident_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(
                "new",
                "triaged",
                "assigned",
                "referred",
                "resolved",
                "closed",
                name="incident_status",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "new",
                "triaged",
                "assigned",
                "referred",
                "resolved",
                "closed",
                name="incident_status",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=120), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_incident_status_changes_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_status_changes_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_status_changes")),
    )
    with op.batch_alter_table("incident_status_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incident_status_changes_incident", ["incident_id", "id"], unique=False
        )

    op.create_table(
        "triage_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=120), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=True),
        sa.Column("risk_version", sa.String(length=80), nullable=False),
        sa.Column("thrive_version", sa.String(length=80), nullable=False),
        sa.Column("repeats_version", sa.String(length=80), nullable=False),
        sa.Column("case_review_version", sa.String(length=80), nullable=False),
        sa.Column("routing_version", sa.String(length=80), nullable=False),
        sa.Column("risk_score", sa.Integer(), nullable=False),
        sa.Column(
            "risk_computed",
            sa.Enum("standard", "medium", "high", name="risk_level", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column(
            "risk_level",
            sa.Enum("standard", "medium", "high", name="risk_level", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column(
            "override_level",
            sa.Enum("standard", "medium", "high", name="risk_level", native_enum=False, length=40),
            nullable=True,
        ),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("override_by", sa.String(length=120), nullable=True),
        sa.Column(
            "grade",
            sa.Enum(
                "immediate",
                "priority",
                "scheduled",
                "resolved",
                "refer",
                name="response_grade",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("partner", sa.String(length=40), nullable=True),
        sa.Column("repeat_victim", sa.Boolean(), nullable=False),
        sa.Column("repeat_location", sa.Boolean(), nullable=False),
        sa.Column("repeat_offender", sa.Boolean(), nullable=False),
        sa.Column("case_review_eligible", sa.Boolean(), nullable=False),
        sa.Column("case_review_informed", sa.Boolean(), nullable=False),
        sa.Column("spoc_user_id", sa.Integer(), nullable=True),
        sa.Column("spoc_name", sa.String(length=120), nullable=True),
        sa.Column("call", sa.JSON(), nullable=False),
        sa.Column("decision", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_triage_assessments_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_triage_assessments_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["spoc_user_id"],
            ["users.id"],
            name=op.f("fk_triage_assessments_spoc_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_assessments")),
    )
    with op.batch_alter_table("triage_assessments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_triage_assessments_force_level",
            ["force_code", "risk_level", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_triage_assessments_incident", ["incident_id", "seq"], unique=False
        )

    op.create_table(
        "triage_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column(
            "rank",
            sa.Enum(
                "sergeant",
                "inspector",
                "chief_inspector",
                name="review_rank",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column(
            "risk_level",
            sa.Enum("standard", "medium", "high", name="risk_level", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("every_days", sa.Integer(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("done_by", sa.String(length=120), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["triage_assessments.id"],
            name=op.f("fk_triage_reviews_assessment_id_triage_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_triage_reviews_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_reviews")),
    )
    with op.batch_alter_table("triage_reviews", schema=None) as batch_op:
        batch_op.create_index("ix_triage_reviews_incident", ["incident_id"], unique=False)
        batch_op.create_index(
            "ix_triage_reviews_open", ["force_code", "done_at", "due_on"], unique=False
        )

    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_locations_force_postcode", ["force_code", "postcode"], unique=False
        )
    op.create_index(
        "ix_people_force_lower_name",
        "people",
        ["force_code", sa.text("lower(surname)"), sa.text("lower(forename)")],
    )


def downgrade() -> None:
    op.drop_index("ix_people_force_lower_name", table_name="people")
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.drop_index("ix_locations_force_postcode")

    with op.batch_alter_table("triage_reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_triage_reviews_open")
        batch_op.drop_index("ix_triage_reviews_incident")

    op.drop_table("triage_reviews")
    with op.batch_alter_table("triage_assessments", schema=None) as batch_op:
        batch_op.drop_index("ix_triage_assessments_incident")
        batch_op.drop_index("ix_triage_assessments_force_level")

    op.drop_table("triage_assessments")
    with op.batch_alter_table("incident_status_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_status_changes_incident")

    op.drop_table("incident_status_changes")
    with op.batch_alter_table("incident_assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_assignments_incident")
        batch_op.drop_index("ix_incident_assignments_assignee")

    op.drop_table("incident_assignments")
