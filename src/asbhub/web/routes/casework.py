"""Casework screens and API: SARA cases, sharing, overrides, the partner's referrals.

Routes parse input, declare their policy, make one service call and render; what a case shows
each reader is decided by the casework services through ``permissions.case_access``.
"""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from asbhub.casework import queries, service
from asbhub.casework.rules import SaraRules
from asbhub.casework.rules import load as load_rules
from asbhub.casework.schemas import (
    ActionIn,
    ActionUpdateIn,
    AnalysisIn,
    AssessmentIn,
    CaseOut,
    CaseStub,
    FromTriageIn,
    ObjectiveIn,
    OverrideRow,
    ProblemIn,
    ReferralRow,
    ReviewIn,
    ShareIn,
    ShareReviewIn,
    StageIn,
)
from asbhub.errors import Conflict, InvalidInput
from asbhub.permissions import DATA_CLASS_LABELS, Action, Actor
from asbhub.web.deps import DbSession, require_action
from asbhub.web.errors import ERRORS, plain_errors
from asbhub.web.templating import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["casework"], responses=ERRORS)
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


def rules_of(request: Request) -> SaraRules:
    """The SARA rule set the app's settings name (the packaged one unless a force's own)."""
    path = request.app.state.settings.casework_rules_file
    return load_rules(FilePath(path) if path else None)


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    out: dict[str, Any] = {}
    for key in form:
        values = [v for v in form.getlist(key) if isinstance(v, str)]
        out[key] = values if key == "data_classes" else (values[-1].strip() if values else "")
    out.pop("csrf_token", None)
    return out


def _parse(model: type[Any], values: dict[str, Any]) -> Any:
    clean = {k: (v if v != "" else None) for k, v in values.items()}
    try:
        return model.model_validate({k: v for k, v in clean.items() if v is not None})
    except ValidationError as exc:
        raise InvalidInput(
            "Some of the values are not valid.", plain_errors(exc.errors())
        ) from None


def _case_page(
    request: Request,
    session: DbSession,
    actor: Actor,
    case_id: int,
    *,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    form: str | None = None,
    status_code: int = 200,
) -> Response:
    rules = rules_of(request)
    case = queries.get_case(session, actor=actor, case_id=case_id, rules=rules)
    ctx = {
        "c": case,
        "errors": errors or {},
        "message": message,
        "form": form,
        "tools": rules.tools,
        "agencies": service.agency_names(session, actor.force_code),
        "class_labels": {k.value: v for k, v in DATA_CLASS_LABELS.items()},
    }
    return render(request, "casework/case.html", ctx, status_code=status_code)


@router.get("/cases")
def case_list(
    request: Request,
    session: DbSession,
    stage: Annotated[str | None, Query(pattern="^[a-z]{0,20}$")] = None,
    actor: Actor = require_action(Action.CASE_LIST),
) -> Response:
    rows = queries.list_cases(session, actor=actor, stage=stage or None)
    return render(request, "casework/list.html", {"rows": rows, "stage": stage or ""})


@router.get("/cases/new")
def case_new(
    request: Request,
    session: DbSession,
    incident: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    actor: Actor = require_action(Action.CASE_CREATE),
) -> Response:
    found = queries.repeat_candidates(session, actor=actor, incident_id=incident)
    return render(request, "casework/new.html", {"candidates": found})


@router.post("/cases")
async def case_open(
    request: Request, session: DbSession, actor: Actor = require_action(Action.CASE_CREATE)
) -> Response:
    values = await _form(request)
    values["victim_locked"] = values.get("victim_locked") == "yes"
    data = _parse(FromTriageIn, values)
    case = service.open_from_triage(session, actor=actor, data=data, rules=rules_of(request))
    return RedirectResponse(f"/cases/{case.id}", status_code=303)


@router.get("/cases/overrides")
def override_queue(
    request: Request, session: DbSession, actor: Actor = require_action(Action.CASE_SHARE_REVIEW)
) -> Response:
    rows = queries.override_rows(session, actor=actor)
    return render(request, "casework/overrides.html", {"rows": rows})


@router.post("/cases/overrides/{share_id}")
async def override_review(
    request: Request,
    session: DbSession,
    share_id: Id,
    actor: Actor = require_action(Action.CASE_SHARE_REVIEW),
) -> Response:
    data = _parse(ShareReviewIn, await _form(request))
    service.review_override(
        session, actor=actor, share_id=share_id, decision=data.decision, note=data.note
    )
    return RedirectResponse("/cases/overrides", status_code=303)


@router.get("/referrals")
def referral_list(
    request: Request, session: DbSession, actor: Actor = require_action(Action.REFERRAL_LIST)
) -> Response:
    rows = queries.referrals(session, actor=actor)
    return render(request, "casework/referrals.html", {"rows": rows})


@router.get("/cases/{case_id}")
def case_page(
    request: Request,
    session: DbSession,
    case_id: Id,
    actor: Actor = require_action(Action.CASE_VIEW),
) -> Response:
    return _case_page(request, session, actor, case_id)


async def _change(
    request: Request, session: DbSession, actor: Actor, case_id: int, what: str
) -> Response:
    """One form on the case page: parse, call its service, back to the case (or the page with
    the form's errors; a refused share shows why, and the refusal is logged by its route)."""
    values = await _form(request)
    rules = rules_of(request)
    try:
        if what == "problem":
            service.update_problem(
                session, actor=actor, case_id=case_id, data=_parse(ProblemIn, values), rules=rules
            )
        elif what == "analysis":
            ids = [
                int(x)
                for x in str(values.pop("incident_ids", "") or "").replace(",", " ").split()
                if x.isdigit()
            ]
            data = _parse(AnalysisIn, values | {"incident_ids": ids})
            service.record_analysis(session, actor=actor, case_id=case_id, data=data)
        elif what == "objective":
            service.add_objective(
                session, actor=actor, case_id=case_id, data=_parse(ObjectiveIn, values)
            )
        elif what == "action":
            service.add_action(
                session, actor=actor, case_id=case_id, data=_parse(ActionIn, values), rules=rules
            )
        elif what == "share":
            service.share(session, actor=actor, case_id=case_id, data=_parse(ShareIn, values))
        elif what == "stage":
            data = _parse(StageIn, values)
            service.move_stage(
                session, actor=actor, case_id=case_id, event=data.event, reason=data.reason
            )
        elif what == "assessment":
            service.record_assessment(
                session,
                actor=actor,
                case_id=case_id,
                data=_parse(AssessmentIn, values),
                rules=rules,
            )
    except (InvalidInput, Conflict) as exc:
        fields = exc.fields if isinstance(exc, InvalidInput) else {}
        return _case_page(
            request,
            session,
            actor,
            case_id,
            errors=fields,
            message=str(exc),
            form=what,
            status_code=422,
        )
    return RedirectResponse(f"/cases/{case_id}#{what}", status_code=303)


@router.post("/cases/{case_id}/problem")
async def case_problem(
    request: Request,
    session: DbSession,
    case_id: Id,
    actor: Actor = require_action(Action.CASE_UPDATE),
) -> Response:
    return await _change(request, session, actor, case_id, "problem")


@router.post("/cases/{case_id}/analysis")
async def case_analysis(
    request: Request,
    session: DbSession,
    case_id: Id,
    actor: Actor = require_action(Action.CASE_UPDATE),
) -> Response:
    return await _change(request, session, actor, case_id, "analysis")


@router.post("/cases/{case_id}/objectives")
async def case_objective(
    request: Request,
    session: DbSession,
    case_id: Id,
    actor: Actor = require_action(Action.CASE_UPDATE),
) -> Response:
    return await _change(request, session, actor, case_id, "objective")


@router.post("/cases/{case_id}/actions")
async def case_action(
    request: Request,
    session: DbSession,
    case_id: Id,
    actor: Actor = require_action(Action.CASE_UPDATE),
) -> Response:
    return await _change(request, session, actor, case_id, "action")


@router.post("/cases/{case_id}/actions/{action_id}")
async def case_action_status(
    request: Request,
    session: DbSession,
    case_id: Id,
    action_id: Id,
    actor: Actor = require_action(Action.CASE_UPDATE),
) -> Response:
    data = _parse(ActionUpdateIn, await _form(request))
    service.update_action(
        session, actor=actor, case_id=case_id, action_id=action_id, status=data.status
    )
    return RedirectResponse(f"/cases/{case_id}#actions", status_code=303)


@router.post("/cases/{case_id}/shares")
async def case_share(
    request: Request,
    session: DbSession,
    case_id: Id,
    actor: Actor = require_action(Action.CASE_SHARE),
) -> Response:
    return await _change(request, session, actor, case_id, "share")


@router.post("/cases/{case_id}/stage")
async def case_stage(
    request: Request,
    session: DbSession,
    case_id: Id,
    actor: Actor = require_action(Action.CASE_UPDATE),
) -> Response:
    return await _change(request, session, actor, case_id, "stage")


@router.post("/cases/{case_id}/assessment")
async def case_assessment(
    request: Request,
    session: DbSession,
    case_id: Id,
    actor: Actor = require_action(Action.CASE_UPDATE),
) -> Response:
    return await _change(request, session, actor, case_id, "assessment")


@router.post("/cases/{case_id}/reviews/{review_id}")
async def case_review(
    request: Request,
    session: DbSession,
    case_id: Id,
    review_id: Id,
    actor: Actor = require_action(Action.CASE_REVIEW_RECORD),
) -> Response:
    data = _parse(ReviewIn, await _form(request))
    service.record_review(
        session,
        actor=actor,
        case_id=case_id,
        review_id=review_id,
        note=data.note,
        rules=rules_of(request),
    )
    return RedirectResponse(f"/cases/{case_id}#reviews", status_code=303)


# The JSON API: the same services, the same policy.


@api.get("/cases", response_model=list[CaseStub])
def api_cases(
    session: DbSession,
    stage: Annotated[
        str | None, Query(pattern="^(scanning|analysis|response|assessment|closed)$")
    ] = None,
    actor: Actor = require_action(Action.CASE_LIST),
) -> list[CaseStub]:
    """The cases the caller's agency owns, was shared, or whose area it covers (what they are
    and whom to ask)."""
    return queries.list_cases(session, actor=actor, stage=stage)


@api.post("/cases", response_model=CaseOut, status_code=201)
def api_open_case(
    request: Request,
    session: DbSession,
    data: FromTriageIn,
    actor: Actor = require_action(Action.CASE_CREATE),
) -> CaseOut:
    """Open a SARA case from a repeat a recorded triage found, with its incidents linked."""
    rules = rules_of(request)
    case = service.open_from_triage(session, actor=actor, data=data, rules=rules)
    return queries.get_case(session, actor=actor, case_id=case.id, rules=rules)


@api.get("/cases/{case_id}", response_model=CaseOut)
def api_case(
    request: Request,
    session: DbSession,
    case_id: Id,
    actor: Actor = require_action(Action.CASE_VIEW),
) -> CaseOut:
    """A case as the caller may see it: sections it may not see are null (audited)."""
    return queries.get_case(session, actor=actor, case_id=case_id, rules=rules_of(request))


@api.post("/cases/{case_id}/actions", response_model=CaseOut, status_code=201)
def api_add_action(
    request: Request,
    session: DbSession,
    case_id: Id,
    data: ActionIn,
    actor: Actor = require_action(Action.CASE_UPDATE),
) -> CaseOut:
    """Add an action with its owner, agency, due date and tool."""
    rules = rules_of(request)
    service.add_action(session, actor=actor, case_id=case_id, data=data, rules=rules)
    return queries.get_case(session, actor=actor, case_id=case_id, rules=rules)


@api.post("/cases/{case_id}/shares", response_model=CaseOut, status_code=201)
def api_share(
    request: Request,
    session: DbSession,
    case_id: Id,
    data: ShareIn,
    actor: Actor = require_action(Action.CASE_SHARE),
) -> CaseOut:
    """Share classes of the case with an agency: under an agreement in force, or (personal
    data, no agreement) refused with 403 unless ``override_reason`` is given by someone who
    may override; an override is logged and queued for review."""
    service.share(session, actor=actor, case_id=case_id, data=data)
    return queries.get_case(session, actor=actor, case_id=case_id, rules=rules_of(request))


@api.post("/cases/{case_id}/stage", response_model=CaseOut)
def api_stage(
    request: Request,
    session: DbSession,
    case_id: Id,
    data: StageIn,
    actor: Actor = require_action(Action.CASE_UPDATE),
) -> CaseOut:
    """Move the case forward or back through SARA, or sign it off."""
    service.move_stage(session, actor=actor, case_id=case_id, event=data.event, reason=data.reason)
    return queries.get_case(session, actor=actor, case_id=case_id, rules=rules_of(request))


@api.post("/cases/{case_id}/assessment", response_model=CaseOut)
def api_assessment(
    request: Request,
    session: DbSession,
    case_id: Id,
    data: AssessmentIn,
    actor: Actor = require_action(Action.CASE_UPDATE),
) -> CaseOut:
    """Record the assessment: the after period counted against the baseline."""
    rules = rules_of(request)
    service.record_assessment(session, actor=actor, case_id=case_id, data=data, rules=rules)
    return queries.get_case(session, actor=actor, case_id=case_id, rules=rules)


@api.get("/referrals", response_model=list[ReferralRow])
def api_referrals(
    session: DbSession, actor: Actor = require_action(Action.REFERRAL_LIST)
) -> list[ReferralRow]:
    """The incidents triage referred to the caller's agency."""
    return queries.referrals(session, actor=actor)


@api.get("/cases-overrides", response_model=list[OverrideRow])
def api_overrides(
    session: DbSession, actor: Actor = require_action(Action.CASE_SHARE_REVIEW)
) -> list[OverrideRow]:
    """Emergency overrides waiting for review."""
    return queries.override_rows(session, actor=actor)
