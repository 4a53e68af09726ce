"""Load a force's NSIR incident export (CSV or JSON Lines; see docs/formats.md).

Each record is validated against :class:`IncidentRecord`; a bad record is quarantined with its
file, line and reason, the good ones are stored with their people in one transaction per file.
A reference already stored for the force (or seen earlier in the file) is a duplicate: skipped
and counted. British National Grid, LSOA, policing district and local authority are filled in
from the coordinates, for the whole file at once.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy import Connection, Engine, func, insert, select, tuple_
from sqlalchemy.exc import SQLAlchemyError

from asbhub.geography.service import SHIPPED_FORCES, from_bng, geography, to_bng
from asbhub.incidents.models import (
    Channel,
    Incident,
    IncidentPerson,
    IncidentStatus,
    IncidentType,
    Person,
    PersonRole,
    Qualifier,
)
from asbhub.ingest.police_uk import UK_LAT, UK_LON
from asbhub.ingest.schemas import FileResult, FileStatus, IngestReport, Problem, Progress
from asbhub.ingest.sources import SourceFailure, decode
from asbhub.ingest.writer import quarantine

Text40 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]

# LSOA boundaries were redrawn with the 2021 census; data from 2022 on uses the new codes.
LSOA_2021_FROM = dt.datetime(2022, 1, 1)

CSV_REQUIRED = ("reference", "received_at", "channel", "opening_code")


def _utc(value: dt.datetime) -> dt.datetime:
    # The store keeps naive UTC; an offset in the export is honoured, none means UTC already.
    if value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


class PersonRecord(BaseModel):
    """One person on an incident, as the export gives them."""

    model_config = ConfigDict(extra="forbid")

    role: PersonRole
    forename: Name
    surname: Name
    date_of_birth: dt.date | None = None
    phone: Annotated[str, StringConstraints(max_length=30)] | None = None
    email: Annotated[str, StringConstraints(max_length=200)] | None = None
    address: Annotated[str, StringConstraints(max_length=300)] | None = None
    vulnerability_flags: list[Annotated[str, StringConstraints(min_length=1)]] = Field(
        default_factory=list
    )


class IncidentRecord(BaseModel):
    """One NSIR incident of the export format (docs/formats.md)."""

    model_config = ConfigDict(extra="forbid", use_enum_values=False)

    reference: Text40
    received_at: dt.datetime
    channel: Channel
    opening_code: IncidentType
    closing_code: IncidentType | None = None
    qualifier: Qualifier | None = None
    covid_breach: bool = False
    hate_motivated: bool = False
    location_text: Annotated[str, StringConstraints(max_length=300)] | None = None
    longitude: float | None = None
    latitude: float | None = None
    easting: float | None = None
    northing: float | None = None
    attended: bool = False
    attended_at: dt.datetime | None = None
    narrative: str | None = None
    status: IncidentStatus = IncidentStatus.NEW
    people: list[PersonRecord] = Field(default_factory=list)

    @field_validator("received_at", "attended_at")
    @classmethod
    def _naive_utc(cls, v: dt.datetime | None) -> dt.datetime | None:
        return _utc(v) if v is not None else None

    @model_validator(mode="after")
    def _consistent(self) -> IncidentRecord:
        lonlat = (self.longitude is None, self.latitude is None)
        grid = (self.easting is None, self.northing is None)
        if lonlat[0] != lonlat[1]:
            raise ValueError("longitude and latitude must be given together")
        if grid[0] != grid[1]:
            raise ValueError("easting and northing must be given together")
        if not any(grid) and not any(lonlat):
            raise ValueError("give longitude/latitude or easting/northing, not both")
        if self.easting is not None and self.northing is not None:
            lon, lat = from_bng([self.easting], [self.northing])
            self.longitude, self.latitude = float(lon[0]), float(lat[0])
        if self.longitude is not None and self.latitude is not None:
            in_uk = UK_LON[0] <= self.longitude <= UK_LON[1] and (
                UK_LAT[0] <= self.latitude <= UK_LAT[1]
            )
            if not in_uk:
                raise ValueError(
                    f"coordinates outside the UK: longitude {self.longitude}, "
                    f"latitude {self.latitude}"
                )
        if self.attended_at is not None:
            if not self.attended:
                raise ValueError("attended_at is given but attended is false")
            if self.attended_at < self.received_at:
                raise ValueError("attended_at is before received_at")
        if IncidentType.COVID_BREACH in (self.opening_code, self.closing_code):
            self.covid_breach = True
        return self


CSV_COLUMNS = set(IncidentRecord.model_fields)


@dataclass
class _Raw:
    line: int
    text: str
    data: dict[str, Any] | None
    error: str | None = None


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise SourceFailure(
        Problem(str(path), 0, f"unknown export format {suffix!r}: use .csv or .jsonl")
    )


def _jsonl_records(name: str, text: str) -> Iterator[_Raw]:
    lines = text.splitlines()
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            last = i == len(lines) and not text.endswith("\n")
            reason = f"invalid JSON: {exc.msg} at column {exc.colno}"
            yield _Raw(i, line, None, f"truncated last line: {reason}" if last else reason)
            continue
        if not isinstance(data, dict):
            yield _Raw(i, line, None, "expected a JSON object")
            continue
        yield _Raw(i, line, data)


def _csv_records(name: str, text: str) -> Iterator[_Raw]:
    raw_lines = text.splitlines()
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        raise SourceFailure(Problem(name, 1, "missing header"))
    header = [h.strip().lower() for h in header]
    missing = [c for c in CSV_REQUIRED if c not in header]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown and not missing:
        raise SourceFailure(
            Problem(
                name,
                1,
                f"wrong header: unknown column(s) {', '.join(unknown)}",
                raw_lines[0],
            )
        )
    if missing:
        raise SourceFailure(
            Problem(
                name,
                1,
                f"wrong or missing header: no column(s) {', '.join(missing)} "
                f"(line 1 reads {raw_lines[0][:120]!r})",
                raw_lines[0] if raw_lines else "",
            )
        )
    end = reader.line_num
    for row in reader:
        start, end = end + 1, reader.line_num
        if not row:
            continue
        raw = "\n".join(raw_lines[start - 1 : end])
        if len(row) != len(header):
            last = end == len(raw_lines) and not text.endswith("\n")
            reason = f"expected {len(header)} fields, found {len(row)}"
            yield _Raw(start, raw, None, f"truncated last line: {reason}" if last else reason)
            continue
        data: dict[str, Any] = {
            k: (v if v.strip() != "" else None) for k, v in zip(header, row, strict=True)
        }
        people = data.get("people")
        if people is not None:
            try:
                data["people"] = json.loads(people)
            except json.JSONDecodeError as exc:
                yield _Raw(start, raw, None, f"people: not a JSON list ({exc.msg})")
                continue
        yield _Raw(start, raw, data)


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)


def ingest_incidents(
    engine: Engine,
    path: Path | str,
    *,
    force_code: str = "essex",
    progress: Progress | None = None,
) -> IngestReport:
    """Load one incident export file for ``force_code`` (see docs/formats.md for the format)."""
    path = Path(path)
    report = IngestReport()
    if progress is not None:
        progress.start(1)
    result = FileResult(source=str(path), force_code=force_code)
    report.results.append(result)
    try:
        _load(engine, path, force_code, result)
    except SourceFailure as exc:
        result.status = FileStatus.FAILED
        result.note(exc.problem.message())
        try:
            with engine.begin() as conn:
                result.quarantined = quarantine(conn, force_code, [exc.problem])
        except SQLAlchemyError:
            result.note(f"{path}:0: could not record the failure in quarantine")
    if progress is not None:
        progress.advance(result)
    return report


def _load(engine: Engine, path: Path, force_code: str, result: FileResult) -> None:
    name = str(path)
    kind = _format_of(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceFailure(Problem(name, 0, f"cannot read file: {exc.strerror}")) from exc
    if not data.strip():
        raise SourceFailure(Problem(name, 0, "empty file: no header and no records"))
    utf8, encoding, note = decode(name, data)
    result.encoding = encoding
    if note:
        result.note(f"{name}: {note}")
    text = utf8.decode("utf-8")
    raws = list(_jsonl_records(name, text) if kind == "jsonl" else _csv_records(name, text))

    problems: list[Problem] = []
    good: list[tuple[_Raw, IncidentRecord]] = []
    first_seen: dict[str, int] = {}
    for raw in raws:
        result.rows += 1
        if raw.data is None:
            problems.append(Problem(name, raw.line, raw.error or "unreadable", raw.text))
            continue
        try:
            rec = IncidentRecord.model_validate(raw.data)
        except ValidationError as exc:
            problems.append(Problem(name, raw.line, _describe(exc), raw.text))
            continue
        if rec.reference in first_seen:
            result.duplicates_skipped += 1
            result.note(
                f"{name}:{raw.line}: reference {rec.reference} repeats line "
                f"{first_seen[rec.reference]}; skipped"
            )
            continue
        first_seen[rec.reference] = raw.line
        good.append((raw, rec))
    result.asb_rows = len(good)
    for p in problems:
        result.note(p.message())

    try:
        with engine.begin() as conn:
            stored = _stored_references(conn, force_code, [r.reference for _, r in good])
            fresh = []
            for raw, rec in good:
                if rec.reference in stored:
                    result.duplicates_skipped += 1
                    result.note(f"{name}:{raw.line}: reference {rec.reference} already stored")
                else:
                    fresh.append((raw, rec))
            people = _write_incidents(conn, force_code, fresh)
            result.quarantined = quarantine(conn, force_code, problems)
    except (SQLAlchemyError, engine.dialect.loaded_dbapi.Error) as exc:
        result.status = FileStatus.FAILED
        result.note(f"{name}:0: nothing stored, the database refused it: {exc}")
        return
    result.inserted = len(fresh)
    result.status = FileStatus.LOADED if fresh else FileStatus.NO_ROWS
    result.note(f"{name}: {len(fresh)} incident(s) with {people} person link(s) stored")


def _stored_references(conn: Connection, force_code: str, refs: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(refs), 500):
        chunk = refs[i : i + 500]
        found.update(
            conn.scalars(
                select(Incident.reference).where(
                    Incident.force_code == force_code, Incident.reference.in_(chunk)
                )
            )
        )
    return found


def _places(
    force_code: str, recs: list[IncidentRecord]
) -> tuple[list[Any], list[Any], list[Any], list[Any], list[Any]]:
    """BNG x/y, LSOA, district and local authority for each record (None where unknown)."""
    n = len(recs)
    lon = np.array([r.longitude if r.longitude is not None else np.nan for r in recs], float)
    lat = np.array([r.latitude if r.latitude is not None else np.nan for r in recs], float)
    x, y = to_bng(lon, lat) if n else (np.zeros(0), np.zeros(0))
    # Grid references given in the export are kept exactly rather than round-tripped.
    xs = [
        r.easting if r.easting is not None else None if np.isnan(v) else float(v)
        for r, v in zip(recs, x, strict=True)
    ]
    ys = [
        r.northing if r.northing is not None else None if np.isnan(v) else float(v)
        for r, v in zip(recs, y, strict=True)
    ]
    lsoa: list[Any] = [None] * n
    district: list[Any] = [None] * n
    la: list[Any] = [None] * n
    if force_code in SHIPPED_FORCES and n:
        geo = geography(force_code)
        new = np.array([r.received_at >= LSOA_2021_FROM for r in recs])
        for vintage, mask in ((2021, new), (2011, ~new)):
            idx = np.flatnonzero(mask)
            if not len(idx):
                continue
            where = geo.locate(lon[idx], lat[idx], lsoa_vintage=vintage)
            for j, i in enumerate(idx):
                lsoa[i] = where.lsoa_code[j]
                district[i] = where.district[j]
                la[i] = where.local_authority_code[j]
    return xs, ys, lsoa, district, la


def _write_incidents(
    conn: Connection, force_code: str, fresh: list[tuple[_Raw, IncidentRecord]]
) -> int:
    """Insert incidents, their people (matched by name and birth date) and links."""
    if not fresh:
        return 0
    recs = [rec for _, rec in fresh]
    xs, ys, lsoa, district, la = _places(force_code, recs)
    rows = [
        {
            "force_code": force_code,
            "reference": r.reference,
            "received_at": r.received_at,
            "channel": r.channel,
            "opening_code": r.opening_code,
            "closing_code": r.closing_code,
            "qualifier": r.qualifier,
            "covid_breach": r.covid_breach,
            "hate_motivated": r.hate_motivated,
            "location_text": r.location_text,
            "longitude": r.longitude,
            "latitude": r.latitude,
            "x_bng": xs[i],
            "y_bng": ys[i],
            "lsoa_code": lsoa[i],
            "district": district[i],
            "local_authority_code": la[i],
            "attended": r.attended,
            "attended_at": r.attended_at,
            "narrative": r.narrative,
            "status": r.status,
        }
        for i, r in enumerate(recs)
    ]
    conn.execute(insert(Incident), rows)
    ids = dict(
        conn.execute(
            select(Incident.reference, Incident.id).where(
                Incident.force_code == force_code,
                Incident.reference.in_([r.reference for r in recs]),
            )
        ).all()
    )
    person_ids = _people(conn, force_code, recs)
    links = {(ids[r.reference], person_ids[_person_key(p)], p.role) for r in recs for p in r.people}
    if links:
        conn.execute(
            insert(IncidentPerson),
            [
                {"force_code": force_code, "incident_id": i, "person_id": p, "role": role}
                for i, p, role in sorted(links)
            ],
        )
    return len(links)


PersonKey = tuple[str, str, dt.date | None, str | None]


def _person_key(p: PersonRecord) -> PersonKey:
    # Without a birth date two people of the same name cannot be told apart, so the contact
    # details keep them apart (and an exact repeat still matches).
    extra = None if p.date_of_birth else f"{p.phone or ''}|{p.email or ''}|{p.address or ''}"
    return (p.forename.lower(), p.surname.lower(), p.date_of_birth, extra)


def _people(conn: Connection, force_code: str, recs: list[IncidentRecord]) -> dict[PersonKey, int]:
    """Ids of every person named in ``recs``: known people (same names and birth date) are
    reused, the others inserted."""
    wanted: dict[PersonKey, PersonRecord] = {}
    for r in recs:
        for p in r.people:
            wanted.setdefault(_person_key(p), p)
    ids: dict[PersonKey, int] = {}
    names = sorted({(k[0], k[1]) for k in wanted})
    fore, sur = func.lower(Person.forename), func.lower(Person.surname)
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
            extra = None if dob else f"{phone or ''}|{email or ''}|{address or ''}"
            ids.setdefault((f, su, dob, extra), pid)
    new = [k for k in wanted if k not in ids]
    for k in new:
        p = wanted[k]
        ids[k] = int(
            conn.execute(
                insert(Person)
                .values(
                    force_code=force_code,
                    forename=p.forename,
                    surname=p.surname,
                    date_of_birth=p.date_of_birth,
                    phone=p.phone,
                    email=p.email,
                    address=p.address,
                    vulnerable=bool(p.vulnerability_flags),
                    vulnerability_flags=p.vulnerability_flags,
                )
                .returning(Person.id)
            ).scalar_one()
        )
    return ids
