"""One-page patrol plan per policing district: map of the flagged cells and the list with why.

Drawn with matplotlib so the same figure can be written as PDF (the plan) or SVG (the web page
shows exactly what will be printed). The cell list is the record of what was predicted; the
map merges nothing, it shows each cell with its rank.
"""

from __future__ import annotations

import io
import re
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: plans are files
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import shapely
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from asbhub.errors import InvalidInput, NotFound
from asbhub.geography.service import geography
from asbhub.hotspots.events import GridEvents, month_label
from asbhub.hotspots.grid import to_bng_geometry
from asbhub.hotspots.methods import Method
from asbhub.hotspots.predict import Prediction, predict

A4 = (8.27, 11.69)


def district_names(force: str) -> list[str]:
    return sorted({d.policing_district for d in geography(force).districts})


def district_outline(force: str, district: str) -> shapely.Geometry:
    """The district's boundary in BNG (union of its local authorities)."""
    geo = geography(force)
    las = {d.local_authority_code for d in geo.districts if d.policing_district == district}
    if not las:
        raise NotFound(f"no policing district {district!r} in {force}")
    geoms = [g for c, g in zip(geo.la_codes, geo.la_geoms, strict=True) if c in las]
    return to_bng_geometry(shapely.union_all(geoms))


def district_cells(pred: Prediction, district: str, cells: int) -> pd.DataFrame:
    """The district's top ``cells`` cells, ranked within the district."""
    df = pred.cells[pred.cells["district"] == district].head(cells).copy()
    df.insert(0, "district_rank", np.arange(1, len(df) + 1))
    return df


def _draw_outline(ax: plt.Axes, geom: shapely.Geometry, **kw: object) -> None:
    for poly in getattr(geom, "geoms", [geom]):
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)
            ax.plot(xy[:, 0], xy[:, 1], **kw)  # type: ignore[arg-type]


def plan_figure(force: str, pred: Prediction, district: str, cells: int = 15) -> Figure:
    """The plan as one A4 page: heading, map of the district with ranked cells, reasons."""
    df = district_cells(pred, district, cells)
    outline = district_outline(force, district)
    fig = plt.figure(figsize=A4)
    fig.text(0.06, 0.965, f"ASB patrol plan – {district}", fontsize=16, weight="bold")
    meta = pred.metadata()
    fig.text(
        0.06,
        0.945,
        f"Month {month_label(pred.month)} · method {meta['method']} (asbhub "
        f"{meta['asbhub_version']}) · trained on the {pred.k} months before · "
        f"{pred.cell} m cells · {len(df)} places",
        fontsize=8.5,
    )
    ax = fig.add_axes((0.06, 0.50, 0.88, 0.42))
    feats = geography(force).lsoa[2021][2]
    shapely.prepare(outline)
    minx, miny, maxx, maxy = outline.bounds
    for f in feats:
        g = to_bng_geometry(shapely.geometry.shape(f["geometry"]))
        if g.intersects(outline) and g.intersection(outline).area > 0.5 * g.area:
            _draw_outline(ax, g, color="#b1b4b6", linewidth=0.3)
    _draw_outline(ax, outline, color="#0b0c0c", linewidth=1.2)
    s = pred.cell
    for rec in df.to_dict(orient="records"):
        x0, y0 = float(rec["ix"]) * s, float(rec["iy"]) * s
        ax.add_patch(Rectangle((x0, y0), s, s, facecolor="#d4351c", edgecolor="#6b1a0e", lw=0.4))
        ax.annotate(
            str(rec["district_rank"]),
            (x0 + s, y0 + s),
            fontsize=7,
            weight="bold",
            color="#0b0c0c",
            xytext=(2, 2),
            textcoords="offset points",
        )
    if len(df):
        # Zoom to the flagged places (with 1.5 km around them) so the streets are readable.
        pad = 1500.0
        minx = max(minx, float(df["ix"].min() * s) - pad)
        maxx = min(maxx, float((df["ix"].max() + 1) * s) + pad)
        miny = max(miny, float(df["iy"].min() * s) - pad)
        maxy = min(maxy, float((df["iy"].max() + 1) * s) + pad)
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title("Flagged cells (red), numbered by rank; grey lines are LSOAs", fontsize=8)
    y = 0.475
    fig.text(0.06, y, "Why each place is on the list", fontsize=11, weight="bold")
    y -= 0.02
    line_h = 0.0112
    for rec in df.to_dict(orient="records"):
        place = str(rec["location"]) or f"cell {rec['cell_index']}"
        head = f"{rec['district_rank']}. {place}"
        body = textwrap.wrap(str(rec["reason"]), 125)[:3]
        if y - line_h * (1 + len(body)) < 0.04:
            fig.text(0.06, y, "… (list continues in the CSV/GeoJSON prediction)", fontsize=7)
            break
        fig.text(0.06, y, head[:110], fontsize=7.5, weight="bold")
        y -= line_h
        for b in body:
            fig.text(0.08, y, b, fontsize=6.5)
            y -= line_h
        y -= 0.003
    fig.text(
        0.06,
        0.02,
        "Places, not people: use with local knowledge; not grounds for stop and search. "
        "Recorded ASB reflects who reports and where officers already are.",
        fontsize=6.5,
        style="italic",
    )
    return fig


def render(fig: Figure, fmt: str) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt)
    plt.close(fig)
    return buf.getvalue()


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def write_patrol_plans(
    data: GridEvents,
    method: Method,
    month: int,
    *,
    out: Path,
    district: str | None = None,
    cells: int = 15,
    k: int = 6,
) -> list[Path]:
    """Write one PDF per district (or the one named) and return the paths."""
    force = data.grid.force
    if not force:
        raise InvalidInput("patrol plans need a force grid")
    names = district_names(force)
    if district is not None and district not in names:
        raise InvalidInput(f"unknown district {district!r}", {"--district": ", ".join(names)})
    chosen = [district] if district else names
    pred = predict(data, method, month, k=k, coverage=5.0)
    written = []
    for name in chosen:
        pdf = render(plan_figure(force, pred, name, cells), "pdf")
        if out.suffix.lower() == ".pdf" and len(chosen) == 1:
            path = out
        else:
            path = out / f"patrol-{month_label(month)}-{_slug(name)}.pdf"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pdf)
        written.append(path)
    return written
