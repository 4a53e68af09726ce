"""The board's figures for an actor: checks the policy, narrows to the actor's scope, and
returns JSON-ready results with the definitions and where each figure came from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from asbhub.analytics import kpis, msg, queries
from asbhub.analytics.areas import Area, Level, area, mid_year, population
from asbhub.errors import InvalidInput
from asbhub.permissions import Action, Actor, require, scoped_local_authorities

MAX_YEARS = 20


def _area_for(actor: Actor, level: Level | str, code: str | None) -> Area:
    a = area(actor.force_code, level, code)
    scope = scoped_local_authorities(actor)
    if scope is not None and not a.local_authority_codes <= scope:
        # A partner's figures are its area's: a wider area would count only its part and
        # be labelled as the whole.
        raise InvalidInput(
            f"{a.label} is outside {actor.organisation}'s area",
            {"area": "choose an area within your own"},
        )
    return a


def default_area(actor: Actor) -> Area:
    """The force, or for a partner its own local authority (the whole force for ECFRS)."""
    scope = scoped_local_authorities(actor)
    if scope is not None and len(scope) == 1:
        return area(actor.force_code, Level.LOCAL_AUTHORITY, next(iter(scope)))
    return area(actor.force_code)


def kpi_report(
    session: Session,
    *,
    actor: Actor,
    period_end: dt.date,
    level: Level | str | None = None,
    code: str | None = None,
    years: int = 6,
) -> dict[str, Any]:
    """KPIs for the 12 months to ``period_end`` and the ``years - 1`` before, oldest first,
    with channel mix and the monthly series of the whole span."""
    require(actor, Action.ANALYTICS_VIEW)
    if not 1 <= years <= MAX_YEARS:
        raise InvalidInput("too many years", {"years": f"between 1 and {MAX_YEARS}"})
    a = default_area(actor) if level is None else _area_for(actor, level, code)
    ends = kpis.period_ends(period_end, years)
    start = kpis.period_start(ends[0])
    facts = queries.incident_facts(session, actor=actor, area=a, start=start, end=period_end)
    table = kpis.yearly(facts, period_end, years)
    pops = [population(a, mid_year(e)) for e in ends]
    latest_start = kpis.period_start(period_end)
    channels = queries.channel_facts(
        session, actor=actor, area=a, start=latest_start, end=period_end
    )
    series = kpis.monthly(facts, start, period_end)
    return {
        "force": actor.force_code,
        "area": {"level": a.level.value, "code": a.code, "name": a.name, "label": a.label},
        "period_end": period_end.isoformat(),
        "years": kpis.yearly_records(table, pops),
        "channels": kpis.channel_mix(channels, latest_start, period_end),
        "monthly": [
            {
                "month": str(r["month"]),
                "incidents": int(r["incidents"]),
                "excluding_covid": int(r["excluding_covid"]),
                "attended": int(r["attended"]),
            }
            for r in series.to_dict("records")
        ],
        "definitions": kpis.DEFINITIONS,
        "source": {
            "table": "incidents",
            "date": "received_at",
            "filters": _filters(actor, a),
            "population": "data/population/local_authority_population.csv (ONS MYE4)",
        },
    }


def msg_report(
    session: Session | None,
    *,
    actor: Actor,
    start: str,
    end: str,
    paths: Sequence[Path | str] | None = None,
) -> dict[str, Any]:
    """The actor's force and its most similar group over the months ``start``..``end``,
    from data.police.uk files (``paths``) or from the records ingested into the store."""
    require(actor, Action.ANALYTICS_VIEW)
    months = msg.months_between(start, end)
    g = msg.group(actor.force_code)
    forces = {m.force for m in g.members}
    if paths:
        counts = msg.counts_from_files(paths, forces, months)
        source = "data.police.uk files: " + ", ".join(str(p) for p in paths)
    else:
        if session is None:
            raise InvalidInput("no source of records", {"source": "give files or a database"})
        counts = msg.counts_from_store(session, forces, months)
        source = "public_records (ingested data.police.uk files), months from source_loads"
    out = msg.compare(counts, g, months)
    out["source"] = source
    return out


def _filters(actor: Actor, a: Area) -> str:
    parts = [f"force_code = {actor.force_code!r}"]
    if a.level is Level.DISTRICT:
        parts.append(f"district = {a.code!r}")
    elif a.level is not Level.FORCE:
        parts.append(f"local_authority_code in ({', '.join(sorted(a.local_authority_codes))})")
    scope = scoped_local_authorities(actor)
    if scope is not None:
        parts.append(f"scope: {actor.organisation}")
    return "; ".join(parts)
