"""Small view helpers shared by the HTML routes (choices for filter forms and the like)."""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources

from asbhub.geography.service import council_areas
from asbhub.permissions import Actor, scoped_local_authorities


@lru_cache(maxsize=4)
def _districts(force_code: str) -> tuple[tuple[str, str, str], ...]:
    path = resources.files("asbhub") / "data" / force_code / "districts.csv"
    with path.open("r", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return tuple(
        (r["local_authority_code"], r["local_authority_name"], r["policing_district"]) for r in rows
    )


def filter_options(actor: Actor) -> dict[str, list[tuple[str, str]]]:
    """District and local authority choices, limited to what the actor can see."""
    rows = _districts(actor.force_code)
    scope = scoped_local_authorities(actor)
    if scope is not None:
        rows = tuple(r for r in rows if r[0] in scope)
    districts = sorted({r[2] for r in rows})
    return {
        "districts": [(d, d) for d in districts],
        "local_authorities": sorted(((r[0], r[1]) for r in rows), key=lambda t: t[1]),
    }


def area_options(force_code: str) -> list[tuple[str, str]]:
    """The force's council areas as (local authority code, name), by name."""
    return [(d.local_authority_code, d.local_authority_name) for d in council_areas(force_code)]
