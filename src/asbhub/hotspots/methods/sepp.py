"""A grid self-exciting point process in discrete (monthly) time, fitted by EM (guide 3.5).

    λ(i, t) = μ_i + θ Σ_{l=1..L} q(l) Σ_δ w(δ) Y(t − l, i − δ),   Y(i, t) ~ Poisson(λ(i, t))

Events in the same month share one timestamp, so only month-to-month carry-over is modelled:
lags start at 1 and no pair of events is ever separated by a zero time gap. q is a geometric
lag kernel truncated to L lags, w a nonparametric spatial kernel on offsets within R cells.
Every EM step is whole-array arithmetic; the only loops are over EM iterations, lags (L <= 3)
and kernel offsets (9 or 25).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from scipy import ndimage

from asbhub.hotspots.events import History
from asbhub.hotspots.grid import FloatArray
from asbhub.hotspots.methods.base import NotFitted, finish


def lag_kernel(rho: float, lags: int) -> FloatArray:
    """q(l) ∝ ρ^(l−1), l = 1..L, normalised to sum to 1 over the L lags."""
    q = rho ** np.arange(lags, dtype=float)
    return q / q.sum()


def rho_for_mean_lag(mean_lag: float, lags: int) -> float:
    """The ρ whose truncated geometric lag kernel has mean ``mean_lag`` (bisection)."""
    lo, hi = 1e-3, 0.999
    ls = np.arange(1, lags + 1, dtype=float)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if float((lag_kernel(mid, lags) * ls).sum()) < mean_lag:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@dataclass
class SEPPFit:
    mu: FloatArray
    theta: float
    rho: float
    w: FloatArray
    iterations: int
    loglik: float
    converged: bool
    trace: list[float] = field(default_factory=list)


def _shift(a: FloatArray, dr: int, dc: int) -> FloatArray:
    """``out[i] = a[i - δ]`` with zeros shifted in (no wrap-around)."""
    out = np.zeros_like(a)
    nr, nc = a.shape[-2:]
    rs = slice(max(dr, 0), nr + min(dr, 0))
    cs = slice(max(dc, 0), nc + min(dc, 0))
    rsrc = slice(max(-dr, 0), nr + min(-dr, 0))
    csrc = slice(max(-dc, 0), nc + min(-dc, 0))
    out[..., rs, cs] = a[..., rsrc, csrc]
    return out


def fit_sepp(
    counts: FloatArray,
    mask: np.ndarray,
    *,
    lags: int,
    radius: int,
    max_iter: int = 200,
    tol: float = 1e-6,
    floor: float = 1e-3,
) -> SEPPFit:
    """EM for the discrete-time grid SEPP on ``counts`` (months, rows, cols), oldest first."""
    k = counts.shape[0]
    if k - lags < 1:
        raise NotFitted(f"needs more than {lags} months")
    y = counts * mask
    modelled = np.arange(lags, k)  # months with a full lag history
    m = len(modelled)
    yt = y[modelled]
    mu = np.where(mask, y.mean(axis=0) + floor, 0.0)
    theta, rho = 0.1, 0.5
    size = 2 * radius + 1
    offsets = [(dr, dc) for dr in range(-radius, radius + 1) for dc in range(-radius, radius + 1)]
    w = np.full((size, size), 1.0 / size**2)
    # Source month s's offspring land at s+1..s+L; only those in modelled months are seen.
    loglik_prev = -np.inf
    trace: list[float] = []
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        q = lag_kernel(rho, lags)
        # E(t) = Σ_l q(l) Y(t − l) for the modelled months, then w ⊛ E.
        e = np.zeros_like(yt)
        lagged = [y[modelled - lag] for lag in range(1, lags + 1)]
        for li in range(lags):
            e += q[li] * lagged[li]
        we = ndimage.convolve(e, w[None, :, :], mode="constant", cval=0.0)
        lam = mu[None] + theta * we
        lam_safe = np.where(mask[None], np.maximum(lam, 1e-300), 1.0)
        with np.errstate(divide="ignore"):
            ll = float((np.where(yt > 0, yt * np.log(lam_safe), 0.0) - lam * mask[None]).sum())
        trace.append(ll)
        if np.isfinite(loglik_prev) and abs(ll - loglik_prev) <= tol * abs(loglik_prev):
            converged = True
            break
        loglik_prev = ll
        ratio = np.where(mask[None], yt / lam_safe, 0.0)  # Y / λ
        background = mu[None] * ratio
        triggered_total = float(yt.sum() - background.sum())
        # Lag allocation: share of triggered mass carried by lag l.
        by_lag = np.array(
            [
                float(
                    (ratio * ndimage.convolve(q[li] * lagged[li], w[None], mode="constant")).sum()
                )
                * theta
                for li in range(lags)
            ]
        )
        # Spatial allocation: Σ_t Σ_i (Y/λ)(i) E(i − δ) for each offset δ.
        corr = np.array([float((ratio * _shift(e, dr, dc)).sum()) for dr, dc in offsets])
        # M-step.
        mu = np.where(mask, background.sum(axis=0) / m, 0.0)
        share = np.zeros(k)
        for li in range(lags):
            src = modelled - (li + 1)
            np.add.at(share, src, q[li])
        exposure = float((y.sum(axis=(1, 2)) * share).sum())
        theta = triggered_total / exposure if exposure > 0 else 0.0
        if by_lag.sum() > 0 and lags > 1:
            mean_lag = float((by_lag * np.arange(1, lags + 1)).sum() / by_lag.sum())
            rho = rho_for_mean_lag(mean_lag, lags)
        w_new = w.ravel() * corr
        if w_new.sum() > 0:
            w = (w_new / w_new.sum()).reshape(size, size)
    return SEPPFit(
        mu=mu,
        theta=theta,
        rho=rho,
        w=w,
        iterations=it,
        loglik=trace[-1],
        converged=converged,
        trace=trace,
    )


def sepp_intensity(counts: FloatArray, fit: SEPPFit, lags: int) -> FloatArray:
    """λ for the month after the last month of ``counts``."""
    q = lag_kernel(fit.rho, lags)
    e = sum(q[li] * counts[-(li + 1)] for li in range(lags))
    return fit.mu + fit.theta * ndimage.convolve(
        np.asarray(e, dtype=float), fit.w, mode="constant", cval=0.0
    )


@dataclass
class SelfExciting:
    """Discrete-time grid SEPP; needs at least ``min_months`` months to separate the
    background from the carry-over (with 3 months they are confounded)."""

    max_lags: int = 3
    min_months: int = 6
    radius_m: float = 250.0
    name: ClassVar[str] = "sepp"
    last_fit: SEPPFit | None = None

    def lags_for(self, k: int) -> int:
        return max(1, min(self.max_lags, k // 2))

    def score(self, history: History) -> FloatArray:
        if history.k < self.min_months:
            raise NotFitted(f"needs k >= {self.min_months} months (got {history.k})")
        lags = self.lags_for(history.k)
        radius = max(1, round(self.radius_m / history.grid.cell))
        fit = fit_sepp(history.counts, history.grid.mask, lags=lags, radius=radius)
        self.last_fit = fit
        return finish(history, sepp_intensity(history.counts, fit, lags))
