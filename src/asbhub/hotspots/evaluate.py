"""Walk-forward evaluation of hotspot methods (guide section 5).

For each test month m: fit every method on the k months ending g months before m, score all
kept cells, and measure hit rate, PAI and PEI* (deterministic and tie-averaged) and RRI at
each coverage. Then summarise over months and test every method against naive and KDE on the
per-month differences of the tie-averaged hit rate (Wilcoxon with zsplit, moving-block and
plain bootstrap, Holm across the secondary comparisons).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from asbhub.errors import InvalidInput
from asbhub.hotspots.events import GridEvents, MonthDiagnostics, month_label, month_range
from asbhub.hotspots.methods import Method, NotFitted
from asbhub.hotspots.metrics import COVERAGES, Hits, cells_for, coverage_key, hits

PRIMARY_COVERAGE = 1.0
BOOTSTRAP_SAMPLES = 10_000
BLOCK = 3


@dataclass
class MonthResult:
    month: int
    seconds: float
    hits: dict[float, Hits]  # by coverage (per cent)


@dataclass
class MethodResult:
    name: str
    months: list[MonthResult] = field(default_factory=list)
    not_fitted: str | None = None

    def series(self, coverage: float, attr: str) -> np.ndarray:
        return np.asarray([getattr(m.hits[coverage], attr) for m in self.months], dtype=float)


@dataclass
class Evaluation:
    cell: int
    k: int
    gap: int
    test_months: list[int]
    coverages: tuple[float, ...]
    n_cells: int
    diagnostics: list[MonthDiagnostics]
    methods: list[MethodResult]

    def fitted(self) -> list[MethodResult]:
        return [m for m in self.methods if m.not_fitted is None]

    def method(self, name: str) -> MethodResult:
        for m in self.methods:
            if m.name == name:
                return m
        raise KeyError(name)


Progress = Callable[[str], None]


def evaluate(
    data: GridEvents,
    methods: Sequence[Method],
    test_months: Sequence[int],
    *,
    k: int,
    gap: int = 1,
    coverages: Sequence[float] = COVERAGES,
    progress: Progress | None = None,
) -> Evaluation:
    """Walk forward over ``test_months``; every method sees the same windows (paired)."""
    if not test_months:
        raise InvalidInput("no test months")
    if k < 1 or gap < 1:
        raise InvalidInput("the window k and the gap g must be at least 1 month")
    data.require(test_months, "as test months")
    for m in test_months:
        data.require(month_range(m - gap - k + 1, m - gap), f"to train for {month_label(m)}")
    grid = data.grid
    ks = [cells_for(c, grid.n_cells) for c in coverages]
    results = [MethodResult(name=meth.name) for meth in methods]
    diagnostics = []
    for month in test_months:
        history = data.history(month, k, gap)
        observed = grid.to_flat(data.count(month))
        train = grid.to_flat(history.counts.sum(axis=0))
        diagnostics.append(data.diagnostics(month))
        for meth, res in zip(methods, results, strict=True):
            if res.not_fitted is not None:
                continue
            if progress:
                progress(f"{month_label(month)} {meth.name}")
            t0 = time.perf_counter()
            try:
                score = meth.score(history)
            except NotFitted as exc:
                res.not_fitted = str(exc)
                res.months.clear()
                continue
            seconds = time.perf_counter() - t0
            flat = grid.to_flat(score)
            month_hits = hits(flat, observed, ks, train=train)
            res.months.append(
                MonthResult(
                    month=month, seconds=seconds, hits=dict(zip(coverages, month_hits, strict=True))
                )
            )
    return Evaluation(
        cell=grid.cell,
        k=k,
        gap=gap,
        test_months=list(test_months),
        coverages=tuple(coverages),
        n_cells=grid.n_cells,
        diagnostics=diagnostics,
        methods=results,
    )


def _stat(values: np.ndarray) -> dict[str, float | None]:
    v = values[np.isfinite(values)]
    if not len(v):
        return {"mean": None, "median": None, "q1": None, "q3": None, "min": None, "max": None}
    q1, med, q3 = np.percentile(v, [25, 50, 75])
    return {
        "mean": float(v.mean()),
        "median": float(med),
        "q1": float(q1),
        "q3": float(q3),
        "min": float(v.min()),
        "max": float(v.max()),
    }


def _mean(values: np.ndarray) -> float | None:
    v = values[np.isfinite(values)]
    return float(v.mean()) if len(v) else None


def _bootstrap(d: np.ndarray, block: int, rng: np.random.Generator) -> tuple[float, float]:
    """95 % percentile interval of the mean of ``d`` resampling months (in blocks)."""
    n = len(d)
    if n == 0:
        return (float("nan"), float("nan"))
    b = max(1, min(block, n))
    starts = n - b + 1
    n_blocks = int(np.ceil(n / b))
    pick = rng.integers(0, starts, size=(BOOTSTRAP_SAMPLES, n_blocks))
    idx = (pick[:, :, None] + np.arange(b)[None, None, :]).reshape(BOOTSTRAP_SAMPLES, -1)[:, :n]
    means = d[idx].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(lo), float(hi)


def _wilcoxon(d: np.ndarray) -> float:
    if len(d) == 0 or np.all(d == 0):
        return 1.0
    with warnings.catch_warnings():
        # Few months and zero differences make scipy warn about its approximation; the
        # p-value is still the right one to report (and is reported with the month count).
        warnings.simplefilter("ignore")
        from scipy import stats  # here: a slow import that only an evaluation needs

        return float(stats.wilcoxon(d, zero_method="zsplit").pvalue)


def _holm(pvalues: list[float]) -> list[float]:
    """Holm's step-down adjustment (statsmodels), in the order given."""
    from statsmodels.stats.multitest import multipletests  # as scipy.stats above

    return [float(p) for p in multipletests(pvalues, method="holm")[1]]


def paired_tests(ev: Evaluation, *, seed: int = 0) -> list[dict[str, Any]]:
    """Every fitted method against naive and against KDE, per coverage.

    D_m = tie-averaged HR of the method − that of the baseline in month m. A method beats a
    baseline at a coverage when the mean of D is positive, the block-bootstrap interval
    excludes 0 and the (Holm-adjusted, for secondary comparisons) Wilcoxon p < 0.05.
    """
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    for base_name in ("naive", "kde"):
        base = ev.method(base_name)
        if base.not_fitted is not None:
            continue
        for meth in ev.fitted():
            if meth.name == base_name:
                continue
            for c in ev.coverages:
                a = meth.series(c, "hit_rate_avg")
                b = base.series(c, "hit_rate_avg")
                d = a - b
                d = d[np.isfinite(d)]
                base_mean = float(np.mean(b[np.isfinite(b)])) if np.isfinite(b).any() else 0.0
                block = _bootstrap(d, BLOCK, rng)
                plain = _bootstrap(d, 1, rng)
                rows.append(
                    {
                        "method": meth.name,
                        "baseline": base_name,
                        "coverage": coverage_key(c),
                        "months": len(d),
                        "mean_diff": float(d.mean()) if len(d) else None,
                        "relative": float(d.mean() / base_mean) if len(d) and base_mean else None,
                        "wilcoxon_p": _wilcoxon(d),
                        "block_ci": list(block),
                        "plain_ci": list(plain),
                        "primary": c == PRIMARY_COVERAGE,
                    }
                )
    secondary = [i for i, r in enumerate(rows) if not r["primary"]]
    adjusted = _holm([rows[i]["wilcoxon_p"] for i in secondary]) if secondary else []
    for r in rows:
        r["wilcoxon_p_holm"] = r["wilcoxon_p"]
    for i, p in zip(secondary, adjusted, strict=True):
        rows[i]["wilcoxon_p_holm"] = p
    for r in rows:
        lo = r["block_ci"][0]
        r["beats"] = bool(
            r["mean_diff"] is not None
            and r["mean_diff"] > 0
            and np.isfinite(lo)
            and lo > 0
            and r["wilcoxon_p_holm"] < 0.05
        )
    return rows


def _clean(obj: Any) -> Any:
    """NaN and infinities become null, so the output is strict JSON."""
    if isinstance(obj, float):
        return obj if np.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def to_json(ev: Evaluation) -> dict[str, Any]:
    """The ``evaluate --json`` object: ``{"methods": [{"name", "coverage", ...}], ...}``.

    ``hit_rate``, ``pai`` and ``pei`` are means over test months of the tie-averaged values
    (the ones to compare methods on); the deterministic values sit under ``deterministic``.
    """
    methods = []
    for meth in ev.fitted():
        coverage: dict[str, Any] = {}
        for c in ev.coverages:
            hr = meth.series(c, "hit_rate_avg")
            pai = meth.series(c, "pai_avg")
            pei = meth.series(c, "pei_avg")
            coverage[coverage_key(c)] = {
                "hit_rate": _mean(hr),
                "pai": _mean(pai),
                "pei": _mean(pei),
                "cells": meth.months[0].hits[c].k if meth.months else None,
                "hit_rate_stats": _stat(hr),
                "pai_stats": _stat(pai),
                "pei_stats": _stat(pei),
                "rri": _mean(meth.series(c, "rri")),
                "deterministic": {
                    "hit_rate": _mean(meth.series(c, "hit_rate")),
                    "pai": _mean(meth.series(c, "pai")),
                    "pei": _mean(meth.series(c, "pei")),
                },
            }
        secs = np.asarray([m.seconds for m in meth.months])
        methods.append(
            {
                "name": meth.name,
                "coverage": coverage,
                "seconds_per_month": float(secs.mean()) if len(secs) else None,
                "seconds_per_month_max": float(secs.max()) if len(secs) else None,
                "per_month": [
                    {
                        "month": month_label(m.month),
                        "seconds": m.seconds,
                        "hit_rate": {coverage_key(c): h.hit_rate_avg for c, h in m.hits.items()},
                    }
                    for m in meth.months
                ],
            }
        )
    return _clean(
        {
            "methods": methods,
            "not_fitted": [
                {"name": m.name, "reason": m.not_fitted} for m in ev.methods if m.not_fitted
            ],
            "settings": {
                "cell": ev.cell,
                "train_months": ev.k,
                "gap": ev.gap,
                "test_months": [month_label(m) for m in ev.test_months],
                "cells": ev.n_cells,
                "coverages": [coverage_key(c) for c in ev.coverages],
                "primary": {"coverage": coverage_key(PRIMARY_COVERAGE), "metric": "hit_rate"},
            },
            "diagnostics": [
                {
                    "month": month_label(d.month),
                    "events": d.events,
                    "unlocated": d.unlocated,
                    "outside": d.outside,
                    "occupied_share": d.occupied_share,
                    "top1_share": d.top1_share,
                }
                for d in ev.diagnostics
            ],
            "paired_tests": paired_tests(ev),
        }
    )


def _f(v: float | None, fmt: str = ".3f") -> str:
    return "–" if v is None else format(v, fmt)


def to_markdown(out: dict[str, Any]) -> str:
    """Markdown tables of one ``evaluate --json`` object (docs/hotspots.md is built from these)."""
    st = out["settings"]
    covs = st["coverages"]
    lines = [
        f"**{st['cell']} m cells ({st['cells']:,} kept), k = {st['train_months']}, test months "
        f"{st['test_months'][0]}…{st['test_months'][-1]} ({len(st['test_months'])}).** "
        "Tie-averaged means over months; PAI and PEI* at 1 % with min–max over months.",
        "",
        "| method | " + " | ".join(f"HR {c} %" for c in covs) + " | PAI 1 % (min–max) "
        "| PEI* 1 % | HR 1 % det. | s/month |",
        "|---|" + "---|" * (len(covs) + 4),
    ]
    for m in out["methods"]:
        cov = m["coverage"]
        one = cov.get("1", {})
        pai = one.get("pai_stats", {})
        lines.append(
            f"| {m['name']} | "
            + " | ".join(_f(cov[c]["hit_rate"]) for c in covs)
            + f" | {_f(one.get('pai'), '.1f')} ({_f(pai.get('min'), '.1f')}–"
            f"{_f(pai.get('max'), '.1f')}) | {_f(one.get('pei'))} | "
            f"{_f(one.get('deterministic', {}).get('hit_rate'))} | "
            f"{_f(m['seconds_per_month'], '.2f')} |"
        )
    for nf in out["not_fitted"]:
        lines.append(f"| {nf['name']} | not fitted: {nf['reason']} |" + " |" * (len(covs) + 3))
    lines += [
        "",
        "Paired tests at 1 % (primary coverage; differences of tie-averaged hit rate per month; "
        "95 % moving-block bootstrap, blocks of 3 months; Wilcoxon signed-rank, zsplit):",
        "",
        "| method | vs | mean diff | relative | block CI | plain CI | Wilcoxon p | beats |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in out["paired_tests"]:
        if t["coverage"] != "1":
            continue
        bci, pci = t["block_ci"], t["plain_ci"]
        lines.append(
            f"| {t['method']} | {t['baseline']} | {_f(t['mean_diff'], '+.4f')} | "
            f"{_f(t['relative'], '+.1%')} | [{_f(bci[0], '+.4f')}, {_f(bci[1], '+.4f')}] | "
            f"[{_f(pci[0], '+.4f')}, {_f(pci[1], '+.4f')}] | {_f(t['wilcoxon_p'], '.3f')} | "
            f"{'yes' if t['beats'] else 'no'} |"
        )
    wins = [t for t in out["paired_tests"] if t["coverage"] != "1" and t["beats"]]
    lines += [
        "",
        "Secondary coverages (Holm-adjusted across them) where a method beats a baseline: "
        + (
            ", ".join(
                f"{t['method']} > {t['baseline']} at {t['coverage']} % "
                f"({_f(t['mean_diff'], '+.3f')})"
                for t in wins
            )
            or "none"
        )
        + ".",
        "",
        "| month | events | unlocated | outside | cells with ≥ 1 event | events in top 1 % "
        "of cells |",
        "|---|---|---|---|---|---|",
    ]
    for d in out["diagnostics"]:
        lines.append(
            f"| {d['month']} | {d['events']:,} | {d['unlocated']} | {d['outside']} | "
            f"{_f(d['occupied_share'], '.2%')} | {_f(d['top1_share'], '.1%')} |"
        )
    return "\n".join(lines) + "\n"
