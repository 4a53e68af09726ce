"""A national data set: every territorial force of England and Wales, for N financial years.

The deep dive publishes Essex's figures only, so each force gets Essex's calibrated years
scaled by its population against Essex's (ONS mid-year estimates, ``force_population.csv``):
the same months, categories, attendance, channels, breaches, triage and chats, in proportion.
Years before the deep dive's first (2015/16) repeat that year's shape. The shipped geography
covers Essex only, so every force draws its places and people from a pool built like Essex's
(its own seed, Essex's streets, districts and LSOAs); a force larger than Essex is written in
as many parts as it has Essexes, each part with a pool of its own, so the people and places
per incident (repeat victims, repeat locations) stay as they are in Essex. Each part is one
transaction; the statistics are refreshed once, after the last (docs/generator.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import math
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, func, select

from asbhub.errors import InvalidInput
from asbhub.generate.calibration import scaled, year_targets
from asbhub.generate.schemas import Generated
from asbhub.generate.service import build_pools, build_year
from asbhub.generate.writer import analyse_written, write
from asbhub.permissions import Actor, system_actor
from asbhub.store.base import Base
from asbhub.store.bulk import counted_rows, deferred_indexes, ensure_indexes
from asbhub.store.registry import load_all

BASE_FORCE = "essex"  # the force the deep dive publishes, whose shape every force copies
MAX_YEARS = 20
# The population year a financial year is scaled by: mid-year of the year it starts in, within
# the years ONS publishes in the shipped file.
POPULATION_YEARS = (2016, 2023)
# Below this many incidents a load keeps the indexes up to date row by row (as ingest does).
BULK_MIN_ROWS = 100_000


@dataclass(frozen=True)
class ForceArea:
    """A territorial police force: its data.police.uk slug, ONS name and populations by year."""

    slug: str
    name: str
    population: dict[int, int]

    def population_in(self, year: int) -> int:
        lo, hi = POPULATION_YEARS
        return self.population[min(max(year, lo), hi)]


def _slug(name: str) -> str:
    """data.police.uk's force slug from ONS's force area name."""
    special = {"Metropolitan Police": "metropolitan", "London, City of": "city-of-london"}
    if name in special:
        return special[name]
    return name.lower().replace(" & ", " and ").replace(" ", "-")


@lru_cache(maxsize=1)
def force_areas() -> dict[str, ForceArea]:
    """The 43 force areas, keyed by slug, from the shipped ONS population file."""
    path = resources.files("asbhub") / "data" / "population" / "force_population.csv"
    pops: dict[str, tuple[str, dict[int, int]]] = {}
    with path.open("r", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            slug = _slug(row["force_name"])
            pops.setdefault(slug, (row["force_name"], {}))[1][int(row["year"])] = int(
                row["population"]
            )
    return {slug: ForceArea(slug, name, by_year) for slug, (name, by_year) in sorted(pops.items())}


def parse_forces(spec: str) -> list[str]:
    """``all`` or a comma-separated list of force slugs; unknown slugs are named."""
    areas = force_areas()
    if spec.strip() == "all":
        return list(areas)
    chosen = [s.strip() for s in spec.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in areas]
    if unknown or not chosen:
        raise InvalidInput(
            f"--forces: unknown force {', '.join(map(repr, unknown)) or '(none given)'}; "
            f"give 'all' or slugs such as essex,kent,metropolitan"
        )
    return list(dict.fromkeys(chosen))


def financial_years(years: int) -> list[int]:
    """The ``years`` financial years ending with the deep dive's last (2020/21)."""
    if not 1 <= years <= MAX_YEARS:
        raise InvalidInput(f"--years must be 1 to {MAX_YEARS}, not {years}")
    last = max(year_targets())
    return list(range(last - years + 1, last + 1))


def factor(force: ForceArea, base: ForceArea, fy: int, scale: float) -> float:
    """The force's volume in financial year ``fy`` as a multiple of Essex's."""
    year = fy - 1  # the mid-year estimate inside the financial year
    return scale * force.population_in(year) / base.population_in(year)


def parts_of(force: ForceArea, base: ForceArea, fys: list[int], scale: float) -> int:
    """How many Essex-sized pools the force needs: one per Essex of volume, at least one."""
    return max(1, math.ceil(max(factor(force, base, fy, scale) for fy in fys) - 1e-9))


def part_seed(seed: int, force: str, part: int) -> int:
    """Essex's first part keeps the seed (so it equals ``generate --force essex``)."""
    if force == BASE_FORCE and part == 0:
        return seed
    digest = hashlib.sha256(f"{seed}:{force}:{part}".encode()).digest()
    return int.from_bytes(digest[:4], "big") >> 1


def build_part(
    seed: int, force: str, part: int, parts: int, fys: list[int], scale: float
) -> Generated:
    """One part of a force's years, in memory."""
    areas = force_areas()
    area, base = areas[force], areas[BASE_FORCE]
    targets = year_targets()
    first_fy = min(targets)
    s = part_seed(seed, force, part)
    pools = build_pools(s, BASE_FORCE)
    first = dt.date(fys[0] - 1, 4, 1)
    last = dt.date(fys[-1], 4, 1)
    g = Generated(force_code=force, first=first, last=last, pools=pools, seed=s, part=part)
    for fy in fys:
        t = targets[max(fy, first_fy)]
        f = factor(area, base, fy, scale) / parts
        target = t if f == 1.0 and fy == t.fy else scaled(t, f, fy)
        g.calibrated &= target is t
        g.years.append(build_year(target, pools, s))
    return g


def generate_national(
    engine: Engine,
    *,
    forces: list[str],
    years: int,
    seed: int,
    scale: float = 1.0,
    replace: bool = False,
    progress: Callable[[str, int], None] | None = None,
    actor: Actor | None = None,
) -> dict[str, Any]:
    """Write ``years`` financial years of every force in ``forces`` (see the module's text).

    ``scale`` multiplies every force's volume (1 gives the population-proportional national
    volume, about a million incidents a year). ``progress`` is called after each part with its
    name and incidents written. Raises :class:`~asbhub.errors.Conflict` when a force already
    holds generated incidents in the period, unless ``replace``.
    """
    if not 0 < scale <= 10:
        raise InvalidInput(f"--scale must be above 0 and at most 10, not {scale}")
    fys = financial_years(years)
    t0 = time.perf_counter()
    totals: dict[str, int] = {}
    per_force: dict[str, int] = {}
    with engine.connect() as conn, _deferred(conn, expected_incidents(forces, years, scale)):
        _write_forces(engine, forces, fys, seed, scale, replace, progress, actor, totals, per_force)
        analyse_written(conn, totals)
    return {
        "forces": len(forces),
        "from": f"{fys[0] - 1}-04",
        "to": f"{fys[-1]}-03",
        "seed": seed,
        "scale": scale,
        **totals,
        "per_force": per_force,
        "seconds": round(time.perf_counter() - t0, 2),
    }


# Tables whose secondary indexes a large national load rebuilds at the end (writer.TABLES).
DEFERRED = (
    "incidents",
    "incident_people",
    "people",
    "locations",
    "triage_assessments",
    "chats",
    "chat_messages",
)


@contextmanager
def _deferred(conn: Connection, incoming: int) -> Iterator[None]:
    """Drop the big tables' secondary indexes for a load that at least doubles the store.

    Updating nine B-trees row by row held PostgreSQL to ~30,000 incident rows a second (COPY
    into the bare table: ~250,000); rebuilding them once from a sort costs a fraction. Readers
    get the same answers meanwhile, slower; an interrupted load leaves them to
    :func:`asbhub.store.bulk.ensure_indexes` (``asbhub generate`` runs it first).
    """
    load_all()
    tables = [cast(Table, Base.metadata.tables[name]) for name in DEFERRED]
    for table in tables:
        ensure_indexes(conn, table)
    with conn.begin():
        if conn.dialect.name == "postgresql":
            # The catalogue's count, not a count of every force's rows (store.bulk.counted_rows);
            # a table never counted has never had a bulk load.
            stored = counted_rows(conn, tables[0].name) or 0
        else:
            stored = int(conn.scalar(select(func.count()).select_from(tables[0])) or 0)
    if incoming < BULK_MIN_ROWS or incoming < stored:
        yield
        return
    with ExitStack() as stack:
        for table in tables:
            stack.enter_context(deferred_indexes(conn, table))
        yield


def _write_forces(
    engine: Engine,
    forces: list[str],
    fys: list[int],
    seed: int,
    scale: float,
    replace: bool,
    progress: Callable[[str, int], None] | None,
    actor: Actor | None,
    totals: dict[str, int],
    per_force: dict[str, int],
) -> None:
    areas = force_areas()
    for force in forces:
        parts = parts_of(areas[force], areas[BASE_FORCE], fys, scale)
        job = actor or system_actor(job="generate", force_code=force)
        for part in range(parts):
            g = build_part(seed, force, part, parts, fys, scale)
            if not g.incidents:  # a small force at a small --scale
                continue
            counts = write(
                engine, g, replace=replace and part == 0, append=part > 0, analyse=False, actor=job
            )
            for key, value in counts.items():
                totals[key] = totals.get(key, 0) + value
            per_force[force] = per_force.get(force, 0) + counts["incidents"]
            if progress:
                progress(f"{force} {part + 1}/{parts}", counts["incidents"])


def expected_incidents(forces: list[str], years: int, scale: float = 1.0) -> int:
    """About how many incidents :func:`generate_national` writes (for a progress bar)."""
    areas = force_areas()
    targets = year_targets()
    fys = financial_years(years)
    first_fy = min(targets)
    return int(
        sum(
            targets[max(fy, first_fy)].incidents * factor(areas[f], areas[BASE_FORCE], fy, scale)
            for f in forces
            for fy in fys
        )
    )
