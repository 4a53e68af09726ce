"""Fictitious addresses on real streets: the generator's pool of incident locations.

The points come from the shipped slice of real data.police.uk ASB rows (``asb_2025.zip``), so
generated incidents fall where ASB is actually reported. data.police.uk names each snap point
"On or near <street>" or after a point of interest ("Parking Area", "Nightclub"); a street point
gets a public "street" location plus a few residential addresses with made-up house numbers, a
point of interest gets one location of its premises type.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from asbhub.geography.service import from_bng, geography, to_bng

SLICE = "asb_2025.zip"

# data.police.uk's points of interest and the premises type each stands for.
POINTS_OF_INTEREST: dict[str, str] = {
    "Parking Area": "street",
    "Supermarket": "commercial",
    "Shopping Area": "commercial",
    "Sports/Recreation Area": "open_space",
    "Petrol Station": "commercial",
    "Nightclub": "licensed",
    "Park/Open Space": "open_space",
    "Airport/Airfield": "transport",
    "Hospital": "other",
    "Police Station": "other",
    "Bus/Coach Station": "transport",
    "Conference/Exhibition Centre": "commercial",
    "Further/Higher Educational Building": "education",
    "Theatre/Concert Hall": "licensed",
    "Ferry Terminal": "transport",
    "Train Station": "transport",
    "Pedestrian Subway": "street",
    "Prison": "other",
    "Sports Ground": "open_space",
    "Hotel": "commercial",
    "Cinema": "licensed",
    "Pub/Bar": "licensed",
    "Church": "other",
    "Mosque": "other",
    "Cemetery": "open_space",
    "Beach": "open_space",
    "Marina": "open_space",
}
RESIDENTIAL = ("residential", "social_housing")


@dataclass
class Places:
    """Parallel arrays, one entry per location; ``weight`` is the draw weight (heavy-tailed)."""

    address: np.ndarray
    street: np.ndarray  # the real street name, or "the <place> near <street>", for narratives
    premises_type: np.ndarray
    residential: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    lsoa_code: np.ndarray
    district: np.ndarray
    la_code: np.ndarray
    weight: np.ndarray

    def __len__(self) -> int:
        return len(self.address)


@lru_cache(maxsize=2)
def slice_points(force_code: str = "essex") -> pd.DataFrame:
    """Distinct (lon, lat, place) points of the shipped ASB slice with their row counts."""
    path = resources.files("asbhub") / "data" / force_code / SLICE
    frames = []
    with path.open("rb") as fh, zipfile.ZipFile(io.BytesIO(fh.read())) as zf:
        for name in sorted(zf.namelist()):
            text = zf.read(name).decode("utf-8")
            frames.append(
                pd.DataFrame(
                    list(csv.DictReader(io.StringIO(text))),
                    columns=["Longitude", "Latitude", "Location"],
                )
            )
    df = pd.concat(frames, ignore_index=True)
    df = df[(df["Longitude"] != "") & (df["Latitude"] != "")]
    df = df.assign(
        lon=df["Longitude"].astype(float),
        lat=df["Latitude"].astype(float),
        place=df["Location"].str.removeprefix("On or near ").str.strip(),
    )
    pts = df.groupby(["lon", "lat", "place"], as_index=False).size()
    return pts.rename(columns={"size": "rows"})


def _la_population(force_code: str, year: int = 2018) -> dict[str, int]:
    path = resources.files("asbhub") / "data" / "population" / "local_authority_population.csv"
    with path.open("r", encoding="utf-8") as fh:
        return {
            r["local_authority_code"]: int(r["population"])
            for r in csv.DictReader(fh)
            if int(r["year"]) == year
        }


def build_places(rng: np.random.Generator, force_code: str = "essex") -> Places:
    """The location pool for one seed: ~5,900 real points become ~25,000 addresses."""
    pts = slice_points(force_code)
    geo = geography(force_code)
    la_names = {d.local_authority_code: d.local_authority_name for d in geo.districts}
    px, py = to_bng(pts["lon"].to_numpy(), pts["lat"].to_numpy())
    place = pts["place"].to_numpy(dtype=object)
    poi_type = np.array([POINTS_OF_INTEREST.get(p) for p in place], dtype=object)
    is_street = np.array([t is None for t in poi_type])
    # A point of interest is addressed by the nearest named street ("Parking Area off X").
    tree = cKDTree(np.column_stack([px[is_street], py[is_street]]))
    _, nearest = tree.query(np.column_stack([px, py]))
    near_street = place[is_street][nearest]

    n_res = np.where(is_street, 1 + rng.poisson(3.0, len(pts)), 0)
    # One public location per point, then the residential addresses of street points.
    src = np.concatenate([np.arange(len(pts)), np.repeat(np.arange(len(pts)), n_res)])
    public = np.arange(len(src)) < len(pts)
    kind = np.empty(len(src), dtype=object)
    kind[public] = np.where(is_street, "street", poi_type)
    roll = rng.random(int((~public).sum()))
    kind[~public] = np.select(
        [roll < 0.62, roll < 0.88, roll < 0.96],
        ["residential", "social_housing", "commercial"],
        "licensed",
    )
    # Addresses get their own spot within ~40 m of the snap point; public places stay on it.
    jitter = np.where(public, 0.0, 25.0)
    x = px[src] + rng.normal(0, 1, len(src)) * jitter
    y = py[src] + rng.normal(0, 1, len(src)) * jitter
    lon, lat = from_bng(x, y)
    # 2011 LSOAs: the generated years (2015-2021) were published on the 2011 definitions.
    where = geo.locate(lon, lat, lsoa_vintage=2011)
    la = np.array(where.local_authority_code, dtype=object)
    keep = np.array([c is not None for c in la])

    numbers = rng.integers(1, 160, len(src))
    town = np.array([la_names.get(c, "") for c in la], dtype=object)
    street = place[src]
    spot = np.where(
        is_street[src],
        street,
        np.array(
            [f"the {p.lower()} near {s}" for p, s in zip(street, near_street[src], strict=True)],
            dtype=object,
        ),
    )
    address = np.empty(len(src), dtype=object)
    for i in range(len(src)):
        k = kind[i]
        if public[i] and not is_street[src[i]]:
            address[i] = f"{street[i]} off {near_street[src[i]]}, {town[i]}"
        elif public[i]:
            address[i] = f"{street[i]}, {town[i]}"
        else:
            address[i] = f"{numbers[i]} {street[i]}, {town[i]}"
        if k in ("commercial", "licensed") and not public[i]:
            address[i] = f"Unit {numbers[i] % 12 + 1}, {street[i]}, {town[i]}"

    # Heavy tails: a few addresses and places draw most incidents (repeat victims and
    # locations). Public places inherit how often real ASB is reported there.
    base = np.where(public, pts["rows"].to_numpy()[src] ** 0.8, 1.0)
    weight = base * rng.lognormal(0.0, np.where(public, 1.0, 1.8), len(src))
    # Districts draw incidents roughly in proportion to their population.
    pop = _la_population(force_code)
    residential = np.isin(kind, RESIDENTIAL)
    for mask in (residential, ~residential):
        for code, people in pop.items():
            sel = keep & mask & (la == code)
            if sel.any():
                weight[sel] *= people / weight[sel].sum()
    return Places(
        address=address[keep],
        street=spot[keep],
        premises_type=kind[keep],
        residential=residential[keep],
        lon=np.round(lon[keep], 6),
        lat=np.round(lat[keep], 6),
        x=np.round(x[keep], 1),
        y=np.round(y[keep], 1),
        lsoa_code=np.array(where.lsoa_code, dtype=object)[keep],
        district=np.array(where.district, dtype=object)[keep],
        la_code=la[keep],
        weight=weight[keep],
    )
