"""The call description that the CLI, the API and the call handler's screen all take, and the
decision object they all return (documented with a worked example in ``examples/call.json``
and ``docs/triage.md``)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from asbhub.errors import InvalidInput
from asbhub.incidents.models import Channel, IncidentType, PremisesType, Qualifier
from asbhub.incidents.schemas import PRINTABLE, UtcDateTime
from asbhub.triage.rules import Element, Grade, Level, Rank, RiskLevel


def _naive_utc(value: dt.datetime) -> dt.datetime:
    # The store keeps naive UTC: an offset given is honoured, then dropped.
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


NaiveUtc = Annotated[dt.datetime, AfterValidator(_naive_utc)]
Answer = Literal["yes", "no", "unknown"]
Text = Annotated[str, Field(max_length=1000, pattern=PRINTABLE)]
Name = Annotated[str, Field(min_length=1, max_length=80, pattern=PRINTABLE)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PersonIn(_In):
    """A person on the call: a known person's id, or a name (and date of birth, if known)."""

    person_id: int | None = Field(None, ge=1, le=2**31 - 1)
    forename: Name | None = None
    surname: Name | None = None
    date_of_birth: dt.date | None = None

    @model_validator(mode="after")
    def _identified(self) -> PersonIn:
        if self.person_id is None and not (self.forename and self.surname):
            raise ValueError("give a person_id, or a forename and a surname")
        return self


class LocationIn(_In):
    """Where it happened: a stored location, or an address and postcode, or a point."""

    location_id: int | None = Field(None, ge=1, le=2**31 - 1)
    address: Annotated[str, Field(max_length=300, pattern=PRINTABLE)] | None = None
    postcode: Annotated[str, Field(max_length=10, pattern=PRINTABLE)] | None = None
    longitude: float | None = Field(None, ge=-8, le=2)
    latitude: float | None = Field(None, ge=49, le=61)
    premises_type: PremisesType | None = None

    @model_validator(mode="after")
    def _placed(self) -> LocationIn:
        if (self.longitude is None) != (self.latitude is None):
            raise ValueError("give both longitude and latitude, or neither")
        if self.location_id is None and not self.address and self.longitude is None:
            raise ValueError("give a location_id, an address or a point")
        return self


class ThriveIn(_In):
    level: Level
    note: Text = ""


class OverrideIn(_In):
    level: RiskLevel
    reason: Annotated[str, Field(min_length=1, max_length=1000, pattern=PRINTABLE)]


class CallIn(_In):
    """One call (or report) as the call handler describes it."""

    incident_type: IncidentType
    channel: Channel = Channel.NON_EMERGENCY
    received_at: NaiveUtc | None = Field(None, description="When it was reported; default now")
    occurred_at: NaiveUtc | None = Field(
        None, description="When the behaviour happened; default the time reported"
    )
    caller: PersonIn | None = None
    victim: PersonIn | None = None
    caller_is_victim: bool = False
    suspect: PersonIn | None = None
    location: LocationIn | None = None
    hate_motivated: bool = False
    first_contact: dict[str, Answer] = Field(default_factory=dict)
    answers: dict[str, Answer] = Field(default_factory=dict)
    times_last_3_months: int = Field(0, ge=0, le=1000)
    thrive: dict[Element, ThriveIn]
    override: OverrideIn | None = None
    case_review_informed: bool = False
    spoc: Annotated[str, Field(max_length=80, pattern=PRINTABLE)] | None = Field(
        None, description="Username of the single point of contact (medium and high risk)"
    )

    @model_validator(mode="after")
    def _consistent(self) -> CallIn:
        if self.caller_is_victim and self.caller is None:
            raise ValueError("caller_is_victim needs a caller")
        if self.caller_is_victim and self.victim is not None:
            raise ValueError("give a victim or caller_is_victim, not both")
        if self.received_at and self.occurred_at and self.occurred_at > self.received_at:
            raise ValueError("occurred_at is after received_at")
        return self

    @property
    def the_victim(self) -> PersonIn | None:
        return self.caller if self.caller_is_victim else self.victim


class OverrideOut(BaseModel):
    level: RiskLevel
    reason: str
    by: str


class RiskOut(BaseModel):
    version: str
    score: int
    max_score: int
    computed_level: RiskLevel
    level: RiskLevel
    override: OverrideOut | None
    reasons: list[str]
    full_assessment_prompted: bool


class ThriveOut(BaseModel):
    version: str
    grade: Grade
    grade_number: int
    grade_label: str
    target: str
    reason: str
    elements: dict[Element, ThriveIn]


class EarlierOut(BaseModel):
    incident_id: int
    reference: str
    received_at: UtcDateTime
    matched_by: str


class RepeatOut(BaseModel):
    kind: Literal["victim", "location", "offender"]
    checked: bool = Field(description="False when the call gave nobody or nowhere to check")
    repeat: bool
    count_in_window: int
    threshold: int
    window_months: int
    history_months: int
    incidents: list[EarlierOut]


class CaseReviewOut(BaseModel):
    version: str
    local_authority: str | None
    eligible: bool
    qualifying: list[str]
    late: list[str]
    reasons: list[str]
    inform_caller: bool = Field(description="Tell the caller of the right to an ASB Case Review")


class ReviewOut(BaseModel):
    rank: Rank
    due_on: dt.date
    every_days: int


class DecisionOut(BaseModel):
    """What the triage decided and why."""

    versions: dict[str, str]
    assessed_at: UtcDateTime
    risk: RiskOut
    thrive: ThriveOut
    repeats: list[RepeatOut]
    case_review: CaseReviewOut
    outcome: Literal["attend", "resolve", "refer"]
    grade: Grade
    partner: str | None
    partner_name: str | None
    always_attend: list[str]
    reasons: list[str]
    reviews: list[ReviewOut]
    spoc_required: bool


class TriageRecordOut(BaseModel):
    """A recorded triage: the stored assessment and where it left the incident."""

    assessment_id: int
    incident_id: int
    reference: str
    seq: int
    status: str
    decision: DecisionOut


class StatusChangeOut(BaseModel):
    at: UtcDateTime
    event: str
    from_status: str
    to_status: str
    by: str
    reason: str | None
    details: dict[str, object]


class AssessmentSummary(BaseModel):
    id: int
    seq: int
    created_at: UtcDateTime
    by: str
    risk_level: RiskLevel
    risk_score: int
    grade: Grade
    outcome: str
    partner_name: str | None
    case_review_eligible: bool
    case_review_informed: bool
    spoc_name: str | None
    versions: dict[str, str]
    reasons: list[str]


class IncidentLife(BaseModel):
    """What triage and the lifecycle hold about one incident."""

    incident_id: int
    reference: str
    status: str
    allowed: list[str]
    assessments: list[AssessmentSummary]
    history: list[StatusChangeOut]
    assignee: str | None
    team: str | None
    attended_at: UtcDateTime | None
    open_reviews: list[ReviewOut]


class ReviewRow(BaseModel):
    review_id: int
    incident_id: int
    reference: str
    risk_level: RiskLevel
    rank: Rank
    due_on: dt.date
    overdue: bool
    spoc_name: str | None
    status: str


class AssignedRow(BaseModel):
    incident_id: int
    reference: str
    received_at: UtcDateTime
    type_label: str
    status: str
    assigned_at: UtcDateTime
    attended: bool
    risk_level: RiskLevel | None
    grade: Grade | None


def parse_call(text: str, where: str) -> CallIn:
    """A call description from JSON text, with every problem named by its place."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            "the call description is not valid JSON", {f"{where}:{exc.lineno}": exc.msg}
        ) from None
    try:
        return CallIn.model_validate(data)
    except ValidationError as exc:
        fields = {
            f"{where}: " + (".".join(map(str, e["loc"])) or "call"): e["msg"] for e in exc.errors()
        }
        raise InvalidInput("the call description is not valid", fields) from None


class AssignIn(_In):
    assignee: Annotated[str, Field(max_length=80, pattern=PRINTABLE)] | None = Field(
        None, description="Username of the officer"
    )
    team: Annotated[str, Field(max_length=120, pattern=PRINTABLE)] | None = None
    reason: Text | None = None


class AttendIn(_In):
    attended_at: NaiveUtc
    note: Text | None = None


class CloseIn(_In):
    closing_code: IncidentType
    qualifier: Qualifier
    qualifier_confirmed: bool = Field(
        description="The closer confirms the qualifier: national returns count it"
    )
    reason: Annotated[str, Field(min_length=1, max_length=1000, pattern=PRINTABLE)]


class ReviewIn(_In):
    note: Annotated[str, Field(min_length=1, max_length=2000, pattern=PRINTABLE)]
