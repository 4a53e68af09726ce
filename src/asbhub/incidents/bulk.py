"""Incidents as columns: the shape the bulk form of ``record_incidents`` takes and writes.

A batch holds the incidents of one force, the places (``locations`` rows) and people they link
to, and the incident-person links, each as parallel columns. Validated records
(:class:`~asbhub.incidents.schemas.NewIncident`) become a batch with :func:`from_records`; the
generator builds its columns directly. :func:`check` applies the schema's rules to the columns
(so a batch that did not come from records is held to the same rules), and :func:`write`
stores it through the store's bulk writer (:mod:`asbhub.store.bulk`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, Table, func, insert, select, tuple_

from asbhub.errors import InvalidInput
from asbhub.geography.service import UK_LAT, UK_LON, floats, place_points
from asbhub.incidents.models import (
    Channel,
    Incident,
    IncidentPerson,
    IncidentStatus,
    IncidentType,
    Location,
    Person,
    PersonRole,
    PremisesType,
    Qualifier,
)
from asbhub.incidents.schemas import NewIncident, NewPerson
from asbhub.store.bulk import Constant, Timestamps, insert_with_ids

IntArray = npt.NDArray[np.int64]
# Coordinates come as lists (from records) or float arrays with NaN (the generator's pools).
Floats = Sequence[float | None] | npt.NDArray[np.float64]


@dataclass
class Places:
    """Locations to link incidents to. Areas are worked out from the coordinates unless the
    caller located the same points with :func:`~asbhub.geography.service.place_points`."""

    address: list[str]
    postcode: list[str | None]
    premises_type: list[str]
    longitude: Floats
    latitude: Floats
    x_bng: Floats | None = None
    y_bng: Floats | None = None
    lsoa_code: list[str | None] | None = None
    district: list[str | None] | None = None
    local_authority_code: list[str | None] | None = None

    def __len__(self) -> int:
        return len(self.address)


@dataclass
class People:
    forename: list[str]
    surname: list[str]
    date_of_birth: list[str | None]  # ISO dates
    phone: list[str | None]
    email: list[str | None]
    address: list[str | None]
    vulnerability_flags: list[str]  # JSON lists

    def __len__(self) -> int:
        return len(self.forename)


@dataclass
class IncidentBatch:
    """Incidents of one force as columns, with what they link to.

    ``place[i]`` indexes ``places`` (-1: no location); the links are parallel arrays of
    incident index, person index and role. ``match_existing`` reuses stored people (same names
    and birth date, or same contact details without one) and locations (same normalised
    address and postcode) instead of adding them again; the generator, whose pools are new by
    construction, turns it off.
    """

    force_code: str
    reference: list[str]
    received_at: npt.NDArray[np.datetime64]
    channel: list[str]
    opening_code: list[str]
    closing_code: list[str | None]
    qualifier: list[str | None]
    covid_breach: npt.NDArray[np.bool_]
    hate_motivated: npt.NDArray[np.bool_]
    location_text: list[str | None]
    longitude: Floats
    latitude: Floats
    attended: npt.NDArray[np.bool_]
    attended_at: npt.NDArray[np.datetime64]
    narrative: list[str | None]
    status: list[str]
    place: IntArray
    places: Places
    people: People
    link_incident: IntArray
    link_person: IntArray
    link_role: list[str]
    # Grid references given with the input, kept exactly instead of projected again.
    easting: Floats | None = None
    northing: Floats | None = None
    match_existing: bool = True

    def __len__(self) -> int:
        return len(self.reference)


@dataclass
class Written:
    incident_ids: IntArray
    person_ids: IntArray
    location_ids: IntArray
    links: int
    new_people: int
    new_locations: int
    extra: dict[str, Any] = field(default_factory=dict)


def normalise_address(address: str) -> str:
    """The form two writings of one address share: case, punctuation and spacing dropped."""
    return " ".join(re.sub(r"[^\w\s]", " ", address.lower()).split())


PersonKey = tuple[str, str, str | None, str | None]


def person_key(
    forename: str, surname: str, dob: str | None, phone: str | None, email: str | None,
    address: str | None,
) -> PersonKey:  # fmt: skip
    # Without a birth date two people of the same name cannot be told apart, so the contact
    # details keep them apart (and an exact repeat still matches).
    extra = None if dob else f"{phone or ''}|{email or ''}|{address or ''}"
    return (forename.lower(), surname.lower(), dob, extra)


def _person_of(p: NewPerson) -> tuple[Any, ...]:
    dob = p.date_of_birth.isoformat() if p.date_of_birth else None
    return (p.forename, p.surname, dob, p.phone, p.email, p.address, p.vulnerability_flags)


def from_records(force_code: str, records: Sequence[NewIncident]) -> IncidentBatch:
    """Columns of validated records: people and places named twice are one row each."""
    place_index: dict[tuple[str, str | None], int] = {}
    place_lon: list[float | None] = []
    place_lat: list[float | None] = []
    places = Places([], [], [], place_lon, place_lat)
    person_index: dict[PersonKey, int] = {}
    people = People([], [], [], [], [], [], [])
    place: list[int] = []
    link_i: list[int] = []
    link_p: list[int] = []
    link_r: list[str] = []
    for i, r in enumerate(records):
        if r.location_text:
            key = (normalise_address(r.location_text), (r.postcode or "").upper() or None)
            k = place_index.get(key)
            if k is None:
                k = place_index[key] = len(places)
                places.address.append(r.location_text)
                places.postcode.append(r.postcode.upper() if r.postcode else None)
                places.premises_type.append((r.premises_type or PremisesType.OTHER).value)
                place_lon.append(r.longitude)
                place_lat.append(r.latitude)
            place.append(k)
        else:
            place.append(-1)
        seen: set[tuple[int, str]] = set()
        for p in r.people:
            f, s, dob, phone, email, address, flags = _person_of(p)
            pk = person_key(f, s, dob, phone, email, address)
            j = person_index.get(pk)
            if j is None:
                j = person_index[pk] = len(people)
                people.forename.append(f)
                people.surname.append(s)
                people.date_of_birth.append(dob)
                people.phone.append(phone)
                people.email.append(email)
                people.address.append(address)
                people.vulnerability_flags.append(json.dumps(flags))
            if (j, p.role.value) not in seen:
                seen.add((j, p.role.value))
                link_i.append(i)
                link_p.append(j)
                link_r.append(p.role.value)
    return IncidentBatch(
        force_code=force_code,
        reference=[r.reference or "" for r in records],
        received_at=Timestamps.of([r.received_at for r in records]).values,
        channel=[r.channel.value for r in records],
        opening_code=[r.opening_code.value for r in records],
        closing_code=[r.closing_code.value if r.closing_code else None for r in records],
        qualifier=[r.qualifier.value if r.qualifier else None for r in records],
        covid_breach=np.array([r.covid_breach for r in records], bool),
        hate_motivated=np.array([r.hate_motivated for r in records], bool),
        location_text=[r.location_text for r in records],
        longitude=[r.longitude for r in records],
        latitude=[r.latitude for r in records],
        attended=np.array([r.attended for r in records], bool),
        attended_at=Timestamps.of([r.attended_at for r in records]).values,
        narrative=[r.narrative for r in records],
        status=[r.status.value for r in records],
        place=np.array(place, np.int64),
        places=places,
        people=people,
        link_incident=np.array(link_i, np.int64),
        link_person=np.array(link_p, np.int64),
        link_role=link_r,
        easting=[r.easting for r in records],
        northing=[r.northing for r in records],
    )


def _codes(values: Sequence[str | None], allowed: type[Any], name: str, optional: bool) -> None:
    known = {m.value for m in allowed}
    bad = {v for v in set(values) if not (v is None and optional) and v not in known}
    if bad:
        raise InvalidInput(
            f"unknown {name}", {name: f"not one of the codes: {sorted(map(str, bad))}"}
        )


def check(batch: IncidentBatch) -> None:
    """The rules of :class:`~asbhub.incidents.schemas.NewIncident`, applied to whole columns.

    Records that came through the schema pass by construction; a batch built as columns (the
    generator's) is held to the same codes, coordinates and attendance rules.
    """
    n = len(batch)
    for name in ("received_at", "channel", "opening_code", "narrative", "status", "place"):
        if len(getattr(batch, name)) != n:
            raise InvalidInput(
                "columns of unequal length", {name: f"{len(getattr(batch, name))} != {n}"}
            )
    _codes(batch.channel, Channel, "channel", False)
    _codes(batch.opening_code, IncidentType, "opening_code", False)
    _codes(batch.closing_code, IncidentType, "closing_code", True)
    _codes(batch.qualifier, Qualifier, "qualifier", True)
    _codes(batch.status, IncidentStatus, "status", False)
    _codes(batch.link_role, PersonRole, "role", False)
    _codes(batch.places.premises_type, PremisesType, "premises_type", False)
    if any(not r or len(r) > 40 for r in batch.reference):
        raise InvalidInput("references must be 1 to 40 characters", {"reference": "length"})
    lon = np.concatenate([floats(batch.longitude), floats(batch.places.longitude)])
    lat = np.concatenate([floats(batch.latitude), floats(batch.places.latitude)])
    if (np.isnan(lon) != np.isnan(lat)).any():
        raise InvalidInput("longitude and latitude must be given together", {"longitude": "pairs"})
    with np.errstate(invalid="ignore"):
        outside = ~np.isnan(lon) & (
            (lon < UK_LON[0]) | (lon > UK_LON[1]) | (lat < UK_LAT[0]) | (lat > UK_LAT[1])
        )
    if outside.any():
        raise InvalidInput(
            "coordinates outside the UK", {"longitude": f"{int(outside.sum())} point(s)"}
        )
    given = ~np.isnat(batch.attended_at)
    if (given & ~batch.attended).any():
        raise InvalidInput("attended_at is given but attended is false", {"attended_at": "set"})
    if (given & (batch.attended_at < batch.received_at.astype(batch.attended_at.dtype))).any():
        raise InvalidInput("attended_at is before received_at", {"attended_at": "order"})
    if len(batch.place) and (
        batch.place.max(initial=-1) >= len(batch.places) or batch.place.min() < -1
    ):
        raise InvalidInput("place index out of range", {"place": "index"})
    if len(batch.link_incident) and (
        batch.link_incident.max() >= n or batch.link_person.max() >= len(batch.people)
    ):
        raise InvalidInput("link index out of range", {"links": "index"})


def _match_locations(conn: Connection, force_code: str, places: Places) -> dict[int, int]:
    """Stored location ids for the places already known (same normalised address, postcode)."""
    wanted: dict[tuple[str, str | None], list[int]] = {}
    for k, (a, pc) in enumerate(zip(places.address, places.postcode, strict=True)):
        wanted.setdefault((normalise_address(a), pc), []).append(k)
    lowered = sorted({a.lower() for a in places.address})
    found: dict[int, int] = {}
    for i in range(0, len(lowered), 300):
        rows = conn.execute(
            select(Location.id, Location.address, Location.postcode)
            .where(
                Location.force_code == force_code,
                func.lower(Location.address).in_(lowered[i : i + 300]),
            )
            .order_by(Location.id)
        )
        for lid, address, postcode in rows:
            for k in wanted.get((normalise_address(address), postcode), []):
                found.setdefault(k, int(lid))
    return found


def _match_people(conn: Connection, force_code: str, people: People) -> dict[int, int]:
    keys = [
        person_key(*row)
        for row in zip(
            people.forename, people.surname, people.date_of_birth, people.phone,
            people.email, people.address, strict=True,
        )
    ]  # fmt: skip
    index: dict[PersonKey, list[int]] = {}
    for k, key in enumerate(keys):
        index.setdefault(key, []).append(k)
    names = sorted({(k[0], k[1]) for k in keys})
    fore, sur = func.lower(Person.forename), func.lower(Person.surname)
    found: dict[int, int] = {}
    for i in range(0, len(names), 300):
        rows = conn.execute(
            select(
                fore,
                sur,
                Person.date_of_birth,
                Person.phone,
                Person.email,
                Person.address,
                Person.id,
            )
            .where(Person.force_code == force_code, tuple_(fore, sur).in_(names[i : i + 300]))
            .order_by(Person.id)
        )
        for f, su, dob, phone, email, address, pid in rows:
            iso = dob.isoformat() if isinstance(dob, dt.date) else dob
            for k in index.get(person_key(f, su, iso, phone, email, address), []):
                found.setdefault(k, int(pid))
    return found


def _subset(values: Sequence[Any], idx: Sequence[int]) -> list[Any]:
    return [values[i] for i in idx]


@dataclass
class _PlaceAreas:
    """Grid reference and areas of each place of a batch; ``known`` false for stored places
    that were matched (their incidents are located on their own)."""

    known: npt.NDArray[np.bool_]
    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    lsoa: npt.NDArray[np.object_]
    district: npt.NDArray[np.object_]
    la: npt.NDArray[np.object_]


def _write_places(conn: Connection, batch: IncidentBatch) -> tuple[IntArray, int, _PlaceAreas]:
    places = batch.places
    n = len(places)
    ids = np.full(n, -1, np.int64)
    areas = _PlaceAreas(
        np.zeros(n, bool),
        np.full(n, np.nan),
        np.full(n, np.nan),
        np.full(n, None, dtype=object),
        np.full(n, None, dtype=object),
        np.full(n, None, dtype=object),
    )
    if not n:
        return ids, 0, areas
    if batch.match_existing:
        for k, lid in _match_locations(conn, batch.force_code, places).items():
            ids[k] = lid
    new = np.flatnonzero(ids < 0)
    if not len(new):
        return ids, 0, areas
    lon, lat = floats(places.longitude)[new], floats(places.latitude)[new]
    if places.lsoa_code is None:
        # A place is located as of the first incident received there (LSOA vintages differ).
        linked = batch.place >= 0
        first = np.full(n, np.datetime64("2022-01-01", "us"))
        order = np.flatnonzero(linked)[::-1]
        first[batch.place[order]] = batch.received_at[order].astype("datetime64[us]")
        at = place_points(batch.force_code, lon, lat, first[new])
        x, y, lsoa, district, la = (
            at.x_bng,
            at.y_bng,
            at.lsoa_code,
            at.district,
            at.local_authority_code,
        )
    else:
        assert places.x_bng is not None and places.y_bng is not None
        assert places.district is not None and places.local_authority_code is not None
        x, y = floats(places.x_bng)[new], floats(places.y_bng)[new]
        lsoa = np.asarray(places.lsoa_code, dtype=object)[new]
        district = np.asarray(places.district, dtype=object)[new]
        la = np.asarray(places.local_authority_code, dtype=object)[new]
    areas.known[new] = True
    areas.x[new], areas.y[new] = x, y
    areas.lsoa[new], areas.district[new], areas.la[new] = lsoa, district, la
    idx = new.tolist()
    ids[new] = insert_with_ids(
        conn,
        "locations",
        {
            "force_code": Constant(batch.force_code),
            "address": _subset(places.address, idx),
            "postcode": _subset(places.postcode, idx),
            "premises_type": _subset(places.premises_type, idx),
            "longitude": lon,
            "latitude": lat,
            "x_bng": x,
            "y_bng": y,
            "lsoa_code": lsoa.tolist(),
            "district": district.tolist(),
            "local_authority_code": la.tolist(),
        },
    )
    return ids, len(idx), areas


def _write_people(conn: Connection, batch: IncidentBatch) -> tuple[IntArray, int]:
    people = batch.people
    ids = np.full(len(people), -1, np.int64)
    if not len(people):
        return ids, 0
    if batch.match_existing:
        for k, pid in _match_people(conn, batch.force_code, people).items():
            ids[k] = pid
    new = np.flatnonzero(ids < 0).tolist()
    if not new:
        return ids, 0
    flags = _subset(people.vulnerability_flags, new)
    ids[new] = insert_with_ids(
        conn,
        "people",
        {
            "force_code": Constant(batch.force_code),
            "forename": _subset(people.forename, new),
            "surname": _subset(people.surname, new),
            "date_of_birth": _subset(people.date_of_birth, new),
            "phone": _subset(people.phone, new),
            "email": _subset(people.email, new),
            "address": _subset(people.address, new),
            "vulnerable": np.array([f not in ("[]", "", None) for f in flags], bool),
            "vulnerability_flags": flags,
        },
    )
    return ids, len(new)


def write(conn: Connection, batch: IncidentBatch) -> Written:
    """Store ``batch`` on ``conn``'s transaction: places, people, incidents, links.

    An incident at the very point of its (new) location takes the location's grid reference
    and areas; any other is located on its own, so both always agree with the boundaries.
    """
    n = len(batch)
    loc_ids, new_places, areas = _write_places(conn, batch)
    person_ids, new_people = _write_people(conn, batch)
    lon, lat = floats(batch.longitude), floats(batch.latitude)
    linked = batch.place >= 0
    k = np.where(linked, batch.place, 0)
    if len(batch.places):
        p_lon, p_lat = floats(batch.places.longitude)[k], floats(batch.places.latitude)[k]
        same = (np.isnan(lon) & np.isnan(p_lon)) | ((lon == p_lon) & (lat == p_lat))
        from_place = linked & areas.known[k] & same
    else:
        from_place = np.zeros(n, bool)
    x, y = np.full(n, np.nan), np.full(n, np.nan)
    lsoa = np.full(n, None, dtype=object)
    district = np.full(n, None, dtype=object)
    la = np.full(n, None, dtype=object)
    if from_place.any():
        kk = k[from_place]
        x[from_place], y[from_place] = areas.x[kk], areas.y[kk]
        lsoa[from_place], district[from_place], la[from_place] = (
            areas.lsoa[kk],
            areas.district[kk],
            areas.la[kk],
        )
    rest = np.flatnonzero(~from_place)
    if len(rest):
        at = place_points(batch.force_code, lon[rest], lat[rest], batch.received_at[rest])
        x[rest], y[rest] = at.x_bng, at.y_bng
        lsoa[rest], district[rest], la[rest] = at.lsoa_code, at.district, at.local_authority_code
    if batch.easting is not None and batch.northing is not None:
        e, nn = floats(batch.easting), floats(batch.northing)
        given = ~np.isnan(e)
        x[given], y[given] = e[given], nn[given]
    location_id = np.where(linked, loc_ids[k] if len(loc_ids) else -1, -1)
    incident_ids = insert_with_ids(
        conn,
        "incidents",
        {
            "force_code": Constant(batch.force_code),
            "reference": batch.reference,
            "received_at": Timestamps(batch.received_at),
            "channel": batch.channel,
            "opening_code": batch.opening_code,
            "closing_code": batch.closing_code,
            "qualifier": batch.qualifier,
            "covid_breach": batch.covid_breach,
            "hate_motivated": batch.hate_motivated,
            "location_text": batch.location_text,
            "location_id": [None if v < 0 else v for v in location_id.tolist()],
            "longitude": lon,
            "latitude": lat,
            "x_bng": x,
            "y_bng": y,
            "lsoa_code": lsoa.tolist(),
            "district": district.tolist(),
            "local_authority_code": la.tolist(),
            "attended": batch.attended,
            "attended_at": Timestamps(batch.attended_at),
            "narrative": batch.narrative,
            "status": batch.status,
        },
    )
    m = len(batch.link_incident)
    if m:
        insert_with_ids(
            conn,
            "incident_people",
            {
                "force_code": Constant(batch.force_code),
                "incident_id": incident_ids[batch.link_incident],
                "person_id": person_ids[batch.link_person],
                "role": batch.link_role,
            },
        )
    return Written(incident_ids, person_ids, loc_ids, m, new_people, new_places)


@dataclass(frozen=True)
class WrittenOne:
    incident_id: int
    person_ids: tuple[int, ...]
    location_id: int | None
    local_authority_code: str | None


_LOCATIONS = cast(Table, Location.__table__)
_INCIDENTS = cast(Table, Incident.__table__)
_PEOPLE = cast(Table, Person.__table__)
_LINKS = cast(Table, IncidentPerson.__table__)
# Built once: the public form writes through these on every report, and building an insert
# construct per row cost about as much as SQLite's work on it.
_NEW_LOCATION = insert(_LOCATIONS).returning(_LOCATIONS.c.id)
_NEW_INCIDENT = insert(_INCIDENTS).returning(_INCIDENTS.c.id)
_NEW_PERSON = insert(_PEOPLE).returning(_PEOPLE.c.id)
_NEW_LINKS = insert(_LINKS)


def place_one(force_code: str, incident: NewIncident) -> dict[str, Any]:
    """The grid reference and areas of one incident, as :func:`write` finds them for many."""
    lon, lat = incident.longitude, incident.latitude
    at = place_points(
        force_code, [lon], [lat], np.array([incident.received_at], dtype="datetime64[us]")
    )
    x, y = float(at.x_bng[0]), float(at.y_bng[0])
    if incident.easting is not None and incident.northing is not None:
        x, y = incident.easting, incident.northing
    return {
        "x_bng": None if np.isnan(x) else x,
        "y_bng": None if np.isnan(y) else y,
        "lsoa_code": at.lsoa_code[0],
        "district": at.district[0],
        "local_authority_code": at.local_authority_code[0],
    }


def write_one(
    conn: Connection,
    force_code: str,
    incident: NewIncident,
    place: dict[str, Any],
    incident_place: dict[str, Any] | None = None,
) -> WrittenOne:
    """Store one incident as :func:`write` stores a batch of one with ``match_existing`` off:
    its location and people are new rows. A handful of row inserts, not the column machinery,
    because this is the public form's path and runs once per request. ``place`` is
    :func:`place_one` of the incident; ``incident_place``, when given, holds the incident's own
    areas instead (a council area its reporter named), the location keeping those of its point.
    """
    location_id: int | None = None
    if incident.location_text:
        location_id = conn.execute(
            _NEW_LOCATION,
            {
                "force_code": force_code,
                "address": incident.location_text,
                "postcode": incident.postcode.upper() if incident.postcode else None,
                "premises_type": (incident.premises_type or PremisesType.OTHER).value,
                "longitude": incident.longitude,
                "latitude": incident.latitude,
                **place,
            },
        ).scalar_one()
    incident_id = conn.execute(
        _NEW_INCIDENT,
        {
            "force_code": force_code,
            "reference": incident.reference,
            "received_at": incident.received_at,
            "channel": incident.channel,
            "opening_code": incident.opening_code,
            "closing_code": incident.closing_code,
            "qualifier": incident.qualifier,
            "covid_breach": incident.covid_breach,
            "hate_motivated": incident.hate_motivated,
            "location_text": incident.location_text,
            "location_id": location_id,
            "longitude": incident.longitude,
            "latitude": incident.latitude,
            "attended": incident.attended,
            "attended_at": incident.attended_at,
            "narrative": incident.narrative,
            "status": incident.status,
            **(incident_place or place),
        },
    ).scalar_one()
    ids: dict[PersonKey, int] = {}
    links: set[tuple[int, str]] = set()
    for p in incident.people:
        f, su, dob, phone, email, address, flags = _person_of(p)
        key = person_key(f, su, dob, phone, email, address)
        if key not in ids:
            ids[key] = conn.execute(
                _NEW_PERSON,
                {
                    "force_code": force_code,
                    "forename": f,
                    "surname": su,
                    "date_of_birth": p.date_of_birth,
                    "phone": phone,
                    "email": email,
                    "address": address,
                    "vulnerable": bool(flags),
                    "vulnerability_flags": flags,
                },
            ).scalar_one()
        links.add((ids[key], p.role.value))
    if links:
        conn.execute(
            _NEW_LINKS,
            [
                {"force_code": force_code, "incident_id": incident_id, "person_id": pid, "role": r}
                for pid, r in sorted(links)
            ],
        )
    return WrittenOne(incident_id, tuple(ids.values()), location_id, place["local_authority_code"])
