"""What the app asks of hotspots: next month's map for a force, and district outlines.

Reads the store (data.police.uk ASB rows), predicts with the shipped method and keeps the
result in memory per (database, force, month, method, row count), since a prediction only
changes when new months are ingested.
"""

from __future__ import annotations

import json
import threading
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
from asbhub.hotspots.patrol import district_names, plan_figure, render
from asbhub.hotspots.predict import Prediction, predict, to_geojson
from asbhub.permissions import Action, Actor, require

SHIPPED_METHOD = "naive"  # nothing beat it on the reported months (docs/hotspots.md)
SHIPPED_K = 6
MAP_COVERAGE = 1.0

# A prediction and its gridded events take tens of MB: keep the few most recently used.
_cache: LRUCache[tuple[str, str, int, str, int], tuple[Prediction, GridEvents]] = LRUCache(
    maxsize=8
)
_lock = threading.Lock()


@dataclass
class HotspotMap:
    prediction: Prediction
    data: GridEvents
    latest_month: int


def hotspot_map(
    engine: Engine, *, actor: Actor, month: str | None = None, method: str = SHIPPED_METHOD
) -> HotspotMap:
    """Prediction for the actor's force for ``month`` (default: the month after the latest
    month in the store). Aggregate cells of public records: see ``permissions.py`` for who."""
    require(actor, Action.HOTSPOT_MAP_VIEW)
    force = actor.force_code
    if method not in REGISTRY:
        raise InvalidInput(f"unknown method {method!r}")
    events = load_public_records(engine, force)
    latest = int(events.months.max())
    target = month_index(month) if month else latest + 1
    key = (str(engine.url), force, target, method, len(events.frame))
    with _lock:
        hit = _cache.get(key)
    if hit is None:
        data = GridEvents(events, force_grid(force, 250))
        pred = predict(data, REGISTRY[method](), target, k=SHIPPED_K, coverage=MAP_COVERAGE)
        hit = (pred, data)
        with _lock:
            _cache[key] = hit
    return HotspotMap(prediction=hit[0], data=hit[1], latest_month=latest)


def known_district(force: str, district: str | None) -> str | None:
    """``district`` if it is one of the force's policing districts, else ``None``."""
    return district if district in district_names(force) else None


@dataclass
class MapView:
    """What the hotspot page shows: next month's cells, optionally for one district."""

    month: str
    latest: str
    meta: dict[str, Any]
    districts: list[str]
    district: str | None
    top: list[dict[str, Any]]
    flagged: int
    cells_geojson: dict[str, Any]


def map_view(
    engine: Engine, *, actor: Actor, district: str | None = None, month: str | None = None
) -> MapView:
    """The hotspot page's figures; an unknown district shows the whole force."""
    m = hotspot_map(engine, actor=actor, month=month)
    force = actor.force_code
    chosen = known_district(force, district)
    cells = m.prediction.cells
    gj: dict[str, Any] = to_geojson(m.prediction)
    if chosen:
        cells = cells[cells["district"] == chosen]
        gj["features"] = [f for f in gj["features"] if f["properties"]["district"] == chosen]
    return MapView(
        month=month_label(m.prediction.month),
        latest=month_label(m.latest_month),
        meta=m.prediction.metadata(),
        districts=district_names(force),
        district=chosen,
        top=[{str(k): v for k, v in r.items()} for r in cells.head(20).to_dict(orient="records")],
        flagged=len(cells),
        cells_geojson=gj,
    )


@dataclass(frozen=True)
class PatrolPlan:
    body: bytes
    media_type: str
    filename: str


def patrol_plan(
    engine: Engine, *, actor: Actor, district: str, month: str | None, cells: int, fmt: str
) -> PatrolPlan:
    """One district's one-page patrol plan as PDF or SVG; :class:`NotFound` for a district
    the force does not have."""
    require(actor, Action.HOTSPOT_MAP_VIEW)
    force = actor.force_code
    chosen = known_district(force, district)
    if chosen is None:
        raise NotFound(f"unknown district {district[:80]!r}")
    m = hotspot_map(engine, actor=actor, month=month)
    body = render(plan_figure(force, m.prediction, chosen, cells), fmt)
    media = "application/pdf" if fmt == "pdf" else "image/svg+xml"
    name = f"patrol-{month_label(m.prediction.month)}-{chosen}.{fmt}".replace(" ", "_")
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
