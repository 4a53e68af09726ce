"""Triage tables: each assessment and decision as recorded, and the reviews it scheduled.

An assessment is never updated: a fresh THRIVE or a new incident adds another row (``seq``
counts them per incident), so the record shows what was known and decided at each point, and
with which version of each rule set.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from asbhub.incidents.models import Incident
from asbhub.store.base import Base, ForceKeyed, same_force
from asbhub.store.columns import enum_column
from asbhub.triage.rules import Grade, Rank, RiskLevel


class TriageAssessment(ForceKeyed, Base):
    __tablename__ = "triage_assessments"
    __table_args__ = (
        Index("ix_triage_assessments_incident", "incident_id", "seq"),
        Index("ix_triage_assessments_force_level", "force_code", "risk_level", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer, doc="1 for the first triage, then each re-THRIVE")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(120))
    occurred_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The version of each rule set the decision used.
    risk_version: Mapped[str] = mapped_column(String(80))
    thrive_version: Mapped[str] = mapped_column(String(80))
    repeats_version: Mapped[str] = mapped_column(String(80))
    case_review_version: Mapped[str] = mapped_column(String(80))
    routing_version: Mapped[str] = mapped_column(String(80))
    risk_score: Mapped[int] = mapped_column(Integer)
    risk_computed: Mapped[RiskLevel] = mapped_column(enum_column(RiskLevel, "risk_level"))
    risk_level: Mapped[RiskLevel] = mapped_column(enum_column(RiskLevel, "risk_level"))
    override_level: Mapped[RiskLevel | None] = mapped_column(enum_column(RiskLevel, "risk_level"))
    override_reason: Mapped[str | None] = mapped_column(Text)
    override_by: Mapped[str | None] = mapped_column(String(120))
    grade: Mapped[Grade] = mapped_column(enum_column(Grade, "response_grade"))
    outcome: Mapped[str] = mapped_column(String(20))
    partner: Mapped[str | None] = mapped_column(String(40))
    repeat_victim: Mapped[bool] = mapped_column(Boolean, default=False)
    repeat_location: Mapped[bool] = mapped_column(Boolean, default=False)
    repeat_offender: Mapped[bool] = mapped_column(Boolean, default=False)
    case_review_eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    case_review_informed: Mapped[bool] = mapped_column(Boolean, default=False)
    spoc_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    spoc_name: Mapped[str | None] = mapped_column(String(120))
    # The call as described and the whole decision object, so the record can be shown (and
    # checked) exactly as the handler saw it.
    call: Mapped[dict[str, Any]] = mapped_column(JSON)
    decision: Mapped[dict[str, Any]] = mapped_column(JSON)

    incident: Mapped[Incident] = relationship(
        **same_force("TriageAssessment.incident_id", "Incident")
    )


class TriageReview(ForceKeyed, Base):
    """A supervisory review a medium or high risk decision scheduled (domain guide 4.4)."""

    __tablename__ = "triage_reviews"
    __table_args__ = (
        Index("ix_triage_reviews_open", "force_code", "done_at", "due_on"),
        Index("ix_triage_reviews_incident", "incident_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("triage_assessments.id", ondelete="CASCADE")
    )
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    rank: Mapped[Rank] = mapped_column(enum_column(Rank, "review_rank"))
    risk_level: Mapped[RiskLevel] = mapped_column(enum_column(RiskLevel, "risk_level"))
    due_on: Mapped[dt.date] = mapped_column(Date)
    every_days: Mapped[int] = mapped_column(Integer)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    done_by: Mapped[str | None] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)

    incident: Mapped[Incident] = relationship(**same_force("TriageReview.incident_id", "Incident"))
