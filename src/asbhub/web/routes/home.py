"""The signed-in dashboard: the board's figures for a chosen 12 months and area."""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from asbhub.analytics import service
from asbhub.permissions import Action, Actor
from asbhub.web.deps import DbSession, require_action
from asbhub.web.templating import render

router = APIRouter(include_in_schema=False)

PeriodQuery = Annotated[
    str | None, Query(description="The month the 12 months end in, YYYY-MM (default: the data)")
]
AreaQuery = Annotated[str | None, Query(description="level:code, e.g. policing_district:Thurrock")]


@router.get("/")
def dashboard(
    request: Request,
    session: DbSession,
    period: PeriodQuery = None,
    area: AreaQuery = None,
    actor: Actor = require_action(Action.DASHBOARD_VIEW),
) -> Response:
    data = service.dashboard(session, actor=actor, period=period or None, area_value=area or None)
    chart = None
    if data.get("period"):
        m = data["monthly"]
        chart = {
            "labels": m["months"],
            "datasets": [{"label": d, "data": m["counts"][d]} for d in m["districts"]],
        }
    return render(request, "home.html", {"data": data, "chart": chart})


@router.get("/dashboard/{table}.csv")
def dashboard_csv(
    table: str,
    session: DbSession,
    period: PeriodQuery = None,
    area: AreaQuery = None,
    actor: Actor = require_action(Action.DASHBOARD_VIEW),
) -> Response:
    data = service.dashboard(session, actor=actor, period=period or None, area_value=area or None)
    header, rows = service.table_rows(data, table)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    name = f"asbhub-{table}-{data['period']['key']}.csv"
    return Response(
        buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )
