"""The SARA baseline and assessment counts, as pure functions of incident points.

Definitions (domain guide 4.3; Bowers and Johnson 2003 for the displacement check):

- **target**: incidents within ``radius_m`` of the case's place;
- **buffer**: incidents beyond ``radius_m`` and within ``buffer_m`` (where displaced ASB, or a
  diffusion of benefit, would show first);
- **control**: the other incidents of the case's local authority area, outside the buffer
  (the background trend);
- each counted over a half-open window of days, ``start <= received < end + 1 day``.

The weighted displacement quotient compares the buffer's change with the target's, both
relative to the control: ``WDQ = (B_a/C_a - B_b/C_b) / (A_a/C_a - A_b/C_b)``. It is defined only
when the target fell relative to the control (the response worked at all) and the control has
incidents in both periods. WDQ > 0 is a diffusion of benefits, WDQ < 0 displacement; below -1
the displacement outweighs the reduction.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Point:
    """One incident as the counts see it."""

    received_at: dt.datetime
    x: float | None
    y: float | None
    local_authority_code: str | None
    covid_breach: bool = False


@dataclass(frozen=True)
class Window:
    start: dt.date
    end: dt.date  # inclusive

    def holds(self, at: dt.datetime) -> bool:
        return self.start <= at.date() <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class AreaCounts:
    target: int
    buffer: int
    control: int


@dataclass(frozen=True)
class Place:
    x: float
    y: float
    radius_m: float
    buffer_m: float
    local_authority_code: str | None


def area_counts(
    points: Iterable[Point], place: Place, window: Window, *, exclude_covid: bool = True
) -> AreaCounts:
    """Count ``points`` in the target, buffer and control areas of ``place`` in ``window``.

    A point with no position counts in the control when it is in the place's area (it cannot
    be placed nearer)."""
    target = buffer = control = 0
    for p in points:
        if not window.holds(p.received_at) or (exclude_covid and p.covid_breach):
            continue
        d = math.inf if p.x is None or p.y is None else math.hypot(p.x - place.x, p.y - place.y)
        if d <= place.radius_m:
            target += 1
        elif d <= place.buffer_m:
            buffer += 1
        elif p.local_authority_code == place.local_authority_code:
            control += 1
    return AreaCounts(target, buffer, control)


@dataclass(frozen=True)
class Assessment:
    before: AreaCounts
    after: AreaCounts
    target_change: int
    target_change_pct: float | None
    wdq: float | None
    displacement: str  # one of VERDICTS


VERDICTS = {
    "no_reduction": "The target area did not fall against the rest of the area",
    "no_control": "The rest of the area had no incidents in a period: no comparison",
    "diffusion": "Diffusion of benefits: the surrounding area fell too",
    "none": "No displacement: the surrounding area did not change",
    "displacement": "Some displacement to the surrounding area, less than the reduction",
    "displacement_exceeds": "Displacement to the surrounding area outweighs the reduction",
}


def assess(before: AreaCounts, after: AreaCounts) -> Assessment:
    """The change in the target area and the displacement check (see the module's text)."""
    change = after.target - before.target
    pct = None if before.target == 0 else round(100.0 * change / before.target, 1)
    wdq: float | None = None
    if before.control == 0 or after.control == 0:
        verdict = "no_control"
    else:
        success = after.target / after.control - before.target / before.control
        if success >= 0:
            verdict = "no_reduction"
        else:
            buffer = after.buffer / after.control - before.buffer / before.control
            wdq = round(buffer / success, 3)
            if wdq > 0:
                verdict = "diffusion"
            elif wdq == 0:
                verdict = "none"
            elif wdq >= -1:
                verdict = "displacement"
            else:
                verdict = "displacement_exceeds"
    return Assessment(before, after, change, pct, wdq, verdict)


def baseline_window(opened_on: dt.date, months: int) -> Window:
    """The ``months`` whole months before the month the case opened."""
    first = opened_on.replace(day=1)
    end = first - dt.timedelta(days=1)
    y, m = first.year, first.month - months
    while m < 1:
        y, m = y - 1, m + 12
    return Window(dt.date(y, m, 1), end)
