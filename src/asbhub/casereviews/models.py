"""Case review tables: the application and its decisions, the panel's recommendations, and the
applicant's requests to review the handling (domain guide 3.2)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from asbhub.casereviews.lifecycle import Status
from asbhub.store.base import Base, ForceKeyed, same_force
from asbhub.store.columns import enum_column


class Applicant(enum.StrEnum):
    VICTIM = "victim"
    ON_BEHALF = "on_behalf"  # family, carer, councillor, MP, professional: with consent


class VictimKind(enum.StrEnum):
    INDIVIDUAL = "individual"
    BUSINESS = "business"
    COMMUNITY_GROUP = "community_group"


class ThresholdBasis(enum.StrEnum):
    MANDATORY = "mandatory"  # the rule set's threshold (s.104(4)) or a local rule met
    DISCRETIONARY = "discretionary"  # below it, on persistence, harm or the response (s.104(5))
    NOT_MET = "not_met"


class AsbCaseReview(ForceKeyed, Base):
    __tablename__ = "asb_case_reviews"
    __table_args__ = (
        Index(
            "ix_asb_case_reviews_force_area_received",
            "force_code",
            "local_authority_code",
            "received_on",
        ),
        Index("ix_asb_case_reviews_victim", "victim_person_id"),
        UniqueConstraint("force_code", "reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(40))
    local_authority_code: Mapped[str] = mapped_column(String(12))
    status: Mapped[Status] = mapped_column(enum_column(Status, "case_review_status"))
    received_on: Mapped[dt.date] = mapped_column(Date)
    applicant: Mapped[Applicant] = mapped_column(enum_column(Applicant, "case_review_applicant"))
    applicant_name: Mapped[str] = mapped_column(String(120))
    applicant_relationship: Mapped[str | None] = mapped_column(String(40))
    applicant_contact: Mapped[str | None] = mapped_column(String(200))
    consent_on: Mapped[dt.date | None] = mapped_column(Date)
    consent_recorded_by: Mapped[str | None] = mapped_column(String(120))
    victim_kind: Mapped[VictimKind] = mapped_column(enum_column(VictimKind, "victim_kind"))
    victim_name: Mapped[str] = mapped_column(String(120))
    victim_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    behaviour: Mapped[str] = mapped_column(Text)
    # Reports to other relevant bodies that asbhub does not hold (a council's, a housing
    # provider's): reference, occurred_on, reported_on, agency, hate_motivated.
    other_reports: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Nullable: a case review may arise from, or lead to, a problem-solving case.
    casework_case_id: Mapped[int | None] = mapped_column()
    procedure_version: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(120))

    acknowledged_on: Mapped[dt.date | None] = mapped_column(Date)
    # The threshold decision, with the rule set version it applied and what it found.
    threshold_version: Mapped[str | None] = mapped_column(String(80))
    threshold_basis: Mapped[ThresholdBasis | None] = mapped_column(
        enum_column(ThresholdBasis, "threshold_basis")
    )
    threshold_decided_on: Mapped[dt.date | None] = mapped_column(Date)
    threshold_decided_by: Mapped[str | None] = mapped_column(String(120))
    threshold_found: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    threshold_reason: Mapped[str | None] = mapped_column(Text)

    held_on: Mapped[dt.date | None] = mapped_column(Date)
    chair: Mapped[str | None] = mapped_column(String(120))
    independent_chair: Mapped[bool | None] = mapped_column(Boolean)
    victim_attended: Mapped[bool | None] = mapped_column(Boolean)
    outcome: Mapped[str | None] = mapped_column(Text)
    outcome_sent_on: Mapped[dt.date | None] = mapped_column(Date)
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)

    recommendations: Mapped[list[CaseReviewRecommendation]] = relationship(
        back_populates="case_review",
        order_by="CaseReviewRecommendation.id",
        **same_force("CaseReviewRecommendation.case_review_id", "AsbCaseReview"),
    )
    handling_reviews: Mapped[list[HandlingReview]] = relationship(
        back_populates="case_review",
        order_by="HandlingReview.id",
        **same_force("HandlingReview.case_review_id", "AsbCaseReview"),
    )


class CaseReviewRecommendation(ForceKeyed, Base):
    """A recommendation of the panel to a body exercising public functions, which must have
    regard to it (s.104(8)-(9)); its owner answers for it."""

    __tablename__ = "asb_review_recommendations"

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    case_review_id: Mapped[int] = mapped_column(
        ForeignKey("asb_case_reviews.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    owner_agency: Mapped[str] = mapped_column(String(200))
    owner_name: Mapped[str] = mapped_column(String(120))
    due_on: Mapped[dt.date] = mapped_column(Date)
    done_on: Mapped[dt.date | None] = mapped_column(Date)

    case_review: Mapped[AsbCaseReview] = relationship(
        back_populates="recommendations",
        **same_force("CaseReviewRecommendation.case_review_id", "AsbCaseReview"),
    )


class HandlingReview(ForceKeyed, Base):
    """The applicant's request to review how the application or the review was handled
    (Sch.4 para 3), decided by the body the procedure names (in Essex the PFCC's office)."""

    __tablename__ = "asb_review_handling_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    case_review_id: Mapped[int] = mapped_column(
        ForeignKey("asb_case_reviews.id", ondelete="CASCADE"), index=True
    )
    requested_on: Mapped[dt.date] = mapped_column(Date)
    grounds: Mapped[str] = mapped_column(Text)
    reviewed_by: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[dt.date] = mapped_column(Date)
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    upheld: Mapped[bool | None] = mapped_column(Boolean)
    response: Mapped[str | None] = mapped_column(Text)

    case_review: Mapped[AsbCaseReview] = relationship(
        back_populates="handling_reviews",
        **same_force("HandlingReview.case_review_id", "AsbCaseReview"),
    )
