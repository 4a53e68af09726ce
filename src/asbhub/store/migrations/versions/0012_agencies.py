"""agencies, the areas they cover, and information sharing agreements with their parties

Issue 18: agencies and agreements as data (a partner used to be bound to an agency inferred
from a council's name). `asbhub db upgrade` loads each force's reference agencies.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 11:47:21.208513
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "police",
                "council",
                "housing",
                "fire",
                "health",
                "youth_offending",
                "probation",
                "other",
                name="agency_kind",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("whole_force", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
        sa.UniqueConstraint("force_code", "code", name=op.f("uq_agencies_force_code")),
    )
    op.create_table(
        "sharing_agreements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("lawful_basis", sa.String(length=60), nullable=False),
        sa.Column("data_classes", sa.JSON(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_agreements")),
        sa.UniqueConstraint(
            "force_code", "reference", name=op.f("uq_sharing_agreements_force_code")
        ),
    )
    op.create_table(
        "agency_areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("local_authority_code", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_agency_areas_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_areas")),
        sa.UniqueConstraint(
            "agency_id", "local_authority_code", name=op.f("uq_agency_areas_agency_id")
        ),
    )
    op.create_table(
        "sharing_agreement_parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("force_code", sa.String(length=40), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_sharing_agreement_parties_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["sharing_agreements.id"],
            name=op.f("fk_sharing_agreement_parties_agreement_id_sharing_agreements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_agreement_parties")),
        sa.UniqueConstraint(
            "agreement_id", "agency_id", name=op.f("uq_sharing_agreement_parties_agreement_id")
        ),
    )
    with op.batch_alter_table("sharing_agreement_parties", schema=None) as batch_op:
        batch_op.create_index("ix_sharing_agreement_parties_agency", ["agency_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sharing_agreement_parties", schema=None) as batch_op:
        batch_op.drop_index("ix_sharing_agreement_parties_agency")

    op.drop_table("sharing_agreement_parties")
    op.drop_table("agency_areas")
    op.drop_table("sharing_agreements")
    op.drop_table("agencies")
