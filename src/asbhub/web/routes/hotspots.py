"""Hotspot map: a month's predicted cells, every flagged place with why (paged), a district
filter, and the patrol plan per district (a page of the app, its PDF and its map as SVG)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from asbhub.errors import InvalidInput
from asbhub.hotspots import service
from asbhub.permissions import Action, Actor
from asbhub.web.deps import get_engine, require_action
from asbhub.web.errors import wants_json
from asbhub.web.templating import render

router = APIRouter(include_in_schema=False)
# The month is checked by the service, which can say which months the records allow.
Month = Annotated[str | None, Query(max_length=20)]
District = Annotated[str | None, Query(max_length=80)]
Cells = Annotated[int, Query(ge=1, le=60)]
Page = Annotated[int, Query(ge=1, le=100_000)]

# Aggregate cells of public data.police.uk records; who may see them is set in permissions.py.
VIEW = Action.HOTSPOT_MAP_VIEW


def _page_or_refusal(
    request: Request, template: str, view: Callable[[str | None], Any], month: str | None
) -> Response:
    """Render ``view(month)``; a refused month is explained on the page itself, above
    ``view(None)`` (the newest month), with 422. JSON clients keep the API's error."""
    ctx: dict[str, Any] = {"asked": month, "errors": {}}
    try:
        shown = view(month)
    except InvalidInput as exc:
        if "month" not in exc.fields or wants_json(request):
            raise
        shown = view(None)
        ctx.update(refused=exc.message, errors=exc.fields)
    status = 422 if ctx["errors"] else 200
    return render(request, template, {**asdict(shown), **ctx}, status_code=status)


@router.get("/hotspots")
def hotspot_page(
    request: Request,
    district: District = None,
    month: Month = None,
    page: Page = 1,
    actor: Actor = require_action(VIEW),
) -> Response:
    engine, today = get_engine(request), dt.date.today()
    return _page_or_refusal(
        request,
        "hotspots/map.html",
        lambda m: service.map_view(
            engine, actor=actor, district=district, month=m, page=page, today=today
        ),
        month,
    )


@router.get("/hotspots/outlines.json")
def hotspot_outlines(district: District = None, actor: Actor = require_action(VIEW)) -> Response:
    return JSONResponse(service.outlines(actor=actor, district=district))


@router.get("/hotspots/patrol")
def patrol_page(
    request: Request,
    district: str,
    month: Month = None,
    cells: Cells = 15,
    actor: Actor = require_action(VIEW),
) -> Response:
    """The patrol plan on screen: its map, every place with why, and the PDF to print."""
    engine = get_engine(request)
    return _page_or_refusal(
        request,
        "hotspots/patrol.html",
        lambda m: service.patrol_view(engine, actor=actor, district=district, month=m, cells=cells),
        month,
    )


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
