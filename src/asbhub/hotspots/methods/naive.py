"""Naive counts: the sum of the last k months per cell (guide 3.1), the baseline to beat."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from asbhub.hotspots.events import History
from asbhub.hotspots.grid import FloatArray
from asbhub.hotspots.methods.base import finish


@dataclass
class Naive:
    """Count of events per cell over the whole training window."""

    name: ClassVar[str] = "naive"

    def score(self, history: History) -> FloatArray:
        return finish(history, history.counts.sum(axis=0))


@dataclass
class NaiveLast:
    """Last month's count only (naive with k = 1), the second baseline."""

    name: ClassVar[str] = "naive_last"

    def score(self, history: History) -> FloatArray:
        return finish(history, history.counts[-1])
