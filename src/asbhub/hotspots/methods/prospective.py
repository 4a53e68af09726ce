"""Prospective hotspotting adapted to months (guide 3.3, after Bowers, Johnson & Pease 2004)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from asbhub.hotspots.events import History
from asbhub.hotspots.grid import FloatArray
from asbhub.hotspots.methods.base import convolve, disc_offsets, finish


def space_kernel(cell: int, radius_m: float) -> FloatArray:
    """1 / (1 + d/250 m) for centre distances below ``radius_m``; distance in 250 m units so
    the decay is the same physical distance at every cell size."""
    d = disc_offsets(radius_m, cell, inclusive=False)
    return np.where(np.isnan(d), 0.0, 1.0 / (1.0 + np.nan_to_num(d) / 250.0))


@dataclass
class Prospective:
    """Weight 1/(1 + months ago) · 1/(1 + distance), summed over months ago < ``months``."""

    radius: float = 250.0  # tuned over 250, 400, 600 m on 2025-04…06
    months: int | None = 3  # time bandwidth T in months (tuned over 2, 3)
    name: ClassVar[str] = "prospective"

    def score(self, history: History) -> FloatArray:
        k = history.k
        t = k if self.months is None else min(self.months, k)
        ago = np.arange(k)[::-1]  # counts are oldest first; ago 0 is the last month
        w = np.where(ago < t, 1.0 / (1.0 + ago), 0.0)
        weighted = np.tensordot(w, history.counts, axes=(0, 0))
        return finish(history, convolve(weighted, space_kernel(history.grid.cell, self.radius)))
