"""Typed inputs and outputs of casework: what a service returns and the JSON API sends.

A section a reader may not see (by :func:`asbhub.permissions.case_access`) is ``None``, never
an empty value that could be mistaken for "nothing recorded".
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from asbhub.incidents.schemas import UtcDateTime

Text = Field(default=None, max_length=4000)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FromTriageIn(_In):
    assessment_id: int = Field(ge=1, le=2**31 - 1)
    kind: Literal["location", "victim", "offender"]
    victim_locked: bool = False


class ProblemIn(_In):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    behaviour: str | None = Text
    where_text: str | None = Text
    when_text: str | None = Text


class AnalysisIn(_In):
    offender: str | None = Text
    handler: str | None = Text
    victim: str | None = Text
    guardian: str | None = Text
    place: str | None = Text
    manager: str | None = Text
    incident_ids: list[int] = Field(default_factory=list, max_length=500)


class ObjectiveIn(_In):
    text: str = Field(min_length=1, max_length=2000)
    measure: str = Field(min_length=1, max_length=200)
    target: str = Field(min_length=1, max_length=120)
    due_on: dt.date


class ActionIn(_In):
    description: str = Field(min_length=1, max_length=2000)
    owner_name: str = Field(min_length=1, max_length=120)
    agency_code: str = Field(min_length=1, max_length=80)
    due_on: dt.date
    tool: str = Field(min_length=1, max_length=40)


class ActionUpdateIn(_In):
    status: Literal["open", "done", "dropped"]


class ShareIn(_In):
    agency_code: str = Field(min_length=1, max_length=80)
    data_classes: list[str] = Field(min_length=1, max_length=4)
    purpose: str = Field(min_length=1, max_length=200)
    override_reason: str | None = Field(default=None, max_length=2000)


class ShareReviewIn(_In):
    decision: Literal["upheld", "revoked"]
    note: str = Field(min_length=1, max_length=2000)


class StageIn(_In):
    event: Literal["advance", "back", "sign_off", "reopen"]
    reason: str | None = Field(default=None, max_length=2000)


class AssessmentIn(_In):
    assess_from: dt.date
    assess_to: dt.date
    outcome: str = Field(min_length=1, max_length=4000)
    victim_feedback: str | None = Text


class ReviewIn(_In):
    note: str = Field(min_length=1, max_length=2000)


class Counts(BaseModel):
    start: dt.date
    end: dt.date
    target: int
    buffer: int
    control: int


class AssessmentOut(BaseModel):
    before: Counts
    after: Counts
    target_change: int
    target_change_pct: float | None
    wdq: float | None
    displacement: str
    displacement_text: str
    outcome: str | None
    victim_feedback: str | None
    assessed_at: UtcDateTime
    assessed_by: str
    signed_off_at: UtcDateTime | None
    signed_off_by: str | None


class CaseStub(BaseModel):
    """What anyone who may know a case exists sees: what it is and whom to ask."""

    id: int
    reference: str
    title: str
    stage: str
    owner_agency: str
    owner_agency_name: str
    owner_contact: str | None
    spoc_name: str | None
    spoc_contact: str | None
    district: str | None
    local_authority_code: str | None
    opened_at: UtcDateTime
    next_review_on: dt.date | None


class LinkedIncident(BaseModel):
    id: int
    reference: str
    received_at: UtcDateTime
    type: str
    district: str | None


class LinkedPerson(BaseModel):
    person_id: int | None
    label: str  # a name, or a pseudonym where names are not shown
    role: str


class ObjectiveOut(BaseModel):
    id: int
    text: str
    measure: str
    target: str
    due_on: dt.date


class ActionOut(BaseModel):
    id: int
    description: str
    owner_name: str
    agency_code: str
    agency_name: str
    due_on: dt.date
    tool: str
    tool_label: str
    status: str
    overdue: bool
    may_update: bool


class ShareOut(BaseModel):
    id: int
    agency_code: str
    agency_name: str
    data_classes: list[str]
    agreement_reference: str | None
    lawful_basis: str | None
    purpose: str
    override: bool
    review: str
    shared_at: UtcDateTime
    shared_by: str


class ReviewOut(BaseModel):
    id: int
    reviewer: str
    risk_level: str
    due_on: dt.date
    every_days: int
    rules_version: str
    done_at: UtcDateTime | None
    done_by: str | None
    note: str | None
    overdue: bool


class TimelineEntry(BaseModel):
    at: UtcDateTime
    actor_name: str
    agency_code: str
    kind: str
    summary: str


class Triangle(BaseModel):
    offender: str | None
    handler: str | None
    victim: str | None
    guardian: str | None
    place: str | None
    manager: str | None


class CaseOut(BaseModel):
    """A case as one reader may see it. ``classes`` lists the data classes shown."""

    case: CaseStub
    classes: list[str]
    owner: bool
    may_update: bool
    may_share: bool
    allowed_events: list[str]
    risk_level: str | None  # risk assessment
    victim_locked: bool
    how_found: str | None
    rules_version: str
    # incident summary
    behaviour: str | None = None
    where_text: str | None = None
    when_text: str | None = None
    radius_m: float | None = None
    buffer_m: float | None = None
    baseline: Counts | None = None
    incidents: list[LinkedIncident] | None = None
    objectives: list[ObjectiveOut] | None = None
    actions: list[ActionOut] | None = None
    assessment: AssessmentOut | None = None
    # personal details
    people: list[LinkedPerson] | None = None
    # case notes
    triangle: Triangle | None = None
    # risk assessment
    reviews: list[ReviewOut] | None = None
    shares: list[ShareOut] | None = None
    timeline: list[TimelineEntry] = Field(default_factory=list)


class ReferralRow(BaseModel):
    incident_id: int
    reference: str
    received_at: UtcDateTime
    type: str
    district: str | None
    partner: str
    partner_name: str | None
    referred_at: UtcDateTime


class OverrideRow(BaseModel):
    share_id: int
    case_id: int
    reference: str
    agency_name: str
    data_classes: list[str]
    reason: str
    shared_at: UtcDateTime
    shared_by: str


class RepeatCandidate(BaseModel):
    """A recorded triage that found repeats: a case can be opened from it."""

    assessment_id: int
    incident_id: int
    reference: str
    district: str | None
    assessed_at: UtcDateTime
    risk_level: str
    kinds: list[str]
    earlier: dict[str, int]
