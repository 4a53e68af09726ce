"""Hotspot map: next month's predicted cells, the top places with why, a district filter,
and the one-page patrol plan per district (PDF, and the same figure as SVG on screen)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from asbhub.hotspots import service
from asbhub.hotspots.events import month_label
from asbhub.hotspots.patrol import district_names, plan_figure, render
from asbhub.hotspots.predict import to_geojson
from asbhub.permissions import Action, Actor
from asbhub.web.deps import get_engine, require_action
from asbhub.web.templating import render as render_page

router = APIRouter(include_in_schema=False)
Month = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")]
District = Annotated[str | None, Query(max_length=80)]
Cells = Annotated[int, Query(ge=1, le=60)]

# Aggregate cells of public data.police.uk records; who may see them is set in permissions.py.
VIEW = Action.HOTSPOT_MAP_VIEW


def _district(force: str, district: str | None) -> str | None:
    return district if district in district_names(force) else None


@router.get("/hotspots")
def hotspot_page(
    request: Request,
    district: District = None,
    month: Month = None,
    actor: Actor = require_action(VIEW),
) -> Response:
    force = actor.force_code
    m = service.hotspot_map(get_engine(request), force=force, month=month)
    chosen = _district(force, district)
    cells = m.prediction.cells
    if chosen:
        cells = cells[cells["district"] == chosen]
    gj = to_geojson(m.prediction)
    if chosen:
        feats: list[dict[str, Any]] = gj["features"]  # type: ignore[assignment]
        gj["features"] = [f for f in feats if f["properties"]["district"] == chosen]
    ctx = {
        "month": month_label(m.prediction.month),
        "latest": month_label(m.latest_month),
        "meta": m.prediction.metadata(),
        "districts": district_names(force),
        "district": chosen,
        "top": cells.head(20).to_dict(orient="records"),
        "flagged": len(cells),
        "cells_geojson": gj,
    }
    return render_page(request, "hotspots/map.html", ctx)


@router.get("/hotspots/outlines.json")
def hotspot_outlines(district: District = None, actor: Actor = require_action(VIEW)) -> Response:
    return JSONResponse(service.outlines(actor.force_code, _district(actor.force_code, district)))


def _plan(request: Request, actor: Actor, district: str, month: str | None, cells: int,
          fmt: str) -> Response:  # fmt: skip
    force = actor.force_code
    chosen = _district(force, district)
    if chosen is None:
        return Response("unknown district", status_code=404, media_type="text/plain")
    m = service.hotspot_map(get_engine(request), force=force, month=month)
    body = render(plan_figure(force, m.prediction, chosen, cells), fmt)
    media = "application/pdf" if fmt == "pdf" else "image/svg+xml"
    name = f"patrol-{month_label(m.prediction.month)}-{chosen}.{fmt}".replace(" ", "_")
    headers = {"content-disposition": f'inline; filename="{name}"'}
    if fmt == "svg":
        # matplotlib styles every SVG shape with inline style attributes; under the app's
        # style-src 'self' Chromium drops them and paints the whole plan black. This document
        # is our own drawing with no script, so allow inline style and nothing else.
        headers["content-security-policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
        )
    return Response(body, media_type=media, headers=headers)


@router.get("/hotspots/patrol.pdf")
def patrol_pdf(request: Request, district: str, month: Month = None, cells: Cells = 15,
               actor: Actor = require_action(VIEW)) -> Response:  # fmt: skip
    return _plan(request, actor, district, month, cells, "pdf")


@router.get("/hotspots/patrol.svg")
def patrol_svg(request: Request, district: str, month: Month = None, cells: Cells = 15,
               actor: Actor = require_action(VIEW)) -> Response:  # fmt: skip
    return _plan(request, actor, district, month, cells, "svg")
