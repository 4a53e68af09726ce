"""The one small interface every hotspot method implements, and shared kernel helpers."""

from __future__ import annotations

from typing import ClassVar, Protocol

import numpy as np
from scipy import ndimage

from asbhub.hotspots.events import History
from asbhub.hotspots.grid import FloatArray


class NotFitted(Exception):
    """The method cannot be fitted on this window (for example too few months)."""


class Method(Protocol):
    """Fit on the months of a :class:`History`, then score every cell for its target month.

    ``score`` returns a (rows, cols) array; higher means more expected ASB. Non-kept cells are
    set to ``-inf`` by :func:`finish`, never to 0, so they can never be ranked.
    """

    name: ClassVar[str]

    def score(self, history: History) -> FloatArray: ...


def finish(history: History, score: FloatArray) -> FloatArray:
    out = np.asarray(score, dtype=float).copy()
    out[~history.grid.mask] = -np.inf
    return out


def disc_offsets(radius_m: float, cell: int, *, inclusive: bool = True) -> FloatArray:
    """Distances (m) of grid offsets from the centre, NaN outside ``radius_m``; odd square."""
    r = int(np.floor(radius_m / cell))
    dy, dx = np.mgrid[-r : r + 1, -r : r + 1]
    d = np.hypot(dx, dy) * cell
    inside = d <= radius_m if inclusive else d < radius_m
    return np.where(inside, d, np.nan)


def convolve(arr: FloatArray, kernel: FloatArray) -> FloatArray:
    """Zero-padded 2-D convolution with a small kernel (values beyond the array are 0)."""
    return np.asarray(ndimage.convolve(arr, kernel, mode="constant", cval=0.0), dtype=float)
