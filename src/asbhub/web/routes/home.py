"""The signed-in dashboard."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from asbhub.incidents import service
from asbhub.permissions import Action, Actor
from asbhub.web.deps import DbSession, require_action
from asbhub.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def dashboard(
    request: Request,
    session: DbSession,
    actor: Actor = require_action(Action.DASHBOARD_VIEW),
) -> Response:
    counts = service.monthly_counts(session, actor=actor)
    chart = {
        "labels": counts.months,
        "datasets": [{"label": d, "data": counts.counts[d]} for d in counts.districts],
    }
    return render(request, "home.html", {"counts": counts, "chart": chart})
