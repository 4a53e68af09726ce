"""Patrol plan per policing district: a map of the flagged cells and every place with why.

Drawn with matplotlib, so the PDF (the plan officers carry) and the map the app shows on screen
are one drawing. The list is the record of what was predicted: every place of the plan is in
the PDF, on as many A4 pages as it takes, never cut off for a file elsewhere.

Labels are numbered markers with leader lines, laid out in points on the page so that no two
markers overlap and none covers a flagged cell (:func:`place_labels`): clusters of adjacent
cells, where ranks used to print on top of each other, get their numbers fanned out around them.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

import asbhub
from asbhub.errors import InvalidInput, NotFound
from asbhub.geography.service import geography
from asbhub.hotspots.events import GridEvents, month_label
from asbhub.hotspots.grid import to_bng_geometry
from asbhub.hotspots.methods import Method
from asbhub.hotspots.predict import Prediction, predict

# matplotlib is imported where a plan is drawn (``_mpl``): its import takes a second or more,
# which every command and web worker would otherwise pay at start-up.
if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

A4 = (8.27, 11.69)  # inches, portrait
SCREEN_MAP = (8.27, 8.0)  # the map alone, as the app shows it: width, tallest height
LABEL_RADIUS = 7.0  # points: a two-digit rank in 7 pt bold fits inside (plans stop at 99)
LABEL_GAP = 1.5  # points between a marker and anything else
CELL_RED = "#d4351c"
CELL_EDGE = "#6b1a0e"
INK = "#0b0c0c"
LSOA_GREY = "#b1b4b6"
# The list on paper: heading and reason sizes, and the reason's wrap width at that size.
HEAD_PT, BODY_PT, WRAP = 8.0, 7.0, 132
LINE_PT = 10.0
PAGE_PT = A4[1] * 72
CAVEAT = (
    "Places, not people: use with local knowledge; not grounds for stop and search. "
    "Recorded ASB reflects who reports and where officers already are."
)


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


def place_name(rec: Mapping[Hashable, object]) -> str:
    return str(rec["location"]) or f"cell {rec['cell_index']}"


def place_labels(
    anchors: npt.ArrayLike,
    *,
    radius: float,
    bounds: tuple[float, float, float, float],
    keep_clear: npt.ArrayLike = (),
    gap: float = LABEL_GAP,
) -> npt.NDArray[np.float64]:
    """Centres for one round marker per anchor (all in points), in anchor order.

    Each marker goes to the nearest free spot on rings around its anchor: inside ``bounds``
    (x0, y0, x1, y1), at least ``gap`` from every marker placed before it and clear of every
    box in ``keep_clear`` (rows x0, y0, x1, y1, such as the flagged cells). Earlier anchors
    (higher ranks) get the nearer spots. A marker that finds no spot clear of the boxes within
    reach of its anchor may cover a box, never another marker; only an area too small for the
    markers at all leaves one where its ring search ended.
    """
    pts = np.asarray(anchors, dtype=float).reshape(-1, 2)
    boxes = np.asarray(keep_clear, dtype=float).reshape(-1, 4)
    x0, y0, x1, y1 = bounds
    reach = float(np.hypot(x1 - x0, y1 - y0))
    angles = np.deg2rad(np.arange(45, 405, 30.0))  # NE first: labels up and right by habit
    steps = np.arange(radius + gap, reach, radius)
    ring = np.stack(
        [np.outer(steps, np.cos(angles)).ravel(), np.outer(steps, np.sin(angles)).ravel()], 1
    )
    placed = np.empty((0, 2))
    for ax_, ay_ in pts:
        cand = ring + np.array([ax_, ay_])
        inside = (
            (cand[:, 0] - radius >= x0)
            & (cand[:, 0] + radius <= x1)
            & (cand[:, 1] - radius >= y0)
            & (cand[:, 1] + radius <= y1)
        )
        if len(placed):
            d = np.hypot(
                cand[:, None, 0] - placed[None, :, 0], cand[:, None, 1] - placed[None, :, 1]
            )
            free = (d >= 2 * radius + gap).all(axis=1)
        else:
            free = np.ones(len(cand), dtype=bool)
        if len(boxes):
            # Distance from each candidate centre to each box (0 inside it).
            dx = np.maximum(np.maximum(boxes[None, :, 0] - cand[:, None, 0], 0),
                            cand[:, None, 0] - boxes[None, :, 2])  # fmt: skip
            dy = np.maximum(np.maximum(boxes[None, :, 1] - cand[:, None, 1], 0),
                            cand[:, None, 1] - boxes[None, :, 3])  # fmt: skip
            clear = (np.hypot(np.maximum(dx, 0), np.maximum(dy, 0)) >= radius + gap / 2).all(1)
        else:
            clear = np.ones(len(cand), dtype=bool)
        # Clear of the cells within a few marker widths, else anywhere free, else the last try.
        near = np.hypot(cand[:, 0] - ax_, cand[:, 1] - ay_) <= 8 * radius
        for ok in (inside & free & clear & near, inside & free & clear, inside & free):
            if ok.any():
                best = cand[np.argmax(ok)]
                break
        else:
            best = cand[-1]
        placed = np.vstack([placed, best])
    return placed


def _draw_outline(ax: Axes, geom: shapely.Geometry, **kw: object) -> None:
    for poly in getattr(geom, "geoms", [geom]):
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)
            ax.plot(xy[:, 0], xy[:, 1], **kw)  # type: ignore[arg-type]


def _limits(outline: shapely.Geometry, df: pd.DataFrame, s: int) -> tuple[float, ...]:
    """The map's extent: the district, zoomed to its flagged places and 1.5 km around them
    so the streets are readable."""
    minx, miny, maxx, maxy = outline.bounds
    if len(df):
        pad = 1500.0
        minx = max(minx, float(df["ix"].min() * s) - pad)
        maxx = min(maxx, float((df["ix"].max() + 1) * s) + pad)
        miny = max(miny, float(df["iy"].min() * s) - pad)
        maxy = min(maxy, float((df["iy"].max() + 1) * s) + pad)
    return minx, miny, maxx, maxy


def _pyplot() -> ModuleType:
    import matplotlib

    matplotlib.use("Agg")  # no display: plans are files
    import matplotlib.pyplot as plt

    return plt


def _draw_map(ax: Axes, force: str, pred: Prediction, district: str, df: pd.DataFrame) -> None:
    """The district with its LSOAs, the plan's cells and a numbered marker for each."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle, Rectangle

    outline = district_outline(force, district)
    shapely.prepare(outline)
    for f in geography(force).lsoa[2021][2]:
        g = to_bng_geometry(shapely.geometry.shape(f["geometry"]))
        if g.intersects(outline) and g.intersection(outline).area > 0.5 * g.area:
            _draw_outline(ax, g, color=LSOA_GREY, linewidth=0.3)
    _draw_outline(ax, outline, color=INK, linewidth=1.2)
    s = pred.cell
    recs = df.to_dict(orient="records")
    for rec in recs:
        x0, y0 = float(rec["ix"]) * s, float(rec["iy"]) * s
        ax.add_patch(Rectangle((x0, y0), s, s, facecolor=CELL_RED, edgecolor=CELL_EDGE, lw=0.4))
    minx, miny, maxx, maxy = _limits(outline, df, s)
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    if not recs:
        return
    # Lay the markers out in points on the page, where legibility is decided.
    ax.apply_aspect()
    to_pt = 72.0 / ax.figure.dpi
    data_to_pt = ax.transData
    ix = df["ix"].to_numpy(float) * s
    iy = df["iy"].to_numpy(float) * s
    lo = data_to_pt.transform(np.column_stack([ix, iy])) * to_pt
    hi = data_to_pt.transform(np.column_stack([ix + s, iy + s])) * to_pt
    box = ax.get_window_extent()
    bounds = (box.x0 * to_pt, box.y0 * to_pt, box.x1 * to_pt, box.y1 * to_pt)
    centres = (lo + hi) / 2
    at = place_labels(centres, radius=LABEL_RADIUS, bounds=bounds, keep_clear=np.hstack([lo, hi]))
    back = data_to_pt.inverted()
    at_data = back.transform(at / to_pt)
    centre_data = back.transform(centres / to_pt)
    r_data = LABEL_RADIUS / to_pt / abs(data_to_pt.get_matrix()[0, 0])
    for rec, (lx, ly), (cx, cy) in zip(recs, at_data, centre_data, strict=True):
        rank = int(rec["district_rank"])
        # The leader runs from the cell's centre to the marker's rim.
        d = float(np.hypot(lx - cx, ly - cy)) or 1.0
        ex, ey = lx - (lx - cx) * r_data / d, ly - (ly - cy) * r_data / d
        ax.add_line(Line2D([cx, ex], [cy, ey], color=INK, lw=0.6, zorder=3))
        ax.add_patch(
            Circle(
                (lx, ly),
                r_data,
                facecolor="white",
                edgecolor=INK,
                lw=0.8,
                zorder=4,
                gid=f"label-{rank}",
            )
        )
        ax.text(
            lx,
            ly,
            str(rank),
            ha="center",
            va="center_baseline",
            fontsize=7,
            weight="bold",
            color=INK,
            zorder=5,
            gid=f"label-text-{rank}",
        )


def _legend(ax: Axes, cell: int) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Patch(facecolor=CELL_RED, edgecolor=CELL_EDGE, label=f"flagged {cell} m cell"),
        Line2D(
            [],
            [],
            marker="o",
            ls="-",
            color=INK,
            mfc="white",
            ms=9,
            lw=0.6,
            label="rank in the district (the line points to its cell)",
        ),
        Line2D([], [], color=INK, lw=1.2, label="district boundary"),
        Line2D([], [], color=LSOA_GREY, lw=0.8, label="LSOA boundary"),
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.01),
        ncol=2,
        fontsize=7,
        frameon=False,
    )


def _subtitle(pred: Prediction, n_places: int, latest: int | None) -> str:
    meta = pred.metadata()
    data = f" · data to {month_label(latest)}" if latest is not None else ""
    return (
        f"Month {month_label(pred.month)}{data} · method {meta['method']} (asbhub "
        f"{meta['asbhub_version']}) · trained on the {pred.k} months before · "
        f"{pred.cell} m cells · {n_places} place{'' if n_places == 1 else 's'}"
    )


@dataclass(frozen=True)
class _Entry:
    head: str
    body: list[str]

    @property
    def height(self) -> float:  # points
        return LINE_PT * (1 + len(self.body)) + 3


def _entries(df: pd.DataFrame) -> list[_Entry]:
    out = []
    for rec in df.to_dict(orient="records"):
        head = f"{rec['district_rank']}. {place_name(rec)}  ({rec['band']} · {rec['status']})"
        out.append(_Entry(head, textwrap.wrap(str(rec["reason"]), WRAP)))
    return out


def _paginate(entries: list[_Entry], first: float, rest: float) -> list[list[_Entry]]:
    """Split the list so page 1 holds ``first`` points of it and each later page ``rest``."""
    pages: list[list[_Entry]] = [[]]
    room = first
    for e in entries:
        if e.height > room and pages[-1]:
            pages.append([])
            room = rest
        pages[-1].append(e)
        room -= e.height
    return pages


# Page geometry in figure fractions (A4 portrait); the map keeps its shape and sits at the top.
_LEFT, _MAP = 0.06, (0.06, 0.50, 0.88, 0.42)
_LEGEND, _LIST_TOP_N, _LIST_BOTTOM = 0.05, 0.92, 0.05
_HEADING_PT = 18.0


def plan_pages(
    force: str, pred: Prediction, district: str, cells: int = 15, *, latest: int | None = None
) -> list[Figure]:
    """The plan as A4 pages: heading, the district's map with ranked cells, then every place
    with why, continued on as many pages as the list needs. ``latest`` is the last month of
    data, shown beside the predicted month."""
    plt = _pyplot()
    df = district_cells(pred, district, cells)
    entries = _entries(df)
    first = plt.figure(figsize=A4)
    ax = first.add_axes(_MAP, anchor="N")
    _draw_map(ax, force, pred, district, df)
    _legend(ax, pred.cell)
    top_1 = ax.get_position().y0 - _LEGEND
    pages = _paginate(
        entries,
        (top_1 - _LIST_BOTTOM) * PAGE_PT - _HEADING_PT,
        (_LIST_TOP_N - _LIST_BOTTOM) * PAGE_PT - _HEADING_PT,
    )
    figs = []
    for n, page in enumerate(pages, start=1):
        fig = first if n == 1 else plt.figure(figsize=A4)
        cont = "" if n == 1 else " (continued)"
        fig.text(_LEFT, 0.965, f"ASB patrol plan – {district}{cont}", fontsize=16, weight="bold")
        fig.text(_LEFT, 0.945, _subtitle(pred, len(df), latest), fontsize=8.5)
        y = top_1 if n == 1 else _LIST_TOP_N
        heading = "Why each place is on the list" + cont
        if not entries:
            heading = "No flagged places in this district this month."
        fig.text(_LEFT, y, heading, fontsize=11, weight="bold")
        y -= _HEADING_PT / PAGE_PT
        for e in page:
            fig.text(_LEFT, y, e.head, fontsize=HEAD_PT, weight="bold")
            y -= LINE_PT / PAGE_PT
            for line in e.body:
                fig.text(_LEFT + 0.02, y, line, fontsize=BODY_PT)
                y -= LINE_PT / PAGE_PT
            y -= 3 / PAGE_PT
        fig.text(_LEFT, 0.02, CAVEAT, fontsize=6.5, style="italic")
        fig.text(0.94, 0.035, f"Page {n} of {len(pages)}", fontsize=7, ha="right")
        figs.append(fig)
    return figs


def plan_map(force: str, pred: Prediction, district: str, cells: int = 15) -> Figure:
    """The plan's map alone, shaped to the district's extent, as the app shows it above the
    list (the page's key is text beside it)."""
    plt = _pyplot()
    df = district_cells(pred, district, cells)
    minx, miny, maxx, maxy = _limits(district_outline(force, district), df, pred.cell)
    width = SCREEN_MAP[0]
    height = float(np.clip(width * (maxy - miny) / max(maxx - minx, 1.0), 3.0, SCREEN_MAP[1]))
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
    _draw_map(ax, force, pred, district, df)
    ax.set_frame_on(False)  # the page frames the image
    return fig


def render(figs: Figure | Sequence[Figure], fmt: str, *, title: str = "") -> bytes:
    """PDF (every figure a page) or SVG (one figure); the figures are closed afterwards."""
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    plt = _pyplot()
    pages = [figs] if isinstance(figs, Figure) else list(figs)
    buf = io.BytesIO()
    try:
        if fmt == "pdf":
            meta = {"Title": title, "Creator": f"asbhub {asbhub.__version__}"}
            with PdfPages(buf, metadata=meta) as pdf:
                for fig in pages:
                    pdf.savefig(fig)
        else:
            (fig,) = pages
            fig.savefig(buf, format=fmt, metadata={"Title": title} if fmt == "svg" else None)
    finally:
        for fig in pages:
            plt.close(fig)
    return buf.getvalue()


def plan_title(district: str, month: int) -> str:
    return f"ASB patrol plan – {district}, {month_label(month)}"


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
    latest = int(data.months.max())
    written = []
    for name in chosen:
        figs = plan_pages(force, pred, name, cells, latest=latest)
        pdf = render(figs, "pdf", title=plan_title(name, month))
        if out.suffix.lower() == ".pdf" and len(chosen) == 1:
            path = out
        else:
            path = out / f"patrol-{month_label(month)}-{_slug(name)}.pdf"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pdf)
        written.append(path)
    return written
