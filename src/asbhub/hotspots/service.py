"""What the app asks of hotspots: next month's map for a force, and district outlines.

Reads the store (data.police.uk ASB rows), predicts with the shipped method and keeps the
result in memory per (database, force, month, method, row count), since a prediction only
changes when new months are ingested.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import shapely
from cachetools import LRUCache
from sqlalchemy import Engine

from asbhub.errors import InvalidInput, NotFound
from asbhub.geography.service import geography
from asbhub.hotspots.events import GridEvents, load_public_records, month_index, month_label
from asbhub.hotspots.grid import force_grid
from asbhub.hotspots.methods import REGISTRY
from asbhub.hotspots.patrol import (
    district_cells,
    district_names,
    plan_map,
    plan_pages,
    plan_title,
    render,
)
from asbhub.hotspots.predict import Prediction, predict, to_geojson
from asbhub.permissions import Action, Actor, require

SHIPPED_METHOD = "naive"  # nothing beat it on the reported months (docs/hotspots.md)
SHIPPED_K = 6
SHIPPED_GAP = 1
MAP_COVERAGE = 1.0
PAGE_SIZE = 20  # flagged places per page of the hotspot page's table

# A prediction and its gridded events take tens of MB: keep the few most recently used.
_cache: LRUCache[tuple[str, str, int, str, int], tuple[Prediction, GridEvents]] = LRUCache(
    maxsize=8
)
_lock = threading.Lock()


@dataclass
class HotspotMap:
    prediction: Prediction
    data: GridEvents
    first_month: int  # the store's first and last months of data.police.uk records
    latest_month: int
    months: list[int]  # every month that can be predicted from them


def predictable_months(
    have: Iterable[int], k: int = SHIPPED_K, gap: int = SHIPPED_GAP
) -> list[int]:
    """Months whose whole training window (the ``k`` months ending ``gap`` before) has data."""
    months = {int(m) for m in have}
    if not months:
        return []
    targets = range(min(months) + gap + k - 1, max(months) + gap + 1)
    return [t for t in targets if all(t - gap - j in months for j in range(k))]


def _refused(month: str, months: list[int], first: int, latest: int) -> InvalidInput:
    """Why ``month`` has no prediction, in words a user can act on."""
    span = f"{month_label(first)} to {month_label(latest)}"
    asked = month_label(month_index(month))
    choose = (
        f"There is no prediction for {asked}: choose a month from {month_label(months[0])} "
        f"to {month_label(months[-1])}"
    )
    if month_index(month) > months[-1]:
        why = f"the records in the store end in {month_label(latest)}"
    else:
        why = f"a prediction needs the {SHIPPED_K} months of records before it"
    return InvalidInput(
        f"There is no prediction for {asked}: {why} (records from {span}).",
        {"month": f"{choose}."},
    )


def hotspot_map(
    engine: Engine, *, actor: Actor, month: str | None = None, method: str = SHIPPED_METHOD
) -> HotspotMap:
    """Prediction for the actor's force for ``month`` (default: the newest month the records
    allow, the month after the latest in the store). Aggregate cells of public records: see
    ``permissions.py`` for who. A month that is not YYYY-MM, or whose training months are not
    all in the store, is refused with :class:`InvalidInput` saying which months can be
    predicted (field ``month``)."""
    require(actor, Action.HOTSPOT_MAP_VIEW)
    force = actor.force_code
    if method not in REGISTRY:
        raise InvalidInput(f"unknown method {method!r}")
    if month:
        try:
            month_index(month)
        except InvalidInput:
            raise InvalidInput(
                f"{month[:20]!r} is not a month.",
                {"month": "Enter the month as year and month, for example 2026-01."},
            ) from None
    events = load_public_records(engine, force)
    first, latest = int(events.months.min()), int(events.months.max())
    months = predictable_months(events.months)
    if not months:
        raise InvalidInput(
            f"No month can be predicted yet: a prediction needs {SHIPPED_K} months of records "
            f"in a row, and the store holds {month_label(first)} to {month_label(latest)} "
            f"({len(events.months)} months).",
            {"records": "Load more months with `asbhub ingest police-uk`."},
        )
    # By default the newest month the records allow: the month after the last one.
    target = month_index(month) if month else months[-1]
    if target not in months:
        raise _refused(str(month), months, first, latest)
    key = (str(engine.url), force, target, method, len(events.frame))
    with _lock:
        hit = _cache.get(key)
    if hit is None:
        data = GridEvents(events, force_grid(force, 250))
        pred = predict(data, REGISTRY[method](), target, k=SHIPPED_K, coverage=MAP_COVERAGE)
        hit = (pred, data)
        with _lock:
            _cache[key] = hit
    return HotspotMap(hit[0], hit[1], first_month=first, latest_month=latest, months=months)


def known_district(force: str, district: str | None) -> str | None:
    """``district`` if it is one of the force's policing districts, else ``None``."""
    return district if district in district_names(force) else None


@dataclass
class Paging:
    """One page of a ranked list: ``number`` of ``pages``, ranks ``first`` to ``last``."""

    number: int
    pages: int
    first: int
    last: int
    total: int


def _page(total: int, page: int, size: int) -> Paging:
    pages = max(1, -(-total // size))
    number = min(max(1, page), pages)
    first = (number - 1) * size
    return Paging(number, pages, first + 1 if total else 0, min(first + size, total), total)


@dataclass
class MapView:
    """What the hotspot page shows: a month's cells, optionally for one district."""

    month: str  # the predicted month
    data_from: str  # the store's first and last months of records
    data_to: str
    train_from: str  # the months the prediction was made from
    train_to: str
    stale: bool  # the predicted month is already over (the store needs newer records)
    months: list[str]  # the months that can be chosen
    meta: dict[str, Any]
    districts: list[str]
    district: str | None
    places: list[dict[str, Any]]  # this page of the flagged places, in rank order
    paging: Paging
    flagged: int
    cells_geojson: dict[str, Any]


def map_view(
    engine: Engine,
    *,
    actor: Actor,
    district: str | None = None,
    month: str | None = None,
    page: int = 1,
    today: dt.date | None = None,
) -> MapView:
    """The hotspot page's figures; an unknown district shows the whole force. ``today``
    decides whether the predicted month is already over."""
    m = hotspot_map(engine, actor=actor, month=month)
    force = actor.force_code
    chosen = known_district(force, district)
    cells = m.prediction.cells
    gj: dict[str, Any] = to_geojson(m.prediction)
    if chosen:
        cells = cells[cells["district"] == chosen]
        gj["features"] = [f for f in gj["features"] if f["properties"]["district"] == chosen]
    paging = _page(len(cells), page, PAGE_SIZE)
    rows = cells.iloc[paging.first - 1 : paging.last] if len(cells) else cells
    target = m.prediction.month
    return MapView(
        month=month_label(target),
        data_from=month_label(m.first_month),
        data_to=month_label(m.latest_month),
        train_from=month_label(target - SHIPPED_GAP - SHIPPED_K + 1),
        train_to=month_label(target - SHIPPED_GAP),
        stale=today is not None and target < month_index(today),
        months=[month_label(t) for t in m.months],
        meta=m.prediction.metadata(),
        districts=district_names(force),
        district=chosen,
        places=[{str(k): v for k, v in r.items()} for r in rows.to_dict(orient="records")],
        paging=paging,
        flagged=len(cells),
        cells_geojson=gj,
    )


@dataclass(frozen=True)
class PatrolPlan:
    body: bytes
    media_type: str
    filename: str


@dataclass
class PatrolView:
    """The patrol plan as the app shows it: the same places and figures as its PDF."""

    district: str
    month: str
    data_to: str  # the store's last month of records
    months: list[str]  # the months that can be chosen
    cells: int
    meta: dict[str, Any]
    places: list[dict[str, Any]]  # every place of the plan, ranked within the district


def _plan_for(
    engine: Engine, actor: Actor, district: str, month: str | None
) -> tuple[str, HotspotMap]:
    require(actor, Action.HOTSPOT_MAP_VIEW)
    chosen = known_district(actor.force_code, district)
    if chosen is None:
        raise NotFound(f"unknown district {district[:80]!r}")
    return chosen, hotspot_map(engine, actor=actor, month=month)


def patrol_view(
    engine: Engine, *, actor: Actor, district: str, month: str | None, cells: int
) -> PatrolView:
    """One district's patrol plan for the screen; :class:`NotFound` for a district the force
    does not have."""
    chosen, m = _plan_for(engine, actor, district, month)
    df = district_cells(m.prediction, chosen, cells)
    return PatrolView(
        district=chosen,
        month=month_label(m.prediction.month),
        data_to=month_label(m.latest_month),
        months=[month_label(t) for t in m.months],
        cells=cells,
        meta=m.prediction.metadata(),
        places=[{str(k): v for k, v in r.items()} for r in df.to_dict(orient="records")],
    )


def patrol_plan(
    engine: Engine, *, actor: Actor, district: str, month: str | None, cells: int, fmt: str
) -> PatrolPlan:
    """One district's patrol plan as PDF (every place, as many A4 pages as needed) or its map
    as SVG; :class:`NotFound` for a district the force does not have."""
    chosen, m = _plan_for(engine, actor, district, month)
    force = actor.force_code
    pred = m.prediction
    title = plan_title(chosen, pred.month)
    if fmt == "pdf":
        pages = plan_pages(force, pred, chosen, cells, latest=m.latest_month)
        body = render(pages, fmt, title=title)
    else:
        body = render(plan_map(force, pred, chosen, cells), fmt, title=f"Map of the {title}")
    media = "application/pdf" if fmt == "pdf" else "image/svg+xml"
    name = f"patrol-{month_label(pred.month)}-{chosen}.{fmt}".replace(" ", "_")
    return PatrolPlan(body, media, name)


def outlines(*, actor: Actor, district: str | None = None) -> dict[str, Any]:
    """District outlines (WGS84, simplified) and, for one district, its LSOA outlines."""
    require(actor, Action.HOTSPOT_MAP_VIEW)
    force = actor.force_code
    district = known_district(force, district)
    geo = geography(force)
    by_district: dict[str, list[shapely.Geometry]] = {}
    for code, geom in zip(geo.la_codes, geo.la_geoms, strict=True):
        by_district.setdefault(geo.district_of_la[code], []).append(geom)
    feats = [
        {
            "type": "Feature",
            "properties": {"kind": "district", "name": name},
            "geometry": shapely.geometry.mapping(
                shapely.union_all(geoms).simplify(0.0005, preserve_topology=True)
            ),
        }
        for name, geoms in sorted(by_district.items())
    ]
    if district:
        las = {d.local_authority_code for d in geo.districts if d.policing_district == district}
        for f in geo.lsoa[2021][2]:
            if f["properties"]["local_authority_code"] in las:
                feats.append(
                    {
                        "type": "Feature",
                        "properties": {"kind": "lsoa", "name": f["properties"]["lsoa_code"]},
                        "geometry": f["geometry"],
                    }
                )
    return json.loads(json.dumps({"type": "FeatureCollection", "features": feats}))
