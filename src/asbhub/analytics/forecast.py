"""Forecasts of the next financial years from monthly counts, with the model chosen per series
by a rolling-origin backtest among seasonal naive, ETS and SARIMA (statsmodels).

How it works, and what the figures mean:

* **Backtest**: for each origin (the last ``ORIGINS`` financial-year ends before the data end,
  each with at least three years of history), fit on the months up to the origin and forecast
  the next 12; errors are taken on those 12 months.
* **MAPE**: mean absolute percentage error of the monthly forecasts.
* **MASE**: mean absolute error divided by the in-sample mean absolute error of the seasonal
  naive forecast (lag 12) at the same origin; below 1 beats last year's same month.
* **Choice**: the model with the lowest mean MASE over the origins.
* **Intervals**: 80% and 95% for each financial year's total, from 1,000 simulated paths of
  the chosen model (residual bootstrap for seasonal naive, the fitted state-space model for
  ETS and SARIMA), so a year's interval accounts for its months moving together.
"""

from __future__ import annotations

import copy
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from cachetools import LRUCache
from threadpoolctl import threadpool_limits

SEASON = 12
HORIZON_YEARS = 2
ORIGINS = 3
PATHS = 1_000
Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Fitted:
    """Point forecasts and simulated paths (paths x horizon) for ``h`` months ahead."""

    mean: Array
    paths: Array


def _seasonal_naive(y: Array, h: int, rng: np.random.Generator | None) -> Fitted:
    resid = y[SEASON:] - y[:-SEASON]
    resid = resid - resid.mean()
    last = y[-SEASON:]
    mean = np.array([last[i % SEASON] for i in range(h)])
    if rng is None:
        return Fitted(mean, np.empty((0, h)))
    paths = np.empty((PATHS, h))
    history = np.tile(last, (PATHS, 1))
    for i in range(h):
        step = history[:, i % SEASON] + rng.choice(resid, size=PATHS)
        history[:, i % SEASON] = step
        paths[:, i] = step
    return Fitted(mean, paths)


def _ets(y: Array, h: int, rng: np.random.Generator | None) -> Fitted:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    model = ExponentialSmoothing(
        y, trend="add", damped_trend=True, seasonal="add", seasonal_periods=SEASON
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit()
        mean = np.asarray(res.forecast(h), dtype=float)
        if rng is None:
            return Fitted(mean, np.empty((0, h)))
        # Given no generator of its own, simulate() draws from a fresh unseeded one: the
        # intervals would change from run to run.
        sims = res.simulate(h, repetitions=PATHS, anchor="end", error="add", rng=rng)
    return Fitted(mean, np.asarray(sims, dtype=float).T)


def _sarima(y: Array, h: int, rng: np.random.Generator | None) -> Fitted:
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    model = SARIMAX(
        y,
        order=(1, 0, 0),
        seasonal_order=(0, 1, 1, SEASON),
        trend="c",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Standard errors are never shown: their covariance matrix is not computed.
        res = model.fit(disp=False, maxiter=100, cov_type="none")
        mean = np.asarray(res.forecast(h), dtype=float)
        if rng is None:  # a backtest fit: its point forecast is all that is scored
            return Fitted(mean, np.empty((0, h)))
        sims = res.simulate(h, repetitions=PATHS, anchor="end", rng=rng)
    return Fitted(mean, np.asarray(sims, dtype=float).reshape(h, PATHS).T)


MODELS: dict[str, Callable[[Array, int, np.random.Generator | None], Fitted]] = {
    "seasonal_naive": _seasonal_naive,
    "ets": _ets,
    "sarima": _sarima,
}
MODEL_LABELS = {
    "seasonal_naive": "Seasonal naive (same month last year)",
    "ets": "ETS (additive damped trend and season)",
    "sarima": "SARIMA(1,0,0)(0,1,1)12 with drift",
}


def _mase_scale(y: Array) -> float:
    return float(np.mean(np.abs(y[SEASON:] - y[:-SEASON]))) or 1.0


def backtest(series: pd.Series, seed: int = 2021) -> pd.DataFrame:
    """One row per model and origin: MAPE and MASE of the 12 months after the origin."""
    y = series.to_numpy(dtype=float)
    n = len(y)
    origins = [n - SEASON * k for k in range(ORIGINS, 0, -1) if n - SEASON * k >= 3 * SEASON]
    rows = []
    for name, fit in MODELS.items():
        for o in origins:
            train, test = y[:o], y[o : o + SEASON]
            f = fit(train, len(test), None).mean
            err = np.abs(test - f)
            rows.append(
                {
                    "model": name,
                    "origin": str(series.index[o - 1]),
                    "mape": float(np.mean(err / np.maximum(test, 1)) * 100),
                    "mase": float(np.mean(err) / _mase_scale(train)),
                }
            )
    return pd.DataFrame(rows, columns=["model", "origin", "mape", "mase"])


MIN_MONTHS = 4 * SEASON


# Results by the series' values, first month and seed: the board and the dashboard ask for the
# same series again, and the answer depends on nothing else (the simulation is seeded).
_cache: LRUCache[tuple[Any, ...], dict[str, object] | None] = LRUCache(maxsize=32)
_lock = threading.Lock()


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def forecast_years(series: pd.Series, seed: int = 2021) -> dict[str, object] | None:
    """:func:`forecast_series`, kept for the same series and seed (a copy each time)."""
    first = str(series.index[0]) if len(series) else ""
    key = (series.to_numpy(dtype=float).tobytes(), first, seed)
    with _lock:
        found = key in _cache
        hit = _cache.get(key)
    if not found:
        # The fits multiply matrices of a few rows: a second BLAS thread only adds hand-offs,
        # and on a busy machine its spinning costs more than the whole fit.
        with threadpool_limits(limits=1, user_api="blas"):
            hit = forecast_series(series, seed)
        with _lock:
            _cache[key] = hit
    return copy.deepcopy(hit)


def forecast_series(series: pd.Series, seed: int = 2021) -> dict[str, object] | None:
    """Backtest, choose, and forecast the next ``HORIZON_YEARS`` twelve-month totals.

    ``series`` is monthly counts indexed by month (a ``PeriodIndex``), ending at the last month
    of a 12-month period. ``None`` when it is shorter than ``MIN_MONTHS`` (three years to fit
    on and one to test), or all zero: no backtest could choose a model.
    """
    if len(series) < MIN_MONTHS or not series.to_numpy().any():
        return None
    bt = backtest(series, seed)
    summary = bt.groupby("model")[["mape", "mase"]].mean()
    chosen = str(summary["mase"].idxmin())
    h = SEASON * HORIZON_YEARS
    fitted = MODELS[chosen](series.to_numpy(dtype=float), h, np.random.default_rng(seed))
    last = pd.Period(series.index[-1], freq="M")
    years = []
    for k in range(HORIZON_YEARS):
        part = slice(k * SEASON, (k + 1) * SEASON)
        totals = fitted.paths[:, part].sum(axis=1)
        lo95, lo80, hi80, hi95 = np.percentile(totals, [2.5, 10, 90, 97.5])
        end = (last + SEASON * (k + 1)).end_time.date()
        years.append(
            {
                "period_end": end.isoformat(),
                "forecast": round(float(fitted.mean[part].sum())),
                "lo80": round(float(lo80)),
                "hi80": round(float(hi80)),
                "lo95": round(float(lo95)),
                "hi95": round(float(hi95)),
            }
        )
    return {
        "model": chosen,
        "model_label": MODEL_LABELS[chosen],
        "backtest": [
            {
                "model": str(m),
                "label": MODEL_LABELS[str(m)],
                "mape": round(float(r["mape"]), 1),
                "mase": round(float(r["mase"]), 2),
            }
            for m, r in summary.iterrows()
        ],
        "origins": sorted(bt["origin"].unique().tolist()),
        "years": years,
    }
