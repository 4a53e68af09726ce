"""The published figures the generator is calibrated to, and the exact counts derived from them.

Every figure comes from the shipped copy of the 2021 deep dive (``asbhub/data/deep_dive_2021``).
Counts are fixed per financial year (April to March, named by the year it ends in) before any
random draw, so yearly totals, attended counts and category shares are exact by construction;
randomness only decides *which* incidents carry them.
"""

from __future__ import annotations

import calendar
import csv
import dataclasses
import datetime as dt
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from asbhub.errors import InvalidInput

QUALIFIERS = ("personal", "nuisance", "environmental")
# Forces with a shipped ASB slice and published figures to calibrate to.
GENERATED_FORCES = frozenset({"essex"})

# COVID-19 breaches. The Health Protection (Coronavirus) Regulations took effect on 26 March
# 2020 (domain guide 1.6), so the first breaches are recorded then; the year to March 2020 keeps
# its published total of 41,365 *including* these.
BREACHES_FROM = dt.date(2020, 3, 26)
MARCH_2020_BREACHES = 700
# Breaches in the year to March 2021 follow the lockdowns: the spring 2020 lockdown, a summer
# lull, the November lockdown and the third lockdown from January 2021 (weights, April..March).
BREACH_PROFILE_FY2021 = (3200, 2300, 1200, 700, 700, 800, 1000, 1700, 1100, 1500, 800, 400)
# A breach affects the community at large, so most are nuisance; gatherings on beaches, in parks
# and open spaces are recorded against the place (environmental). Breaches are never personal.
# With this split the non-breach shares of 2020/21 (6.7 / 73.7 / 19.6 %) continue the trend of
# the years before, while the all-incident shares equal the published 5 / 74 / 21 %.
BREACH_ENVIRONMENTAL_SHARE = 0.25

# Month-of-year rhythm (January..December), per day: ASB peaks in summer evenings.
SEASON = (0.84, 0.80, 0.90, 0.98, 1.07, 1.12, 1.20, 1.16, 1.00, 1.03, 0.98, 0.88)


@dataclass(frozen=True)
class ChannelWindow:
    """Exactly ``count`` incidents received in ``[start, end)`` came in through ``channel``."""

    channel: str
    start: dt.date
    end: dt.date
    count: int


# Online ASB reports (deep dive 4.6): soft launch 24 May 2020; 1,975 to 31 December 2020, of
# which 910 in Jul-Sep and 733 in Oct-Dec, so 332 from 24 May to 30 June. January to March 2021
# is not published: we carry on at 8.0 a day (Q3's 733 / 92 days), 720 reports.
ONLINE_FROM = dt.date(2020, 5, 24)
# Live chat (4.6): 10,730 conversations from 28 April 2020 (2,196 to 30 June, 4,999 in Jul-Sep,
# 3,535 in Oct-Dec). A chat is any contact, not only ASB: the live_chat incidents are the
# chats recorded as incidents, the rest never became ASB (generate/chats.py); Q3's rate is kept
# for January to March 2021.
LIVE_CHAT_FROM = dt.date(2020, 4, 28)
CHANNEL_WINDOWS = (
    ChannelWindow("online", ONLINE_FROM, dt.date(2020, 7, 1), 332),
    ChannelWindow("online", dt.date(2020, 7, 1), dt.date(2020, 10, 1), 910),
    ChannelWindow("online", dt.date(2020, 10, 1), dt.date(2021, 1, 1), 733),
    ChannelWindow("online", dt.date(2021, 1, 1), dt.date(2021, 4, 1), 720),
    ChannelWindow("live_chat", LIVE_CHAT_FROM, dt.date(2020, 7, 1), round(2196 * 0.25)),
    ChannelWindow("live_chat", dt.date(2020, 7, 1), dt.date(2020, 10, 1), round(4999 * 0.25)),
    ChannelWindow("live_chat", dt.date(2020, 10, 1), dt.date(2021, 1, 1), round(3535 * 0.25)),
    ChannelWindow(
        "live_chat", dt.date(2021, 1, 1), dt.date(2021, 4, 1), round(3535 / 92 * 90 * 0.25)
    ),
)


# Every live chat conversation, ASB or not, also goes into the ``chats`` table. January to March
# 2021 is not published: we keep Q3's rate (3,535 / 92 days) for its 90 days.
CHAT_WINDOW_ENDS = (dt.date(2020, 7, 1), dt.date(2020, 10, 1), dt.date(2021, 1, 1))
CHAT_JAN_MAR_2021 = (dt.date(2021, 1, 1), dt.date(2021, 4, 1))


@lru_cache(maxsize=1)
def chat_windows() -> tuple[ChannelWindow, ...]:
    """All live chats per window, worked out from ``channels.csv`` (deep dive 4.6).

    10,730 from 28 April to 31 December 2020, 3,535 in Oct-Dec and a fall of 1,464 on Jul-Sep
    give 4,999 in Jul-Sep and 2,196 from 28 April to 30 June.
    """
    rows = {
        (r["channel"], r["measure"], r["period_start"]): int(float(r["value"]))
        for r in _data("channels.csv")
    }
    launch = LIVE_CHAT_FROM.isoformat()
    q2_end, q3_end = CHAT_WINDOW_ENDS[1], CHAT_WINDOW_ENDS[2]
    total = rows[("live_chat", "conversations", launch)]
    q3 = rows[("live_chat", "conversations", q2_end.isoformat())]
    q2 = q3 - rows[("live_chat", "change_on_previous_quarter", q2_end.isoformat())]
    q1 = total - q2 - q3
    jan_mar = round(q3 / (q3_end - q2_end).days * (CHAT_JAN_MAR_2021[1] - q3_end).days)
    starts = (LIVE_CHAT_FROM, *CHAT_WINDOW_ENDS)
    ends = (*CHAT_WINDOW_ENDS, CHAT_JAN_MAR_2021[1])
    return tuple(
        ChannelWindow("live_chat", a, b, n)
        for a, b, n in zip(starts, ends, (q1, q2, q3, jan_mar), strict=True)
    )


@dataclass(frozen=True)
class YearTarget:
    """What one financial year must add up to."""

    fy: int  # the calendar year the financial year ends in (2016 = April 2015 to March 2016)
    incidents: int
    attended: int
    breaches: int
    shares: tuple[float, float, float]  # personal, nuisance, environmental (%)
    share_decimals: int  # 1 where category_mix.csv publishes the year, else 0
    qualifier_counts: tuple[int, int, int]
    breach_qualifier_counts: tuple[int, int, int]
    month_counts: tuple[int, ...]  # non-breach incidents, April..March
    month_breaches: tuple[int, ...]
    # Share of Essex's published volume (1 for Essex itself): what the channel windows, chats
    # and the seed's orders, published as Essex counts, are scaled by (generate/national.py).
    scale: float = 1.0

    @property
    def start(self) -> dt.date:
        return dt.date(self.fy - 1, 4, 1)

    @property
    def months(self) -> list[tuple[int, int]]:
        return [(self.fy - 1 + (m < 4), m) for m in (*range(4, 13), *range(1, 4))]


def _data(name: str) -> list[dict[str, str]]:
    path = resources.files("asbhub") / "data" / "deep_dive_2021" / name
    with path.open("r", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to ``weights`` that add up to ``total`` exactly."""
    w = np.asarray(weights, dtype=float)
    ideal = total * w / w.sum()
    base = np.floor(ideal).astype(np.int64)
    short = total - int(base.sum())
    order = np.argsort(-(ideal - base), kind="stable")
    base[order[:short]] += 1
    return base


def share_counts(total: int, pcts: tuple[float, ...], decimals: int) -> tuple[int, ...]:
    """Counts adding up to ``total`` whose percentages round to ``pcts`` at ``decimals``.

    Published shares need not add up to 100 (2017/18 adds up to 100.1), so each count is kept
    strictly inside the interval that rounds to its published value while the sum is made exact.
    """
    half = 0.5 * 10.0**-decimals
    eps = 1e-6
    lo = [math.ceil(total * (p - half + eps) / 100) for p in pcts]
    hi = [math.floor(total * (p + half - eps) / 100) for p in pcts]
    ideal = [total * p / sum(pcts) for p in pcts]
    counts = [min(max(round(x), a), b) for x, a, b in zip(ideal, lo, hi, strict=True)]
    diff = total - sum(counts)
    while diff:
        step = 1 if diff > 0 else -1
        room = [(b - c) if step > 0 else (c - a) for a, b, c in zip(lo, hi, counts, strict=True)]
        best = int(np.argmax(room))
        if room[best] <= 0:
            raise InvalidInput(f"no counts of {total} round to the shares {pcts}")
        counts[best] += step
        diff -= step
    return tuple(counts)


@lru_cache(maxsize=1)
def year_targets() -> dict[int, YearTarget]:
    """The calibrated financial years (2016..2021), keyed by the year they end in."""
    volumes = {int(r["period_end"][:4]): r for r in _data("annual_volumes.csv")}
    mix = {int(r["period_end"][:4]): r for r in _data("category_mix.csv")}
    rounded = {int(r["period_end"][:4]): r for r in _data("category_mix_rounded.csv")}
    out: dict[int, YearTarget] = {}
    for fy, row in sorted(volumes.items()):
        total = int(row["incidents"])
        excl = row["incidents_excluding_covid"]
        src, decimals = (mix[fy], 1) if fy in mix else (rounded[fy], 0)
        shares = tuple(float(src[f"{q}_pct"]) for q in QUALIFIERS)
        if fy == 2021:
            breaches = total - int(excl)
            month_breaches = largest_remainder(breaches, np.array(BREACH_PROFILE_FY2021))
        elif fy == 2020:
            breaches = MARCH_2020_BREACHES
            month_breaches = np.array([0] * 11 + [breaches])
        else:
            breaches = 0
            month_breaches = np.zeros(12, dtype=np.int64)
        counts = share_counts(total, shares, decimals)
        b_env = round(breaches * BREACH_ENVIRONMENTAL_SHARE)
        breach_counts = (0, breaches - b_env, b_env)
        months = [(fy - 1 + (m < 4), m) for m in (*range(4, 13), *range(1, 4))]
        weights = np.array(
            [SEASON[m - 1] * calendar.monthrange(y, m)[1] for y, m in months], dtype=float
        )
        out[fy] = YearTarget(
            fy=fy,
            incidents=total,
            attended=int(row["attended"]),
            breaches=breaches,
            shares=shares,  # type: ignore[arg-type]
            share_decimals=decimals,
            qualifier_counts=counts,  # type: ignore[arg-type]
            breach_qualifier_counts=breach_counts,
            month_counts=tuple(int(x) for x in largest_remainder(total - breaches, weights)),
            month_breaches=tuple(int(x) for x in month_breaches),
        )
    return out


def scaled(t: YearTarget, factor: float, fy: int | None = None) -> YearTarget:
    """``t`` for a force with ``factor`` times Essex's volume, moved to financial year ``fy``.

    Every count is scaled with largest remainders, so months, categories and breaches still
    add up to the year's total; a moved year keeps the shape of the year it copies (used for
    the years before the deep dive's first, which it does not publish).
    """
    breaches = round(t.breaches * factor)
    month_breaches = (
        largest_remainder(breaches, np.array(t.month_breaches)) if breaches else np.zeros(12, int)
    )
    plain = round((t.incidents - t.breaches) * factor)
    month_counts = largest_remainder(plain, np.array(t.month_counts))
    breach_q = (
        largest_remainder(breaches, np.array(t.breach_qualifier_counts))
        if breaches
        else np.zeros(3, int)
    )
    plain_q = largest_remainder(
        plain, np.subtract(t.qualifier_counts, t.breach_qualifier_counts).astype(float)
    )
    total = plain + breaches
    return dataclasses.replace(
        t,
        fy=t.fy if fy is None else fy,
        incidents=total,
        attended=min(round(t.attended * factor), total),
        breaches=breaches,
        qualifier_counts=tuple(int(x) for x in plain_q + breach_q),  # type: ignore[arg-type]
        breach_qualifier_counts=tuple(int(x) for x in breach_q),  # type: ignore[arg-type]
        month_counts=tuple(int(x) for x in month_counts),
        month_breaches=tuple(int(x) for x in month_breaches),
        scale=t.scale * factor,
    )


def financial_year(year: int, month: int) -> int:
    return year + 1 if month >= 4 else year


def parse_month(text: str, option: str) -> tuple[int, int]:
    try:
        d = dt.datetime.strptime(text, "%Y-%m")
    except ValueError as exc:
        raise InvalidInput(f"{option} must be a month written YYYY-MM, not {text!r}") from exc
    return d.year, d.month


def period(start: str, end: str) -> tuple[dt.date, dt.date]:
    """``[first day of start, first day after end)`` checked against the calibrated years."""
    (y0, m0), (y1, m1) = parse_month(start, "--from"), parse_month(end, "--to")
    first = dt.date(y0, m0, 1)
    last = dt.date(y1 + (m1 == 12), m1 % 12 + 1, 1)
    if last <= first:
        raise InvalidInput(f"--to {end} is before --from {start}")
    years = year_targets()
    lo, hi = min(years), max(years)
    if financial_year(y0, m0) < lo or financial_year(y1, m1) > hi:
        raise InvalidInput(
            f"the generator is calibrated to April {lo - 1} .. March {hi} "
            f"(the deep dive's years); {start}..{end} is outside it"
        )
    return first, last
