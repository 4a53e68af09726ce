"""``asbhub ingest incidents``: the force export format, on SQLite and PostgreSQL.

Every person here is made up for the test (plainly fictitious names and contact details).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from asbhub.cli import app
from asbhub.incidents.models import (
    Channel,
    Incident,
    IncidentPerson,
    IncidentType,
    Person,
    Qualifier,
)
from asbhub.ingest.incidents import ingest_incidents
from asbhub.ingest.models import QuarantinedRow
from asbhub.ingest.schemas import FileStatus

runner = CliRunner()

VICTIM = {
    "role": "victim",
    "forename": "Testa",
    "surname": "Fictitious",
    "date_of_birth": "1970-01-01",
    "phone": "01632 960000",
    "email": "testa@example.invalid",
    "address": "1 Nowhere Lane, Exampletown",
    "vulnerability_flags": ["lives_alone"],
}
SUSPECT = {"role": "suspect", "forename": "Sample", "surname": "Person"}


def incident(reference: str, **over: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "reference": reference,
        "received_at": "2025-03-01T21:15:00+00:00",
        "channel": "101",
        "opening_code": "noise",
        "closing_code": "rowdy_nuisance_neighbours",
        "qualifier": "personal",
        "hate_motivated": False,
        "location_text": "Example Road, Chelmsford",
        "longitude": 0.47,
        "latitude": 51.735,
        "attended": True,
        "attended_at": "2025-03-01T22:40:00+00:00",
        "narrative": "Caller reports loud music from the flat below (test record).",
        "status": "closed",
        "people": [VICTIM, SUSPECT],
    }
    rec.update(over)
    return rec


def write_jsonl(path: Path, records: list[dict[str, Any] | str]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_csv(path: Path, records: list[dict[str, Any]], *, encoding: str = "utf-8") -> Path:
    cols = list(records[0])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in records:
        w.writerow(
            [
                json.dumps(r[c])
                if c == "people"
                else (
                    ""
                    if r.get(c) is None
                    else str(r[c]).lower()
                    if isinstance(r[c], bool)
                    else r[c]
                )
                for c in cols
            ]
        )
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def _count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model)) or 0)


def test_jsonl_stores_incidents_people_and_places_and_reimport_skips(
    engine: Engine, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "export.jsonl",
        [
            incident("ESX-1"),
            incident("ESX-2", people=[VICTIM], opening_code="covid_breach", closing_code=None),
            incident("ESX-3", longitude=None, latitude=None, easting=572500, northing=207000),
        ],
    )
    report = ingest_incidents(engine, path, force_code="essex")
    assert (report.rows, report.inserted, report.duplicates_skipped, report.quarantined) == (
        3,
        3,
        0,
        0,
    )
    with Session(engine) as s:
        incs = {i.reference: i for i in s.scalars(select(Incident))}
        first = incs["ESX-1"]
        assert first.force_code == "essex" and first.channel is Channel.NON_EMERGENCY
        assert first.opening_code is IncidentType.NOISE
        assert first.closing_code is IncidentType.ROWDY_NUISANCE_NEIGHBOURS
        assert first.qualifier is Qualifier.PERSONAL
        assert first.district == "Chelmsford & Maldon"
        assert first.local_authority_code == "E07000070"
        assert first.lsoa_code is not None and first.lsoa_code.startswith("E01")
        assert first.x_bng is not None and 570_000 < first.x_bng < 575_000
        assert first.attended_at is not None and first.attended_at.hour == 22
        assert incs["ESX-2"].covid_breach is True
        third = incs["ESX-3"]
        assert third.longitude is not None and abs(third.longitude - 0.47) < 0.05
        assert third.district == "Chelmsford & Maldon"
        assert (third.x_bng, third.y_bng) == (572500, 207000)  # kept as given
        # The victim (same names and birth date) and the suspect (same names and no other
        # details) each appear on several incidents but are one person.
        people = s.scalars(select(Person)).all()
        assert sorted(p.surname for p in people) == ["Fictitious", "Person"]
        victim = next(p for p in people if p.surname == "Fictitious")
        assert victim.vulnerable and victim.vulnerability_flags == ["lives_alone"]
    assert _count(engine, IncidentPerson) == 5

    again = ingest_incidents(engine, path, force_code="essex")
    assert again.inserted == 0 and again.duplicates_skipped == 3
    assert _count(engine, Incident) == 3 and _count(engine, Person) == 2


def test_csv_with_people_column_bom_and_cp1252(engine: Engine, tmp_path: Path) -> None:
    bom = write_csv(tmp_path / "a.csv", [incident("ESX-10"), incident("ESX-11", people=[])])
    bom.write_bytes(b"\xef\xbb\xbf" + bom.read_bytes())
    cp = write_csv(
        tmp_path / "b.csv",
        [incident("ESX-12", location_text="Café Parade, Southend", longitude=0.71, latitude=51.54)],
        encoding="cp1252",
    )
    first = ingest_incidents(engine, bom, force_code="essex")
    second = ingest_incidents(engine, cp, force_code="essex")
    assert first.inserted == 2 and second.inserted == 1
    assert first.results[0].encoding == "utf-8-sig"
    assert second.results[0].encoding == "cp1252"
    with Session(engine) as s:
        cafe = s.scalars(select(Incident).where(Incident.reference == "ESX-12")).one()
        assert cafe.location_text == "Café Parade, Southend" and cafe.district == "Southend"
    assert _count(engine, Person) == 2


def test_bad_records_are_quarantined_with_line_and_reason(engine: Engine, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "export.jsonl",
        [
            incident("ESX-20"),
            incident("ESX-21", channel="pigeon"),  # line 2
            incident("ESX-22", received_at="last tuesday"),  # line 3
            incident("ESX-23", longitude=-74.0, latitude=40.7),  # line 4
            incident("ESX-24", latitude=None),  # line 5
            incident("ESX-25", attended_at="2025-02-01T00:00:00"),  # line 6
            incident("ESX-20"),  # line 7: repeats line 1
            "[1, 2]",  # line 8
            json.dumps(incident("ESX-26"))[:60],  # line 9: truncated, no newline at end
        ],
    )
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    report = ingest_incidents(engine, path, force_code="essex")
    assert (report.rows, report.inserted, report.duplicates_skipped, report.quarantined) == (
        9,
        1,
        1,
        7,
    )
    with engine.connect() as conn:
        reasons = dict(
            conn.execute(select(QuarantinedRow.line, QuarantinedRow.reason)).tuples().all()
        )
    assert reasons[2].startswith("channel: Input should be '999', '101'")
    assert reasons[3].startswith("received_at: Input should be a valid datetime")
    assert reasons[4] == "coordinates outside the UK: longitude -74.0, latitude 40.7"
    assert reasons[5] == "longitude and latitude must be given together"
    assert reasons[6] == "attended_at is before received_at"
    assert reasons[8] == "expected a JSON object"
    assert reasons[9].startswith("truncated last line: invalid JSON")
    assert f"{path}:7: reference ESX-20 repeats line 1; skipped" in report.messages()
    assert f"{path}:2: {reasons[2]}" in report.messages()


def test_cli_json_and_wrong_header_exit_code(db_url: str, tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", [incident("ESX-30")])
    result = runner.invoke(app, ["ingest", "incidents", str(good), "--db", db_url, "--json"])
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.strip().splitlines()
    report = json.loads(line)
    assert {k: report[k] for k in ("files", "rows", "asb_rows", "inserted")} == {
        "files": 1,
        "rows": 1,
        "asb_rows": 1,
        "inserted": 1,
    }
    bad = tmp_path / "bad.csv"
    bad.write_text("ref,when,how\nESX-31,2025-01-01,101\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", "incidents", str(bad), "--db", db_url, "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["details"][0]["status"] == str(FileStatus.FAILED)
    assert report["details"][0]["messages"][0].startswith(
        f"{bad}:1: wrong or missing header: no column(s) reference, received_at"
    )
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    result = runner.invoke(app, ["ingest", "incidents", str(empty), "--db", db_url])
    assert result.exit_code == 1
    assert f"{empty}:0: empty file" in result.stderr


def test_a_record_nested_200000_deep_is_quarantined_not_a_crash(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    """14.5: one JSON-lines record nested 200,000 deep crashed the run with RecursionError."""
    path = tmp_path / "export.jsonl"
    deep = '{"reference": "ESX-DEEP", "x": ' + "[" * 200_000 + "]" * 200_000 + "}"
    path.write_text("\n".join([json.dumps(incident("ESX-OK-1")), deep, ""]), encoding="utf-8")
    result = runner.invoke(app, ["ingest", "incidents", str(path), "--db", db_url, "--json"])
    report = json.loads(result.stdout)
    assert report["inserted"] == 1 and report["quarantined"] == 1, result.output
    assert f"{path}:2: invalid JSON: nested too deeply" in report["details"][0]["messages"]
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(QuarantinedRow)) == 1
