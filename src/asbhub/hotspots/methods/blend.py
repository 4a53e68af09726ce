"""Naive counts with ties broken by a quartic KDE: a lexicographic blend (guide 3.6).

Counts decide the order; the KDE only orders cells with equal counts (and the many empty
cells), which is where naive's hit rate depends on an arbitrary index order. The KDE term is
scaled into [0, 0.5), so it can never lift a cell above one with a higher count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from asbhub.hotspots.events import History
from asbhub.hotspots.grid import FloatArray
from asbhub.hotspots.methods.base import finish
from asbhub.hotspots.methods.kde import QuarticKDE


@dataclass
class NaiveKDETieBreak:
    bandwidth: float = 400.0
    name: ClassVar[str] = "naive_kde"

    def score(self, history: History) -> FloatArray:
        counts = history.counts.sum(axis=0)
        dens = QuarticKDE(bandwidth=self.bandwidth).score(history)
        dens = np.where(np.isfinite(dens), dens, 0.0)
        top = float(dens.max())
        tie = 0.5 * dens / top * (1 - 1e-9) if top > 0 else np.zeros_like(dens)
        return finish(history, counts + tie)
