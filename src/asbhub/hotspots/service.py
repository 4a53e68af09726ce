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
from sqlalchemy import Engine

from asbhub.errors import InvalidInput
from asbhub.geography.service import geography
from asbhub.hotspots.events import GridEvents, load_public_records, month_index
from asbhub.hotspots.grid import force_grid
from asbhub.hotspots.methods import REGISTRY
from asbhub.hotspots.predict import Prediction, predict

SHIPPED_METHOD = "naive"  # nothing beat it on the reported months (docs/hotspots.md)
SHIPPED_K = 6
MAP_COVERAGE = 1.0

_cache: dict[tuple[str, str, int, str, int], tuple[Prediction, GridEvents]] = {}
_lock = threading.Lock()


@dataclass
class HotspotMap:
    prediction: Prediction
    data: GridEvents
    latest_month: int


def hotspot_map(
    engine: Engine, *, force: str, month: str | None = None, method: str = SHIPPED_METHOD
) -> HotspotMap:
    """Prediction for ``month`` (default: the month after the latest month in the store)."""
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


def outlines(force: str, district: str | None = None) -> dict[str, Any]:
    """District outlines (WGS84, simplified) and, for one district, its LSOA outlines."""
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
