"""Hotspot map: next month's predicted cells, the top places with why, a district filter,
and the one-page patrol plan per district (PDF, and the same figure as SVG on screen)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from asbhub.hotspots import service
from asbhub.permissions import Action, Actor
from asbhub.web.deps import get_engine, require_action
from asbhub.web.templating import render

router = APIRouter(include_in_schema=False)
Month = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")]
District = Annotated[str | None, Query(max_length=80)]
Cells = Annotated[int, Query(ge=1, le=60)]

# Aggregate cells of public data.police.uk records; who may see them is set in permissions.py.
VIEW = Action.HOTSPOT_MAP_VIEW


@router.get("/hotspots")
def hotspot_page(
    request: Request,
    district: District = None,
    month: Month = None,
    actor: Actor = require_action(VIEW),
) -> Response:
    view = service.map_view(get_engine(request), actor=actor, district=district, month=month)
    return render(request, "hotspots/map.html", asdict(view))


@router.get("/hotspots/outlines.json")
def hotspot_outlines(district: District = None, actor: Actor = require_action(VIEW)) -> Response:
    return JSONResponse(service.outlines(actor=actor, district=district))


def _plan(request: Request, actor: Actor, district: str, month: str | None, cells: int,
          fmt: str) -> Response:  # fmt: skip
    plan = service.patrol_plan(
        get_engine(request), actor=actor, district=district, month=month, cells=cells, fmt=fmt
    )
    headers = {"content-disposition": f'inline; filename="{plan.filename}"'}
    if fmt == "svg":
        # matplotlib styles every SVG shape with inline style attributes; under the app's
        # style-src 'self' Chromium drops them and paints the whole plan black. This document
        # is our own drawing with no script, so allow inline style and nothing else.
        headers["content-security-policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
        )
    return Response(plan.body, media_type=plan.media_type, headers=headers)


@router.get("/hotspots/patrol.pdf")
def patrol_pdf(request: Request, district: str, month: Month = None, cells: Cells = 15,
               actor: Actor = require_action(VIEW)) -> Response:  # fmt: skip
    return _plan(request, actor, district, month, cells, "pdf")


@router.get("/hotspots/patrol.svg")
def patrol_svg(request: Request, district: str, month: Month = None, cells: Cells = 15,
               actor: Actor = require_action(VIEW)) -> Response:  # fmt: skip
    return _plan(request, actor, district, month, cells, "svg")
