"""Problem-solving (SARA) cases and everything done on them (issue 18, domain guide 4.3, 4.4).

A case is owned by one agency and sits in one local authority area; what others see of it is
decided by :func:`asbhub.permissions.case_access` from its shares. Each change adds a row to
``case_events``, the case's timeline.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from asbhub.permissions import DataClass
from asbhub.store.base import Base, ForceKeyed, same_force
from asbhub.store.columns import enum_column
from asbhub.triage.rules import RiskLevel


class Stage(enum.StrEnum):
    SCANNING = "scanning"
    ANALYSIS = "analysis"
    RESPONSE = "response"
    ASSESSMENT = "assessment"
    CLOSED = "closed"


class ShareReview(enum.StrEnum):
    NONE = "none"  # under an agreement, or the summary: nothing to review
    PENDING = "pending"  # an emergency override waiting for review
    UPHELD = "upheld"
    REVOKED = "revoked"


class ActionStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


class CaseLinkRole(enum.StrEnum):
    VICTIM = "victim"
    OFFENDER = "offender"
    OTHER = "other"


class Case(ForceKeyed, Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("force_code", "reference"),
        Index("ix_cases_force_area_stage", "force_code", "local_authority_code", "stage"),
        Index("ix_cases_owner", "force_code", "owner_agency_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    stage: Mapped[Stage] = mapped_column(enum_column(Stage, "case_stage"))
    owner_agency_code: Mapped[str] = mapped_column(String(80))
    local_authority_code: Mapped[str | None] = mapped_column(String(12))
    district: Mapped[str | None] = mapped_column(String(80))
    risk_level: Mapped[RiskLevel] = mapped_column(enum_column(RiskLevel, "risk_level"))
    # Personal details stay with the owning agency, whatever is shared (issue 18).
    victim_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    spoc_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    spoc_name: Mapped[str | None] = mapped_column(String(120))
    spoc_contact: Mapped[str | None] = mapped_column(String(200))
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime)
    opened_by: Mapped[str] = mapped_column(String(120))
    # Scanning: how the problem was found and the problem statement.
    how_found: Mapped[str] = mapped_column(String(200))
    trigger_kind: Mapped[str | None] = mapped_column(String(20))
    source_assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("triage_assessments.id", ondelete="SET NULL")
    )
    behaviour: Mapped[str | None] = mapped_column(Text)
    where_text: Mapped[str | None] = mapped_column(Text)
    when_text: Mapped[str | None] = mapped_column(Text)
    # The place the counts are taken around (British National Grid metres).
    centre_x: Mapped[float | None] = mapped_column(Float)
    centre_y: Mapped[float | None] = mapped_column(Float)
    radius_m: Mapped[float] = mapped_column(Float)
    buffer_m: Mapped[float] = mapped_column(Float)
    baseline_from: Mapped[dt.date | None] = mapped_column(Date)
    baseline_to: Mapped[dt.date | None] = mapped_column(Date)
    baseline_target: Mapped[int | None] = mapped_column(Integer)
    baseline_buffer: Mapped[int | None] = mapped_column(Integer)
    baseline_control: Mapped[int | None] = mapped_column(Integer)
    # Analysis: the problem analysis triangle (case notes).
    offender: Mapped[str | None] = mapped_column(Text)
    handler: Mapped[str | None] = mapped_column(Text)
    victim: Mapped[str | None] = mapped_column(Text)
    guardian: Mapped[str | None] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(Text)
    manager: Mapped[str | None] = mapped_column(Text)
    # Assessment against the baseline.
    assess_from: Mapped[dt.date | None] = mapped_column(Date)
    assess_to: Mapped[dt.date | None] = mapped_column(Date)
    after_target: Mapped[int | None] = mapped_column(Integer)
    after_buffer: Mapped[int | None] = mapped_column(Integer)
    after_control: Mapped[int | None] = mapped_column(Integer)
    wdq: Mapped[float | None] = mapped_column(Float)
    displacement: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str | None] = mapped_column(Text)
    victim_feedback: Mapped[str | None] = mapped_column(Text)
    assessed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    assessed_by: Mapped[str | None] = mapped_column(String(120))
    signed_off_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    signed_off_by: Mapped[str | None] = mapped_column(String(120))
    # The version of the SARA rule set (baseline window, radii, review intervals) it used.
    rules_version: Mapped[str] = mapped_column(String(80))

    @classmethod
    def agency_reach(cls, agency_code: str, force_code: str) -> ColumnElement[bool]:
        """The cases an agency reaches outside its areas in ``force_code``: its own, and those
        shared with it (:func:`asbhub.permissions.restrict`)."""
        shared = select(CaseShare.case_id).where(
            CaseShare.force_code == force_code,
            CaseShare.agency_code == agency_code,
            CaseShare.review != ShareReview.REVOKED,
        )
        return (cls.owner_agency_code == agency_code) | cls.id.in_(shared)


class CaseIncident(ForceKeyed, Base):
    __tablename__ = "case_incidents"
    __table_args__ = (
        UniqueConstraint("case_id", "incident_id"),
        Index("ix_case_incidents_incident", "incident_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    # RESTRICT: an incident a case relies on is held by the retention job, never unlinked.
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="RESTRICT"))
    linked_at: Mapped[dt.datetime] = mapped_column(DateTime)
    linked_by: Mapped[str] = mapped_column(String(120))


class CasePerson(ForceKeyed, Base):
    __tablename__ = "case_people"
    __table_args__ = (UniqueConstraint("case_id", "person_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role: Mapped[CaseLinkRole] = mapped_column(enum_column(CaseLinkRole, "case_link_role"))


class CasePlace(ForceKeyed, Base):
    __tablename__ = "case_places"
    __table_args__ = (UniqueConstraint("case_id", "location_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))


class CaseObjective(ForceKeyed, Base):
    """A SMART objective: specific (``text``), measurable (``measure`` and ``target``),
    time-bound (``due_on``); achievable and relevant are the panel's judgement."""

    __tablename__ = "case_objectives"

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    measure: Mapped[str] = mapped_column(String(200))
    target: Mapped[str] = mapped_column(String(120))
    due_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(120))


class CaseAction(ForceKeyed, Base):
    __tablename__ = "case_actions"
    __table_args__ = (Index("ix_case_actions_agency", "force_code", "agency_code", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    description: Mapped[str] = mapped_column(Text)
    owner_name: Mapped[str] = mapped_column(String(120))
    agency_code: Mapped[str] = mapped_column(String(80))
    due_on: Mapped[dt.date] = mapped_column(Date)
    tool: Mapped[str] = mapped_column(String(40))
    status: Mapped[ActionStatus] = mapped_column(enum_column(ActionStatus, "case_action_status"))
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(120))


class CaseShare(ForceKeyed, Base):
    __tablename__ = "case_shares"
    __table_args__ = (Index("ix_case_shares_agency", "agency_code", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    agency_code: Mapped[str] = mapped_column(String(80))
    data_classes: Mapped[list[str]] = mapped_column(JSON)
    agreement_reference: Mapped[str | None] = mapped_column(String(60))
    lawful_basis: Mapped[str | None] = mapped_column(String(60))
    purpose: Mapped[str] = mapped_column(String(200))
    override_reason: Mapped[str | None] = mapped_column(Text)
    shared_at: Mapped[dt.datetime] = mapped_column(DateTime)
    shared_by: Mapped[str] = mapped_column(String(120))
    shared_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    review: Mapped[ShareReview] = mapped_column(enum_column(ShareReview, "share_review"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reviewed_by: Mapped[str | None] = mapped_column(String(120))
    review_note: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(**same_force("CaseShare.case_id", "Case"))

    @property
    def classes(self) -> frozenset[DataClass]:
        return frozenset(DataClass(c) for c in self.data_classes)


class CaseReview(ForceKeyed, Base):
    """A scheduled review of a case, at the interval its risk level sets (rules file)."""

    __tablename__ = "case_reviews"
    __table_args__ = (Index("ix_case_reviews_open", "force_code", "done_at", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    reviewer: Mapped[str] = mapped_column(String(40))
    risk_level: Mapped[RiskLevel] = mapped_column(enum_column(RiskLevel, "risk_level"))
    due_on: Mapped[dt.date] = mapped_column(Date)
    every_days: Mapped[int] = mapped_column(Integer)
    rules_version: Mapped[str] = mapped_column(String(80))
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    done_by: Mapped[str | None] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)


class CaseEvent(ForceKeyed, Base):
    """One line of a case's timeline. ``data_class`` says who may read ``summary``: the
    timeline is filtered by the reader's :class:`~asbhub.permissions.CaseAccess`."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case", "case_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    actor_name: Mapped[str] = mapped_column(String(120))
    agency_code: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(40))
    data_class: Mapped[DataClass] = mapped_column(enum_column(DataClass, "data_class"))
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
