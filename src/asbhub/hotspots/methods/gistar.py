"""Getis–Ord Gi* of the window counts, used only as a ranking score (guide 3.4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from asbhub.hotspots.events import History
from asbhub.hotspots.grid import FloatArray
from asbhub.hotspots.methods.base import convolve, disc_offsets, finish


@dataclass
class GetisOrd:
    """Binary weights within ``radius`` metres (self included); only kept cells are
    neighbours. The z-value is not a significance test here (skewed counts, many tests)."""

    radius: float = 250.0  # tuned over 250, 400 m on 2025-04…06
    name: ClassVar[str] = "gistar"

    def score(self, history: History) -> FloatArray:
        mask = history.grid.mask.astype(float)
        x = history.counts.sum(axis=0) * mask
        b = np.where(np.isnan(disc_offsets(self.radius, history.grid.cell)), 0.0, 1.0)
        n = float(mask.sum())
        kept = history.grid.mask
        mean = float(x[kept].mean())
        sd = float(np.sqrt(max((x[kept] ** 2).mean() - mean**2, 0.0)))
        wx = convolve(x, b)
        w = convolve(mask, b)
        w2 = convolve(mask, b * b)
        if sd == 0.0 or n < 2:
            return finish(history, np.zeros_like(x))
        denom = sd * np.sqrt(np.maximum(n * w2 - w**2, 0.0) / (n - 1))
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where(denom > 0, (wx - mean * w) / denom, 0.0)
        return finish(history, g)
