"""ASB Case Reviews: the JSON API under ``/api/v1/case-reviews`` and the staff screens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from asbhub.casereviews import queries, service
from asbhub.casereviews.lifecycle import Status
from asbhub.casereviews.schemas import (
    AcknowledgeIn,
    ApplicationIn,
    CaseReviewOut,
    CaseReviewRow,
    DecisionIn,
    HandlingDecisionIn,
    HandlingRequestIn,
    OutcomeIn,
    RecommendationDoneIn,
    ReviewIn,
    WithdrawIn,
    YearTable,
)
from asbhub.errors import InvalidInput, NotFound
from asbhub.incidents.schemas import MAX_ID
from asbhub.inputs import parse
from asbhub.permissions import Action, Actor
from asbhub.triage import rules
from asbhub.triage.rules import CaseReviewRules
from asbhub.web.deps import DbSession, require_action
from asbhub.web.errors import ERRORS
from asbhub.web.templating import render

api = APIRouter(prefix="/api/v1/case-reviews", tags=["case reviews"], responses=ERRORS)
router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Area = Annotated[str | None, Query(pattern=r"^E0[67]\d{6}$")]


def rules_of(request: Request) -> CaseReviewRules:
    """The case review threshold the app's triage rule set names (one rule for both)."""
    return rules.load(request.app.state.settings.triage_rules_dir or None).case_review


def _year(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """The period asked for, else the last complete financial year."""
    if start and end:
        return start, end
    today = dt.date.today()
    fy_end = dt.date(today.year if today.month > 3 else today.year - 1, 3, 31)
    return start or fy_end.replace(year=fy_end.year - 1) + dt.timedelta(days=1), end or fy_end


# --- JSON API ----------------------------------------------------------------------------------


@api.get("", response_model=list[CaseReviewRow])
def list_api(
    request: Request,
    session: DbSession,
    status: Status | None = None,
    local_authority_code: Area = None,
    actor: Actor = require_action(Action.CASE_REVIEW_LIST),
) -> list[CaseReviewRow]:
    """Case reviews in one's scope, newest first, each with its next deadline."""
    return service.list_reviews(
        session,
        actor=actor,
        rules=rules_of(request),
        status=status,
        local_authority_code=local_authority_code,
    )


@api.post("", response_model=CaseReviewOut, status_code=201)
def apply_api(
    request: Request,
    session: DbSession,
    body: ApplicationIn,
    actor: Actor = require_action(Action.CASE_REVIEW_CREATE),
) -> CaseReviewOut:
    """Record an application (by the victim, or on their behalf with the victim's consent)."""
    return service.apply(session, actor=actor, application=body, rules=rules_of(request))


@api.get("/table", response_model=YearTable)
def table_api(
    request: Request,
    session: DbSession,
    start: Annotated[dt.date, Query(alias="from")],
    end: Annotated[dt.date, Query(alias="to")],
    actor: Actor = require_action(Action.CASE_REVIEW_TABLE),
) -> YearTable:
    """The four published figures per local authority (s.104(10)), as ``asbhub case-reviews
    table`` prints them."""
    return queries.year_table(session, actor=actor, start=start, end=end, rules=rules_of(request))


@api.get("/{case_review_id}", response_model=CaseReviewOut)
def get_api(
    request: Request,
    session: DbSession,
    case_review_id: Id,
    actor: Actor = require_action(Action.CASE_REVIEW_VIEW),
) -> CaseReviewOut:
    """One case review with its threshold decision, deadlines, recommendations and any
    request to review its handling."""
    return service.get(session, actor=actor, case_review_id=case_review_id, rules=rules_of(request))


Step = Callable[..., CaseReviewOut]
# Each step of the life: its path, its body and the service that takes it.
STEPS: dict[str, tuple[type[BaseModel], Step]] = {
    "acknowledge": (AcknowledgeIn, service.acknowledge),
    "decision": (DecisionIn, service.decide),
    "review": (ReviewIn, service.hold_review),
    "outcome": (OutcomeIn, service.send_outcome),
    "withdraw": (WithdrawIn, service.withdraw),
    "handling-review": (HandlingRequestIn, service.request_handling_review),
    "handling-review-decision": (HandlingDecisionIn, service.decide_handling_review),
}


def _step(
    session: Session, request: Request, actor: Actor, case_review_id: int, step: str, body: Any
) -> CaseReviewOut:
    model, fn = STEPS[step]
    return fn(
        session,
        actor=actor,
        case_review_id=case_review_id,
        body=body if isinstance(body, model) else parse(model, body),
        rules=rules_of(request),
    )


def _api_step(step: str, model: type[BaseModel], doc: str) -> None:
    def handler(
        request: Request,
        session: DbSession,
        case_review_id: Id,
        body: BaseModel,
        actor: Actor = require_action(Action.CASE_REVIEW_DECIDE),
    ) -> CaseReviewOut:
        return _step(session, request, actor, case_review_id, step, body)

    handler.__doc__ = doc
    # The body's model differs per step; annotations are strings here (PEP 563), so the
    # model is set on the function before FastAPI reads its signature.
    handler.__annotations__["body"] = model
    handler.__name__ = f"case_review_{step.replace('-', '_')}"
    api.post(f"/{{case_review_id}}/{step}", response_model=CaseReviewOut)(handler)


for _name, _doc in (
    ("acknowledge", "Acknowledge the application."),
    ("decision", "Decide the threshold: the triage rule set's test, or discretion below it."),
    ("review", "Record the panel's review: outcome and recommendations with their owners."),
    ("outcome", "Record the day the applicant was sent the outcome."),
    ("withdraw", "Record that the applicant withdrew."),
    ("handling-review", "The applicant asks for the handling to be reviewed (PFCC's office)."),
    ("handling-review-decision", "Record the decision on the request to review the handling."),
):
    _api_step(_name, STEPS[_name][0], _doc)


@api.post(
    "/{case_review_id}/recommendations/{recommendation_id}/done", response_model=CaseReviewOut
)
def recommendation_done_api(
    request: Request,
    session: DbSession,
    case_review_id: Id,
    recommendation_id: Id,
    body: RecommendationDoneIn,
    actor: Actor = require_action(Action.CASE_REVIEW_DECIDE),
) -> CaseReviewOut:
    """Record a recommendation as done by its owner."""
    return service.complete_recommendation(
        session,
        actor=actor,
        case_review_id=case_review_id,
        recommendation_id=recommendation_id,
        body=body,
        rules=rules_of(request),
    )


# --- screens -----------------------------------------------------------------------------------


async def _form(request: Request) -> dict[str, str]:
    raw = await request.form()
    return {k: v.strip() for k, v in raw.items() if isinstance(v, str)}


def _areas(request: Request) -> list[tuple[str, str]]:
    r = rules_of(request)
    return sorted(((c, a.name) for c, a in r.areas.items()), key=lambda p: p[1])


@router.get("/case-reviews")
def list_page(
    request: Request,
    session: DbSession,
    status: Status | None = None,
    local_authority_code: Area = None,
    actor: Actor = require_action(Action.CASE_REVIEW_LIST),
) -> Response:
    rows = service.list_reviews(
        session,
        actor=actor,
        rules=rules_of(request),
        status=status,
        local_authority_code=local_authority_code,
    )
    ctx = {
        "rows": rows,
        "status": status.value if status else "",
        "area": local_authority_code or "",
        "statuses": [s.value for s in Status],
        "areas": _areas(request),
    }
    return render(request, "casereviews/list.html", ctx, partial="casereviews/_rows.html")


def _application(f: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {k: f[k] for k in ApplicationIn.model_fields if f.get(k)}
    data.pop("other_reports", None)
    refs = [
        {
            "reference": f.get(f"report_{n}_reference"),
            "agency": f.get(f"report_{n}_agency"),
            "occurred_on": f.get(f"report_{n}_occurred_on"),
            "reported_on": f.get(f"report_{n}_reported_on"),
            "hate_motivated": f.get(f"report_{n}_hate") == "yes",
        }
        for n in range(1, 4)
        if f.get(f"report_{n}_reference")
    ]
    if refs:
        data["other_reports"] = refs
    return data


def _new_page(
    request: Request, values: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> Response:
    ctx = {"v": values, "errors": errors, "areas": _areas(request)}
    return render(request, "casereviews/new.html", ctx, status_code=status_code)


@router.get("/case-reviews/new")
def new_page(
    request: Request, actor: Actor = require_action(Action.CASE_REVIEW_CREATE)
) -> Response:
    return _new_page(request, {"received_on": dt.date.today().isoformat()}, {})


@router.post("/case-reviews")
async def apply_form(
    request: Request, session: DbSession, actor: Actor = require_action(Action.CASE_REVIEW_CREATE)
) -> Response:
    f = await _form(request)
    try:
        body = parse(ApplicationIn, _application(f))
        out = service.apply(session, actor=actor, application=body, rules=rules_of(request))
    except InvalidInput as exc:
        return _new_page(request, f, _anchors(exc.fields), status_code=422)
    return RedirectResponse(f"/case-reviews/{out.id}", status_code=303)


def _anchors(fields: dict[str, str]) -> dict[str, str]:
    """Field names as the form's element ids (``other_reports.0.reported_on`` ->
    ``report_1_reported_on``), so the error summary links to the field."""
    out = {}
    for k, v in fields.items():
        parts = k.split(".")
        if parts[0] == "other_reports" and len(parts) > 2 and parts[1].isdigit():
            k = f"report_{int(parts[1]) + 1}_{parts[2]}"
        elif parts[0] == "other_reports" and len(parts) == 2 and parts[1].isdigit():
            k = f"report_{int(parts[1]) + 1}_reference"
        out[k.split(".")[0] if not k.startswith("report_") else k] = v
    return out


def _detail(
    request: Request,
    session: Session,
    actor: Actor,
    case_review_id: int,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    cr = service.get(session, actor=actor, case_review_id=case_review_id, rules=rules_of(request))
    ctx = {
        "cr": cr,
        "errors": errors or {},
        "v": values or {},
        "today": dt.date.today().isoformat(),
    }
    return render(request, "casereviews/detail.html", ctx, status_code=status_code)


@router.get("/case-reviews/table")
def table_page(
    request: Request,
    session: DbSession,
    start: Annotated[dt.date | None, Query(alias="from")] = None,
    end: Annotated[dt.date | None, Query(alias="to")] = None,
    actor: Actor = require_action(Action.CASE_REVIEW_TABLE),
) -> Response:
    first, last = _year(start, end)
    errors: dict[str, str] = {}
    table = None
    try:
        table = queries.year_table(
            session, actor=actor, start=first, end=last, rules=rules_of(request)
        )
    except InvalidInput as exc:
        errors = {"to" if k == "--to" else k: v for k, v in exc.fields.items()}
    ctx = {"table": table, "start": first, "end": last, "errors": errors}
    return render(request, "casereviews/table.html", ctx, status_code=422 if errors else 200)


@router.get("/case-reviews/{case_review_id}")
def detail_page(
    request: Request,
    session: DbSession,
    case_review_id: Id,
    actor: Actor = require_action(Action.CASE_REVIEW_VIEW),
) -> Response:
    return _detail(request, session, actor, case_review_id)


def _step_body(step: str, f: dict[str, str]) -> dict[str, Any]:
    """A step's form as its API body: check boxes as booleans, blanks left out."""
    flags = {"independent_chair", "victim_attended", "upheld"}
    body: dict[str, Any] = {k: v for k, v in f.items() if v and k != "csrf_token"}
    for k in flags & set(body):
        body[k] = body[k] == "yes"
    if step == "decision":
        discretion = {
            k: True
            for k in ("persistence", "harm", "adequacy_of_response")
            if body.pop(k, None) == "yes"
        }
        if discretion:
            body["discretion"] = discretion
        met = body.pop("met", "rules")
        body["met"] = {"yes": True, "no": False}.get(met)
    if step == "handling-review-decision":
        body["upheld"] = f.get("upheld") == "yes"
    if step == "review":
        recs = []
        for n in range(1, 4):
            text = body.pop(f"rec_{n}_text", None)
            owner = {k: body.pop(f"rec_{n}_{k}", None) for k in ("owner_agency", "owner_name")}
            due = body.pop(f"rec_{n}_due_on", None)
            if text or any(owner.values()) or due:
                recs.append({"text": text, **owner, "due_on": due})
        body["recommendations"] = recs
    return body


def _error_id(step: str, field: str) -> str:
    """The id of the element a step's error is about (``recommendations.0.due_on`` is the
    first recommendation's ``rec_1_due_on``)."""
    parts = field.split(".")
    if parts[0] == "recommendations" and len(parts) > 2 and parts[1].isdigit():
        return f"rec_{int(parts[1]) + 1}_{parts[2]}"
    return f"{step}-{parts[0]}"


@router.post("/case-reviews/{case_review_id}/{step}")
async def step_form(
    request: Request,
    session: DbSession,
    case_review_id: Id,
    step: str,
    actor: Actor = require_action(Action.CASE_REVIEW_DECIDE),
) -> Response:
    if step not in STEPS:
        raise NotFound(f"no step {step!r}")
    f = await _form(request)
    try:
        _step(session, request, actor, case_review_id, step, _step_body(step, f))
    except InvalidInput as exc:
        errors = {_error_id(step, k): v for k, v in exc.fields.items()}
        return _detail(request, session, actor, case_review_id, errors, f, status_code=422)
    return RedirectResponse(f"/case-reviews/{case_review_id}", status_code=303)
