"""Predictions officers can use: the ranked cells for a month, each with checkable reasons.

Guide section 7: rank, score, coverage band, centre in BNG and WGS84, counts in each of the
last 3 months and the last 12, trend (last 3 vs the 9 before, with the counts), events in the 8
surrounding cells last month, the busiest "On or near ..." texts, whether the cell was on the
list in earlier months (chronic) or is new (emerging), and the method and version that made it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import ndimage

import asbhub
from asbhub.errors import InvalidInput
from asbhub.geography.service import from_bng
from asbhub.hotspots.events import GridEvents, month_label
from asbhub.hotspots.grid import cell_areas
from asbhub.hotspots.methods import Method, NotFitted
from asbhub.hotspots.metrics import COVERAGES, cells_for, coverage_key, ranking

CHRONIC_LOOKBACK = 3  # months of earlier lists consulted to call a cell chronic


@dataclass
class Prediction:
    month: int
    method: str
    k: int
    gap: int
    cell: int
    n_cells: int
    cells: pd.DataFrame  # one row per flagged cell, in rank order

    def metadata(self) -> dict[str, object]:
        return {
            "month": month_label(self.month),
            "method": self.method,
            "asbhub_version": asbhub.__version__,
            "train_months": self.k,
            "gap": self.gap,
            "cell_size_m": self.cell,
            "kept_cells": self.n_cells,
            "flagged_cells": len(self.cells),
        }


def _band(rank: int, n_cells: int) -> str:
    for c in COVERAGES:
        if rank <= cells_for(c, n_cells):
            return f"top {coverage_key(c)}%"
    return "below 5%"


def _top_cells(data: GridEvents, method: Method, month: int, k: int, gap: int) -> np.ndarray:
    history = data.history(month, k, gap)
    return data.grid.to_flat(method.score(history))


def _counts(data: GridEvents, months: list[int]) -> tuple[np.ndarray, list[int]]:
    """Flat counts of the months that have data (months without data are left out)."""
    have = [m for m in months if data.has(m)]
    if not have:
        return np.zeros((0, data.grid.n_cells)), have
    return np.stack([data.grid.to_flat(data.count(m)) for m in have]), have


def _plural(n: float, word: str = "report") -> str:
    n_int = round(n)
    return f"{n_int} {word}{'' if n_int == 1 else 's'}"


def predict(
    data: GridEvents,
    method: Method,
    month: int,
    *,
    k: int = 6,
    gap: int = 1,
    coverage: float | None = 1.0,
    cells: int | None = None,
) -> Prediction:
    """Flag ``cells`` cells (or ``coverage`` per cent of kept cells) for ``month``."""
    grid = data.grid
    n = grid.n_cells
    if cells is not None:
        if not 1 <= cells <= n:
            raise InvalidInput(f"--cells must be between 1 and {n}", {"--cells": str(cells)})
        n_flag = cells
    else:
        if coverage is None or not 0 < coverage <= 100:
            raise InvalidInput("--coverage must be a per cent in (0, 100]")
        n_flag = cells_for(coverage, n)
    try:
        score = _top_cells(data, method, month, k, gap)
    except NotFitted as exc:
        raise InvalidInput(f"{method.name} cannot be fitted: {exc}") from exc
    order = ranking(score)
    flagged = order[:n_flag]

    # Earlier lists, scored by the same method on the data available then.
    on_list = np.zeros(n, dtype=np.int64)
    checked = 0
    for back in range(1, CHRONIC_LOOKBACK + 1):
        try:
            earlier = _top_cells(data, method, month - back, k, gap)
        except (InvalidInput, NotFitted):
            continue
        checked += 1
        on_list[ranking(earlier)[:n_flag]] += 1

    last = month - gap
    c3, have3 = _counts(data, list(range(last - 2, last + 1)))
    c12, have12 = _counts(data, list(range(last - 11, last + 1)))
    c9, have9 = _counts(data, list(range(last - 11, last - 2)))
    recent3 = c3.sum(axis=0) if len(have3) else np.zeros(n)
    before9 = c9.sum(axis=0) if len(have9) else np.zeros(n)
    total12 = c12.sum(axis=0) if len(have12) else np.zeros(n)
    ring = np.ones((3, 3))
    ring[1, 1] = 0
    last_arr = data.count(last) if data.has(last) else np.zeros(grid.shape)
    neighbours = grid.to_flat(ndimage.convolve(last_arr, ring, mode="constant", cval=0.0))

    # The "On or near ..." texts of the last 12 months, busiest first, per cell.
    month_pos = {int(m): i for i, m in enumerate(data.months)}
    pos12 = [month_pos[m] for m in have12]
    sel = np.isin(data.ev_t, pos12) & np.isin(data.ev_cell, flagged)
    texts = (
        pd.DataFrame({"cell": data.ev_cell[sel], "location": data.ev_location[sel]})
        .groupby(["cell", "location"])
        .size()
        .reset_index(name="n")
        .sort_values(["cell", "n", "location"], ascending=[True, False, True])
    )
    top_texts = texts.groupby("cell")["location"].apply(lambda s: list(s[:3])).to_dict()

    areas = cell_areas(grid)
    ix, iy = grid.kept_ixiy()
    cx, cy = grid.centres()
    lon, lat = from_bng(cx[flagged], cy[flagged])
    comp_arr, _ = ndimage.label(
        grid.from_flat(np.isin(np.arange(n), flagged).astype(float), fill=0.0) > 0,
        structure=np.ones((3, 3)),
    )
    components = grid.to_flat(comp_arr).astype(np.int64)

    rows = []
    for rank, i in enumerate(flagged, start=1):
        r3 = recent3[i] / max(len(have3), 1)
        r9 = before9[i] / len(have9) if have9 else float("nan")
        if not have9:
            trend = "unknown"
        elif r3 > 1.25 * r9 + 0.1:
            trend = "up"
        elif r3 < 0.8 * r9 - 0.1:
            trend = "down"
        else:
            trend = "flat"
        last3 = [int(v) for v in c3[:, i]] if len(have3) else []
        status = (
            "chronic"
            if checked and on_list[i] >= min(2, checked)
            else "emerging"
            if checked and on_list[i] == 0
            else "recurring"
            if checked
            else "unknown"
        )
        places = top_texts.get(int(i), [])
        parts = []
        if last3 and len(set(last3)) == 1:
            parts.append(f"{_plural(last3[0])} in each of the last {len(last3)} months")
        elif last3:
            parts.append(
                f"{_plural(sum(last3))} in the last {len(last3)} months "
                f"({', '.join(str(v) for v in last3)}, oldest first)"
            )
        parts.append(f"{_plural(total12[i])} in the last {len(have12)} months with data")
        if have9:
            parts.append(
                f"trend {trend}: {int(recent3[i])} in the last 3 months against "
                f"{int(before9[i])} in the {len(have9)} before"
            )
        if neighbours[i]:
            parts.append(f"{_plural(neighbours[i])} in the 8 surrounding cells last month")
        if status == "chronic":
            parts.append(f"on the list in {on_list[i]} of the previous {checked} months")
        elif status == "emerging":
            parts.append("new to the list this month")
        if places:
            parts.append("mostly " + "; ".join(places))
        rows.append(
            {
                "rank": rank,
                "cell_index": int(i),
                "ix": int(ix[i]),
                "iy": int(iy[i]),
                "score": float(score[i]),
                "band": _band(rank, n),
                "x_bng": float(cx[i]),
                "y_bng": float(cy[i]),
                "lon": round(float(lon[rank - 1]), 6),
                "lat": round(float(lat[rank - 1]), 6),
                "district": str(areas.district[i]),
                "lsoa_code": str(areas.lsoa[i]),
                "area": int(components[i]),
                "last_3": last3,
                "last_12": int(total12[i]),
                "trend": trend,
                "neighbours_last_month": int(neighbours[i]),
                "status": status,
                "location": places[0] if places else "",
                "locations": places,
                "reason": "; ".join(parts),
            }
        )
    return Prediction(
        month=month,
        method=method.name,
        k=k,
        gap=gap,
        cell=grid.cell,
        n_cells=n,
        cells=pd.DataFrame(rows),
    )


def to_geojson(pred: Prediction) -> dict[str, object]:
    """Flagged cells as WGS84 squares with their reasons; metadata records method and version."""
    s = pred.cell
    feats = []
    for row in pred.cells.to_dict(orient="records"):
        x0, y0 = row["ix"] * s, row["iy"] * s
        xs = np.asarray([x0, x0 + s, x0 + s, x0, x0], dtype=float)
        ys = np.asarray([y0, y0, y0 + s, y0 + s, y0], dtype=float)
        lon, lat = from_bng(xs, ys)
        ring = [[round(float(a), 6), round(float(b), 6)] for a, b in zip(lon, lat, strict=True)]
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": row,
            }
        )
    return {"type": "FeatureCollection", "metadata": pred.metadata(), "features": feats}


def write_prediction(pred: Prediction, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".csv":
        df = pred.cells.copy()
        df["last_3"] = df["last_3"].map(lambda v: " ".join(str(x) for x in v))
        df["locations"] = df["locations"].map(lambda v: " | ".join(v))
        df.insert(1, "month", month_label(pred.month))
        df["method"] = pred.method
        df.to_csv(out, index=False)
    else:
        out.write_text(json.dumps(to_geojson(pred)), encoding="utf-8")
