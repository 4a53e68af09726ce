"""Reads for the board's figures: grouped in the database, returned as DataFrames.

Each query returns one row per day and combination of the columns a figure splits by, so
six years of incidents come back as a few tens of thousands of rows whatever their number.
Callers pass a statement already narrowed to the actor's scope (``permissions``); the area is
applied here as a set of local authorities.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Select, extract, func, select
from sqlalchemy.orm import Session

from asbhub.analytics.areas import Area, Level
from asbhub.incidents.models import Incident
from asbhub.permissions import Actor, restrict_incidents

FACT_COLUMNS = ("day", "qualifier", "covid_breach", "attended", "n")
CHANNEL_COLUMNS = ("day", "channel", "n")


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return dt.datetime.combine(start, dt.time()), dt.datetime.combine(
        end + dt.timedelta(days=1), dt.time()
    )


def _scoped(actor: Actor, stmt: Select, area: Area, start: dt.date, end: dt.date) -> Select:
    lo, hi = _bounds(start, end)
    stmt = restrict_incidents(actor, stmt).where(
        Incident.received_at >= lo, Incident.received_at < hi
    )
    return _in_area(stmt, area)


def _in_area(stmt: Select, area: Area) -> Select:
    if area.level is Level.DISTRICT:
        return stmt.where(Incident.district == area.code)
    if area.level is not Level.FORCE:
        return stmt.where(Incident.local_authority_code.in_(sorted(area.local_authority_codes)))
    return stmt


def _frame(rows: list[Any], columns: tuple[str, ...]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(columns))
    # SQLite's date() gives text, PostgreSQL's a date: one dtype for both.
    df["day"] = pd.to_datetime(df["day"].astype(str).str[:10])
    df["n"] = df["n"].astype("int64")
    return df


def incident_facts(
    session: Session, *, actor: Actor, area: Area, start: dt.date, end: dt.date
) -> pd.DataFrame:
    """Incidents per day by closing qualifier, COVID-19 breach and attended."""
    day = func.date(Incident.received_at)
    stmt = _scoped(
        actor,
        select(
            day, Incident.qualifier, Incident.covid_breach, Incident.attended, func.count()
        ).group_by(day, Incident.qualifier, Incident.covid_breach, Incident.attended),
        area,
        start,
        end,
    )
    df = _frame(list(session.execute(stmt).all()), FACT_COLUMNS)
    df["qualifier"] = df["qualifier"].map(lambda q: str(q) if isinstance(q, str) else None)
    df["covid_breach"] = df["covid_breach"].astype(bool)
    df["attended"] = df["attended"].astype(bool)
    return df


def channel_facts(
    session: Session, *, actor: Actor, area: Area, start: dt.date, end: dt.date
) -> pd.DataFrame:
    """Incidents per day by the channel they came in by."""
    day = func.date(Incident.received_at)
    stmt = _scoped(
        actor,
        select(day, Incident.channel, func.count()).group_by(day, Incident.channel),
        area,
        start,
        end,
    )
    df = _frame(list(session.execute(stmt).all()), CHANNEL_COLUMNS)
    df["channel"] = df["channel"].map(str)
    return df


def data_span(session: Session, *, actor: Actor) -> tuple[dt.date, dt.date] | None:
    """First and last day with an incident in the actor's scope, or ``None``."""
    lo, hi = session.execute(
        restrict_incidents(
            actor, select(func.min(Incident.received_at), func.max(Incident.received_at))
        )
    ).one()
    if lo is None:
        return None
    return lo.date(), hi.date()


def months_with_data(session: Session, *, actor: Actor, area: Area) -> list[str]:
    """The months (YYYY-MM) in which the area has any incident the actor may see."""
    year, month = extract("year", Incident.received_at), extract("month", Incident.received_at)
    stmt = restrict_incidents(actor, select(year, month).group_by(year, month))
    stmt = _in_area(stmt, area)
    return sorted(f"{int(y):04d}-{int(m):02d}" for y, m in session.execute(stmt))


def by_month_and_district(
    session: Session, *, actor: Actor, area: Area, start: dt.date, end: dt.date
) -> pd.DataFrame:
    """Incidents per calendar month and policing district (``Unknown`` where none)."""
    year, month = extract("year", Incident.received_at), extract("month", Incident.received_at)
    district = func.coalesce(Incident.district, "Unknown")
    stmt = _scoped(
        actor,
        select(year, month, district, func.count()).group_by(year, month, district),
        area,
        start,
        end,
    )
    rows = [(f"{int(y):04d}-{int(m):02d}", d, int(n)) for y, m, d, n in session.execute(stmt)]
    return pd.DataFrame(rows, columns=["month", "district", "n"])
