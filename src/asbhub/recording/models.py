"""Recording audit tables: each run of the audit and the flags it raised.

A flag is never deleted or rewritten by a later run: the team's decision on it (re-classified
or dismissed, by whom, why) stays with the run that raised it, and the incident's own history
(``incident_status_changes``) carries the re-classification itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from asbhub.incidents.models import Qualifier
from asbhub.store.base import Base, ForceKeyed
from asbhub.store.columns import enum_column


class RecordingRun(ForceKeyed, Base):
    """One run of the audit over a period, with the versions of the rules and model it used."""

    __tablename__ = "recording_runs"
    __table_args__ = (Index("ix_recording_runs_force", "force_code", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(120))
    period_from: Mapped[dt.date] = mapped_column(Date)
    period_to: Mapped[dt.date] = mapped_column(Date, doc="exclusive")
    rules_version: Mapped[str] = mapped_column(String(80))
    model_version: Mapped[str] = mapped_column(String(200))
    threshold: Mapped[float] = mapped_column(Float)
    incidents: Mapped[int] = mapped_column(Integer)
    flags: Mapped[int] = mapped_column(Integer)
    # Counts by reason, the estimated true mix with its interval, the model's cross-validation
    # and the per district-and-month sums the compliance figures are made from.
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RecordingFlag(ForceKeyed, Base):
    """An incident whose recorded qualifier (or hate flag) the audit finds improbable."""

    __tablename__ = "recording_flags"
    __table_args__ = (
        Index("ix_recording_flags_run", "run_id", "confidence"),
        Index("ix_recording_flags_incident", "incident_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    force_code: Mapped[str] = mapped_column(String(40))
    run_id: Mapped[int] = mapped_column(ForeignKey("recording_runs.id", ondelete="CASCADE"))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    district: Mapped[str | None] = mapped_column(String(80))
    month: Mapped[str] = mapped_column(String(7), doc="YYYY-MM received")
    recorded_qualifier: Mapped[Qualifier | None] = mapped_column(
        enum_column(Qualifier, "qualifier")
    )
    suggested_qualifier: Mapped[Qualifier | None] = mapped_column(
        enum_column(Qualifier, "qualifier")
    )
    recorded_hate: Mapped[bool] = mapped_column(Boolean)
    suggested_hate: Mapped[bool] = mapped_column(Boolean)
    confidence: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    drivers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    probabilities: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="open")
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    offered_to_triage_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
