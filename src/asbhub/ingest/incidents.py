"""Load a force's NSIR incident export (CSV or JSON Lines; see docs/formats.md).

Each record is validated against :class:`IncidentRecord`; a bad record is quarantined with its
file, line and reason, the good ones are stored with their people in one transaction per file.
A reference already stored for the force (or seen earlier in the file) is a duplicate: skipped
and counted. British National Grid, LSOA, policing district and local authority are filled in
from the coordinates, for the whole file at once.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import SQLAlchemyError

from asbhub.incidents import bulk
from asbhub.incidents.models import Incident
from asbhub.incidents.schemas import NewIncident, NewPerson, Text40
from asbhub.incidents.service import record_incidents
from asbhub.ingest.schemas import FileResult, FileStatus, IngestReport, Problem, Progress
from asbhub.ingest.sources import SourceFailure, decode
from asbhub.ingest.writer import quarantine
from asbhub.permissions import Actor
from asbhub.store.bulk import analyze


class IncidentRecord(NewIncident):
    """One NSIR incident of the export format (docs/formats.md): the schema every incident
    writer shares, with the force's own reference required."""

    reference: Text40


PersonRecord = NewPerson
CSV_REQUIRED = ("reference", "received_at", "channel", "opening_code")


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
        except RecursionError:
            # A record nested thousands deep exhausts the parser's stack: a row problem, not
            # a crash of the whole run.
            yield _Raw(i, line[:1000], None, "invalid JSON: nested too deeply")
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
            except RecursionError:
                yield _Raw(start, raw[:1000], None, "people: nested too deeply")
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
    force_code: str,
    actor: Actor | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Load one incident export file for ``force_code`` (see docs/formats.md for the format).

    What is stored is audited with its counts as ``actor`` (the command line passes the
    system actor of the job)."""
    path = Path(path)
    report = IngestReport()
    if progress is not None:
        progress.start(1)
    result = FileResult(source=str(path), force_code=force_code)
    report.results.append(result)
    try:
        _load(engine, path, force_code, result, actor)
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


def _load(
    engine: Engine, path: Path, force_code: str, result: FileResult, actor: Actor | None
) -> None:
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
            people = 0
            written = None
            if fresh:
                written = record_incidents(
                    conn,
                    actor=actor,
                    batch=bulk.from_records(force_code, [rec for _, rec in fresh]),
                    permission=None,
                    source="import",
                    event="ingest:incidents:load",
                    audit_fields={"source": name},
                )
                people = written.links
            result.quarantined = quarantine(conn, force_code, problems)
    except (SQLAlchemyError, engine.dialect.loaded_dbapi.Error) as exc:
        result.status = FileStatus.FAILED
        result.note(f"{name}:0: nothing stored, the database refused it: {exc}")
        return
    result.inserted = len(fresh)
    if written is not None:
        with engine.connect() as conn:
            analyze(
                conn,
                {
                    "incidents": len(fresh),
                    "incident_people": written.links,
                    "people": written.new_people,
                    "locations": written.new_locations,
                },
            )
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
