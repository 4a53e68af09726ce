"""ASB events for hotspot work: loaders (store, files) and their counts on a grid.

Months are plain integers, ``year * 12 + month - 1``, so windows are ranges and gaps are easy to
find. data.police.uk rows only carry a month; a force's own incidents carry exact times, which
are kept in ``received_at`` but reduced to months for the monthly methods.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import Engine, select

from asbhub.errors import InvalidInput, NotFound
from asbhub.geography.service import to_bng
from asbhub.hotspots.grid import FloatArray, Grid, IntArray
from asbhub.incidents.models import Incident
from asbhub.ingest.models import PublicRecord

ASB = "Anti-social behaviour"
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def month_index(value: str | dt.date) -> int:
    """``2025-07`` or a date -> integer month (year*12 + month-1)."""
    if isinstance(value, dt.date):
        return value.year * 12 + value.month - 1
    m = _MONTH_RE.match(value.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InvalidInput(f"not a month (expected YYYY-MM): {value!r}", {"month": value})
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_range(first: int, last: int) -> list[int]:
    return list(range(first, last + 1))


@dataclass
class Events:
    """Event rows (one per recorded ASB report) and the months the source covers.

    ``frame`` columns: ``month`` (int), ``x``, ``y`` (BNG metres, NaN when unmapped),
    ``location`` (text, may be empty), ``lsoa_code``. ``months`` lists the months for which the
    source holds data at all, so a month without data is never read as a month of zeros.
    """

    frame: pd.DataFrame
    months: IntArray
    source: str
    # Other street crime of the same source (``month``, ``x``, ``y``), when the source has it:
    # data.police.uk snaps every crime type to the same map points, so the crime recorded at a
    # place says where ASB can be reported even in cells with no ASB in the window.
    context: pd.DataFrame | None = None


def _frame(month: Iterable[int], x: Iterable[float], y: Iterable[float], location: Iterable[object],
           lsoa: Iterable[object]) -> pd.DataFrame:  # fmt: skip
    return pd.DataFrame(
        {
            "month": np.asarray(list(month), dtype=np.int64),
            "x": np.asarray(list(x), dtype=float),
            "y": np.asarray(list(y), dtype=float),
            "location": pd.Series(list(location), dtype=object).fillna("").astype(str),
            "lsoa_code": pd.Series(list(lsoa), dtype=object),
        }
    )


def load_public_records(engine: Engine, force: str) -> Events:
    """ASB rows of data.police.uk for ``force`` from the store's ``public_records``."""
    pr = PublicRecord.__table__
    with engine.connect() as conn:
        months = conn.execute(select(pr.c.month).where(pr.c.force_code == force).distinct()).all()
        rows = conn.execute(
            select(pr.c.month, pr.c.x_bng, pr.c.y_bng, pr.c.location, pr.c.lsoa_code).where(
                pr.c.force_code == force, pr.c.crime_type == ASB
            )
        ).all()
        other = conn.execute(
            select(pr.c.month, pr.c.x_bng, pr.c.y_bng).where(
                pr.c.force_code == force, pr.c.crime_type != ASB, pr.c.x_bng.is_not(None)
            )
        ).all()
    if not months:
        raise NotFound(
            f"no data.police.uk records for force {force!r} in the store; "
            "run `asbhub ingest police-uk` first"
        )
    frame = _frame(
        (month_index(r[0]) for r in rows),
        (np.nan if r[1] is None else r[1] for r in rows),
        (np.nan if r[2] is None else r[2] for r in rows),
        (r[3] for r in rows),
        (r[4] for r in rows),
    )
    avail = np.unique(np.asarray([month_index(m[0]) for m in months], dtype=np.int64))
    context = _context(
        [month_index(r[0]) for r in other], [r[1] for r in other], [r[2] for r in other]
    )
    return Events(frame=frame, months=avail, source="public_records", context=context)


def _context(month: npt.ArrayLike, x: npt.ArrayLike, y: npt.ArrayLike) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "month": np.asarray(month, dtype=np.int64),
            "x": np.asarray(x, dtype=float),
            "y": np.asarray(y, dtype=float),
        }
    )


def load_incidents(engine: Engine, force: str) -> Events:
    """A force's own ASB incidents (exact ``received_at``) from the store's ``incidents``."""
    inc = Incident.__table__
    with engine.connect() as conn:
        rows = conn.execute(
            select(inc.c.received_at, inc.c.x_bng, inc.c.y_bng, inc.c.location_text).where(
                inc.c.force_code == force
            )
        ).all()
    if not rows:
        raise NotFound(f"no incidents for force {force!r} in the store")
    frame = _frame(
        (month_index(r[0]) for r in rows),
        (np.nan if r[1] is None else r[1] for r in rows),
        (np.nan if r[2] is None else r[2] for r in rows),
        (r[3] for r in rows),
        (None for _ in rows),
    )
    frame["received_at"] = pd.to_datetime([r[0] for r in rows])
    # A force's own system records every day, so every month between the first and the last
    # incident is covered, even one in which nothing was recorded.
    months = np.arange(frame["month"].min(), frame["month"].max() + 1, dtype=np.int64)
    return Events(frame=frame, months=months, source="incidents")


_POLICE_UK_COLUMNS = ["Month", "Longitude", "Latitude", "Location", "LSOA code", "Crime type"]


def _read_csv(raw: bytes, name: str) -> pd.DataFrame:
    df = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False)
    missing = [c for c in _POLICE_UK_COLUMNS if c not in df.columns]
    if missing:
        raise InvalidInput(
            f"{name}: not a data.police.uk street-level file", {f"{name}:1": f"missing {missing}"}
        )
    return df


def read_police_uk(paths: Sequence[Path] | Path, force: str) -> Events:
    """ASB rows for ``force`` read straight from data.police.uk CSVs, month folders or zips.

    Used by tests and benchmarks; the CLI reads the store.
    """
    paths = [paths] if isinstance(paths, Path) else list(paths)
    suffix = f"-{force}-street.csv"
    frames: list[pd.DataFrame] = []
    months: set[int] = set()

    def take(raw: bytes, name: str) -> None:
        df = _read_csv(raw, name)
        bad = ~df["Month"].str.match(r"^\d{4}-\d{2}$")
        if bad.any():
            line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise InvalidInput(f"{name}: bad Month", {f"{name}:{line}": "expected YYYY-MM"})
        months.update(month_index(m) for m in df["Month"].unique())
        frames.append(df)

    todo: list[Path] = []
    for p in paths:
        if p.is_dir():
            todo.extend(sorted(q for q in p.iterdir() if q.is_dir() or q.suffix == ".zip"))
            todo.extend(sorted(p.glob(f"*{suffix}")))
        else:
            todo.append(p)
    for p in todo:
        if p.is_dir():
            for f in sorted(p.glob(f"*{suffix}")):
                take(f.read_bytes(), str(f))
        elif p.suffix == ".zip":
            with zipfile.ZipFile(p) as zf:
                for n in sorted(zf.namelist()):
                    if n.endswith(suffix):
                        take(zf.read(n), f"{p}!{n}")
        elif p.name.endswith(suffix):
            take(p.read_bytes(), str(p))
    if not frames:
        raise NotFound(f"no data.police.uk files for force {force!r} under {paths}")
    both = pd.concat(frames, ignore_index=True)
    lon = pd.to_numeric(both["Longitude"].replace("", np.nan), errors="coerce").to_numpy(float)
    lat = pd.to_numeric(both["Latitude"].replace("", np.nan), errors="coerce").to_numpy(float)
    x_all, y_all = to_bng(lon, lat)
    is_asb = (both["Crime type"] == ASB).to_numpy()
    df = both[is_asb]
    x, y = x_all[is_asb], y_all[is_asb]
    months_all = both["Month"].map(month_index).to_numpy(np.int64)
    context = _context(months_all[~is_asb], x_all[~is_asb], y_all[~is_asb])
    frame = _frame(
        (month_index(m) for m in df["Month"]),
        x,
        y,
        df["Location"],
        df["LSOA code"].replace("", None),
    )
    return Events(
        frame=frame,
        months=np.asarray(sorted(months), dtype=np.int64),
        source="files",
        context=context,
    )


@dataclass
class History:
    """What a method may see when scoring one target month.

    ``counts[t]`` is the (rows, cols) count array of ``months[t]``, oldest first, zero outside
    kept cells. ``pix_*`` are the window's located, kept events on the 50 m sub-grid, with
    ``ev_t`` their position in ``months``.
    """

    grid: Grid
    months: list[int]
    target: int
    counts: FloatArray
    ev_t: IntArray
    pix_r: IntArray
    pix_c: IntArray
    # Other street crime per month and cell, like ``counts``; None when the source has none.
    context: FloatArray | None = None

    @property
    def k(self) -> int:
        return len(self.months)


@dataclass
class MonthDiagnostics:
    month: int
    events: int  # located events in kept cells (N)
    unlocated: int
    outside: int  # located, but in a cell that is not kept
    occupied_share: float  # kept cells with >= 1 event / kept cells
    top1_share: float  # share of events in the month's busiest 1 % of kept cells


class GridEvents:
    """Events counted per month on one grid; cuts out the history for any target month."""

    def __init__(self, events: Events, grid: Grid) -> None:
        self.grid = grid
        self.events = events
        self.months = np.asarray(events.months, dtype=np.int64)
        f = events.frame
        f = f[np.isin(f["month"].to_numpy(), self.months)]
        month = f["month"].to_numpy(np.int64)
        x = f["x"].to_numpy(float)
        y = f["y"].to_numpy(float)
        located = np.isfinite(x) & np.isfinite(y)
        row, col, kept = grid.locate(x, y)
        self._pos = {int(m): i for i, m in enumerate(self.months)}
        t = np.searchsorted(self.months, month)
        nr, nc = grid.shape
        self.counts = np.zeros((len(self.months), nr, nc), dtype=float)
        np.add.at(self.counts, (t[kept], row[kept], col[kept]), 1.0)
        self.unlocated = np.bincount(t[~located], minlength=len(self.months))
        self.outside = np.bincount(t[located & ~kept], minlength=len(self.months))
        pr, pc = grid.pixels(x[kept], y[kept])
        self.ev_t = t[kept]
        self.pix_r = pr
        self.pix_c = pc
        self.ev_cell = grid.index[row[kept], col[kept]]
        self.ev_location = f["location"].to_numpy(object)[kept]
        self.context: FloatArray | None = None
        if events.context is not None:
            c = events.context
            c = c[np.isin(c["month"].to_numpy(), self.months)]
            crow, ccol, ckept = grid.locate(c["x"].to_numpy(float), c["y"].to_numpy(float))
            ct = np.searchsorted(self.months, c["month"].to_numpy(np.int64))
            self.context = np.zeros_like(self.counts)
            np.add.at(self.context, (ct[ckept], crow[ckept], ccol[ckept]), 1.0)

    def has(self, month: int) -> bool:
        return month in self._pos

    def require(self, months: Iterable[int], why: str) -> None:
        missing = [m for m in months if m not in self._pos]
        if missing:
            have = f"{month_label(int(self.months[0]))}…{month_label(int(self.months[-1]))}"
            raise InvalidInput(
                f"no {self.events.source} data for months needed {why}",
                {"missing months": ", ".join(month_label(m) for m in missing), "have": have},
            )

    def count(self, month: int) -> FloatArray:
        return self.counts[self._pos[month]]

    def history(self, target: int, k: int, gap: int = 1) -> History:
        """The ``k`` months ending ``gap`` months before ``target``."""
        window = month_range(target - gap - k + 1, target - gap)
        self.require(window, f"to train for {month_label(target)}")
        pos = np.asarray([self._pos[m] for m in window], dtype=np.int64)
        sel = np.isin(self.ev_t, pos)
        remap = np.full(len(self.months), -1, dtype=np.int64)
        remap[pos] = np.arange(len(pos))
        return History(
            grid=self.grid,
            months=window,
            target=target,
            counts=self.counts[pos],
            ev_t=remap[self.ev_t[sel]],
            pix_r=self.pix_r[sel],
            pix_c=self.pix_c[sel],
            context=None if self.context is None else self.context[pos],
        )

    def diagnostics(self, month: int) -> MonthDiagnostics:
        i = self._pos[month]
        n = self.grid.to_flat(self.counts[i])
        total = float(n.sum())
        k1 = max(1, int(np.floor(0.01 * self.grid.n_cells)))
        top = float(np.sort(n)[::-1][:k1].sum())
        return MonthDiagnostics(
            month=month,
            events=int(total),
            unlocated=int(self.unlocated[i]),
            outside=int(self.outside[i]),
            occupied_share=float((n > 0).mean()),
            top1_share=top / total if total else float("nan"),
        )
