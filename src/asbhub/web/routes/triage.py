"""Triage and the incident's life: the JSON API under ``/api/v1`` and the staff screens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from asbhub.incidents.schemas import MAX_ID
from asbhub.permissions import Action, Actor
from asbhub.triage import rules, service
from asbhub.triage.rules import Rules
from asbhub.triage.schemas import (
    AssignedRow,
    AssignIn,
    AttendIn,
    CallIn,
    CloseIn,
    DecisionOut,
    IncidentLife,
    ReviewIn,
    ReviewRow,
    TriageRecordOut,
)
from asbhub.web.deps import DbSession, require_action
from asbhub.web.routes.api import ERRORS

api = APIRouter(prefix="/api/v1", tags=["triage"], responses=ERRORS)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


def rules_of(request: Request) -> Rules:
    """The rule sets the app's settings name (the packaged defaults unless a force's own)."""
    return rules.load(request.app.state.settings.triage_rules_dir or None)


@api.post("/triage", response_model=DecisionOut)
def triage_call(
    request: Request,
    session: DbSession,
    call: CallIn,
    actor: Actor = require_action(Action.TRIAGE_ASSESS),
) -> DecisionOut:
    """Decide a call: risk level and score, repeats found (with references), ASB Case Review
    eligibility, attend / resolve / refer with the grade, reasons and reviews scheduled.
    Nothing is stored but the audit event; ``asbhub triage assess`` gives the same object."""
    return service.assess(session, actor=actor, call=call, rules=rules_of(request))


@api.post("/incidents/{incident_id}/triage", response_model=TriageRecordOut)
def record_triage(
    request: Request,
    session: DbSession,
    incident_id: Id,
    call: CallIn,
    actor: Actor = require_action(Action.TRIAGE_RECORD),
) -> TriageRecordOut:
    """Record the assessment and decision for a stored incident (a re-THRIVE adds another)."""
    return service.record_triage(
        session, actor=actor, incident_id=incident_id, call=call, rules=rules_of(request)
    )


@api.get("/incidents/{incident_id}/life", response_model=IncidentLife)
def incident_life(
    session: DbSession, incident_id: Id, actor: Actor = require_action(Action.INCIDENT_VIEW)
) -> IncidentLife:
    """Assessments, status history (who, when, why), assignment and open reviews."""
    return service.life(session, actor=actor, incident_id=incident_id)


@api.post("/incidents/{incident_id}/assign", response_model=IncidentLife)
def assign(
    session: DbSession,
    incident_id: Id,
    body: AssignIn,
    actor: Actor = require_action(Action.INCIDENT_ASSIGN),
) -> IncidentLife:
    """Assign to an officer or a team."""
    return service.assign(
        session,
        actor=actor,
        incident_id=incident_id,
        assignee=body.assignee,
        team=body.team,
        reason=body.reason,
    )


@api.post("/incidents/{incident_id}/attend", response_model=IncidentLife)
def attend(
    session: DbSession,
    incident_id: Id,
    body: AttendIn,
    actor: Actor = require_action(Action.INCIDENT_ATTEND),
) -> IncidentLife:
    """Record attendance and its time."""
    return service.attend(
        session, actor=actor, incident_id=incident_id, attended_at=body.attended_at, note=body.note
    )


@api.post("/incidents/{incident_id}/close", response_model=IncidentLife)
def close(
    session: DbSession,
    incident_id: Id,
    body: CloseIn,
    actor: Actor = require_action(Action.INCIDENT_CLOSE),
) -> IncidentLife:
    """Close with the closing code and the confirmed qualifier."""
    return service.close(
        session,
        actor=actor,
        incident_id=incident_id,
        closing_code=body.closing_code,
        qualifier=body.qualifier,
        qualifier_confirmed=body.qualifier_confirmed,
        reason=body.reason,
    )


@api.get("/triage/reviews", response_model=list[ReviewRow])
def reviews(
    session: DbSession, actor: Actor = require_action(Action.REVIEW_QUEUE)
) -> list[ReviewRow]:
    """Medium and high risk cases with reviews due within a week or overdue."""
    return service.review_queue(session, actor=actor)


@api.post("/triage/reviews/{review_id}", response_model=IncidentLife)
def record_review(
    session: DbSession,
    review_id: Id,
    body: ReviewIn,
    actor: Actor = require_action(Action.REVIEW_RECORD),
) -> IncidentLife:
    """Record a review as done; the next of its rank is scheduled."""
    return service.record_review(session, actor=actor, review_id=review_id, note=body.note)


@api.get("/me/incidents", response_model=list[AssignedRow])
def my_incidents(
    session: DbSession, actor: Actor = require_action(Action.ASSIGNED_LIST)
) -> list[AssignedRow]:
    """The open incidents assigned to the signed-in officer."""
    return service.assigned_to_me(session, actor=actor)
