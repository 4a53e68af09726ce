"""Which 12-month period a screen shows: presets from the data, and a default that follows
the data rather than the clock.

* A **financial year** (1 April to 31 March) is offered when every one of its months has
  incidents; the latest such year is the default. A few new reports in a month of their own
  therefore never pull the default away from years of history.
* **Last complete 12 months with data**: the 12 months to the end of the month before the
  latest month with data (that month may still be filling up), when such a month has data.
* Then the 12 months to each of the latest ``MONTH_CHOICES`` months with data.

Without a complete financial year the default is the 12 months holding the most incidents,
so four new reports in a later month of their own do not empty the screen either.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

MONTH = re.compile(r"^(19|20)\d{2}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Period:
    key: str  # the month the 12 months end in, YYYY-MM
    label: str
    start: dt.date
    end: dt.date


def month_end(month: str) -> dt.date:
    return pd.Period(month, "M").end_time.date()


def twelve_months_to(month: str, label: str | None = None) -> Period:
    """The 12 months ending with ``month`` (YYYY-MM)."""
    p = pd.Period(month, "M")
    start = (p - 11).start_time.date()
    end = p.end_time.date()
    text = label or f"12 months to {end.day} {end:%B %Y}"
    return Period(str(p), text, start, end)


def fy_label(end: dt.date) -> str:
    first = end.year - 1
    return f"Financial year {first}-{end.year % 100:02d} (April {first} to March {end.year})"


def presets(months_with_data: list[str]) -> list[Period]:
    """The periods to offer, latest first, from the months (YYYY-MM) that hold incidents."""
    have = set(months_with_data)
    out: list[Period] = []
    if not have:
        return out
    years = sorted({int(m[:4]) + (int(m[5:]) >= 4) for m in have}, reverse=True)
    for fy in years:
        months = [str(m) for m in pd.period_range(f"{fy - 1}-04", f"{fy}-03", freq="M")]
        if all(m in have for m in months):
            p = twelve_months_to(f"{fy}-03")
            out.append(Period(p.key, fy_label(p.end), p.start, p.end))
    before = str(pd.Period(max(have), "M") - 1)
    if before in have and before not in {p.key for p in out}:
        last12 = twelve_months_to(before)
        span = f"{last12.start:%B %Y} to {last12.end:%B %Y}"
        out.insert(
            0,
            Period(
                last12.key,
                f"Last complete 12 months with data ({span})",
                last12.start,
                last12.end,
            ),
        )
    # Then any 12 months to a month with data, latest first, so every month can be reached.
    keys = {p.key for p in out}
    for m in sorted(have, reverse=True)[:MONTH_CHOICES]:
        if m not in keys:
            out.append(twelve_months_to(m))
    return out


MONTH_CHOICES = 36


def default(counts: Mapping[str, int]) -> Period | None:
    """The latest financial year with incidents in every month; failing that, the 12 months
    to a month with data that hold the most incidents (the latest of equals).

    ``counts`` maps each month with data (YYYY-MM) to its incidents.
    """
    options = presets(list(counts))
    fys = [p for p in options if p.label.startswith("Financial year")]
    if fys:
        return fys[0]
    if not counts:
        return None
    s = pd.Series(counts).sort_index()
    index = pd.PeriodIndex(s.index, freq="M")
    full = s.reindex([str(p) for p in pd.period_range(index.min(), index.max(), freq="M")])
    window = full.fillna(0).rolling(12, min_periods=1).sum()[[str(m) for m in s.index]]
    best = window[window == window.max()].index.max()
    return next(p for p in options if p.key == best)


def choose(counts: Mapping[str, int], requested: str | None) -> Period | None:
    """The requested period (a preset key or any YYYY-MM), else the default."""
    if requested:
        for p in presets(list(counts)):
            if p.key == requested:
                return p
        return twelve_months_to(requested)
    return default(counts)
