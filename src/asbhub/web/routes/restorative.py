"""Restorative justice and Community Remedy: the JSON API under ``/api/v1/restorative`` and the
staff screens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from asbhub.errors import InvalidInput, NotFound
from asbhub.incidents.schemas import MAX_ID
from asbhub.inputs import parse
from asbhub.permissions import Action, Actor
from asbhub.restorative import menu, queries, service
from asbhub.restorative.lifecycle import Status
from asbhub.restorative.models import Kind, Method, Outcome
from asbhub.restorative.schemas import (
    CompleteIn,
    ConsentIn,
    DeclineIn,
    FeedbackIn,
    FiguresOut,
    PlanIn,
    ReferralIn,
    ReferralOut,
    ReferralRow,
    StartIn,
    WithdrawIn,
)
from asbhub.triage import rules
from asbhub.web.deps import DbSession, require_action
from asbhub.web.errors import ERRORS
from asbhub.web.templating import render

api = APIRouter(prefix="/api/v1/restorative", tags=["restorative justice"], responses=ERRORS)
router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]

Step = Callable[..., ReferralOut]
STEPS: dict[str, tuple[type[BaseModel], Step, str]] = {
    "consent": (ConsentIn, service.consent, "Record one party's consent, with its day."),
    "plan": (PlanIn, service.plan, "Facilitator, method and the action with the victim's view."),
    "start": (StartIn, service.start, "Start the work once both parties have consented."),
    "complete": (CompleteIn, service.complete, "End the work with its outcome."),
    "withdraw": (WithdrawIn, service.withdraw, "A party withdraws; the referral ends."),
    "decline": (DeclineIn, service.decline, "The facilitator finds the referral not suitable."),
    "feedback": (FeedbackIn, service.feedback, "Whether a party was satisfied."),
}


@api.get("", response_model=list[ReferralRow])
def list_api(
    session: DbSession,
    status: Status | None = None,
    actor: Actor = require_action(Action.RESTORATIVE_LIST),
) -> list[ReferralRow]:
    """Referrals in one's scope, newest first."""
    return service.list_referrals(session, actor=actor, status=status)


@api.post("", response_model=ReferralOut, status_code=201)
def refer_api(
    session: DbSession, body: ReferralIn, actor: Actor = require_action(Action.RESTORATIVE_RECORD)
) -> ReferralOut:
    """Refer to restorative justice or a Community Remedy, naming both parties."""
    return service.refer(session, actor=actor, referral=body)


@api.get("/figures", response_model=FiguresOut)
def figures_api(
    session: DbSession,
    start: Annotated[dt.date, Query(alias="from")],
    end: Annotated[dt.date, Query(alias="to")],
    actor: Actor = require_action(Action.RESTORATIVE_FIGURES),
) -> FiguresOut:
    """Referrals, satisfaction and re-offending 12 months before and after."""
    return queries.restorative_figures(session, actor=actor, start=start, end=end)


@api.get("/{referral_id}", response_model=ReferralOut)
def get_api(
    session: DbSession, referral_id: Id, actor: Actor = require_action(Action.RESTORATIVE_VIEW)
) -> ReferralOut:
    """One referral with its parties, consents, action and outcome."""
    return service.get(session, actor=actor, referral_id=referral_id)


def _api_step(step: str) -> None:
    model, fn, doc = STEPS[step]

    def handler(
        session: DbSession,
        referral_id: Id,
        body: BaseModel,
        actor: Actor = require_action(Action.RESTORATIVE_RECORD),
    ) -> ReferralOut:
        return fn(session, actor=actor, referral_id=referral_id, body=body)

    handler.__doc__ = doc
    # The body's model differs per step; annotations are strings here (PEP 563), so the
    # model is set on the function before FastAPI reads its signature.
    handler.__annotations__["body"] = model
    handler.__name__ = f"restorative_{step}"
    api.post(f"/{{referral_id}}/{step}", response_model=ReferralOut)(handler)


for _step in STEPS:
    _api_step(_step)


# --- screens -----------------------------------------------------------------------------------


async def _form(request: Request) -> dict[str, str]:
    raw = await request.form()
    return {k: v.strip() for k, v in raw.items() if isinstance(v, str) and k != "csrf_token"}


@router.get("/restorative")
def list_page(
    request: Request,
    session: DbSession,
    status: Status | None = None,
    actor: Actor = require_action(Action.RESTORATIVE_LIST),
) -> Response:
    rows = service.list_referrals(session, actor=actor, status=status)
    ctx = {"rows": rows, "status": status.value if status else "", "statuses": list(Status)}
    return render(request, "restorative/list.html", ctx, partial="restorative/_rows.html")


def _new(request: Request, v: dict[str, str], errors: dict[str, str], code: int = 200) -> Response:
    areas = sorted(
        ((c, a.name) for c, a in _case_review_areas(request).items()), key=lambda p: p[1]
    )
    ctx = {"v": v, "errors": errors, "areas": areas, "kinds": list(Kind)}
    return render(request, "restorative/new.html", ctx, status_code=code)


def _case_review_areas(request: Request) -> dict[str, Any]:
    # The local authorities of the force, as its case review procedures list them.
    return dict(rules.load(request.app.state.settings.triage_rules_dir or None).case_review.areas)


@router.get("/restorative/new")
def new_page(
    request: Request, actor: Actor = require_action(Action.RESTORATIVE_RECORD)
) -> Response:
    return _new(request, {"referred_on": dt.date.today().isoformat()}, {})


@router.post("/restorative")
async def refer_form(
    request: Request, session: DbSession, actor: Actor = require_action(Action.RESTORATIVE_RECORD)
) -> Response:
    f = await _form(request)
    data: dict[str, Any] = {
        k: f[k]
        for k in ("local_authority_code", "kind", "referred_on", "referring_agency", "summary")
        if f.get(k)
    }
    for party in ("harmed", "responsible"):
        who: dict[str, Any] = {"name": f.get(f"{party}_name", "")}
        if f.get(f"{party}_person_id"):
            who["person_id"] = f[f"{party}_person_id"]
        data[party] = who
    if f.get("incident_id"):
        data["incident_id"] = f["incident_id"]
    try:
        out = service.refer(session, actor=actor, referral=parse(ReferralIn, data))
    except InvalidInput as exc:
        errors = {k.replace(".", "_"): v for k, v in exc.fields.items()}
        return _new(request, f, errors, code=422)
    return RedirectResponse(f"/restorative/{out.id}", status_code=303)


def _detail(
    request: Request,
    session: Session,
    actor: Actor,
    referral_id: int,
    errors: dict[str, str] | None = None,
    v: dict[str, str] | None = None,
    code: int = 200,
) -> Response:
    r = service.get(session, actor=actor, referral_id=referral_id)
    ctx = {
        "r": r,
        "errors": errors or {},
        "v": v or {},
        "menu": menu.load(),
        "methods": list(Method),
        "outcomes": list(Outcome),
        "pending_feedback": [p.party.value for p in r.participants if p.satisfied is None],
    }
    return render(request, "restorative/detail.html", ctx, status_code=code)


@router.get("/restorative/{referral_id}")
def detail_page(
    request: Request,
    session: DbSession,
    referral_id: Id,
    actor: Actor = require_action(Action.RESTORATIVE_VIEW),
) -> Response:
    return _detail(request, session, actor, referral_id)


@router.post("/restorative/{referral_id}/{step}")
async def step_form(
    request: Request,
    session: DbSession,
    referral_id: Id,
    step: str,
    actor: Actor = require_action(Action.RESTORATIVE_RECORD),
) -> Response:
    if step not in STEPS:
        raise NotFound(f"no step {step!r}")
    f = await _form(request)
    body: dict[str, Any] = {k: v for k, v in f.items() if v}
    if "victim_choice_used" in body:
        body["victim_choice_used"] = body["victim_choice_used"] == "yes"
    if step == "feedback":
        body["satisfied"] = f.get("satisfied") == "yes"
    model, fn, _ = STEPS[step]
    try:
        fn(session, actor=actor, referral_id=referral_id, body=parse(model, body))
    except InvalidInput as exc:
        errors = {f"{step}-{k.split('.')[0]}": v for k, v in exc.fields.items()}
        return _detail(request, session, actor, referral_id, errors, f, code=422)
    return RedirectResponse(f"/restorative/{referral_id}", status_code=303)
