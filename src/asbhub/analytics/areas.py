"""The areas a board figure can be asked for, and their resident populations.

An area is the force, a local policing area, a policing district or a local authority. Each is
a set of local authorities (``data/<force>/districts.csv``), so every level takes its
population from one source, ``data/population/local_authority_population.csv`` (ONS mid-year
estimates), and the force's figure is the sum of its local authorities'.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from asbhub.errors import InvalidInput


class Level(enum.StrEnum):
    FORCE = "force"
    LPA = "local_policing_area"
    DISTRICT = "policing_district"
    LOCAL_AUTHORITY = "local_authority"


LEVEL_LABELS = {
    Level.FORCE: "Force",
    Level.LPA: "Local policing area",
    Level.DISTRICT: "Policing district",
    Level.LOCAL_AUTHORITY: "Local authority",
}


@dataclass(frozen=True)
class Area:
    level: Level
    code: str
    name: str
    local_authority_codes: frozenset[str]

    @property
    def label(self) -> str:
        if self.level is Level.FORCE:
            return self.name
        return f"{self.name} ({LEVEL_LABELS[self.level].lower()})"


@lru_cache(maxsize=4)
def _rows(force_code: str) -> tuple[dict[str, str], ...]:
    path = resources.files("asbhub") / "data" / force_code / "districts.csv"
    with path.open("r", encoding="utf-8") as fh:
        return tuple(csv.DictReader(fh))


@lru_cache(maxsize=4)
def areas(force_code: str) -> dict[tuple[Level, str], Area]:
    """Every area of the force, keyed by (level, code)."""
    rows = _rows(force_code)
    out: dict[tuple[Level, str], Area] = {
        (Level.FORCE, force_code): Area(
            Level.FORCE,
            force_code,
            force_code.replace("-", " ").title() + " Police",
            frozenset(r["local_authority_code"] for r in rows),
        )
    }
    for level, key, name in (
        (Level.LPA, "local_policing_area", "local_policing_area"),
        (Level.DISTRICT, "policing_district", "policing_district"),
        (Level.LOCAL_AUTHORITY, "local_authority_code", "local_authority_name"),
    ):
        for r in rows:
            code = r[key]
            prev = out.get((level, code))
            las = frozenset({r["local_authority_code"]}) | (
                prev.local_authority_codes if prev else frozenset()
            )
            out[(level, code)] = Area(level, code, r[name], las)
    return out


def area(force_code: str, level: Level | str = Level.FORCE, code: str | None = None) -> Area:
    """The area named by ``level`` and ``code`` (the force when no code is given)."""
    level = Level(level)
    if level is Level.FORCE:
        code = force_code
    known = areas(force_code)
    found = known.get((level, code or ""))
    if found is None:
        choices = ", ".join(sorted(c for lv, c in known if lv is level))
        raise InvalidInput(
            f"unknown {LEVEL_LABELS[level].lower()} {code!r}", {"area": f"one of: {choices}"}
        )
    return found


@lru_cache(maxsize=1)
def _la_population() -> dict[tuple[str, int], int]:
    path = resources.files("asbhub") / "data" / "population" / "local_authority_population.csv"
    with path.open("r", encoding="utf-8") as fh:
        return {
            (r["local_authority_code"], int(r["year"])): int(r["population"])
            for r in csv.DictReader(fh)
        }


def mid_year(period_end: dt.date) -> int:
    """The year whose 30 June falls in the 12 months to ``period_end``."""
    return period_end.year if period_end >= dt.date(period_end.year, 6, 30) else period_end.year - 1


def population(a: Area, year: int) -> tuple[int, int]:
    """``(population, year used)``: the latest published year not after ``year``
    (the earliest published one for years before the series starts)."""
    pops = _la_population()
    years = sorted({y for _, y in pops})
    usable = [y for y in years if y <= year] or years[:1]
    used = usable[-1]
    return sum(pops[(la, used)] for la in a.local_authority_codes), used
