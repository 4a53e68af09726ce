"""Metrics against the worked example of the hotspot guide, section 4.1."""

from __future__ import annotations

import numpy as np
import pytest

from asbhub.hotspots.metrics import cells_for, coverage_key, hits, ranking

# 5 x 5 grid, index = 5 * row + col, row 0 = south.
TRAIN = np.zeros(25)
TRAIN[[6, 7, 12, 13, 18, 2, 11, 17]] = [5, 3, 3, 2, 2, 1, 1, 1]
TEST = np.zeros(25)
TEST[[6, 7, 12, 17, 18, 22]] = [3, 1, 4, 1, 2, 1]

# K, n_H, HR, PAI, n*_K, PEI*, RRI, tie-averaged n_H, HR, PEI*
EXPECTED = [
    (1, 3, 0.2500, 6.2500, 4, 0.7500, 0.9000, 3, 0.2500, 0.7500),
    (2, 4, 0.3333, 4.1667, 7, 0.5714, 0.7500, 5.5, 0.4583, 0.7857),
    (5, 10, 0.8333, 4.1667, 11, 0.9091, 1.0000, 10, 0.8333, 0.9091),
    (6, 10, 0.8333, 3.4722, 12, 0.8333, 0.9375, 10.333, 0.8611, 0.8611),
]


def test_order_is_score_then_index() -> None:
    assert list(ranking(TRAIN)[:8]) == [6, 7, 12, 13, 18, 2, 11, 17]
    assert list(ranking(TRAIN)[8:11]) == [0, 1, 3]


@pytest.mark.parametrize("row", EXPECTED, ids=lambda r: f"K={r[0]}")
def test_worked_example(row: tuple[float, ...]) -> None:
    k, n_h, hr, pai, best, pei, rri, n_avg, hr_avg, pei_avg = row
    (h,) = hits(TRAIN, TEST, [int(k)], train=TRAIN)
    assert h.events == 12
    assert h.captured == n_h
    assert h.hit_rate == pytest.approx(hr, abs=5e-5)
    assert h.pai == pytest.approx(pai, abs=5e-5)
    assert h.best == best
    assert h.pei == pytest.approx(pei, abs=5e-5)
    assert h.rri == pytest.approx(rri, abs=5e-5)
    assert h.captured_expected == pytest.approx(n_avg, abs=5e-4)
    assert h.hit_rate_avg == pytest.approx(hr_avg, abs=5e-5)
    assert h.pei_avg == pytest.approx(pei_avg, abs=5e-5)
    assert h.pai_avg == pytest.approx(hr_avg * 25 / k, abs=5e-4)


def test_tie_choice_changes_hit_rate() -> None:
    # Swapping the tied cells' events moves the deterministic answer but not the expectation.
    swapped = TEST.copy()
    swapped[[7, 12]] = swapped[[12, 7]]
    a = hits(TRAIN, TEST, [2])[0]
    b = hits(TRAIN, swapped, [2])[0]
    assert b.hit_rate == pytest.approx(7 / 12)
    assert a.hit_rate == pytest.approx(4 / 12)
    assert a.hit_rate_avg == b.hit_rate_avg


def test_cells_for_coverage() -> None:
    assert cells_for(1, 60580) == 605
    assert cells_for(0.1, 500) == 1  # never zero cells
    assert coverage_key(0.25) == "0.25" and coverage_key(1.0) == "1"


def test_month_without_events_gives_nan_not_error() -> None:
    (h,) = hits(TRAIN, np.zeros(25), [1])
    assert np.isnan(h.hit_rate) and np.isnan(h.pei)
