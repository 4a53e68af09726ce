"""Forecasts: the backtest sees nothing after its origins, the intervals are reproducible, and
the cache answers the same series with a copy of the same figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from asbhub.analytics import forecast


def _series(n: int = 72, seed: int = 7) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 4000 + 8 * t + 600 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 120, n)
    return pd.Series(np.round(y), index=pd.period_range("2015-04", periods=n, freq="M"))


def test_backtest_origins_see_only_the_months_before_them() -> None:
    y = _series()
    bt = forecast.backtest(y)
    assert sorted(bt["origin"].unique()) == ["2018-03", "2019-03", "2020-03"]
    later = y.copy()
    later.iloc[-12:] *= 3  # the last origin's test year, after every origin
    changed = forecast.backtest(later)
    early = bt["origin"] != "2020-03"
    pd.testing.assert_frame_equal(bt[early], changed[early])
    assert not np.allclose(bt.loc[~early, "mape"], changed.loc[~early, "mape"])


@pytest.mark.parametrize("model", sorted(forecast.MODELS))
def test_simulated_paths_follow_the_seed(model: str) -> None:
    y = _series().to_numpy(dtype=float)
    fit = forecast.MODELS[model]
    one = fit(y, 24, np.random.default_rng(2021))
    two = fit(y, 24, np.random.default_rng(2021))
    assert one.paths.shape == (forecast.PATHS, 24)
    np.testing.assert_array_equal(one.paths, two.paths)


def test_the_cache_answers_the_same_series_with_a_copy() -> None:
    y = _series()
    forecast.clear_cache()
    first = forecast.forecast_years(y)
    assert first is not None
    first["years"][0]["forecast"] = -1
    again = forecast.forecast_years(y)
    assert again is not None and again["years"][0]["forecast"] != -1
    forecast.clear_cache()
    assert forecast.forecast_years(y) == again  # recomputed: the same figures
    assert forecast.forecast_years(_series(seed=8)) != again
