"""The recording audit's screens: the ASB team's worklist, one flag, its correction."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from asbhub.errors import InvalidInput
from asbhub.incidents.models import Qualifier
from asbhub.incidents.schemas import MAX_ID
from asbhub.permissions import Action, Actor
from asbhub.recording import service
from asbhub.recording.schemas import DismissIn, ReclassifyIn, WorklistFilters
from asbhub.web.deps import DbSession, require_action
from asbhub.web.templating import render

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
# The error page lists only the problems, so each says which field it is about.
LABELS = {
    "district": "District",
    "month": "Month received",
    "reason": "Reason",
    "min_confidence": "Confidence at least",
    "status": "Flags",
    "qualifier": "Qualifier",
}


def _problems(exc: ValidationError, labels: dict[str, str] = LABELS) -> dict[str, str]:
    out = {}
    for e in exc.errors():
        field = ".".join(map(str, e["loc"]))
        out[field] = f"{labels.get(field, field)}: {e['msg']}"
    return out


def worklist_filters(
    district: Annotated[str | None, Query(max_length=80)] = None,
    month: Annotated[str | None, Query(max_length=7)] = None,
    reason: Annotated[str | None, Query(max_length=60)] = None,
    min_confidence: Annotated[str | None, Query(max_length=5)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
) -> WorklistFilters:
    values = {
        "district": district or None,
        "month": month or None,
        "reason": reason or None,
        "min_confidence": min_confidence or 0.0,
        "status": status or "open",
    }
    try:
        return WorklistFilters.model_validate(values)
    except ValidationError as exc:
        raise InvalidInput("Check the filters.", _problems(exc)) from None


@router.get("/recording")
def worklist_page(
    request: Request,
    session: DbSession,
    filters: WorklistFilters = Depends(worklist_filters),
    actor: Actor = require_action(Action.RECORDING_FLAG_LIST),
) -> Response:
    """The worklist: flags of the latest run, most confident first, and the offers to triage."""
    run = service.latest_run(session, actor=actor)
    rows, total = service.worklist(session, actor=actor, filters=filters) if run else ([], 0)
    ctx = {
        "run": run,
        "rows": rows,
        "total": total,
        "filters": filters,
        "choices": service.worklist_choices(session, actor=actor),
        "offers": service.offers(session, actor=actor),
    }
    return render(request, "recording/worklist.html", ctx)


@router.get("/recording/flags/{flag_id}")
def flag_page(
    request: Request,
    session: DbSession,
    flag_id: Id,
    actor: Actor = require_action(Action.RECORDING_FLAG_LIST),
) -> Response:
    flag = service.get_flag(session, actor=actor, flag_id=flag_id)
    ctx = {"flag": flag, "qualifiers": [q.value for q in Qualifier]}
    return render(request, "recording/flag.html", ctx)


async def _form(request: Request) -> dict[str, str]:
    raw = await request.form()
    return {k: v.strip() for k, v in raw.items() if isinstance(v, str)}


@router.post("/recording/flags/{flag_id}/reclassify")
async def reclassify_form(
    request: Request,
    session: DbSession,
    flag_id: Id,
    actor: Actor = require_action(Action.RECORDING_RECLASSIFY),
) -> Response:
    f = await _form(request)
    try:
        body = ReclassifyIn.model_validate(
            {
                "qualifier": f.get("qualifier", ""),
                "hate_motivated": f.get("hate_motivated") == "yes",
                "reason": f.get("reason", ""),
            }
        )
    except ValidationError as exc:
        labels = {**LABELS, "reason": "Reason for the change"}
        raise InvalidInput(
            "Say what the record should be, and why.", _problems(exc, labels)
        ) from None
    out = service.reclassify(
        session,
        actor=actor,
        flag_id=flag_id,
        qualifier=body.qualifier,
        hate_motivated=body.hate_motivated,
        reason=body.reason,
    )
    return RedirectResponse(f"/incidents/{out.incident_id}/life", status_code=303)


@router.post("/recording/flags/{flag_id}/dismiss")
async def dismiss_form(
    request: Request,
    session: DbSession,
    flag_id: Id,
    actor: Actor = require_action(Action.RECORDING_RECLASSIFY),
) -> Response:
    f = await _form(request)
    try:
        body = DismissIn.model_validate({"reason": f.get("reason", "")})
    except ValidationError:
        raise InvalidInput(
            "Say why the record is right.", {"reason": "a reason is needed"}
        ) from None
    service.dismiss(session, actor=actor, flag_id=flag_id, reason=body.reason)
    return RedirectResponse("/recording", status_code=303)
