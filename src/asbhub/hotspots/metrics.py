"""Hit rate, PAI, PEI* and RRI with the deterministic tie rule and the random-tie expectation.

All arrays are flat over the kept cells in stable index order (see ``grid.py``), so the stable
cell index of position ``i`` is ``i``. Ranking: score descending, then cell index ascending.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from asbhub.errors import InvalidInput

COVERAGES: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0)  # per cent of kept cells


def coverage_key(c: float) -> str:
    """``0.1`` -> "0.1", ``1.0`` -> "1" (the JSON keys of the evaluate command)."""
    return f"{c:g}"


def cells_for(coverage_pct: float, n_cells: int) -> int:
    """K = max(1, floor(c * N)) for a coverage in per cent."""
    return max(1, int(np.floor(coverage_pct / 100.0 * n_cells + 1e-9)))


def ranking(score: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Deterministic order of cells: score descending, stable cell index ascending."""
    s = np.asarray(score, dtype=float)
    if np.isnan(s).any():
        raise InvalidInput("a hotspot score is NaN; every kept cell needs a score")
    return np.lexsort((np.arange(len(s)), -s)).astype(np.int64)


@dataclass(frozen=True)
class Hits:
    """Metrics for one month and one K."""

    k: int
    coverage: float  # realised: K / N cells
    events: int  # N
    captured: float  # n_H (deterministic)
    captured_expected: float  # tie-averaged n_H
    best: float  # n*_K
    hit_rate: float
    pai: float
    pei: float
    hit_rate_avg: float
    pai_avg: float
    pei_avg: float
    rri: float


def hits(
    score: npt.ArrayLike,
    observed: npt.ArrayLike,
    ks: Sequence[int],
    *,
    train: npt.ArrayLike | None = None,
) -> list[Hits]:
    """Metrics of ``score`` against one month's ``observed`` counts, for each K in ``ks``.

    ``train`` (the training-window counts per cell) is needed only for RRI.
    """
    s = np.asarray(score, dtype=float)
    n = np.asarray(observed, dtype=float)
    if s.shape != n.shape:
        raise InvalidInput(f"score has {s.shape} cells but the month has {n.shape}")
    n_cells = len(s)
    order = ranking(s)
    sorted_neg = -s[order]  # ascending
    cum = np.concatenate([[0.0], np.cumsum(n[order])])
    best_cum = np.concatenate([[0.0], np.cumsum(np.sort(n)[::-1])])
    total = float(n.sum())
    tr = None if train is None else np.asarray(train, dtype=float)
    tr_cum = None if tr is None else np.concatenate([[0.0], np.cumsum(tr[order])])
    tr_total = 0.0 if tr is None else float(tr.sum())
    out: list[Hits] = []
    for k in ks:
        if not 1 <= k <= n_cells:
            raise InvalidInput(f"K = {k} is outside 1…{n_cells}")
        captured = float(cum[k])
        v = sorted_neg[k - 1]
        first = int(np.searchsorted(sorted_neg, v, side="left"))
        last = int(np.searchsorted(sorted_neg, v, side="right"))
        group = cum[last] - cum[first]
        expected = float(cum[first] + (k - first) / (last - first) * group)
        best = float(best_cum[k])
        area = k / n_cells

        def ratio(a: float, b: float) -> float:
            return a / b if b else float("nan")

        hr, hr_avg = ratio(captured, total), ratio(expected, total)
        rri = float("nan")
        if tr_cum is not None:
            rri = ratio(ratio(captured, float(tr_cum[k])), ratio(total, tr_total))
        out.append(
            Hits(
                k=k,
                coverage=area,
                events=int(total),
                captured=captured,
                captured_expected=expected,
                best=best,
                hit_rate=hr,
                pai=hr / area,
                pei=ratio(captured, best),
                hit_rate_avg=hr_avg,
                pai_avg=hr_avg / area,
                pei_avg=ratio(expected, best),
                rri=rri,
            )
        )
    return out
