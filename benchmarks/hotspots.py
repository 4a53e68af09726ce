"""Fit + score time per month of every hotspot method on the Essex grid, 250 m and 150 m.

Reference, measured in the same run: a direct quartic KDE that sums the kernel of every event
at every cell centre (chunked numpy, the way research code evaluates kernels), so each method's
figure is also given as a ratio to it. Goals (issue 10): every smoother <= 1 s per month, the
self-exciting process <= 30 s. Run: ``.venv/bin/python benchmarks/hotspots.py``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asbhub.hotspots.events import GridEvents, History, month_index, read_police_uk
from asbhub.hotspots.grid import force_grid
from asbhub.hotspots.methods import REGISTRY
from asbhub.hotspots.methods.sepp import SelfExciting
from benchmarks._report import write_section

ROOT = Path(__file__).resolve().parents[1]
POLICE_UK = ROOT.parent / "shared" / "data" / "police-uk"
TARGETS = ["2025-07", "2025-08", "2025-09"]
SMOOTHERS = {"kde", "prospective", "gistar", "naive_kde"}


def direct_kde(history: History, bandwidth: float = 200.0) -> np.ndarray:
    """Quartic kernel summed event by event at each kept cell's centre (the reference)."""
    grid = history.grid
    cx, cy = grid.centres()
    ex = (history.pix_c + 0.5) * 50.0 + grid.ix0 * grid.cell
    ey = (history.pix_r + 0.5) * 50.0 + grid.iy0 * grid.cell
    out = np.zeros(len(cx))
    for start in range(0, len(cx), 4096):
        dx = cx[start : start + 4096, None] - ex[None, :]
        dy = cy[start : start + 4096, None] - ey[None, :]
        d2 = (dx * dx + dy * dy) / bandwidth**2
        out[start : start + 4096] = np.where(d2 < 1, (1 - d2) ** 2, 0.0).sum(axis=1)
    return out


def timed(fn: Callable[..., object], *args: object) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def main() -> None:
    events = read_police_uk(POLICE_UK, "essex")
    lines = [
        "Fit + score seconds per month (median over target months "
        f"{TARGETS[0]}…{TARGETS[-1]}, k = 6; `sepp (k=12)` predicts 2026-01 from 2025). "
        "Ratio = method time / direct-sum quartic KDE time in the same run (lower is faster).",
        "",
        "| method | cell | kept cells | s/month (median) | s/month (max) | ratio to direct KDE "
        "| goal | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for cell in (250, 150):
        data = GridEvents(events, force_grid("essex", cell))
        histories = [data.history(month_index(m), 6) for m in TARGETS]
        ref = float(np.median([timed(direct_kde, h) for h in histories]))
        lines.append(
            f"| reference: direct-sum quartic KDE | {cell} m | {data.grid.n_cells:,} | "
            f"{ref:.2f} | – | 1.00 | – | – |"
        )
        runs: list[tuple[str, list[float]]] = []
        for name, factory in REGISTRY.items():
            runs.append((name, [timed(factory().score, h) for h in histories]))
        h12 = data.history(month_index("2026-01"), 12)
        runs.append(("sepp (k=12)", [timed(SelfExciting().score, h12)]))
        for name, secs in runs:
            med, mx = float(np.median(secs)), float(np.max(secs))
            base = name.split(" ")[0]
            goal = 1.0 if base in SMOOTHERS else 30.0 if base == "sepp" else None
            met = "–" if goal is None else ("yes" if mx <= goal else "no")
            goal_s = "–" if goal is None else f"≤ {goal:g} s"
            lines.append(
                f"| {name} | {cell} m | {data.grid.n_cells:,} | {med:.3f} | {mx:.3f} | "
                f"{med / ref:.3f} | {goal_s} | {met} |"
            )
            print(f"{cell} m {name:14s} median {med:.3f} s  max {mx:.3f} s", flush=True)
    write_section("hotspots", "\n".join(lines))


if __name__ == "__main__":
    main()
