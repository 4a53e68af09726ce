"""Typed inputs and outputs of the recording audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from asbhub.incidents.models import Qualifier


class WorklistFilters(BaseModel):
    district: str | None = None
    month: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}$")
    reason: str | None = None
    min_confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    status: str = Field(default="open", pattern=r"^(open|reclassified|dismissed|all)$")


class FlagRow(BaseModel):
    id: int
    run_id: int
    incident_id: int
    reference: str
    received_at: dt.datetime
    district: str | None
    month: str
    closing_code: str | None
    recorded_qualifier: str | None
    suggested_qualifier: str | None
    recorded_hate: bool
    suggested_hate: bool
    confidence: float
    reasons: list[str]
    drivers: list[dict[str, Any]]
    status: str
    decided_by: str | None = None
    decision_reason: str | None = None
    offered_to_triage_at: dt.datetime | None = None


class ReclassifyIn(BaseModel):
    qualifier: Qualifier
    hate_motivated: bool = False
    reason: str = Field(min_length=1, max_length=2000)


class DismissIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class TriageOffer(BaseModel):
    flag_id: int
    incident_id: int
    reference: str
    offered_at: dt.datetime
    by: str | None
    status: str  # incident status
    assessed: bool  # a triage assessment was recorded since the offer
