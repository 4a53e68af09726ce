"""casework: SARA problem-solving cases, their links, objectives, actions, shares, reviews
and timeline (issue 18)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 12:18:54.928273
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "scanning",
                "analysis",
                "response",
                "assessment",
                "closed",
                name="case_stage",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("owner_agency_code", sa.String(length=80), nullable=False),
        sa.Column("local_authority_code", sa.String(length=12), nullable=True),
        sa.Column("district", sa.String(length=80), nullable=True),
        sa.Column(
            "risk_level",
            sa.Enum("standard", "medium", "high", name="risk_level", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("victim_locked", sa.Boolean(), nullable=False),
        sa.Column("spoc_user_id", sa.Integer(), nullable=True),
        sa.Column("spoc_name", sa.String(length=120), nullable=True),
        sa.Column("spoc_contact", sa.String(length=200), nullable=True),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("opened_by", sa.String(length=120), nullable=False),
        sa.Column("how_found", sa.String(length=200), nullable=False),
        sa.Column("trigger_kind", sa.String(length=20), nullable=True),
        sa.Column("source_assessment_id", sa.Integer(), nullable=True),
        sa.Column("behaviour", sa.Text(), nullable=True),
        sa.Column("where_text", sa.Text(), nullable=True),
        sa.Column("when_text", sa.Text(), nullable=True),
        sa.Column("centre_x", sa.Float(), nullable=True),
        sa.Column("centre_y", sa.Float(), nullable=True),
        sa.Column("radius_m", sa.Float(), nullable=False),
        sa.Column("buffer_m", sa.Float(), nullable=False),
        sa.Column("baseline_from", sa.Date(), nullable=True),
        sa.Column("baseline_to", sa.Date(), nullable=True),
        sa.Column("baseline_target", sa.Integer(), nullable=True),
        sa.Column("baseline_buffer", sa.Integer(), nullable=True),
        sa.Column("baseline_control", sa.Integer(), nullable=True),
        sa.Column("offender", sa.Text(), nullable=True),
        sa.Column("handler", sa.Text(), nullable=True),
        sa.Column("victim", sa.Text(), nullable=True),
        sa.Column("guardian", sa.Text(), nullable=True),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("manager", sa.Text(), nullable=True),
        sa.Column("assess_from", sa.Date(), nullable=True),
        sa.Column("assess_to", sa.Date(), nullable=True),
        sa.Column("after_target", sa.Integer(), nullable=True),
        sa.Column("after_buffer", sa.Integer(), nullable=True),
        sa.Column("after_control", sa.Integer(), nullable=True),
        sa.Column("wdq", sa.Float(), nullable=True),
        sa.Column("displacement", sa.String(length=40), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("victim_feedback", sa.Text(), nullable=True),
        sa.Column("assessed_at", sa.DateTime(), nullable=True),
        sa.Column("assessed_by", sa.String(length=120), nullable=True),
        sa.Column("signed_off_at", sa.DateTime(), nullable=True),
        sa.Column("signed_off_by", sa.String(length=120), nullable=True),
        sa.Column("rules_version", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_assessment_id"],
            ["triage_assessments.id"],
            name=op.f("fk_cases_source_assessment_id_triage_assessments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["spoc_user_id"],
            ["users.id"],
            name=op.f("fk_cases_spoc_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("force_code", "reference", name=op.f("uq_cases_force_code")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cases_force_area_stage",
            ["force_code", "local_authority_code", "stage"],
            unique=False,
        )
        batch_op.create_index("ix_cases_owner", ["force_code", "owner_agency_code"], unique=False)

    op.create_table(
        "case_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_name", sa.String(length=120), nullable=False),
        sa.Column("agency_code", sa.String(length=80), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("tool", sa.String(length=40), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open", "done", "dropped", name="case_action_status", native_enum=False, length=40
            ),
            nullable=False,
        ),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_actions_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_actions")),
    )
    with op.batch_alter_table("case_actions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_actions_agency", ["force_code", "agency_code", "status"], unique=False
        )

    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_name", sa.String(length=120), nullable=False),
        sa.Column("agency_code", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column(
            "data_class",
            sa.Enum(
                "incident_summary",
                "personal_details",
                "risk_assessment",
                "case_notes",
                name="data_class",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index("ix_case_events_case", ["case_id", "at"], unique=False)

    op.create_table(
        "case_incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", sa.DateTime(), nullable=False),
        sa.Column("linked_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_incidents_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_case_incidents_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_incidents")),
        sa.UniqueConstraint("case_id", "incident_id", name=op.f("uq_case_incidents_case_id")),
    )
    with op.batch_alter_table("case_incidents", schema=None) as batch_op:
        batch_op.create_index("ix_case_incidents_incident", ["incident_id"], unique=False)

    op.create_table(
        "case_objectives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("measure", sa.String(length=200), nullable=False),
        sa.Column("target", sa.String(length=120), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_objectives_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_objectives")),
    )
    op.create_table(
        "case_people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "victim", "offender", "other", name="case_link_role", native_enum=False, length=40
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_people_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_case_people_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_people")),
        sa.UniqueConstraint("case_id", "person_id", "role", name=op.f("uq_case_people_case_id")),
    )
    op.create_table(
        "case_places",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_places_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_case_places_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_places")),
        sa.UniqueConstraint("case_id", "location_id", name=op.f("uq_case_places_case_id")),
    )
    op.create_table(
        "case_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(length=40), nullable=False),
        sa.Column(
            "risk_level",
            sa.Enum("standard", "medium", "high", name="risk_level", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("every_days", sa.Integer(), nullable=False),
        sa.Column("rules_version", sa.String(length=80), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("done_by", sa.String(length=120), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_reviews_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_reviews")),
    )
    with op.batch_alter_table("case_reviews", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_reviews_open", ["force_code", "done_at", "due_on"], unique=False
        )

    op.create_table(
        "case_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("agency_code", sa.String(length=80), nullable=False),
        sa.Column("data_classes", sa.JSON(), nullable=False),
        sa.Column("agreement_reference", sa.String(length=60), nullable=True),
        sa.Column("lawful_basis", sa.String(length=60), nullable=True),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("shared_at", sa.DateTime(), nullable=False),
        sa.Column("shared_by", sa.String(length=120), nullable=False),
        sa.Column("shared_by_user_id", sa.Integer(), nullable=True),
        sa.Column(
            "review",
            sa.Enum(
                "none",
                "pending",
                "upheld",
                "revoked",
                name="share_review",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=120), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_shares_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["shared_by_user_id"],
            ["users.id"],
            name=op.f("fk_case_shares_shared_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_shares")),
    )
    with op.batch_alter_table("case_shares", schema=None) as batch_op:
        batch_op.create_index("ix_case_shares_agency", ["agency_code", "case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_shares", schema=None) as batch_op:
        batch_op.drop_index("ix_case_shares_agency")

    op.drop_table("case_shares")
    with op.batch_alter_table("case_reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_case_reviews_open")

    op.drop_table("case_reviews")
    op.drop_table("case_places")
    op.drop_table("case_people")
    op.drop_table("case_objectives")
    with op.batch_alter_table("case_incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_case_incidents_incident")

    op.drop_table("case_incidents")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index("ix_case_events_case")

    op.drop_table("case_events")
    with op.batch_alter_table("case_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_case_actions_agency")

    op.drop_table("case_actions")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_owner")
        batch_op.drop_index("ix_cases_force_area_stage")

    op.drop_table("cases")
