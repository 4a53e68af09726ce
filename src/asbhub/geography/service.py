"""Load the shipped reference geography and answer "where is this point" questions fast.

The files under ``asbhub/data/<force>/`` are the force's boundaries (WGS84 GeoJSON) and its
district table. Lookups are vectorised: one STRtree query for a whole array of points.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Transformer
from sqlalchemy import select
from sqlalchemy.orm import Session

from asbhub.errors import NotFound
from asbhub.geography.models import Area, AreaLevel, AreaPopulation

FloatArray = npt.NDArray[np.float64]

# data.police.uk force slugs and the names its files carry in "Reported by" / "Falls within".
FORCE_NAMES: dict[str, str] = {
    "essex": "Essex Police",
    "kent": "Kent Police",
    "hertfordshire": "Hertfordshire Constabulary",
    "staffordshire": "Staffordshire Police",
    "avon-and-somerset": "Avon and Somerset Constabulary",
    "hampshire": "Hampshire Constabulary",
    "sussex": "Sussex Police",
    "thames-valley": "Thames Valley Police",
}
FORCE_BY_NAME: dict[str, str] = {v: k for k, v in FORCE_NAMES.items()}

# Forces whose boundaries asbhub ships (folder under asbhub/data).
SHIPPED_FORCES = {"essex": "essex"}

# Rough bounding box of the United Kingdom in WGS84; anything outside is a bad coordinate.
UK_LON = (-8.7, 1.9)
UK_LAT = (49.8, 60.9)
# LSOA boundaries were redrawn with the 2021 census; data from 2022 on uses the new codes.
LSOA_2021_FROM = dt.datetime(2022, 1, 1)

_TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
_FROM_BNG = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def data_dir(force_code: str) -> Traversable:
    if force_code not in SHIPPED_FORCES:
        raise NotFound(f"no reference geography is shipped for force {force_code!r}")
    return resources.files("asbhub") / "data" / SHIPPED_FORCES[force_code]


def to_bng(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS84 longitude/latitude to British National Grid easting/northing in metres."""
    x, y = _TO_BNG.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def from_bng(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    lon, lat = _FROM_BNG.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def _features(path: Traversable) -> list[dict[str, Any]]:
    with path.open("r", encoding="utf-8") as fh:
        features: list[dict[str, Any]] = json.load(fh)["features"]
    return features


@dataclass(frozen=True)
class District:
    local_authority_code: str
    local_authority_name: str
    policing_district: str
    local_policing_area: str


@dataclass
class Located:
    """Per-point results of :meth:`ForceGeography.locate`; ``None`` where a point is outside."""

    local_authority_code: list[str | None]
    district: list[str | None]
    lsoa_code: list[str | None]


class ForceGeography:
    """A force's boundaries held in memory with spatial indexes."""

    def __init__(self, force_code: str) -> None:
        self.force_code = force_code
        base = data_dir(force_code)
        with (base / "districts.csv").open("r", encoding="utf-8") as fh:
            self.districts = [District(**row) for row in csv.DictReader(fh)]
        self.district_of_la = {d.local_authority_code: d.policing_district for d in self.districts}
        la = _features(base / "local_authorities.geojson")
        self.la_codes = np.array(
            [f["properties"]["local_authority_code"] for f in la], dtype=object
        )
        self.la_geoms = np.array([shapely.geometry.shape(f["geometry"]) for f in la])
        self.la_tree = shapely.STRtree(self.la_geoms)
        self.lsoa: dict[int, tuple[np.ndarray, shapely.STRtree, list[dict[str, Any]]]] = {}
        for vintage in (2011, 2021):
            feats = _features(base / f"lsoa_{vintage}.geojson")
            geoms = np.array([shapely.geometry.shape(f["geometry"]) for f in feats])
            codes = np.array([f["properties"]["lsoa_code"] for f in feats], dtype=object)
            self.lsoa[vintage] = (codes, shapely.STRtree(geoms), feats)
        force = _features(base / "force_area.geojson")[0]
        self.force_area = shapely.geometry.shape(force["geometry"])
        self.force_name: str = force["properties"]["force_name"]
        self.force_area_code: str = force["properties"]["police_force_area_code"]

    @staticmethod
    def _first_hit(tree: shapely.STRtree, codes: np.ndarray, points: np.ndarray) -> np.ndarray:
        out = np.full(len(points), None, dtype=object)
        ok = ~shapely.is_missing(points)
        if not ok.any():
            return out
        idx = np.flatnonzero(ok)
        hits = tree.query(points[idx], predicate="intersects")
        # A point on a shared edge hits two polygons; keep the first so the answer is stable.
        first_input, first_pos = np.unique(hits[0], return_index=True)
        out[idx[first_input]] = codes[hits[1][first_pos]]
        return out

    def points(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> np.ndarray:
        lon_a = np.asarray(lon, dtype=float)
        lat_a = np.asarray(lat, dtype=float)
        pts = shapely.points(lon_a, lat_a)
        pts[np.isnan(lon_a) | np.isnan(lat_a)] = None
        return pts

    def locate(
        self, lon: npt.ArrayLike, lat: npt.ArrayLike, *, lsoa_vintage: int = 2021
    ) -> Located:
        """Local authority, policing district and LSOA of each point (vectorised)."""
        pts = self.points(lon, lat)
        la = self._first_hit(self.la_tree, self.la_codes, pts)
        codes, tree, _ = self.lsoa[lsoa_vintage]
        lsoa = self._first_hit(tree, codes, pts)
        district = [self.district_of_la.get(c) if c is not None else None for c in la]
        return Located(local_authority_code=list(la), district=district, lsoa_code=list(lsoa))


@lru_cache(maxsize=8)
def towns(force_code: str) -> dict[str, str]:
    """Main towns of the force area (lower-case name -> local authority code), for search."""
    with (data_dir(force_code) / "towns.csv").open("r", encoding="utf-8") as fh:
        return {r["town"].lower(): r["local_authority_code"] for r in csv.DictReader(fh)}


def areas_named(force_code: str, text: str) -> frozenset[str]:
    """Local authority codes whose council, policing district or a town in it contains
    ``text`` ("Chelmsford" -> Chelmsford; "Grays" -> Thurrock; "maldon" -> Maldon)."""
    t = text.strip().lower()
    found = {
        d.local_authority_code
        for d in council_areas(force_code)
        if t in d.local_authority_name.lower() or t in d.policing_district.lower()
    }
    found |= {code for town, code in towns(force_code).items() if t in town}
    return frozenset(found)


@lru_cache(maxsize=8)
def council_areas(force_code: str) -> tuple[District, ...]:
    """The force's council areas (local authorities) with their policing districts, by name;
    read without the boundaries, for choices such as "which area is it in?"."""
    with (data_dir(force_code) / "districts.csv").open("r", encoding="utf-8") as fh:
        rows = [District(**row) for row in csv.DictReader(fh)]
    return tuple(sorted(rows, key=lambda d: d.local_authority_name))


@lru_cache(maxsize=8)
def geography(force_code: str) -> ForceGeography:
    """The cached geography of a force whose boundaries are shipped."""
    return ForceGeography(force_code)


def load_reference(session: Session, force_code: str) -> int:
    """Store the force's area hierarchy and populations; a second call adds nothing.

    Returns the number of areas inserted.
    """
    exists = session.scalar(
        select(Area.id).where(Area.force_code == force_code, Area.level == AreaLevel.FORCE)
    )
    if exists is not None:
        return 0
    geo = geography(force_code)
    force = Area(
        force_code=force_code,
        level=AreaLevel.FORCE,
        code=geo.force_area_code,
        name=geo.force_name,
        geometry=json.dumps(shapely.geometry.mapping(geo.force_area)),
    )
    session.add(force)
    added = 1
    lpas: dict[str, Area] = {}
    districts: dict[str, Area] = {}
    las: dict[str, Area] = {}
    la_geom = dict(zip(geo.la_codes, geo.la_geoms, strict=True))
    for d in geo.districts:
        if d.local_policing_area not in lpas:
            lpas[d.local_policing_area] = Area(
                force_code=force_code,
                level=AreaLevel.LPA,
                code=d.local_policing_area,
                name=d.local_policing_area,
                parent=force,
            )
            added += 1
        if d.policing_district not in districts:
            districts[d.policing_district] = Area(
                force_code=force_code,
                level=AreaLevel.DISTRICT,
                code=d.policing_district,
                name=d.policing_district,
                parent=lpas[d.local_policing_area],
            )
            added += 1
        las[d.local_authority_code] = Area(
            force_code=force_code,
            level=AreaLevel.LOCAL_AUTHORITY,
            code=d.local_authority_code,
            name=d.local_authority_name,
            parent=districts[d.policing_district],
            geometry=json.dumps(shapely.geometry.mapping(la_geom[d.local_authority_code])),
        )
        added += 1
    session.add_all([*lpas.values(), *districts.values(), *las.values()])
    lsoas: dict[tuple[str, int], Area] = {}
    for vintage, (_, _, feats) in geo.lsoa.items():
        for f in feats:
            p = f["properties"]
            area = Area(
                force_code=force_code,
                level=AreaLevel.LSOA,
                code=p["lsoa_code"],
                name=p["lsoa_name"],
                vintage=vintage,
                parent=las[p["local_authority_code"]],
                geometry=json.dumps(f["geometry"]),
            )
            lsoas[(p["lsoa_code"], vintage)] = area
            added += 1
    session.add_all(lsoas.values())
    session.flush()
    # Each population file names its areas by a different key; LSOA figures are 2011 vintage.
    sources: list[tuple[str, Callable[[dict[str, str]], Area | None]]] = [
        ("local_authority_population.csv", lambda r: las.get(r["local_authority_code"])),
        (
            "force_population.csv",
            lambda r: force if r["force_code"] == geo.force_area_code else None,
        ),
        ("lsoa_population_essex.csv", lambda r: lsoas.get((r["lsoa_code"], 2011))),
    ]
    pop_dir = resources.files("asbhub") / "data" / "population"
    pops: list[AreaPopulation] = []
    for filename, area_of in sources:
        with (pop_dir / filename).open("r", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                found = area_of(row)
                if found is not None:
                    pops.append(
                        AreaPopulation(
                            force_code=force_code,
                            area_id=found.id,
                            year=int(row["year"]),
                            population=int(row["population"]),
                        )
                    )
    session.add_all(pops)
    session.flush()
    return added


@dataclass(frozen=True)
class Placed:
    """Grid reference (NaN where unmapped) and areas (``None`` where unknown) of points."""

    x_bng: FloatArray
    y_bng: FloatArray
    lsoa_code: npt.NDArray[np.object_]
    district: npt.NDArray[np.object_]
    local_authority_code: npt.NDArray[np.object_]


def floats(values: Sequence[float | None] | npt.ArrayLike) -> FloatArray:
    """A float array with NaN for ``None``."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        return values.astype(float, copy=False)
    return np.array([np.nan if v is None else v for v in values], np.float64)  # type: ignore[union-attr]


def place_points(
    force_code: str,
    lon: Sequence[float | None] | npt.ArrayLike,
    lat: Sequence[float | None] | npt.ArrayLike,
    received_at: npt.ArrayLike,
) -> Placed:
    """BNG x/y, LSOA (of the vintage in force when each was received), district and local
    authority of each point, in one vectorised pass; areas only for shipped forces."""
    lons, lats = floats(lon), floats(lat)
    n = len(lons)
    x, y = to_bng(lons, lats) if n else (np.zeros(0), np.zeros(0))
    # pyproj projects a missing point to infinity; an unmapped point has no grid reference.
    x[~np.isfinite(x)] = np.nan
    y[~np.isfinite(y)] = np.nan
    lsoa = np.full(n, None, dtype=object)
    district = np.full(n, None, dtype=object)
    la = np.full(n, None, dtype=object)
    if force_code in SHIPPED_FORCES and n:
        geo = geography(force_code)
        when = np.asarray(received_at, dtype="datetime64[us]")
        new = when >= np.datetime64(LSOA_2021_FROM, "us")
        mapped = ~np.isnan(lons)
        for vintage, mask in ((2021, new & mapped), (2011, ~new & mapped)):
            idx = np.flatnonzero(mask)
            if not len(idx):
                continue
            where = geo.locate(lons[idx], lats[idx], lsoa_vintage=vintage)
            lsoa[idx] = np.array(where.lsoa_code, dtype=object)
            district[idx] = np.array(where.district, dtype=object)
            la[idx] = np.array(where.local_authority_code, dtype=object)
    return Placed(np.asarray(x, float), np.asarray(y, float), lsoa, district, la)
