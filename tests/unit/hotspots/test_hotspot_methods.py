"""Each method on tiny hand-made event sets whose answers can be worked out by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from asbhub.hotspots.events import Events, GridEvents, History
from asbhub.hotspots.grid import build_grid
from asbhub.hotspots.methods import NotFitted, make_methods
from asbhub.hotspots.methods.gistar import GetisOrd
from asbhub.hotspots.methods.kde import QuarticKDE, quartic_kernel
from asbhub.hotspots.methods.naive import Naive, NaiveLast
from asbhub.hotspots.methods.prospective import Prospective
from asbhub.hotspots.methods.ranker import BoostedRanker, GLMRanker
from asbhub.hotspots.methods.sepp import SelfExciting, fit_sepp
from asbhub.hotspots.methods.shrinkage import CrimeShrinkage

M0 = 2025 * 12  # January 2025


def history(events: list[tuple[int, int, int]], *, n: int = 5, k: int = 3, cell: int = 250,
            offset: tuple[float, float] = (0.5, 0.5)) -> History:  # fmt: skip
    """``events`` as (month 0..k-1, row, col) on an n x n grid at the 10 km square origin."""
    g = build_grid(shapely.box(10_000, 10_000, 10_000 + n * cell, 10_000 + n * cell), cell)
    t, r, c = (np.asarray(v, dtype=float) for v in zip(*events, strict=True)) if events else (
        np.zeros(0), np.zeros(0), np.zeros(0))  # fmt: skip
    frame = pd.DataFrame(
        {
            "month": (M0 + t).astype(np.int64),
            "x": 10_000 + (c + offset[0]) * cell,
            "y": 10_000 + (r + offset[1]) * cell,
            "location": "On or near Test Street",
            "lsoa_code": None,
        }
    )
    ev = Events(frame=frame, months=np.arange(M0, M0 + k + 1, dtype=np.int64), source="test")
    return GridEvents(ev, g).history(M0 + k, k)


def test_naive_and_last_month() -> None:
    h = history([(0, 1, 1), (0, 1, 1), (2, 1, 1), (2, 3, 3), (1, 0, 4)])
    s = Naive().score(h)
    assert s[1, 1] == 3 and s[3, 3] == 1 and s[0, 4] == 1 and s.sum() == 5
    last = NaiveLast().score(h)
    assert last[1, 1] == 1 and last[3, 3] == 1 and last[0, 4] == 0


def test_non_kept_cells_are_minus_infinity() -> None:
    g = build_grid(shapely.Polygon([(0, 0), (490, 0), (0, 490)]), 250)  # a triangle
    assert g.mask.tolist() == [[True, True], [True, False]]
    ev = Events(pd.DataFrame({"month": [M0], "x": [10.0], "y": [10.0], "location": [""],
                              "lsoa_code": [None]}), np.asarray([M0, M0 + 1]), "test")  # fmt: skip
    for meth in (Naive(), QuarticKDE(), Prospective(), GetisOrd()):
        s = meth.score(GridEvents(ev, g).history(M0 + 1, 1))
        assert s[1, 1] == -np.inf and np.isfinite(s[g.mask]).all()


def test_kde_spreads_one_event_symmetrically_and_conserves_mass() -> None:
    h = history([(0, 2, 2)])  # at the centre of cell (2, 2): pixel (12, 12) of the 50 m raster
    s = QuarticKDE(bandwidth=200).score(h)
    kern = quartic_kernel(200)
    assert s.sum() * 25 == pytest.approx(kern.sum())  # every kernel pixel lands inside the box
    assert s[2, 2] == pytest.approx(kern[2:7, 2:7].sum() / 25)
    assert s[2, 1] == pytest.approx(s[2, 3]) == pytest.approx(s[1, 2]) == pytest.approx(s[3, 2])
    assert s[2, 2] > s[2, 1] > 0 and s[1, 1] == 0.0 and s[0, 0] == 0.0


def test_kde_ranks_denser_place_first() -> None:
    h = history([(0, 1, 1), (1, 1, 1), (2, 3, 3)])
    s = QuarticKDE().score(h)
    assert s[1, 1] > s[3, 3] > 0


def test_prospective_weights_by_months_ago_and_distance() -> None:
    h = history([(2, 2, 2), (0, 0, 0)])  # last month at the centre; two months ago in a corner
    s = Prospective(radius=400).score(h)
    assert s[2, 2] == pytest.approx(1.0)
    assert s[2, 3] == pytest.approx(1 / (1 + 1))  # 250 m away
    assert s[3, 3] == pytest.approx(1 / (1 + np.sqrt(2)))  # 354 m away
    assert s[2, 4] == 0.0  # 500 m is beyond 400 m
    assert s[0, 0] == pytest.approx(1 / 3)  # two months ago, same cell
    assert Prospective(radius=400, months=2).score(h)[0, 0] == 0.0  # outside T = 2 months


def _gi_star_by_hand(x: np.ndarray, radius_cells: float) -> np.ndarray:
    n = x.size
    xs = x.ravel()
    mean, sd = xs.mean(), np.sqrt((xs**2).mean() - xs.mean() ** 2)
    out = np.zeros_like(x, dtype=float)
    for r in range(x.shape[0]):
        for c in range(x.shape[1]):
            rr, cc = np.mgrid[: x.shape[0], : x.shape[1]]
            w = (np.hypot(rr - r, cc - c) <= radius_cells).astype(float)
            sw = w.sum()
            out[r, c] = ((w * x).sum() - mean * sw) / (sd * np.sqrt((n * sw - sw**2) / (n - 1)))
    return out


def test_getis_ord_matches_the_formula() -> None:
    events = [(0, 1, 1)] * 4 + [(1, 1, 2), (2, 3, 3), (2, 4, 0)]
    h = history(events)
    s = GetisOrd(radius=400).score(h)
    expected = _gi_star_by_hand(h.counts.sum(axis=0), 400 / 250)
    np.testing.assert_allclose(s, expected, rtol=1e-10)
    # The edge effect the guide warns of: the corner cell, with 4 neighbours instead of 9, has
    # a smaller variance term and outranks the busy interior cell next to it.
    assert s[0, 0] > s[1, 1]


def _simulate(mu: float, theta: float, months: int, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = np.zeros((months, n, n))
    y[0] = rng.poisson(mu, (n, n))
    for t in range(1, months):
        y[t] = rng.poisson(mu + theta * y[t - 1])  # trigger: same cell, one month later
    return y


def test_sepp_recovers_known_carry_over_on_month_stamped_counts() -> None:
    # A background per cell soaks up part of the carry-over when there are few months (with 12
    # months theta comes out near 0.34); 48 months make the estimate sharp enough to check.
    y = _simulate(mu=0.3, theta=0.5, months=48, n=60, seed=1)
    mask = np.ones((60, 60), dtype=bool)
    fit = fit_sepp(y, mask, lags=1, radius=1)
    assert fit.converged and fit.iterations < 200
    assert fit.theta == pytest.approx(0.5, abs=0.05)
    assert fit.w[1, 1] > 0.8  # the trigger stays in the cell, as simulated
    assert float(fit.mu[mask].mean()) == pytest.approx(0.3, abs=0.06)
    assert all(b >= a - 1e-6 * abs(a) for a, b in zip(fit.trace, fit.trace[1:], strict=False))


def test_sepp_finds_no_trigger_in_pure_background() -> None:
    y = _simulate(mu=0.5, theta=0.0, months=12, n=60, seed=2)
    fit = fit_sepp(y, np.ones((60, 60), dtype=bool), lags=3, radius=1)
    assert fit.converged and np.isfinite(fit.loglik)
    assert fit.theta < 0.05


def test_sepp_needs_six_months_and_scores_with_carry_over() -> None:
    with pytest.raises(NotFitted):
        SelfExciting().score(history([(0, 1, 1)], k=3))
    # A cell busy every month and another busy only last month: both get a score, the steady
    # one more; every event of a month shares the month's one timestamp (no zero gaps used).
    events = [(t, 1, 1) for t in range(6) for _ in range(3)] + [(5, 3, 3)] * 3
    s = SelfExciting().score(history(events, k=6))
    assert s[1, 1] > s[3, 3] > s[0, 0] >= 0


@pytest.mark.parametrize("ranker", [GLMRanker(), BoostedRanker(min_samples_leaf=5)])
def test_rankers_put_steady_cells_first(ranker: GLMRanker | BoostedRanker) -> None:
    steady = [(t, r, c) for t in range(6) for r, c, n in ((2, 2, 4), (7, 7, 2)) for _ in range(n)]
    one_off = [(0, 12, 3), (0, 12, 3)]
    s = ranker.score(history(steady + one_off, n=15, k=6))
    order = np.argsort(-s.ravel(), kind="stable")
    top = [tuple(int(v) for v in np.unravel_index(i, s.shape)) for i in order[:3]]
    assert top[:2] == [(2, 2), (7, 7)]
    assert s[12, 3] < s[7, 7]


def test_make_methods_always_includes_the_baselines() -> None:
    names = [m.name for m in make_methods(["gistar"])]
    assert names[:2] == ["naive", "kde"] and "gistar" in names


def test_eb_crime_lifts_cells_with_crime_by_the_posterior_mean() -> None:
    """k = 3, strength 4: score = n + 4 * rho * crime / 3 with rho = ASB / crime = 3 / 9."""
    g = build_grid(shapely.box(10_000, 10_000, 11_250, 11_250), 250)
    asb = pd.DataFrame(
        {"month": np.asarray([M0, M0 + 1, M0 + 2], dtype=np.int64),
         "x": [10_125.0, 10_125.0, 11_125.0], "y": [10_125.0, 10_125.0, 11_125.0],
         "location": "", "lsoa_code": None}
    )  # fmt: skip
    # 9 other crimes: 6 at cell (2, 2) (no ASB there), 3 at cell (0, 0) (2 ASB reports).
    cx = [10_625.0] * 6 + [10_125.0] * 3
    other = pd.DataFrame(
        {"month": np.asarray([M0, M0 + 1, M0 + 2] * 3, dtype=np.int64), "x": cx, "y": cx}
    )
    ev = Events(asb, np.arange(M0, M0 + 4, dtype=np.int64), "test", context=other)
    h = GridEvents(ev, g).history(M0 + 3, 3)
    s = CrimeShrinkage(strength=4).score(h)
    rho = 3 / 9
    assert s[0, 0] == pytest.approx(2 + 4 * rho * 3 / 3, abs=2e-3)
    assert s[2, 2] == pytest.approx(0 + 4 * rho * 6 / 3, abs=2e-3)  # crime alone: 2.67
    assert s[4, 4] == pytest.approx(1, abs=2e-3)  # one report, no crime
    assert s[0, 0] > s[2, 2] > s[4, 4] > s[3, 3] >= s[0, 4] >= 0  # the KDE orders the rest
    with pytest.raises(NotFitted):
        CrimeShrinkage().score(history([(0, 1, 1)]))  # a source without other crime


@pytest.mark.slow
def test_boosted_ranker_predictions_stay_bounded_on_sparse_150m_cells() -> None:
    """Unregularised Poisson boosting predicted ~8,700 reports for one cell here (a tuning
    month, 150 m, k = 3) because leaves of near-empty cells have almost no hessian."""
    from asbhub.hotspots.events import month_index, read_police_uk
    from asbhub.hotspots.grid import force_grid

    root = Path(__file__).resolve().parents[3]
    police_uk = next(
        p / "data" / "police-uk" for p in (root.parent / "shared", root.parent.parent / "shared")
        if p.exists()
    )  # fmt: skip
    # The three months the history holds are all it reads (the other files change nothing).
    months = [
        p for p in sorted(police_uk.iterdir()) if p.name[:7] in {"2025-03", "2025-04", "2025-05"}
    ]
    data = GridEvents(read_police_uk(months, "essex"), force_grid("essex", 150))
    h = data.history(month_index("2025-06"), 3)
    assert h.counts.shape[0] == 3 and h.counts.max() > 0
    s = BoostedRanker().score(h)
    assert np.isfinite(s[h.grid.mask]).all()
    assert s[h.grid.mask].max() <= 3 * h.counts.max()
    # Fifty rounds are enough to show it (the count runs away sooner without the penalty).
    raw = BoostedRanker(max_iter=50, l2_regularization=0.0).score(h)
    assert raw[h.grid.mask].max() > 100 * h.counts.max()  # the failure this guards against


def test_naive_kde_breaks_count_ties_by_nearby_reports_only() -> None:
    from asbhub.hotspots.methods.blend import NaiveKDETieBreak
    from asbhub.hotspots.metrics import ranking

    # A (0, 0) has 3 reports; C (0, 4) one alone; B (2, 2) and D (2, 3) one each, side by side.
    h = history([(0, 0, 0)] * 3 + [(1, 0, 4), (2, 2, 2), (2, 2, 3)])
    s = NaiveKDETieBreak().score(h)
    naive_top = ranking(Naive().score(h).ravel())[:4].tolist()
    assert naive_top == [0, 4, 12, 13]  # ties by index: the lone C first
    assert ranking(s.ravel())[:4].tolist() == [0, 12, 13, 4]  # B and D back each other up
    assert s[0, 4] > s[1, 2] > s[4, 0] == 0.0  # a count always outranks any KDE term
    assert s[0, 0] - 3 < 0.5 and s[2, 2] - 1 < 0.5
