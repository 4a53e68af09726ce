"""Empirical-Bayes shrinkage of each cell's ASB rate toward a prior set by its other crime.

data.police.uk snaps every crime type onto the same fixed set of anonymous map points, so the
street crime recorded in a cell says where ASB *can* be recorded: a cell with shops, a station
or a town-centre street has crime and, sooner or later, ASB reports at the same points. Counts
of ASB alone cannot tell apart the thousands of cells with 0 or 1 report in a short window;
the crime there can.

Model (Poisson-gamma): cell i's monthly ASB rate has a gamma prior with mean
mu_i = rho * o_i / k, where o_i is the cell's other street crime over the window and
rho = (window ASB) / (window other crime) converts crime into ASB for the whole force. With a
prior worth ``strength`` months of observation, the posterior mean after n_i reports in k
months is (n_i + strength * mu_i) / (k + strength); the common denominator does not change
the ranking, so the score is n_i + strength * rho * o_i / k. A quartic KDE (scaled far below
one report) orders the cells that have neither ASB nor crime.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from asbhub.hotspots.events import History
from asbhub.hotspots.grid import FloatArray
from asbhub.hotspots.methods.base import NotFitted, finish
from asbhub.hotspots.methods.kde import QuarticKDE


@dataclass
class CrimeShrinkage:
    strength: float = 4.0  # prior worth, months: tuned on 2025-04…06 over {2, 3, 4, 6, 8, 12}
    bandwidth: float = 400.0
    name: ClassVar[str] = "eb_crime"

    def score(self, history: History) -> FloatArray:
        if history.context is None:
            raise NotFitted("needs the other street crime of the same source (data.police.uk)")
        asb = history.counts.sum(axis=0)
        crime = history.context.sum(axis=0)
        kept = history.grid.mask
        total_crime = float(crime[kept].sum())
        rho = float(asb[kept].sum()) / total_crime if total_crime > 0 else 0.0
        prior = self.strength * rho * crime / history.k
        dens = QuarticKDE(bandwidth=self.bandwidth).score(history)
        dens = np.where(np.isfinite(dens), dens, 0.0)
        top = float(dens.max())
        # Below any difference the counts can make (prior terms are multiples of rho/k).
        tie = 1e-3 * min(1.0, rho * self.strength / history.k) * dens / top if top > 0 else 0.0
        return finish(history, asb + prior + tie)
