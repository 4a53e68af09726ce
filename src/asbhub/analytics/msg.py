"""Most Similar Group: ASB per 1,000 residents for a force and the forces it is compared with.

Membership and populations are data (``data/msg``, ``data/population``); the counts come from
data.police.uk files or from the records ingested from them, as one frame of (force, month,
ASB rows), and :func:`compare` is a pure function of that frame. ``DEFINITIONS`` says what each
figure means.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from asbhub.analytics.kpis import round_half_up
from asbhub.errors import InvalidInput, NotFound
from asbhub.ingest.models import PublicRecord, SourceLoad
from asbhub.ingest.sources import Source, decode, discover

ASB = "Anti-social behaviour"
COUNT_COLUMNS = ("force", "month", "asb_count")

DEFINITIONS: dict[str, str] = {
    "asb_count": "data.police.uk street-level rows with crime type Anti-social behaviour, "
    "in the months of the period the force published.",
    "months_missing": "Months of the period with no file for the force. They are left out, "
    "never counted as zero.",
    "rate_per_1000": "ASB rows per 1,000 residents over the period: the mean per month "
    "present times the months in the period, so a force with missing months is compared on "
    "the same footing.",
    "population": "ONS mid-year estimate for the force area (sum of its local authorities), "
    "the latest published year not after the period's last month.",
    "rank": "Position in the group by rate, 1 = lowest.",
    "vs_average": "better / worse / same as the group's mean rate (same within 0.05).",
}

_NAME = re.compile(r"(\d{4}-\d{2})-(.+)-street\.csv$")


@dataclass(frozen=True)
class Member:
    force: str
    name: str
    population_name: str


@dataclass(frozen=True)
class Group:
    of: str
    version: str
    source: str
    members: tuple[Member, ...]


@lru_cache(maxsize=4)
def group(force_code: str) -> Group:
    """The latest version of ``force_code``'s most similar group (``data/msg``)."""
    path = resources.files("asbhub") / "data" / "msg" / "most_similar_groups.csv"
    with path.open("r", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["group_of"] == force_code]
    if not rows:
        raise NotFound(f"no most similar group is held for force {force_code!r}")
    version = max(r["version"] for r in rows)
    rows = [r for r in rows if r["version"] == version]
    return Group(
        of=force_code,
        version=version,
        source=rows[0]["source"],
        members=tuple(Member(r["force"], r["force_name"], r["population_name"]) for r in rows),
    )


@lru_cache(maxsize=1)
def _force_population() -> dict[tuple[str, int], int]:
    path = resources.files("asbhub") / "data" / "population" / "force_population.csv"
    with path.open("r", encoding="utf-8") as fh:
        return {(r["force_name"], int(r["year"])): int(r["population"]) for r in csv.DictReader(fh)}


def force_population(name: str, year: int) -> tuple[int, int]:
    """``(population, year used)``: the latest published year not after ``year``."""
    pops = _force_population()
    years = sorted(y for n, y in pops if n == name)
    if not years:
        raise NotFound(f"no population is held for force area {name!r}")
    used = ([y for y in years if y <= year] or years[:1])[-1]
    return pops[(name, used)], used


def months_between(start: str, end: str) -> list[str]:
    """``YYYY-MM`` labels from ``start`` to ``end`` inclusive."""
    try:
        months = pd.period_range(pd.Period(start, "M"), pd.Period(end, "M"), freq="M")
    except ValueError:
        raise InvalidInput("a month is not valid", {"month": "expected YYYY-MM"}) from None
    if not re.fullmatch(r"\d{4}-\d{2}", start) or not re.fullmatch(r"\d{4}-\d{2}", end):
        raise InvalidInput("a month is not valid", {"month": "expected YYYY-MM"})
    if len(months) == 0:
        raise InvalidInput("the period is empty", {"--to": "must not be before --from"})
    return [str(m) for m in months]


def counts_from_files(
    paths: Sequence[Path | str], forces: set[str], months: list[str]
) -> pd.DataFrame:
    """ASB rows per force and month read straight from data.police.uk files, folders or zips.

    A file present with no ASB rows counts 0 for its month; a month with no file is absent.
    """
    found = discover(paths)
    problems = [p for p in found if not isinstance(p, Source)]
    if problems:
        raise InvalidInput(
            "some inputs cannot be read", {p.source: p.message() for p in problems[:10]}
        )
    rows: list[tuple[str, str, int]] = []
    for src in found:
        assert isinstance(src, Source)
        m = _NAME.search(src.basename)
        if m is None or m.group(2) not in forces or m.group(1) not in months:
            continue
        data, _, _ = decode(src.name, src.read())
        try:
            df = pd.read_csv(io.BytesIO(data), usecols=["Crime type"], dtype=str)
        except ValueError as exc:
            raise InvalidInput(
                f"{src.name}: not a data.police.uk street-level file",
                {f"{src.name}:1": f"no Crime type column ({exc})"},
            ) from None
        rows.append((m.group(2), m.group(1), int((df["Crime type"] == ASB).sum())))
    frame = pd.DataFrame(rows, columns=list(COUNT_COLUMNS))
    return frame.groupby(["force", "month"], as_index=False).agg(asb_count=("asb_count", "sum"))


def counts_from_store(session: Session, forces: set[str], months: list[str]) -> pd.DataFrame:
    """The same frame from ingested records: months come from ``source_loads``, so a month
    loaded with no ASB rows counts 0 and one never loaded is absent."""
    first = pd.Period(months[0], "M").start_time.date()
    last = pd.Period(months[-1], "M").start_time.date()
    loads = session.execute(
        select(SourceLoad.force_code, SourceLoad.month).where(
            SourceLoad.force_code.in_(sorted(forces)),
            SourceLoad.month >= first,
            SourceLoad.month <= last,
        )
    ).all()
    asb = session.execute(
        select(PublicRecord.force_code, PublicRecord.month, func.count())
        .where(
            PublicRecord.force_code.in_(sorted(forces)),
            PublicRecord.month >= first,
            PublicRecord.month <= last,
            PublicRecord.crime_type == ASB,
        )
        .group_by(PublicRecord.force_code, PublicRecord.month)
    ).all()
    n = {(f, str(m)[:7]): int(c) for f, m, c in asb}
    rows = [(f, str(m)[:7], n.get((f, str(m)[:7]), 0)) for f, m in loads]
    return pd.DataFrame(rows, columns=list(COUNT_COLUMNS))


def compare(counts: pd.DataFrame, g: Group, months: list[str]) -> dict[str, Any]:
    """Rate per 1,000, rank (1 = lowest) and missing months for each member of ``g``."""
    inside = counts[counts["month"].isin(months)]
    year = int(months[-1][:4])
    forces: list[dict[str, Any]] = []
    for m in g.members:
        own = inside[inside["force"] == m.force]
        present = sorted(own["month"])
        count = int(own["asb_count"].sum())
        pop, pop_year = force_population(m.population_name, year)
        rate = None
        if present:
            rate = round_half_up(count / len(present) * len(months) * 1000 / pop, 2)
        forces.append(
            {
                "force": m.force,
                "name": m.name,
                "asb_count": count,
                "months_present": len(present),
                "months_missing": [x for x in months if x not in present],
                "population": pop,
                "population_year": pop_year,
                "rate_per_1000": rate,
                "rank": None,
            }
        )
    rated = sorted((f for f in forces if f["rate_per_1000"] is not None), key=_rate)
    for i, f in enumerate(rated, start=1):
        f["rank"] = i
    mean = round_half_up(sum(_rate(f) for f in rated) / len(rated), 2) if rated else None
    for f in forces:
        f["vs_average"] = _versus(f["rate_per_1000"], mean)
    return {
        "group_of": g.of,
        "group_version": g.version,
        "group_source": g.source,
        "from": months[0],
        "to": months[-1],
        "months": len(months),
        "average_rate_per_1000": mean,
        "forces": sorted(forces, key=lambda f: (f["rank"] is None, f["rank"] or 0)),
        "definitions": DEFINITIONS,
    }


def _rate(f: dict[str, Any]) -> float:
    return float(f["rate_per_1000"])


def _versus(rate: float | None, mean: float | None) -> str | None:
    if rate is None or mean is None:
        return None
    if abs(rate - mean) < 0.05:
        return "same"
    return "better" if rate < mean else "worse"


def latest_months(session: Session, force_code: str, n: int = 6) -> tuple[str, str] | None:
    """The last ``n`` months loaded for the force (from ``source_loads``), or ``None``."""
    last = session.scalar(
        select(func.max(SourceLoad.month)).where(SourceLoad.force_code == force_code)
    )
    if last is None:
        return None
    end = pd.Period(str(last)[:7], "M")
    return str(end - (n - 1)), str(end)
