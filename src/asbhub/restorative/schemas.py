"""What the API, the screens and the services take and give for a restorative referral."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from asbhub.incidents.schemas import PRINTABLE
from asbhub.restorative.lifecycle import Status
from asbhub.restorative.menu import Purpose
from asbhub.restorative.models import Kind, Method, Outcome, Party

# Nothing asbhub holds is older than 2000; a date before it is a typing slip.
Day = Annotated[dt.date, Field(ge=dt.date(2000, 1, 1))]
Text = Annotated[str, Field(min_length=1, max_length=4000, pattern=PRINTABLE)]
Name = Annotated[str, Field(min_length=1, max_length=120, pattern=PRINTABLE)]
Short = Annotated[str, Field(min_length=1, max_length=200, pattern=PRINTABLE)]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PartyIn(_In):
    name: Name
    person_id: Id | None = None


class ReferralIn(_In):
    local_authority_code: Annotated[str, Field(pattern=r"^E0[67]\d{6}$")]
    kind: Kind
    referred_on: Day
    referring_agency: Short
    summary: Text
    harmed: PartyIn
    responsible: PartyIn
    incident_id: Id | None = None
    casework_case_id: Id | None = None


class ConsentIn(_In):
    party: Party
    consent_on: Day


class PlanIn(_In):
    """Who facilitates, how, and the action chosen with the victim's view (s.102)."""

    facilitator: Name
    method: Method
    action_code: Annotated[str, Field(pattern=r"^[a-z_]+$")] | None = None
    victim_view: Text | None = None
    victim_choice_used: bool | None = None
    not_used_reason: Text | None = None

    @model_validator(mode="after")
    def _victims_choice(self) -> PlanIn:
        if self.victim_choice_used is False and not self.not_used_reason:
            raise ValueError(
                "not_used_reason: the victim's choice is used unless it is inappropriate; "
                "say why it was not (s.102)"
            )
        return self


class StartIn(_In):
    started_on: Day


class CompleteIn(_In):
    ended_on: Day
    outcome: Outcome
    note: Text | None = None


class WithdrawIn(_In):
    party: Party
    withdrawn_on: Day
    note: Text | None = None


class DeclineIn(_In):
    ended_on: Day
    note: Text


class FeedbackIn(_In):
    party: Party
    satisfied: bool
    feedback: Text | None = None


class ParticipantOut(BaseModel):
    party: Party
    name: str
    person_id: int | None
    consent_on: dt.date | None
    consent_recorded_by: str | None
    withdrawn_on: dt.date | None
    satisfied: bool | None
    feedback: str | None


class ActionOut(BaseModel):
    code: str
    name: str
    purposes: list[Purpose]


class ReferralOut(BaseModel):
    id: int
    reference: str
    local_authority_code: str
    kind: Kind
    status: Status
    referred_on: dt.date
    referred_by: str
    referring_agency: str
    incident_id: int | None
    casework_case_id: int | None
    summary: str | None
    facilitator: str | None
    method: Method | None
    menu_version: str
    action: ActionOut | None
    victim_view: str | None
    victim_choice_used: bool | None
    not_used_reason: str | None
    started_on: dt.date | None
    outcome: Outcome | None
    ended_on: dt.date | None
    participants: list[ParticipantOut]
    allowed_events: list[str]


class ReferralRow(BaseModel):
    id: int
    reference: str
    kind: Kind
    status: Status
    referred_on: dt.date
    local_authority_code: str
    action: str | None


class ReoffendingOut(BaseModel):
    """Re-offending of those who took part, 12 months before and after (see
    :func:`asbhub.restorative.figures.reoffending`)."""

    as_of: dt.date
    referrals: int
    people: int
    incidents_before: int
    incidents_after: int
    change_pct: float | None
    reoffended: int
    in_follow_up: int


class SatisfactionOut(BaseModel):
    responses: int
    satisfied: int
    satisfied_pct: float | None


class FiguresOut(BaseModel):
    start: dt.date
    end: dt.date
    referrals: int
    completed: int
    satisfaction: SatisfactionOut
    reoffending: ReoffendingOut
