"""Recording incidents, and what the staff screens and the API read about incidents, people
and places.

Every function takes the session and the actor, checks the policy, narrows the query to the
actor's scope and, where personal data is shown, records who saw whose data and why.

:func:`record_incident` (and its bulk form :func:`record_incidents`) is the only way an
incident is written: the online report, a chat conversion, ``asbhub ingest incidents`` and the
generator all go through it. It assigns the reference and the areas, links the people and the
location, audits the write and emits :class:`~asbhub.incidents.events.IncidentsRecorded`.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache
from sqlalchemy import ColumnElement, Connection, Row, func, or_, select
from sqlalchemy.orm import Session

from asbhub.audit.models import AuditEvent
from asbhub.audit.service import AuditAction, record
from asbhub.errors import InvalidInput, NotFound
from asbhub.geography.service import areas_named, council_areas, from_bng, to_bng
from asbhub.incidents import bulk, events, queries
from asbhub.incidents.labels import event_label, label
from asbhub.incidents.models import INCIDENT_TYPE_LABELS, Incident, IncidentPerson, Location, Person
from asbhub.incidents.schemas import (
    COUNT_CAP,
    PAGE_SIZE,
    IncidentDetail,
    IncidentFilters,
    IncidentPage,
    IncidentRow,
    Nearby,
    NearbyIncident,
    NewIncident,
    PersonDetail,
    PersonIncident,
    PersonLink,
    PersonSummary,
    SearchResults,
    TimelineEntry,
)
from asbhub.permissions import (
    Action,
    Actor,
    allowed,
    check,
    field_rule,
    pseudonym,
    require,
    restrict,
    scoped_local_authorities,
)
from asbhub.store.spatial import postgis

# Crockford's base32 without I, L, O, U: read aloud over the phone without confusion.
_REF_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
MAX_RADIUS_M = 5_000.0
NEARBY_LIMIT = 500
SEARCH_LIMIT = 50


def new_reference(prefix: str, now: dt.datetime) -> str:
    """An incident reference such as ``WEB-250114-7KQ2MD``: dated, unguessable, unambiguous."""
    tail = "".join(secrets.choice(_REF_ALPHABET) for _ in range(6))
    return f"{prefix}-{now:%y%m%d}-{tail}"


@dataclass(frozen=True)
class Recorded:
    """What :func:`record_incident` stored."""

    incident_id: int
    reference: str
    person_ids: tuple[int, ...]
    location_id: int | None


def record_incident(
    session: Session,
    *,
    actor: Actor | None,
    incident: NewIncident,
    force_code: str,
    permission: Action,
    source: str,
    reference_prefix: str = "INC",
    within_force: bool = False,
    event: str = "incidents:incident:record",
    audit_fields: dict[str, Any] | None = None,
    channel: str | None = None,
    named_area: str | None = None,
    now: dt.datetime | None = None,
) -> Recorded:
    """Record one incident in ``session``'s transaction (the caller commits).

    ``permission`` is the action that lets ``actor`` record it (the public's report, a
    handler's chat conversion); ``source`` names the writer in the emitted event. A reference
    is assigned (``<prefix>-YYMMDD-XXXXXX``) unless the incident carries one. With
    ``within_force`` a point outside the force's areas is refused (:class:`InvalidInput` on
    ``longitude``) before anything is written. ``named_area`` is the council area the reporter
    named: an incident with no point is put in it (see :func:`_named_place`).
    """
    check(actor, permission)
    if incident.reference is None:
        now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
        incident = incident.model_copy(update={"reference": new_reference(reference_prefix, now)})
    place = bulk.place_one(force_code, incident)
    named = None
    if named_area is not None and incident.longitude is None and incident.easting is None:
        named = _named_place(force_code, named_area, place)
    outside = incident.longitude is not None and place["local_authority_code"] is None
    if within_force and outside:
        # Refused before anything is written, so a failed report leaves no rows behind.
        raise InvalidInput(
            "the point is outside the force area", {"longitude": "outside the force area"}
        )
    conn = session.connection()
    written = bulk.write_one(conn, force_code, incident, place, named)
    record(
        session,
        actor=actor,
        event=event,
        action=AuditAction.CREATE,
        object_type="incident",
        object_id=written.incident_id,
        data_subjects=written.person_ids,
        fields=audit_fields,
        force_code=force_code,
        channel=channel,
    )
    recorded = events.IncidentsRecorded(
        force_code, (written.incident_id,), source, (incident.received_at,)
    )
    events.emit(conn, recorded)
    return Recorded(
        incident_id=written.incident_id,
        reference=str(incident.reference),
        person_ids=written.person_ids,
        location_id=written.location_id,
    )


def _named_place(
    force_code: str, local_authority_code: str, place: dict[str, Any]
) -> dict[str, Any]:
    """The areas of an incident with no point, from the council area its reporter named.

    Areas normally come from a point; a typed address with no pin would otherwise count as
    "Unknown", drop out of district filters and out of the partner's list for that area. An
    incident with a point keeps the areas worked out from it.
    """
    district = {d.local_authority_code: d.policing_district for d in council_areas(force_code)}
    if local_authority_code not in district:
        raise InvalidInput("unknown council area", {"area": "not one of the force's areas"})
    return {
        **place,
        "local_authority_code": local_authority_code,
        "district": district[local_authority_code],
    }


def record_incidents(
    conn: Connection,
    *,
    actor: Actor | None,
    batch: bulk.IncidentBatch,
    permission: Action | None,
    source: str,
    event: str,
    audit_fields: dict[str, Any] | None = None,
) -> bulk.Written:
    """The bulk form of :func:`record_incident`: a whole batch on ``conn``'s transaction.

    The batch is checked against the same rules as one incident (:func:`bulk.check`), written
    through the store's bulk writer, audited once with its counts and announced in one event.
    ``permission`` ``None`` is a job run from the command line, which holds the database
    credentials itself; it is audited without an actor.
    """
    if permission is not None:
        check(actor, permission)
    bulk.check(batch)
    written = bulk.write(conn, batch)
    with Session(bind=conn) as session:
        record(
            session,
            actor=actor,
            event=event,
            action=AuditAction.CREATE,
            object_type="incident",
            result_count=len(written.incident_ids),
            fields={
                "incidents": len(written.incident_ids),
                "people_added": written.new_people,
                "locations_added": written.new_locations,
                "links": written.links,
                **(audit_fields or {}),
            },
            force_code=batch.force_code,
            channel="cli" if actor is None else None,
        )
    ids = tuple(int(i) for i in written.incident_ids.tolist())
    events.emit(conn, events.IncidentsRecorded(batch.force_code, ids, source))
    return written


# What a list row shows, read as plain columns: loading fifty Incident objects (identity map,
# instance state, one descriptor call a field) was a third of a list page's work.
_LIST_COLUMNS = (
    Incident.id,
    Incident.reference,
    Incident.received_at,
    Incident.channel,
    Incident.closing_code,
    Incident.opening_code,
    Incident.qualifier,
    Incident.covid_breach,
    Incident.attended,
    Incident.status,
    Incident.district,
    Incident.local_authority_code,
    Incident.lsoa_code,
    Incident.location_text,
)


def _row(i: Incident | Row[Any], free_text: bool) -> IncidentRow:
    return IncidentRow(
        id=i.id,
        reference=i.reference,
        received_at=i.received_at,
        channel=i.channel,
        type=i.closing_code or i.opening_code,
        type_label=INCIDENT_TYPE_LABELS[i.closing_code or i.opening_code],
        qualifier=i.qualifier,
        covid_breach=i.covid_breach,
        attended=i.attended,
        status=i.status,
        district=i.district,
        local_authority_code=i.local_authority_code,
        lsoa_code=i.lsoa_code,
        location_text=i.location_text if free_text else None,
    )


# At most 1,024 answers, each for a minute; the lock because the web app counts from threads.
_count_cache: TTLCache[tuple[str, ...], int] = TTLCache(maxsize=1024, ttl=60.0)
_count_lock = threading.Lock()


def count_incidents(
    session: Session, *, actor: Actor, filters: IncidentFilters
) -> tuple[int, bool]:
    """``(count, capped)`` of the incidents matching ``filters`` in the actor's scope.

    Counts at most ``COUNT_CAP + 1`` rows, and remembers each answer for a minute per
    database, scope and filters, so paging and refreshing a list never re-count it; a count
    can therefore lag new incidents by up to a minute.
    """
    require(actor, Action.INCIDENT_LIST)
    scope = scoped_local_authorities(actor)
    key = (
        str(session.get_bind().engine.url),
        actor.force_code,
        ",".join(sorted(scope)) if scope is not None else "*",
        filters.model_dump_json(),
        str(COUNT_CAP),
    )
    with _count_lock:
        hit = _count_cache.get(key)
    if hit is not None:
        return min(hit, COUNT_CAP), hit > COUNT_CAP
    base = queries.apply_filters(restrict(actor, select(Incident), Incident), filters)
    n = int(session.execute(queries.capped_count(base, COUNT_CAP)).scalar_one())
    with _count_lock:
        _count_cache[key] = n
    return min(n, COUNT_CAP), n > COUNT_CAP


def audit_shown(
    session: Session,
    *,
    actor: Actor,
    event: str,
    incidents: Sequence[Incident | Row[Any]],
    query: str | None = None,
    object_type: str = "incident",
    object_id: int | None = None,
) -> None:
    """Record that ``actor`` was shown these incidents with their free text (places that
    are often a home address, narratives): one event per page or answer, naming the people
    linked to them, as the DPA 2018 s.62 log of consultation requires. Roles shown no free
    text are shown no personal data, and nothing is recorded for them."""
    if not incidents or not field_rule(actor).free_text:
        return
    ids = [i.id for i in incidents]
    record(
        session,
        actor=actor,
        event=event,
        action=AuditAction.SEARCH if query is not None else AuditAction.VIEW,
        object_type=object_type,
        object_id=object_id,
        query=query,
        result_count=len(ids),
        data_subjects=queries.people_of(session, actor.force_code, ids),
        fields={"incidents": ids},
    )


def list_incidents(
    session: Session,
    *,
    actor: Actor,
    filters: IncidentFilters,
    after: str | None = None,
    limit: int = PAGE_SIZE,
    with_count: bool = True,
) -> IncidentPage:
    """One page of incidents, newest first.

    With ``with_count`` the page carries the (capped, cached) count; the HTML list leaves it
    out and fetches it separately so the rows never wait for it.
    """
    require(actor, Action.INCIDENT_LIST)
    if not 1 <= limit <= 200:
        raise InvalidInput("page size out of range", {"limit": "between 1 and 200"})
    base = queries.apply_filters(restrict(actor, select(*_LIST_COLUMNS), Incident), filters)
    rows = list(session.execute(queries.after(base, after).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    count: int | None = None
    capped = False
    if after is None and not more:
        count = len(rows)  # the first page holds everything: nothing more to count
    elif with_count:
        count, capped = count_incidents(session, actor=actor, filters=filters)
    personal = field_rule(actor).free_text
    last = rows[-1] if rows and more else None
    shown = filters.model_dump_json(exclude_defaults=True) + (f" after {after}" if after else "")
    audit_shown(session, actor=actor, event="incidents:incident:list", incidents=rows, query=shown)
    return IncidentPage(
        items=[_row(i, personal) for i in rows],
        next_cursor=queries.encode_cursor(last.received_at, last.id) if last else None,
        count=count,
        count_capped=capped,
    )


def _load_incident(session: Session, actor: Actor, incident_id: int) -> Incident:
    stmt = restrict(actor, select(Incident).where(Incident.id == incident_id), Incident)
    incident = session.execute(stmt).scalar_one_or_none()
    if incident is None:
        raise NotFound(f"incident {incident_id} not found")
    return incident


def _timeline(session: Session, i: Incident) -> list[TimelineEntry]:
    entries = [TimelineEntry(at=i.received_at, what=f"Received: {label(i.channel).lower()}")]
    if i.created_at:
        entries.append(TimelineEntry(at=i.created_at, what="Recorded in asbhub"))
    if i.attended_at:
        entries.append(TimelineEntry(at=i.attended_at, what="Police attended"))
    changes = session.execute(
        select(AuditEvent.occurred_at, AuditEvent.event, AuditEvent.actor_name)
        .where(
            AuditEvent.object_type == "incident",
            AuditEvent.object_id == str(i.id),
            AuditEvent.action.in_(["create", "update", "link", "share", "merge"]),
        )
        .order_by(AuditEvent.seq)
    ).all()
    for at, event, who in changes:
        entries.append(TimelineEntry(at=at, what=f"{event_label(event)} by {who or 'the system'}"))
    return sorted(entries, key=lambda e: e.at)


def get_incident(session: Session, *, actor: Actor, incident_id: int) -> IncidentDetail:
    """An incident with its people and timeline; names only for entitled roles (audited)."""
    require(actor, Action.INCIDENT_VIEW)
    i = _load_incident(session, actor, incident_id)
    shown = field_rule(actor)
    links = session.execute(
        select(IncidentPerson.role, Person)
        .join(
            Person,
            (Person.id == IncidentPerson.person_id)
            & (Person.force_code == IncidentPerson.force_code),
        )
        .where(IncidentPerson.force_code == i.force_code, IncidentPerson.incident_id == i.id)
        .order_by(IncidentPerson.role, Person.surname, Person.id)
    ).all()
    people = [
        PersonLink(person_id=p.id, label=f"{p.forename} {p.surname}", role=role)
        if shown.names
        else PersonLink(person_id=None, label=pseudonym(actor, p.id), role=role)
        for role, p in links
    ]
    if shown.names:
        record(
            session,
            actor=actor,
            event="incidents:incident:view",
            action=AuditAction.VIEW,
            object_type="incident",
            object_id=i.id,
            data_subjects=[p.id for _, p in links],
        )
    base = _row(i, shown.free_text).model_dump()
    return IncidentDetail(
        **base,
        opening_code=i.opening_code,
        closing_code=i.closing_code,
        hate_motivated=i.hate_motivated,
        attended_at=i.attended_at,
        narrative=i.narrative if shown.free_text else None,
        longitude=shown.position(i.longitude),
        latitude=shown.position(i.latitude),
        location_id=shown.location_id(i.location_id),
        people=people,
        timeline=_timeline(session, i),
        personal_data_shown=shown.names,
    )


def get_person(session: Session, *, actor: Actor, person_id: int) -> PersonDetail:
    """A person and every incident they appear in, in any role. Always audited."""
    require(actor, Action.PERSON_VIEW)
    person = session.execute(
        restrict(actor, select(Person).where(Person.id == person_id), Person)
    ).scalar_one_or_none()
    if person is None:
        raise NotFound(f"person {person_id} not found")
    stmt = restrict(
        actor,
        select(IncidentPerson.role, Incident)
        .join(
            Incident,
            (Incident.id == IncidentPerson.incident_id)
            & (Incident.force_code == IncidentPerson.force_code),
        )
        .where(
            IncidentPerson.force_code == person.force_code,
            IncidentPerson.person_id == person.id,
        ),
        Incident,
    ).order_by(Incident.received_at.desc(), Incident.id.desc())
    incidents = [PersonIncident(role=r, incident=_row(i, True)) for r, i in session.execute(stmt)]
    record(
        session,
        actor=actor,
        event="incidents:person:view",
        action=AuditAction.VIEW,
        object_type="person",
        object_id=person.id,
        data_subjects=[person.id],
        result_count=len(incidents),
    )
    return PersonDetail(
        id=person.id,
        forename=person.forename,
        surname=person.surname,
        date_of_birth=person.date_of_birth,
        phone=person.phone,
        email=person.email,
        address=person.address,
        vulnerable=person.vulnerable,
        vulnerability_flags=list(person.vulnerability_flags or []),
        incidents=incidents,
    )


def _nearby(
    session: Session,
    actor: Actor,
    *,
    x: float,
    y: float,
    radius: float,
    label: str,
    location_id: int | None,
) -> Nearby:
    if not (0 < radius <= MAX_RADIUS_M) or not (math.isfinite(x) and math.isfinite(y)):
        raise InvalidInput(
            "the radius is out of range", {"radius": f"between 1 and {MAX_RADIUS_M:.0f} metres"}
        )
    base = queries.within_box(
        restrict(actor, select(Incident), Incident), x, y, radius, spatial=postgis(session)
    )
    total = int(session.execute(queries.capped_count(base, COUNT_CAP)).scalar_one())
    rows = list(session.execute(queries.after(base, None).limit(NEARBY_LIMIT)).scalars())
    audit_shown(
        session,
        actor=actor,
        event="incidents:location:view" if location_id else "incidents:incident:near",
        incidents=rows,
        query=None if location_id else f"{x:.0f},{y:.0f} r={radius:.0f}",
        object_type="location" if location_id else "incident",
        object_id=location_id,
    )
    shown = field_rule(actor)
    items = [
        NearbyIncident(
            **_row(i, shown.free_text).model_dump(),
            distance_m=shown.metres(math.hypot((i.x_bng or 0) - x, (i.y_bng or 0) - y)) or 0.0,
            longitude=shown.position(i.longitude),
            latitude=shown.position(i.latitude),
        )
        for i in rows
    ]
    lon, lat = from_bng([x], [y])
    return Nearby(
        label=label,
        location_id=shown.location_id(location_id),
        x_bng=shown.metres(x) or 0.0,
        y_bng=shown.metres(y) or 0.0,
        longitude=shown.position(float(lon[0])) or 0.0,
        latitude=shown.position(float(lat[0])) or 0.0,
        radius_m=radius,
        items=items,
        total=total,
        truncated=total > len(items),
    )


def location_incidents(
    session: Session, *, actor: Actor, location_id: int, radius: float = 250.0
) -> Nearby:
    """Every incident in the actor's scope within ``radius`` metres of a stored location."""
    require(actor, Action.LOCATION_VIEW)
    loc = session.execute(
        restrict(actor, select(Location).where(Location.id == location_id), Location)
    ).scalar_one_or_none()
    if loc is None or loc.x_bng is None or loc.y_bng is None:
        raise NotFound(f"location {location_id} not found or not mapped")
    if field_rule(actor).free_text:
        label = loc.address + (f", {loc.postcode}" if loc.postcode else "")
    else:
        label = f"{loc.premises_type.value.replace('_', ' ')} in {loc.district or 'Essex'}"
    return _nearby(
        session,
        actor,
        x=loc.x_bng,
        y=loc.y_bng,
        radius=radius,
        label=label,
        location_id=loc.id,
    )


def incidents_near(
    session: Session,
    *,
    actor: Actor,
    longitude: float,
    latitude: float,
    radius: float = 250.0,
) -> Nearby:
    """Every incident in the actor's scope within ``radius`` metres of a point."""
    require(actor, Action.LOCATION_VIEW)
    if not (-8.0 <= longitude <= 2.0 and 49.0 <= latitude <= 61.0):
        raise InvalidInput("the point is outside Great Britain", {"longitude": "out of range"})
    x, y = to_bng([longitude], [latitude])
    label = f"{latitude:.5f}, {longitude:.5f}"
    return _nearby(
        session, actor, x=float(x[0]), y=float(y[0]), radius=radius, label=label, location_id=None
    )


SEARCH_MIN = 2


def search(session: Session, *, actor: Actor, q: str, after: str | None = None) -> SearchResults:
    """Find incidents by reference or place and, for entitled roles, people by name.

    A place is a policing district, a council area or one of its towns (``towns.csv``), and
    for roles that see addresses also the typed place. Incidents come a page at a time
    (``after`` is the previous page's ``next_cursor``) with their capped total.
    """
    require(actor, Action.INCIDENT_SEARCH)
    q = q.strip()
    if not SEARCH_MIN <= len(q) <= 100:
        raise InvalidInput(
            "search for 2 to 100 characters",
            {"q": f"Enter at least {SEARCH_MIN} characters: one letter matches too much to list"},
        )
    personal = field_rule(actor).free_text
    ref_stmt = restrict(
        actor,
        select(Incident).where(Incident.reference.startswith(q.upper(), autoescape=True)),
        Incident,
    )
    by_ref = list(session.execute(queries.after(ref_stmt, None).limit(SEARCH_LIMIT)).scalars())
    if by_ref:
        audit_shown(
            session, actor=actor, event="incidents:incident:search", incidents=by_ref, query=q
        )
        rows = [_row(i, personal) for i in by_ref]
        return SearchResults(query=q, kind="reference", incidents=rows, people=[])
    areas = areas_named(actor.force_code, q)
    where: list[ColumnElement[bool]] = [func.lower(Incident.district) == q.lower()]
    if areas:
        where.append(Incident.local_authority_code.in_(sorted(areas)))
    if personal:
        # Free-text places can name a home, so only roles that see personal data match them.
        like = f"%{q.lower()}%"
        where.append(func.lower(Incident.location_text).like(like, escape="\\"))
    place_stmt = restrict(actor, select(Incident).where(or_(*where)), Incident)
    found = list(
        session.execute(queries.after(place_stmt, after).limit(SEARCH_LIMIT + 1)).scalars()
    )
    more = len(found) > SEARCH_LIMIT
    found = found[:SEARCH_LIMIT]
    if personal:
        audit_shown(
            session, actor=actor, event="incidents:incident:search", incidents=found, query=q
        )
    incidents = [_row(i, personal) for i in found]
    total = int(session.execute(queries.capped_count(place_stmt, COUNT_CAP)).scalar_one())
    next_cursor = (
        queries.encode_cursor(found[-1].received_at, found[-1].id) if more and found else None
    )
    people: list[PersonSummary] = []
    if allowed(actor, Action.PERSON_SEARCH):
        people = _people_named(session, actor, q)
        record(
            session,
            actor=actor,
            event="incidents:person:search",
            action=AuditAction.SEARCH,
            object_type="person",
            query=q,
            result_count=len(people),
            data_subjects=[p.id for p in people],
        )
    kind = "person" if people and not incidents else ("place" if incidents else "all")
    return SearchResults(
        query=q,
        kind=kind,
        incidents=incidents,
        people=people,
        total=min(total, COUNT_CAP),
        total_capped=total > COUNT_CAP,
        next_cursor=next_cursor,
    )


def _people_named(session: Session, actor: Actor, q: str) -> list[PersonSummary]:
    words = q.replace(",", " ").split()
    conds: list[ColumnElement[bool]] = []
    if len(words) >= 2:
        conds.append(
            (func.lower(Person.forename) == words[0].lower())
            & func.lower(Person.surname).startswith(" ".join(words[1:]).lower(), autoescape=True)
        )
    conds.append(func.lower(Person.surname).startswith(q.lower(), autoescape=True))
    n_incidents = (
        select(func.count())
        .where(
            IncidentPerson.force_code == Person.force_code, IncidentPerson.person_id == Person.id
        )
        .correlate(Person)
        .scalar_subquery()
    )
    rows = session.execute(
        restrict(actor, select(Person, n_incidents).where(or_(*conds)), Person)
        .order_by(Person.surname, Person.forename, Person.id)
        .limit(SEARCH_LIMIT)
    ).all()
    return [
        PersonSummary(
            id=p.id, name=f"{p.forename} {p.surname}", date_of_birth=p.date_of_birth, incidents=n
        )
        for p, n in rows
    ]
