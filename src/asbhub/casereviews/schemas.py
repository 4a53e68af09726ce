"""What the API, the screens and the CLI give a case review and get back from it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from asbhub.casereviews.lifecycle import Status
from asbhub.casereviews.models import Applicant, ThresholdBasis, VictimKind
from asbhub.incidents.schemas import PRINTABLE

# Nothing asbhub holds is older than 2000; a date before it is a typing slip.
Day = Annotated[dt.date, Field(ge=dt.date(2000, 1, 1))]
Text = Annotated[str, Field(min_length=1, max_length=4000, pattern=PRINTABLE)]
Name = Annotated[str, Field(min_length=1, max_length=120, pattern=PRINTABLE)]
Short = Annotated[str, Field(min_length=1, max_length=200, pattern=PRINTABLE)]
Relationship = Literal["family", "carer", "councillor", "mp", "professional", "other"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OtherReport(_In):
    """A report of the behaviour to another relevant body, which asbhub does not hold."""

    reference: Short
    agency: Short
    occurred_on: Day
    reported_on: Day
    hate_motivated: bool = False

    @model_validator(mode="after")
    def _order(self) -> OtherReport:
        if self.reported_on < self.occurred_on:
            raise ValueError("reported_on is before occurred_on: a report follows the behaviour")
        return self


class ApplicationIn(_In):
    """An application (s.104(1)): by the victim, or by someone on their behalf with the
    victim's consent. Never anonymous."""

    local_authority_code: Annotated[str, Field(pattern=r"^E0[67]\d{6}$")]
    received_on: Day
    applicant: Applicant
    applicant_name: Name
    applicant_relationship: Relationship | None = None
    applicant_contact: Short | None = None
    consent_on: Day | None = None
    victim_kind: VictimKind = VictimKind.INDIVIDUAL
    victim_name: Name
    victim_person_id: int | None = Field(None, ge=1, le=2**31 - 1)
    behaviour: Text
    other_reports: list[OtherReport] = Field(default_factory=list, max_length=100)
    casework_case_id: int | None = Field(None, ge=1, le=2**31 - 1)

    @model_validator(mode="after")
    def _consent(self) -> ApplicationIn:
        if self.applicant is Applicant.ON_BEHALF:
            if self.applicant_relationship is None:
                raise ValueError(
                    "applicant_relationship: say who applies for the victim "
                    "(family, carer, councillor, mp, professional, other)"
                )
            if self.consent_on is None:
                raise ValueError(
                    "consent_on: an application on the victim's behalf needs the date the "
                    "victim consented"
                )
            if self.consent_on > self.received_on:
                raise ValueError(
                    "consent_on: the victim's consent must come before the application"
                )
        elif self.consent_on is not None or self.applicant_relationship is not None:
            raise ValueError(
                "consent_on and applicant_relationship are only for an application made on the "
                "victim's behalf"
            )
        return self


class AcknowledgeIn(_In):
    acknowledged_on: Day


class Discretion(_In):
    """Below the threshold, a procedure may still treat it as met (s.104(5))."""

    persistence: bool = False
    harm: bool = False
    adequacy_of_response: bool = False


class DecisionIn(_In):
    decided_on: Day
    # None: as the rules find; False: not met. Met below the rules needs discretion and a reason.
    met: bool | None = None
    discretion: Discretion | None = None
    reason: Text | None = None


class RecommendationIn(_In):
    text: Text
    owner_agency: Short
    owner_name: Name
    due_on: Day


class ReviewIn(_In):
    """The panel's review: who chaired, whether the victim came, the outcome, the
    recommendations with their owners."""

    held_on: Day
    chair: Name
    independent_chair: bool = False
    victim_attended: bool = False
    outcome: Text
    recommendations: list[RecommendationIn] = Field(default_factory=list, max_length=50)


class OutcomeIn(_In):
    sent_on: Day


class WithdrawIn(_In):
    withdrawn_on: Day
    reason: Text


class HandlingRequestIn(_In):
    requested_on: Day
    grounds: Text


class HandlingDecisionIn(_In):
    decided_on: Day
    upheld: bool
    response: Text


class RecommendationDoneIn(_In):
    done_on: Day


# --- out ---------------------------------------------------------------------------------------


class DeadlineOut(BaseModel):
    milestone: str
    due_on: dt.date
    done_on: dt.date | None
    late: bool


class RecommendationOut(BaseModel):
    id: int
    text: str
    owner_agency: str
    owner_name: str
    due_on: dt.date
    done_on: dt.date | None


class HandlingReviewOut(BaseModel):
    id: int
    requested_on: dt.date
    grounds: str
    reviewed_by: str
    due_on: dt.date
    decided_on: dt.date | None
    upheld: bool | None
    response: str | None


class ThresholdOut(BaseModel):
    version: str
    basis: ThresholdBasis
    met: bool
    decided_on: dt.date
    decided_by: str
    rules_met: bool
    qualifying: list[str]
    late: list[str]
    reasons: list[str]
    reason: str | None


class CaseReviewRow(BaseModel):
    id: int
    reference: str
    local_authority_code: str
    local_authority: str
    status: Status
    received_on: dt.date
    next_due: DeadlineOut | None


class CaseReviewOut(BaseModel):
    """One case review as the actor may see it: names and free text only for those who may
    see personal data (``permissions.field_rule``)."""

    id: int
    reference: str
    local_authority_code: str
    local_authority: str
    status: Status
    received_on: dt.date
    applicant: Applicant
    applicant_name: str
    applicant_relationship: str | None
    consent_on: dt.date | None
    consent_recorded_by: str | None
    victim_kind: VictimKind
    victim_name: str
    victim_person_id: int | None
    behaviour: str | None
    other_reports: list[dict[str, Any]]
    casework_case_id: int | None
    procedure_version: str
    acknowledged_on: dt.date | None
    threshold: ThresholdOut | None
    held_on: dt.date | None
    chair: str | None
    independent_chair: bool | None
    victim_attended: bool | None
    outcome: str | None
    outcome_sent_on: dt.date | None
    withdrawn_on: dt.date | None
    deadlines: list[DeadlineOut]
    recommendations: list[RecommendationOut]
    handling_reviews: list[HandlingReviewOut]
    allowed_events: list[str]


class AreaCounts(BaseModel):
    """The four figures s.104(10) asks each area to publish."""

    local_authority: str
    applications: int
    threshold_not_met: int
    reviews_held: int
    with_recommendations: int


class Totals(BaseModel):
    applications: int
    threshold_not_met: int
    reviews_held: int
    with_recommendations: int


class YearTable(BaseModel):
    local_authorities: list[AreaCounts]
    total: Totals
