"""The board's figures for an actor: checks the policy, narrows to the actor's scope, and
returns JSON-ready results with the definitions and where each figure came from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from asbhub.analytics import kpis, msg, periods, queries
from asbhub.analytics.areas import Area, Level, area, areas, mid_year, population
from asbhub.errors import InvalidInput
from asbhub.permissions import Action, Actor, allowed, require, scoped_local_authorities
from asbhub.recording.service import figures as recording_figures

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


def area_choices(actor: Actor) -> list[dict[str, str]]:
    """The areas the actor may ask for, as ``level:code`` values with labels."""
    scope = scoped_local_authorities(actor)
    out = []
    for (lv, code), a in areas(actor.force_code).items():
        if scope is None or a.local_authority_codes <= scope:
            out.append({"value": f"{lv.value}:{code}", "label": a.label, "level": lv.value})
    order = list(Level)
    return sorted(out, key=lambda c: (order.index(Level(c["level"])), c["label"]))


def parse_area(actor: Actor, value: str | None) -> Area:
    """``level:code`` from a form, or the actor's default area."""
    if not value:
        return default_area(actor)
    level, _, code = value.partition(":")
    try:
        lv = Level(level)
    except ValueError:
        raise InvalidInput("unknown area", {"area": "choose an area from the list"}) from None
    return _area_for(actor, lv, code or None)


def monthly_by_district(
    session: Session, *, actor: Actor, area: Area, start: dt.date, end: dt.date
) -> dict[str, Any]:
    """Incidents per month and policing district over ``start``..``end``: months oldest first."""
    frame = queries.by_month_and_district(session, actor=actor, area=area, start=start, end=end)
    months = [str(m) for m in pd.period_range(start, end, freq="M")]
    table = frame.pivot_table(index="district", columns="month", values="n", aggfunc="sum")
    table = table.reindex(columns=months, fill_value=0).fillna(0).astype("int64")
    counts = {str(d): [int(v) for v in row] for d, row in table.iterrows()}
    return {
        "months": months,
        "districts": sorted(counts),
        "counts": dict(sorted(counts.items())),
        "total": int(frame["n"].sum()) if len(frame) else 0,
    }


def dashboard(
    session: Session, *, actor: Actor, period: str | None = None, area_value: str | None = None
) -> dict[str, Any]:
    """The dashboard for the chosen 12 months (default: from the data, see ``periods``)."""
    require(actor, Action.DASHBOARD_VIEW)
    if not allowed(actor, Action.ANALYTICS_VIEW):
        return {"figures": False}
    if period is not None and not periods.MONTH.fullmatch(period):
        raise InvalidInput("the period is not valid", {"period": "choose a period from the list"})
    a = parse_area(actor, area_value)
    have = queries.months_with_data(session, actor=actor, area=a)
    chosen = periods.choose(have, period)
    base: dict[str, Any] = {
        "figures": True,
        "area": {"value": f"{a.level.value}:{a.code}", "label": a.label},
        "areas": area_choices(actor),
        "presets": [{"key": p.key, "label": p.label} for p in periods.presets(list(have))],
        "first_month": min(have) if have else None,
        "last_month": max(have) if have else None,
    }
    if chosen is None:
        return {**base, "period": None}
    k = kpi_report(
        session,
        actor=actor,
        period_end=chosen.end,
        level=a.level,
        code=a.code,
        years=DASHBOARD_YEARS,
    )
    return {
        **base,
        "period": {
            "key": chosen.key,
            "label": chosen.label,
            "start": chosen.start.isoformat(),
            "end": chosen.end.isoformat(),
        },
        "kpi": k,
        "latest": k["years"][-1],
        # The recording audit's compliance and estimated true mix (issue 20), force-wide.
        "recording": recording_figures(session, actor=actor),
        "monthly": monthly_by_district(
            session, actor=actor, area=a, start=chosen.start, end=chosen.end
        ),
    }


DASHBOARD_YEARS = 6


def table_rows(data: dict[str, Any], table: str) -> tuple[list[str], list[list[Any]]]:
    """One dashboard table as a header and rows, for a CSV download."""
    if not data.get("period"):
        raise InvalidInput("no figures for this period", {"period": "choose another"})
    if table == "years":
        keys = [
            "period_start",
            "period_end",
            "incidents",
            "diff",
            "pct_diff",
            "excluding_covid",
            "covid_breaches",
            "attended",
            "pct_attended",
            "personal_pct",
            "nuisance_pct",
            "environmental_pct",
            "population",
            "per_1000",
        ]
        return keys, [[y[k] for k in keys] for y in data["kpi"]["years"]]
    if table == "monthly":
        m = data["monthly"]
        return ["district", *m["months"]], [[d, *m["counts"][d]] for d in m["districts"]]
    if table == "channels":
        ch = data["kpi"]["channels"]
        return ["channel", "incidents", "share_pct", "per_day"], [
            [c["channel"], c["incidents"], c["share_pct"], c["per_day"]] for c in ch["channels"]
        ]
    raise InvalidInput(f"unknown table {table!r}", {"table": "years, monthly or channels"})


def monthly_counts(session: Session, *, actor: Actor, months: int = 12) -> dict[str, Any]:
    """Incidents per month and district over the latest ``months`` months with data."""
    require(actor, Action.DASHBOARD_VIEW)
    empty: dict[str, Any] = {"months": [], "districts": [], "counts": {}, "total": 0}
    if not allowed(actor, Action.ANALYTICS_VIEW):
        return empty
    a = default_area(actor)
    have = queries.months_with_data(session, actor=actor, area=a)
    if not have:
        return empty
    last = pd.Period(max(have), "M")
    start, end = (last - (months - 1)).start_time.date(), last.end_time.date()
    return monthly_by_district(session, actor=actor, area=a, start=start, end=end)
