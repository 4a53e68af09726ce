"""Triage and the incident's life: the JSON API under ``/api/v1`` and the staff screens."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, TypeVar

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from asbhub.errors import InvalidInput
from asbhub.incidents import service as incidents_service
from asbhub.incidents.models import INCIDENT_TYPE_LABELS, PersonRole, PremisesType, Qualifier
from asbhub.incidents.schemas import MAX_ID, IncidentDetail
from asbhub.permissions import Action, Actor
from asbhub.recording import service as recording_service
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
from asbhub.web.errors import ERRORS
from asbhub.web.templating import is_htmx, render

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
    return _change(session, actor, incident_id, body)


# One service call per change of an incident's life, shared by the API and the staff forms:
# each body's fields are that call's keyword arguments.
_CHANGES: dict[type[BaseModel], Callable[..., IncidentLife]] = {
    AssignIn: service.assign,
    AttendIn: service.attend,
    CloseIn: service.close,
}


def _change(
    session: Session, actor: Actor, incident_id: int, body: AssignIn | AttendIn | CloseIn
) -> IncidentLife:
    change = _CHANGES[type(body)]
    return change(session, actor=actor, incident_id=incident_id, **dict(body))


@api.post("/incidents/{incident_id}/attend", response_model=IncidentLife)
def attend(
    session: DbSession,
    incident_id: Id,
    body: AttendIn,
    actor: Actor = require_action(Action.INCIDENT_ATTEND),
) -> IncidentLife:
    """Record attendance and its time."""
    return _change(session, actor, incident_id, body)


@api.post("/incidents/{incident_id}/close", response_model=IncidentLife)
def close(
    session: DbSession,
    incident_id: Id,
    body: CloseIn,
    actor: Actor = require_action(Action.INCIDENT_CLOSE),
) -> IncidentLife:
    """Close with the closing code and the confirmed qualifier."""
    return _change(session, actor, incident_id, body)


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


# --- screens -----------------------------------------------------------------------------------

router = APIRouter(include_in_schema=False)
HISTORY_FIELDS = (
    "caller_is_victim",
    "victim_person_id",
    "victim_forename",
    "victim_surname",
    "victim_date_of_birth",
    "suspect_person_id",
    "suspect_forename",
    "suspect_surname",
    "address",
    "postcode",
    "premises_type",
    "incident_type",
)


def _person(form: Mapping[str, str], prefix: str) -> dict[str, object] | None:
    pid = form.get(f"{prefix}_person_id", "").strip()
    fore = form.get(f"{prefix}_forename", "").strip()
    sur = form.get(f"{prefix}_surname", "").strip()
    dob = form.get(f"{prefix}_date_of_birth", "").strip()
    if fore or sur:
        out: dict[str, object] = {"forename": fore or None, "surname": sur or None}
        if dob:
            out["date_of_birth"] = dob
        return out
    if pid:
        return {"person_id": pid}
    return None


def call_from_form(
    form: Mapping[str, str], ruleset: Rules, incident: IncidentDetail
) -> dict[str, object]:
    """The call description from the triage form: blank means not given; names typed over
    a linked person replace it."""
    data: dict[str, object] = {
        "incident_type": form.get("incident_type") or incident.opening_code.value,
        "channel": incident.channel.value,
        "hate_motivated": form.get("hate_motivated") == "yes" or incident.hate_motivated,
        "first_contact": {
            q.id: form[f"fc_{q.id}"] for q in ruleset.risk.first_contact if form.get(f"fc_{q.id}")
        },
        "answers": {
            q.id: form[f"a_{q.id}"] for q in ruleset.risk.questions if form.get(f"a_{q.id}")
        },
        "thrive": {
            e.value: {
                "level": form.get(f"t_{e.value}") or "low",
                "note": form.get(f"tn_{e.value}", ""),
            }
            for e in ruleset.thrive.elements
        },
        "case_review_informed": form.get("case_review_informed") == "yes",
    }
    if form.get("occurred_at"):
        data["occurred_at"] = form["occurred_at"]
    if form.get("times_last_3_months", "").strip():
        data["times_last_3_months"] = form["times_last_3_months"].strip()
    victim = _person(form, "victim")
    if form.get("caller_is_victim") == "yes" and victim is not None:
        data["caller"], data["caller_is_victim"] = victim, True
    elif victim is not None:
        data["victim"] = victim
    if (suspect := _person(form, "suspect")) is not None:
        data["suspect"] = suspect
    if form.get("address", "").strip():
        loc: dict[str, object] = {"address": form["address"].strip()}
        if form.get("postcode", "").strip():
            loc["postcode"] = form["postcode"].strip()
        if form.get("premises_type"):
            loc["premises_type"] = form["premises_type"]
        data["location"] = loc
    if form.get("override_level"):
        data["override"] = {
            "level": form["override_level"],
            "reason": form.get("override_reason", ""),
        }
    if form.get("spoc"):
        data["spoc"] = form["spoc"]
    return data


def _parse(data: dict[str, object]) -> CallIn:
    try:
        return CallIn.model_validate(data)
    except ValidationError as exc:
        fields = {".".join(map(str, e["loc"])) or "call": e["msg"] for e in exc.errors()}
        raise InvalidInput("Check the highlighted answers.", fields) from None


def _prefill(incident: IncidentDetail) -> dict[str, str]:
    """The form's starting values: the people the incident already links."""
    values: dict[str, str] = {"incident_type": incident.opening_code.value}
    for p in incident.people:
        if p.person_id is None:
            continue
        if p.role is PersonRole.VICTIM and "victim_person_id" not in values:
            values["victim_person_id"], values["victim_label"] = str(p.person_id), p.label
        if p.role is PersonRole.SUSPECT and "suspect_person_id" not in values:
            values["suspect_person_id"], values["suspect_label"] = str(p.person_id), p.label
    return values


async def _form(request: Request) -> dict[str, str]:
    raw = await request.form()
    return {k: v.strip() for k, v in raw.items() if isinstance(v, str)}


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    incident_id: int,
    values: dict[str, str] | None,
    *,
    decision: DecisionOut | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    ruleset = rules_of(request)
    incident = incidents_service.get_incident(session, actor=actor, incident_id=incident_id)
    ctx = {
        "i": incident,
        "v": values if values is not None else _prefill(incident),
        "rules": ruleset,
        "decision": decision,
        "errors": errors or {},
        "officers": service.officers(session, actor=actor),
        "type_choices": list(INCIDENT_TYPE_LABELS.items()),
        "premises_choices": [p.value for p in PremisesType],
    }
    return render(
        request, "triage/call.html", ctx, partial="triage/_panels.html", status_code=status_code
    )


@router.get("/incidents/{incident_id}/triage")
def triage_page(
    request: Request,
    session: DbSession,
    incident_id: Id,
    actor: Actor = require_action(Action.TRIAGE_RECORD),
) -> Response:
    """The call handler's page for one incident, with its history checked from the start."""
    page = _page(request, session, actor, incident_id, None)
    return page


@router.post("/incidents/{incident_id}/triage/check")
async def triage_check(
    request: Request,
    session: DbSession,
    incident_id: Id,
    actor: Actor = require_action(Action.TRIAGE_ASSESS),
) -> Response:
    """The history panels and a preview of the decision for what is entered so far: htmx
    asks for the panels as the fields change; without JavaScript the whole page returns."""
    values = await _form(request)
    incident = incidents_service.get_incident(session, actor=actor, incident_id=incident_id)
    try:
        call = _parse(call_from_form(values, rules_of(request), incident))
        if call.received_at is None:
            call = call.model_copy(
                update={"received_at": incident.received_at.replace(tzinfo=None)}
            )
        decision = service.assess(session, actor=actor, call=call, rules=rules_of(request))
    except InvalidInput as exc:
        # htmx swaps only successful responses, so the panel's own error list comes with a 200.
        status = 200 if is_htmx(request) else 422
        return _page(
            request, session, actor, incident_id, values, errors=exc.fields, status_code=status
        )
    return _page(request, session, actor, incident_id, values, decision=decision)


@router.post("/incidents/{incident_id}/triage")
async def triage_record(
    request: Request,
    session: DbSession,
    incident_id: Id,
    actor: Actor = require_action(Action.TRIAGE_RECORD),
) -> Response:
    values = await _form(request)
    incident = incidents_service.get_incident(session, actor=actor, incident_id=incident_id)
    try:
        call = _parse(call_from_form(values, rules_of(request), incident))
        service.record_triage(
            session, actor=actor, incident_id=incident_id, call=call, rules=rules_of(request)
        )
    except InvalidInput as exc:
        # record_triage checks everything before it writes, so nothing is half-stored here.
        return _page(
            request, session, actor, incident_id, values, errors=exc.fields, status_code=422
        )
    return RedirectResponse(f"/incidents/{incident_id}/life", status_code=303)


@router.get("/incidents/{incident_id}/life")
def life_page(
    request: Request,
    session: DbSession,
    incident_id: Id,
    actor: Actor = require_action(Action.INCIDENT_VIEW),
) -> Response:
    incident = incidents_service.get_incident(session, actor=actor, incident_id=incident_id)
    ctx = {
        "i": incident,
        "life": service.life(session, actor=actor, incident_id=incident_id),
        "offers": recording_service.offers(session, actor=actor, incident_id=incident_id),
        "officers": service.officers(session, actor=actor),
        "type_choices": list(INCIDENT_TYPE_LABELS.items()),
        "qualifiers": [q.value for q in Qualifier],
        "now_minute": service.utcnow().strftime("%Y-%m-%dT%H:%M"),
    }
    return render(request, "triage/life.html", ctx)


@router.post("/incidents/{incident_id}/assign")
async def assign_form(
    request: Request,
    session: DbSession,
    incident_id: Id,
    actor: Actor = require_action(Action.INCIDENT_ASSIGN),
) -> Response:
    f = await _form(request)
    fields: dict[str, object] = {k: f.get(k) or None for k in ("assignee", "team", "reason")}
    _change(session, actor, incident_id, _model(AssignIn, fields))
    return RedirectResponse(f"/incidents/{incident_id}/life", status_code=303)


@router.post("/incidents/{incident_id}/attend")
async def attend_form(
    request: Request,
    session: DbSession,
    incident_id: Id,
    actor: Actor = require_action(Action.INCIDENT_ATTEND),
) -> Response:
    f = await _form(request)
    body = _model(AttendIn, {"attended_at": f.get("attended_at"), "note": f.get("note") or None})
    _change(session, actor, incident_id, body)
    return RedirectResponse(f"/incidents/{incident_id}/life", status_code=303)


@router.post("/incidents/{incident_id}/close")
async def close_form(
    request: Request,
    session: DbSession,
    incident_id: Id,
    actor: Actor = require_action(Action.INCIDENT_CLOSE),
) -> Response:
    f = await _form(request)
    body = _model(
        CloseIn,
        {
            "closing_code": f.get("closing_code"),
            "qualifier": f.get("qualifier"),
            "qualifier_confirmed": f.get("qualifier_confirmed") == "yes",
            "reason": f.get("reason", ""),
        },
    )
    _change(session, actor, incident_id, body)
    return RedirectResponse(f"/incidents/{incident_id}/life", status_code=303)


M = TypeVar("M", bound=BaseModel)


def _model(model: type[M], data: dict[str, object]) -> M:
    try:
        return model.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        fields = {".".join(map(str, e["loc"])) or "form": e["msg"] for e in exc.errors()}
        raise InvalidInput("Some of the values sent are not valid.", fields) from None


@router.get("/triage/reviews")
def reviews_page(
    request: Request, session: DbSession, actor: Actor = require_action(Action.REVIEW_QUEUE)
) -> Response:
    rows = service.review_queue(session, actor=actor)
    return render(request, "triage/reviews.html", {"rows": rows})


@router.post("/triage/reviews/{review_id}")
async def review_form(
    request: Request,
    session: DbSession,
    review_id: Id,
    actor: Actor = require_action(Action.REVIEW_RECORD),
) -> Response:
    f = await _form(request)
    service.record_review(session, actor=actor, review_id=review_id, note=f.get("note", ""))
    return RedirectResponse("/triage/reviews", status_code=303)


@router.get("/my-incidents")
def my_incidents_page(
    request: Request, session: DbSession, actor: Actor = require_action(Action.ASSIGNED_LIST)
) -> Response:
    return render(
        request, "triage/mine.html", {"rows": service.assigned_to_me(session, actor=actor)}
    )
