"""Learned rankers: a model of next month's count per cell, trained inside the window.

Training examples come only from the window: for each month p after the first, the features
are computed from the window's months before p and the target is month p's count. The fitted
model is then applied to features of the whole window to score the target month. Features are
per-month means so that histories of different lengths are on one scale.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from threadpoolctl import threadpool_limits

from asbhub.hotspots.events import History
from asbhub.hotspots.grid import FloatArray, Grid, cell_areas
from asbhub.hotspots.methods.base import NotFitted, convolve, finish

FEATURES = (
    "mean",  # long-run: mean monthly count in the cell
    "last",  # last month's count
    "recent",  # mean of the last two months (the last one if only one)
    "active",  # share of months with at least one event (chronic vs one-off)
    "peak",  # largest monthly count
    "ring_mean",  # mean monthly count in the 8 surrounding cells
    "ring_last",  # last month's count in the 8 surrounding cells
    "wide_mean",  # mean monthly count within about 750 m
    "lsoa_rate",  # mean monthly count per cell in the cell's LSOA
)


def _ring(cell: int) -> FloatArray:
    k = np.ones((3, 3))
    k[1, 1] = 0.0
    return k


def _wide(cell: int) -> FloatArray:
    r = max(1, round(750 / cell))
    dy, dx = np.mgrid[-r : r + 1, -r : r + 1]
    return (np.hypot(dx, dy) * cell <= 750).astype(float)


def features(counts: FloatArray, grid: Grid) -> FloatArray:
    """(kept cells, len(FEATURES)) matrix from ``counts`` (months, rows, cols), oldest first."""
    mean = counts.mean(axis=0)
    last = counts[-1]
    recent = counts[-2:].mean(axis=0)
    active = (counts > 0).mean(axis=0)
    peak = counts.max(axis=0)
    ring = _ring(grid.cell)
    ring_mean = convolve(mean, ring)
    ring_last = convolve(last, ring)
    wide = convolve(mean, _wide(grid.cell))
    flat_mean = grid.to_flat(mean)
    ids = cell_areas(grid).lsoa_id
    per_lsoa = np.bincount(ids, weights=flat_mean) / np.maximum(np.bincount(ids), 1)
    cols = [grid.to_flat(a) for a in (mean, last, recent, active, peak, ring_mean, ring_last, wide)]
    cols.append(per_lsoa[ids])
    return np.column_stack(cols)


def training_set(history: History) -> tuple[FloatArray, FloatArray]:
    xs, ys = [], []
    for p in range(1, history.k):
        xs.append(features(history.counts[:p], history.grid))
        ys.append(history.grid.to_flat(history.counts[p]))
    return np.vstack(xs), np.concatenate(ys)


def _thin_zeros(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Keep every row with any signal and a fixed 1-in-10 of the all-zero rows (weight 10).

    Most cells are empty in every month; thinning them keeps fitting fast without moving the
    fitted rate of empty cells (the weights restore their mass).
    """
    empty = (x == 0).all(axis=1) & (y == 0)
    keep = ~empty
    idx = np.flatnonzero(empty)
    keep[idx[::10]] = True
    w = np.where(empty, 10.0, 1.0)[keep]
    return x[keep], y[keep], w


@dataclass
class BoostedRanker:
    """Gradient boosting with a Poisson loss (scikit-learn) on the features above."""

    max_iter: int = 300  # these three tuned on 2025-04…06 among four settings
    learning_rate: float = 0.05
    max_leaf_nodes: int = 7
    min_samples_leaf: int = 40
    # Poisson boosting takes Newton steps -gradient/hessian per leaf, and the hessian of a leaf
    # is its predicted count: in a leaf of almost-empty cells holding a few reports it is near
    # 0, so the step is huge and predictions blow up (1e82 and inf at 150 m, k = 6, where
    # 99 % of training cells are 0). The L2 term adds to that hessian and bounds the step;
    # 10 chosen over {0, 1, 10} on 2025-04…06 (k = 3, 250 m and 150 m).
    l2_regularization: float = 10.0
    name: ClassVar[str] = "ranker_gbm"

    def score(self, history: History) -> FloatArray:
        if history.k < 2:
            raise NotFitted("needs at least two months to learn from")
        x, y = training_set(history)
        x, y, w = _thin_zeros(x, y)
        # Imported here: scikit-learn takes seconds to import, which every command and web
        # worker would pay at start-up for a method few runs use.
        from sklearn.ensemble import HistGradientBoostingRegressor

        model = HistGradientBoostingRegressor(
            loss="poisson",
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            early_stopping=False,
            random_state=0,
        )
        # One thread: OpenMP workers spin-wait, and on a busy machine (or beside the web
        # server) that turns seconds into minutes; one thread also makes results repeatable.
        with threadpool_limits(limits=1, user_api="openmp"):
            model.fit(x, y, sample_weight=w)
            pred = model.predict(features(history.counts, history.grid))
        return finish(history, history.grid.from_flat(pred))


@dataclass
class GLMRanker:
    """Poisson GLM (statsmodels) on log(1 + feature): a log-linear blend of long-run, recent,
    neighbourhood and LSOA rates."""

    name: ClassVar[str] = "ranker_glm"

    def score(self, history: History) -> FloatArray:
        if history.k < 2:
            raise NotFitted("needs at least two months to learn from")
        x, y = training_set(history)
        x, y, w = _thin_zeros(x, y)
        import statsmodels.api as sm  # here, not at start-up (as scikit-learn above)
        from statsmodels.tools.sm_exceptions import ConvergenceWarning, SingularMatrixWarning

        design = sm.add_constant(np.log1p(x), has_constant="add")
        model = sm.GLM(y, design, family=sm.families.Poisson(), freq_weights=w)
        with warnings.catch_warnings():
            # Features coincide when the window is short or the data regular (e.g. "last" and
            # "recent" after one month); IRLS then uses the pseudo-inverse, whose minimum-norm
            # solution ranks cells just as well, so the rank-deficiency warning is expected.
            warnings.simplefilter("ignore", SingularMatrixWarning)
            warnings.simplefilter("ignore", ConvergenceWarning)
            result = model.fit(method="irls", maxiter=100)
        xa = sm.add_constant(np.log1p(features(history.counts, history.grid)), has_constant="add")
        pred = np.asarray(result.predict(xa), dtype=float)
        return finish(history, history.grid.from_flat(pred))
