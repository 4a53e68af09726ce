"""The board report, downloaded as PDF or HTML by those entitled to produce it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from asbhub.permissions import Action, Actor
from asbhub.report.board import build, default_period_end
from asbhub.web.board import render_html, render_pdf
from asbhub.web.deps import DbSession, require_action

router = APIRouter(include_in_schema=False)


@router.get("/reports/board")
def board_report(
    session: DbSession,
    period_end: Annotated[dt.date | None, Query(description="Last day (default: the data)")] = None,
    format: Annotated[Literal["pdf", "html"], Query(description="pdf or html")] = "pdf",
    actor: Actor = require_action(Action.BOARD_REPORT_CREATE),
) -> Response:
    end = period_end or default_period_end(session, actor=actor)
    report = build(session, actor=actor, period_end=end)
    name = f"asbhub-board-report-{end.isoformat()}.{format}"
    headers = {"content-disposition": f'attachment; filename="{name}"'}
    if format == "pdf":
        return Response(render_pdf(report), media_type="application/pdf", headers=headers)
    return Response(render_html(report), media_type="text/html; charset=utf-8", headers=headers)
