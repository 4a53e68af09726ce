"""The history reads behind the repeats panels and the Case Review check.

Each read starts from an index, never a scan: people by id or by name in any case
(``ix_people_force_lower_name``), their incidents through ``ix_incident_people_person``; places
by postcode (``ix_locations_force_postcode``) then ``ix_incidents_location``, and points by the
BNG box of ``ix_incidents_bng``. Every select is narrowed by ``permissions.restrict``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from asbhub.geography.service import geography, to_bng
from asbhub.incidents import queries as incident_queries
from asbhub.incidents.models import Incident, IncidentPerson, Location, Person, PersonRole
from asbhub.permissions import Actor, restrict
from asbhub.store.spatial import postgis
from asbhub.triage.models import TriageAssessment
from asbhub.triage.repeats import Earlier
from asbhub.triage.schemas import LocationIn, PersonIn

# The latest 100 of each kind are returned; beyond that a kind is a repeat many times over, and
# the counts in its (shorter) window are still exact up to 100.
MAX_MATCHES = 100
CHUNK = 100  # ids per primary-key batch: short IN lists keep SQLite on the rowid


def normal_postcode(postcode: str | None) -> str | None:
    """``cm1 1aa`` and ``CM11AA`` are the same postcode: upper case, one space before the
    inward code."""
    if not postcode:
        return None
    p = re.sub(r"\s+", "", postcode).upper()
    return f"{p[:-3]} {p[-3:]}" if len(p) > 3 else p


def normal_address(address: str) -> str:
    """Case, punctuation and spacing dropped, and the usual abbreviations spelt out, so that
    "12 High St." matches "12, High Street"."""
    words = re.sub(r"[^a-z0-9]+", " ", address.lower()).split()
    spelt = {
        "st": "street",
        "rd": "road",
        "ave": "avenue",
        "ln": "lane",
        "cl": "close",
        "dr": "drive",
        "ct": "court",
        "pl": "place",
        "sq": "square",
        "gdns": "gardens",
    }
    return " ".join(spelt.get(w, w) for w in words)


def _columns() -> Select:
    """What a history row needs: built once, since building a select costs more than running
    one of these by primary key."""
    latest_occurred = (
        select(TriageAssessment.occurred_at)
        .where(
            TriageAssessment.force_code == Incident.force_code,
            TriageAssessment.incident_id == Incident.id,
        )
        .order_by(TriageAssessment.seq.desc())
        .limit(1)
        .correlate(Incident)
        .scalar_subquery()
    )
    reporter = (
        select(func.min(IncidentPerson.person_id))
        .where(
            IncidentPerson.force_code == Incident.force_code,
            IncidentPerson.incident_id == Incident.id,
            IncidentPerson.role == PersonRole.CALLER,
        )
        .correlate(Incident)
        .scalar_subquery()
    )
    return select(
        Incident.id,
        Incident.reference,
        Incident.received_at,
        Incident.covid_breach,
        Incident.hate_motivated,
        latest_occurred,
        reporter,
        func.coalesce(Incident.closing_code, Incident.opening_code),
    )


_COLUMNS = _columns()


def _earlier(
    session: Session,
    actor: Actor,
    ids_stmt: Select,
    matched_by: str,
    window: tuple[dt.datetime, dt.datetime],
    exclude: int | None,
) -> list[Earlier]:
    """The incidents ``ids_stmt`` names, in the actor's scope, received in ``window`` (the
    history months up to the call itself).

    Two steps on purpose: the ids in the window come from the one selective index (a person's
    links, a place's incidents, the BNG box), then the rows by primary key in small batches.
    Asked in one statement with the actor's scope (``force_code = ?``), or with a long ``IN``
    list, SQLite's planner walks ``ix_incidents_force_received`` over the whole year instead
    (200-300 ms at 500,000 incidents).
    """
    since, until = window
    if session.get_bind().dialect.name != "sqlite":
        # PostgreSQL plans the force in as a filter, and a distributed one routes on it
        # (docs/scale.md section 3); SQLite, with one file, would take the force's index.
        ids_stmt = ids_stmt.where(Incident.force_code == actor.force_code)
    # The newest MAX_MATCHES in the window are all that is shown or counted. The window ends at
    # the call: when an older incident is assessed again, what was reported after it is not
    # its history, and would push its real history out of the newest MAX_MATCHES.
    newest = (
        ids_stmt.where(Incident.received_at <= until)
        .order_by(Incident.received_at.desc())
        .limit(MAX_MATCHES)
    )
    # Column reads on the connection: the ORM's row processing costs more than these queries.
    ids = list(session.connection().execute(newest).scalars())
    out: list[Earlier] = []
    for chunk in range(0, len(ids), CHUNK):
        part = ids[chunk : chunk + CHUNK]
        stmt = restrict(
            actor,
            _COLUMNS.where(Incident.id.in_(part), Incident.received_at.between(since, until)),
            Incident,
        )
        out += _rows(session, stmt, matched_by, exclude)
    out.sort(key=lambda e: (e.received_at, e.incident_id), reverse=True)
    return out[:MAX_MATCHES]


def _rows(session: Session, stmt: Select, matched_by: str, exclude: int | None) -> list[Earlier]:
    return [
        Earlier(
            incident_id=i,
            reference=ref,
            received_at=at,
            matched_by=matched_by,
            covid_breach=bool(covid),
            hate_motivated=bool(hate),
            occurred_at=occurred,
            reporter_id=reporter,
            type=str(kind),
        )
        for i, ref, at, covid, hate, occurred, reporter, kind in session.connection().execute(stmt)
        if i != exclude
    ]


@dataclass(frozen=True)
class PersonMatch:
    ids: list[int]
    matched_by: str  # "person" (by id) or "name"
    vulnerable: list[str]


def find_person(session: Session, actor: Actor, who: PersonIn) -> PersonMatch:
    """The stored people a call's person is: by id, else by name (and date of birth)."""
    if who.person_id is not None:
        stmt = restrict(actor, select(Person).where(Person.id == who.person_id), Person)
        how = "person"
    else:
        assert who.forename and who.surname  # the schema requires one or the other
        stmt = restrict(actor, select(Person), Person).where(
            func.lower(Person.surname) == who.surname.strip().lower(),
            func.lower(Person.forename) == who.forename.strip().lower(),
        )
        if who.date_of_birth is not None:
            stmt = stmt.where(Person.date_of_birth == who.date_of_birth)
        how = "name"
    people = list(session.execute(stmt.limit(50)).scalars())
    flags: list[str] = []
    for p in people:
        if p.vulnerable:
            flags.append(
                "vulnerability flag on record: " + (", ".join(p.vulnerability_flags or []) or "yes")
            )
    return PersonMatch([p.id for p in people], how, flags)


def person_history(
    session: Session,
    actor: Actor,
    ids: Sequence[int],
    role: PersonRole,
    window: tuple[dt.datetime, dt.datetime],
    matched_by: str,
    exclude: int | None = None,
) -> list[Earlier]:
    if not ids:
        return []
    stmt = (
        select(IncidentPerson.incident_id, Incident.received_at)
        .join(
            Incident,
            (Incident.id == IncidentPerson.incident_id)
            & (Incident.force_code == IncidentPerson.force_code),
        )
        .where(
            IncidentPerson.person_id.in_(list(ids)),
            IncidentPerson.role == role,
            Incident.received_at >= window[0],
        )
    )
    return _earlier(session, actor, stmt, matched_by, window, exclude)


@dataclass(frozen=True)
class Place:
    location_ids: list[int]
    x: float | None
    y: float | None
    premises_type: str | None
    local_authority_code: str | None


def find_place(session: Session, actor: Actor, where: LocationIn) -> Place:
    """The stored locations and the point a call's place is."""
    ids: list[int] = []
    x = y = None
    premises = where.premises_type.value if where.premises_type else None
    la: str | None = None
    if where.location_id is not None:
        loc = session.execute(
            restrict(actor, select(Location).where(Location.id == where.location_id), Location)
        ).scalar_one_or_none()
        if loc is not None:
            ids.append(loc.id)
            x, y = loc.x_bng, loc.y_bng
            premises = premises or loc.premises_type.value
            la = loc.local_authority_code
    postcode = normal_postcode(where.postcode)
    if where.address and postcode:
        key = normal_address(where.address)
        for loc in session.execute(
            restrict(actor, select(Location).where(Location.postcode == postcode), Location)
        ).scalars():
            if normal_address(loc.address) == key and loc.id not in ids:
                ids.append(loc.id)
                if x is None:
                    x, y = loc.x_bng, loc.y_bng
                premises = premises or loc.premises_type.value
                la = la or loc.local_authority_code
    if where.longitude is not None and where.latitude is not None:
        bx, by = to_bng([where.longitude], [where.latitude])
        x, y = float(bx[0]), float(by[0])
        la = (
            geography(actor.force_code)
            .locate([where.longitude], [where.latitude])
            .local_authority_code[0]
            or la
        )
    return Place(ids, x, y, premises, la)


def place_history(
    session: Session,
    actor: Actor,
    place: Place,
    radius_m: float | None,
    window: tuple[dt.datetime, dt.datetime],
    exclude: int | None = None,
) -> list[Earlier]:
    out: list[Earlier] = []
    if place.location_ids:
        # The window here too: a busy place has years of incidents on ix_incidents_location.
        stmt = select(Incident.id, Incident.received_at).where(
            Incident.location_id.in_(place.location_ids), Incident.received_at >= window[0]
        )
        out += _earlier(session, actor, stmt, "address", window, exclude)
    if radius_m and place.x is not None and place.y is not None and math.isfinite(place.x):
        box = incident_queries.within_box(
            select(Incident.id, Incident.received_at),
            place.x,
            place.y,
            radius_m,
            spatial=postgis(session),
        ).where(Incident.received_at >= window[0])
        known = {e.incident_id for e in out}
        out += [
            e
            for e in _earlier(session, actor, box, "radius", window, exclude)
            if e.incident_id not in known
        ]
    return out
