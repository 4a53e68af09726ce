"""The board's KPIs as pure functions of the frames ``analytics.queries`` returns.

``DEFINITIONS`` says what each figure means; the board report and the dashboard show those
words beside the figures, so a figure is never defined twice.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

from asbhub.contact.counts import quarter_label

DEFINITIONS: dict[str, str] = {
    "period": "12 months to the period end, inclusive (financial years end on 31 March).",
    "incidents": "ASB incidents received in the period, COVID-19 breaches included.",
    "excluding_covid": "Incidents in the period that are not COVID-19 breaches.",
    "covid_breaches": "Incidents recorded as breaches of the COVID-19 regulations.",
    "attended": "Incidents in the period that an officer attended.",
    "pct_attended": "Attended incidents as a share of all incidents in the period.",
    "diff": "Incidents in the period minus incidents in the 12 months before.",
    "pct_diff": "The difference as a share of the 12 months before.",
    "personal_pct": "Share of incidents closed with the personal qualifier, of those with one.",
    "nuisance_pct": "Share of incidents closed with the nuisance qualifier, of those with one.",
    "environmental_pct": "Share of incidents closed with the environmental qualifier, "
    "of those with one.",
    "per_1000": "Incidents per 1,000 residents (ONS mid-year estimate of the year whose "
    "30 June falls in the period, or the latest published before it).",
    "channel_share": "Share of the period's incidents that came in by each channel.",
    "channel_per_day": "A channel's incidents divided by the days in the period.",
    "quarter_change": "A financial quarter's incidents minus the previous quarter's.",
    "monthly": "Incidents received in each calendar month.",
}

# Short names of the figures, for tables and for the report's provenance notes.
DEFINITIONS_LABELS: dict[str, str] = {
    "incidents": "Incidents",
    "excluding_covid": "Incidents excluding COVID-19 breaches",
    "covid_breaches": "COVID-19 breaches",
    "attended": "Attended",
    "pct_attended": "% attended",
    "diff": "Difference on the year before",
    "pct_diff": "% difference on the year before",
    "personal_pct": "Personal %",
    "nuisance_pct": "Nuisance %",
    "environmental_pct": "Environmental %",
    "per_1000": "Incidents per 1,000 residents",
}

QUALIFIERS = ("personal", "nuisance", "environmental")


def pct(num: float, den: float, places: int = 1) -> float | None:
    """``num / den`` as a percentage rounded half up, as a reader rounds by hand."""
    if not den:
        return None
    q = Decimal(1).scaleb(-places)
    return float((Decimal(str(num)) * 100 / Decimal(str(den))).quantize(q, ROUND_HALF_UP))


def round_half_up(x: float, places: int = 0) -> float:
    return float(Decimal(str(x)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP))


def period_ends(period_end: dt.date, years: int) -> list[dt.date]:
    """The ends of ``years`` consecutive 12-month periods, oldest first, the last at
    ``period_end`` (29 February falls back to the 28th in other years)."""
    out = []
    for k in range(years - 1, -1, -1):
        y = period_end.year - k
        try:
            out.append(period_end.replace(year=y))
        except ValueError:
            out.append(period_end.replace(year=y, day=28))
    return out


def period_start(end: dt.date) -> dt.date:
    """First day of the 12 months to ``end``."""
    return period_ends(end, 2)[0] + dt.timedelta(days=1)


def _bucket(days: pd.Series, ends: list[dt.date]) -> np.ndarray:
    """Index of the 12-month period each day falls in; -1 before the first."""
    first = np.datetime64(period_start(ends[0]))
    edges = np.array([np.datetime64(e) for e in ends], dtype="datetime64[D]")
    d = days.to_numpy().astype("datetime64[D]")
    idx = np.searchsorted(edges, d, side="left")
    idx[(d < first) | (idx >= len(ends))] = -1
    return idx


def yearly(facts: pd.DataFrame, period_end: dt.date, years: int = 6) -> pd.DataFrame:
    """One row per 12 months to ``period_end`` and each of the ``years - 1`` before it."""
    ends = period_ends(period_end, years)
    f = facts.assign(period=_bucket(facts["day"], ends))
    f = f[f["period"] >= 0].rename(columns={"n": "incidents"})
    cols = ["incidents", "attended", "covid_breaches", *QUALIFIERS]
    g = f.groupby("period")[cols].sum().reindex(range(years), fill_value=0)
    g["excluding_covid"] = g["incidents"] - g["covid_breaches"]
    g.insert(0, "period_end", ends)
    g.insert(1, "period_start", [period_start(e) for e in ends])
    return g.reset_index(drop=True)


def yearly_records(table: pd.DataFrame, population: list[tuple[int, int]]) -> list[dict[str, Any]]:
    """JSON-ready years with the derived figures; ``population`` is (residents, year) per row."""
    out: list[dict[str, Any]] = []
    prev: dict[str, Any] | None = None
    for row, (residents, pop_year) in zip(table.to_dict("records"), population, strict=True):
        incidents = int(row["incidents"])
        qualified = sum(int(row[q]) for q in QUALIFIERS)
        rec: dict[str, Any] = {
            "period_end": row["period_end"].isoformat(),
            "period_start": row["period_start"].isoformat(),
            "incidents": incidents,
            "attended": int(row["attended"]),
            "pct_attended": pct(row["attended"], incidents),
            "diff": None,
            "pct_diff": None,
            "excluding_covid": int(row["excluding_covid"]),
            "covid_breaches": int(row["covid_breaches"]),
            "excluding_covid_diff": None,
            "excluding_covid_pct_diff": None,
            **{q: int(row[q]) for q in QUALIFIERS},
            **{f"{q}_pct": pct(row[q], qualified) for q in QUALIFIERS},
            "population": residents,
            "population_year": pop_year,
            "per_1000": round_half_up(incidents * 1000 / residents, 2) if residents else None,
        }
        if prev is not None and prev["incidents"]:
            rec["diff"] = incidents - prev["incidents"]
            rec["pct_diff"] = pct(rec["diff"], prev["incidents"])
        if prev is not None and prev["excluding_covid"]:
            rec["excluding_covid_diff"] = rec["excluding_covid"] - prev["excluding_covid"]
            rec["excluding_covid_pct_diff"] = pct(
                rec["excluding_covid_diff"], prev["excluding_covid"]
            )
        out.append(rec)
        prev = rec
    return out


def monthly(facts: pd.DataFrame, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Incidents, those excluding COVID-19 breaches, and attended, per calendar month."""
    months = pd.period_range(start, end, freq="M")
    if facts.empty:
        zeros = np.zeros(len(months), dtype="int64")
        return pd.DataFrame(
            {"month": months, "incidents": zeros, "excluding_covid": zeros, "attended": zeros}
        )
    parts = pd.DataFrame(
        {
            "month": facts["day"].dt.to_period("M"),
            "incidents": facts["n"],
            "excluding_covid": facts["n"] - facts["covid_breaches"],
            "attended": facts["attended"],
        }
    )
    g = parts.groupby("month").sum().reindex(months, fill_value=0)
    g.index.name = "month"
    return g.reset_index()


def channel_mix(channels: pd.DataFrame, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Per channel: count, share and per-day average over the period, and per financial
    quarter the count with its change on the previous quarter."""
    days = (end - start).days + 1
    inside = channels[
        (channels["day"] >= pd.Timestamp(start)) & (channels["day"] <= pd.Timestamp(end))
    ]
    totals = inside.groupby("channel")["n"].sum().sort_values(ascending=False)
    whole = int(totals.sum())
    rows = [
        {
            "channel": str(c),
            "incidents": int(v),
            "share_pct": pct(int(v), whole),
            "per_day": round_half_up(int(v) / days, 1),
        }
        for c, v in totals.items()
    ]
    q = inside.assign(quarter=inside["day"].dt.to_period("Q-MAR"))
    by_q = q.pivot_table(index="quarter", columns="channel", values="n", aggfunc="sum").fillna(0)
    quarters: list[dict[str, Any]] = []
    prev: pd.Series | None = None
    for period, counts in by_q.iterrows():
        p = pd.Period(str(period), freq="Q-MAR")
        qs, qe = p.start_time.date(), p.end_time.date()
        quarters.append(
            {
                "quarter": quarter_label(p),
                "start": max(qs, start).isoformat(),
                "end": min(qe, end).isoformat(),
                "partial": qs < start or qe > end,
                "counts": {str(c): int(v) for c, v in counts.items()},
                "change": None
                if prev is None
                else {str(c): int(counts[c] - prev.get(c, 0)) for c in counts.index},
            }
        )
        prev = counts
    return {"days": days, "total": whole, "channels": rows, "quarters": quarters}
