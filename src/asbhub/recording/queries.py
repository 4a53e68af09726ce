"""Reads for the recording audit: the period's incidents and their people as DataFrames.

Both queries are narrowed to the actor's scope with :func:`permissions.restrict`. They read
``incidents`` and ``incident_people`` only: the audit never reads the generator's truth
(``tests/unit/recording/test_truth_unreachable.py`` holds it to that).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from asbhub.incidents.models import Incident, IncidentPerson
from asbhub.permissions import Actor, restrict

INCIDENT_COLUMNS = (
    "id",
    "received_at",
    "district",
    "opening_code",
    "closing_code",
    "qualifier",
    "hate_motivated",
    "covid_breach",
    "location_id",
    "narrative",
)


def bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end] as instants, the end day included."""
    return dt.datetime.combine(start, dt.time()), dt.datetime.combine(
        end + dt.timedelta(days=1), dt.time()
    )


def incidents(session: Session, actor: Actor, start: dt.date, end: dt.date) -> pd.DataFrame:
    """One row per incident with a qualifier received from ``start`` to ``end``."""
    lo, hi = bounds(start, end)
    stmt = restrict(
        actor,
        select(*(getattr(Incident, c) for c in INCIDENT_COLUMNS)).where(
            Incident.received_at >= lo,
            Incident.received_at < hi,
            Incident.qualifier.is_not(None),
        ),
        Incident,
    ).order_by(Incident.id)
    df = pd.DataFrame(session.execute(stmt).all(), columns=list(INCIDENT_COLUMNS))
    for col in ("opening_code", "closing_code", "qualifier"):
        df[col] = [None if v is None else str(getattr(v, "value", v)) for v in df[col]]
    df["narrative"] = df["narrative"].fillna("").astype(str)
    df["hate_motivated"] = df["hate_motivated"].astype(bool)
    df["covid_breach"] = df["covid_breach"].astype(bool)
    df["received_at"] = pd.to_datetime(df["received_at"])
    df["district"] = df["district"].astype(object)
    return df


def people(session: Session, actor: Actor, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The (incident, person, role) links of the same incidents."""
    lo, hi = bounds(start, end)
    stmt = restrict(
        actor,
        select(IncidentPerson.incident_id, IncidentPerson.person_id, IncidentPerson.role)
        .join(
            Incident,
            (Incident.id == IncidentPerson.incident_id)
            & (Incident.force_code == IncidentPerson.force_code),
        )
        .where(
            Incident.received_at >= lo,
            Incident.received_at < hi,
            Incident.qualifier.is_not(None),
        ),
        Incident,
    )
    df = pd.DataFrame(session.execute(stmt).all(), columns=["incident_id", "person_id", "role"])
    df["role"] = df["role"].map(lambda r: str(getattr(r, "value", r)))
    return df
