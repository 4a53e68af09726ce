"""Bad input and edge cases of ``ingest_police_uk``, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, inspect, select, text
from typer.testing import CliRunner

from asbhub.cli import app
from asbhub.ingest.models import PublicRecord, QuarantinedRow, SourceLoad
from asbhub.ingest.police_uk import ingest_police_uk, prepare
from asbhub.ingest.schemas import FileStatus
from asbhub.ingest.sources import Source
from conftest import HEADER, WriteCsv, police_row

runner = CliRunner()


def _records(engine: Engine) -> list[PublicRecord]:
    from sqlalchemy.orm import Session

    with Session(engine) as s:
        return list(s.scalars(select(PublicRecord).order_by(PublicRecord.source_line)))


def _quarantine(engine: Engine) -> list[tuple[str, int, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                QuarantinedRow.source,
                QuarantinedRow.line,
                QuarantinedRow.raw_text,
                QuarantinedRow.reason,
            ).order_by(QuarantinedRow.line)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def _count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model)) or 0)


def test_good_file_is_stored_with_month_bng_and_district(
    engine: Engine, write_csv: WriteCsv
) -> None:
    path = write_csv(
        "2025-01-essex-street.csv",
        [
            police_row(),
            police_row(),  # identical ASB rows are separate incidents: both kept
            police_row(lon="", lat="", location="No Location", lsoa="", lsoa_name=""),
            police_row(crime_id="ab" * 32, crime_type="Burglary", outcome="Under investigation"),
        ],
    )
    report = ingest_police_uk(engine, [path])
    assert (report.files, report.rows, report.asb_rows, report.inserted) == (1, 4, 3, 4)
    assert report.quarantined == 0 and report.ok
    recs = _records(engine)
    assert [r.source_line for r in recs] == [2, 3, 4, 5]
    first = recs[0]
    assert first.month == dt.date(2025, 1, 1)
    assert first.force_code == "essex" and first.mapped is True
    assert first.crime_id is None and first.last_outcome is None
    assert first.district == "Chelmsford & Maldon" and first.local_authority_code == "E07000070"
    assert first.x_bng is not None and first.y_bng is not None
    assert 570_000 < first.x_bng < 575_000 and 205_000 < first.y_bng < 210_000
    assert first.source_file == str(path)
    unmapped = recs[2]
    assert unmapped.mapped is False and unmapped.longitude is None and unmapped.x_bng is None
    assert unmapped.district is None and unmapped.lsoa_code is None
    assert recs[3].crime_id == "ab" * 32 and recs[3].last_outcome == "Under investigation"


def test_force_without_shipped_boundaries_gets_no_district(
    engine: Engine, write_csv: WriteCsv
) -> None:
    path = write_csv(
        "2025-01-kent-street.csv",
        [police_row(force="Kent Police", lon="0.521", lat="51.271")],
    )
    report = ingest_police_uk(engine, [path])
    assert report.inserted == 1
    (rec,) = _records(engine)
    assert rec.force_code == "kent" and rec.district is None and rec.x_bng is not None


def test_wrong_header_fails_the_file_but_not_the_others(
    engine: Engine, write_csv: WriteCsv
) -> None:
    bad = write_csv(
        "2025-01-essex-street.csv",
        [police_row()],
        header=HEADER.replace("Latitude,", "Lat,"),
    )
    good = write_csv("2025-01-kent-street.csv", [police_row(force="Kent Police")])
    report = ingest_police_uk(engine, [bad, good])
    failed = [r for r in report.results if r.status is FileStatus.FAILED]
    assert len(failed) == 1 and not report.ok
    assert failed[0].messages[0].startswith(f"{bad}:1: wrong header: missing column(s) 'latitude'")
    assert report.inserted == 1
    assert _quarantine(engine)[0][:2] == (str(bad), 1)
    assert _count(engine, SourceLoad) == 1


def test_missing_header_is_reported_at_line_1(engine: Engine, write_csv: WriteCsv) -> None:
    path = write_csv("2025-01-essex-street.csv", [police_row(), police_row()], header=None)
    report = ingest_police_uk(engine, [path])
    assert not report.ok and report.inserted == 0
    assert report.results[0].messages[0].startswith(f"{path}:1: missing header")


def test_snake_case_header_is_accepted(engine: Engine, write_csv: WriteCsv) -> None:
    header = HEADER.lower().replace(" ", "_")
    path = write_csv("2018-01-essex-street.csv", [police_row(month="2018-01")], header=header)
    assert ingest_police_uk(engine, [path]).inserted == 1


def test_utf8_with_bom_and_cp1252_are_decoded_and_named(
    engine: Engine, write_csv: WriteCsv
) -> None:
    bom = write_csv("2025-01-essex-street.csv", [police_row(location="On or near Café Row")])
    bom.write_bytes(b"\xef\xbb\xbf" + bom.read_bytes())
    cp = write_csv(
        "2025-02-essex-street.csv",
        [police_row(month="2025-02"), police_row(month="2025-02", location="On or near Café")],
        encoding="cp1252",
    )
    report = ingest_police_uk(engine, [bom, cp])
    assert report.ok and report.inserted == 3
    by_source = {r.source: r for r in report.results}
    assert by_source[str(bom)].encoding == "utf-8-sig"
    assert by_source[str(cp)].encoding == "cp1252"
    assert any("not valid UTF-8 (line 3): decoded as cp1252" in m for m in report.messages())
    locations = sorted(r.location for r in _records(engine))
    assert locations == ["On or near Café", "On or near Café Row", "On or near Test Street"]
    assert {r.crime_id for r in _records(engine)} == {None}  # the BOM did not leak into a name


def test_truncated_last_line_is_quarantined_and_the_rest_stored(
    engine: Engine, write_csv: WriteCsv
) -> None:
    full = police_row()
    path = write_csv("2025-01-essex-street.csv", [full, full, full[:40]], newline_at_end=False)
    report = ingest_police_uk(engine, [path])
    assert (report.rows, report.inserted, report.quarantined) == (3, 2, 1)
    (q,) = _quarantine(engine)
    assert q[0] == str(path) and q[1] == 4 and q[2] == full[:40]
    assert q[3].startswith("truncated last line: expected 12 fields, found")
    assert report.results[0].messages[0].startswith(f"{path}:4: truncated last line")


def test_truncated_last_line_inside_quotes(engine: Engine, write_csv: WriteCsv) -> None:
    quoted = police_row(location='"On or near Station Road, North"')
    cut = police_row(location='"On or near Sta')
    cut = cut[: cut.index("Sta") + 3]
    path = write_csv("2025-01-essex-street.csv", [quoted, cut], newline_at_end=False)
    report = ingest_police_uk(engine, [path])
    assert (report.rows, report.inserted, report.quarantined) == (2, 1, 1)
    assert [r.location for r in _records(engine)] == ["On or near Station Road, North"]
    ((_, line, raw, reason),) = _quarantine(engine)
    assert (line, raw) == (3, cut) and reason.startswith("truncated last line")


def test_line_numbers_survive_blank_lines_and_quoted_line_breaks(
    engine: Engine, write_csv: WriteCsv
) -> None:
    blank = write_csv(
        "2025-01-essex-street.csv", [police_row(), "", police_row(lon="x"), police_row()]
    )
    multiline = write_csv(
        "2025-02-essex-street.csv",
        [
            police_row(month="2025-02", location='"On or near\nTwo Lines"'),
            police_row(month="2025-02", lat="99"),
            police_row(month="2025-02"),
        ],
    )
    report = ingest_police_uk(engine, [blank, multiline])
    assert report.inserted == 4 and report.quarantined == 2
    lines = {(src, line) for src, line, _, _ in _quarantine(engine)}
    assert lines == {(str(blank), 4), (str(multiline), 4)}
    stored = {(r.source_file, r.source_line) for r in _records(engine)}
    assert stored == {(str(blank), 2), (str(blank), 5), (str(multiline), 2), (str(multiline), 5)}
    assert "On or near\nTwo Lines" in {r.location for r in _records(engine)}


def test_bad_coordinates_and_month_are_quarantined_with_reasons(
    engine: Engine, write_csv: WriteCsv
) -> None:
    path = write_csv(
        "2025-01-essex-street.csv",
        [
            police_row(),
            police_row(lon="east", lat="51.7"),  # line 3
            police_row(lon="-74.006", lat="40.7128"),  # line 4: New York
            police_row(lon="0.47", lat=""),  # line 5
            police_row(month="Jan-2025"),  # line 6
            police_row(month="2025-13"),  # line 7
            police_row(month="2025-02"),  # line 8
            police_row(),
        ],
    )
    report = ingest_police_uk(engine, [path])
    assert (report.rows, report.inserted, report.quarantined) == (8, 2, 6)
    reasons = {line: reason for _, line, _, reason in _quarantine(engine)}
    assert reasons[3] == "non-numeric coordinates: longitude 'east', latitude '51.7'"
    assert reasons[4] == "coordinates outside the UK: longitude -74.006, latitude 40.7128"
    assert reasons[5].endswith("one is blank")
    assert reasons[6] == "unknown month format 'Jan-2025' (expected YYYY-MM)"
    assert reasons[7] == "unknown month format '2025-13' (expected YYYY-MM)"
    assert reasons[8] == "month 2025-02 differs from the file's month 2025-01"
    assert [r.source_line for r in _records(engine)] == [2, 9]
    raw = {line: raw for _, line, raw, _ in _quarantine(engine)}
    assert raw[3] == police_row(lon="east", lat="51.7")


def test_empty_file_and_zip_without_csv_fail_and_exit_non_zero(
    db_url: str, tmp_path: Path, write_csv: WriteCsv
) -> None:
    empty = tmp_path / "2025-01-essex-street.csv"
    empty.write_bytes(b"")
    archive = tmp_path / "2025-02.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("2025-02/readme.txt", "no data here")
    good = write_csv("2025-03-essex-street.csv", [police_row(month="2025-03")])
    result = runner.invoke(
        app,
        ["ingest", "police-uk", str(empty), str(archive), str(good), "--db", db_url, "--json"],
    )
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["inserted"] == 1 and report["failed_files"] == 2
    messages = [m for d in report["details"] for m in d["messages"]]
    assert f"{empty}:0: empty file: no header and no rows" in messages
    assert f"{archive}:0: zip archive holds no CSV file" in messages
    assert f"{archive}:0: zip archive holds no CSV file" in result.stderr


def test_zip_entries_load_and_the_same_force_month_elsewhere_is_skipped(
    engine: Engine, tmp_path: Path, write_csv: WriteCsv
) -> None:
    csv_path = write_csv(
        "2025-04-essex-street.csv", [police_row(month="2025-04")] * 3, folder=tmp_path / "plain"
    )
    archive = tmp_path / "2025-04.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(csv_path, "2025-04/2025-04-essex-street.csv")
        zf.writestr("2025-04/2025-04-essex-outcomes.csv", "not a street file\n")
    first = ingest_police_uk(engine, [archive])
    assert first.inserted == 3 and first.files == 1
    assert _records(engine)[0].source_file == f"{archive}!2025-04/2025-04-essex-street.csv"
    again = ingest_police_uk(engine, [tmp_path / "plain", archive])
    assert again.inserted == 0 and again.duplicates_skipped == 6
    assert {r.status for r in again.results} == {FileStatus.SKIPPED}
    assert _count(engine, PublicRecord) == 3


def test_failure_mid_file_leaves_nothing_of_that_file(engine: Engine, write_csv: WriteCsv) -> None:
    # A trigger makes the database itself refuse the third row, after two were written.
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_boom BEFORE INSERT ON public_records "
                    "WHEN NEW.location = 'BOOM' BEGIN SELECT RAISE(ABORT, 'boom'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION refuse_boom() RETURNS trigger AS $$ BEGIN "
                    "IF NEW.location = 'BOOM' THEN RAISE EXCEPTION 'boom'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_boom BEFORE INSERT ON public_records "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_boom()"
                )
            )
    bad = write_csv(
        "2025-01-essex-street.csv",
        [police_row(), police_row(), police_row(location="BOOM"), police_row(lon="x")],
    )
    good = write_csv("2025-02-essex-street.csv", [police_row(month="2025-02")])
    report = ingest_police_uk(engine, [bad, good])
    status = {r.source: r.status for r in report.results}
    assert status == {str(bad): FileStatus.FAILED, str(good): FileStatus.LOADED}
    assert not report.ok
    assert [r.source_file for r in _records(engine)] == [str(good)]
    with engine.connect() as conn:
        months = conn.scalars(select(SourceLoad.month)).all()
    assert months == [dt.date(2025, 2, 1)]
    assert _quarantine(engine) == []  # the bad file's quarantined row went with it


def _index_names(engine: Engine) -> set[str]:
    return {str(ix["name"]) for ix in inspect(engine).get_indexes("public_records")}


def test_bulk_load_rebuilds_indexes_and_a_killed_one_is_repaired(
    engine: Engine, write_csv: WriteCsv
) -> None:
    declared = {str(ix.name) for ix in PublicRecord.__table__.indexes}
    assert declared <= _index_names(engine)
    path = write_csv("2025-01-essex-street.csv", [police_row()] * 5)
    report = ingest_police_uk(engine, [path], bulk=True)
    assert report.inserted == 5
    assert declared <= _index_names(engine)
    # A bulk load killed before its rebuild leaves an index missing; the next run restores it.
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_public_records_force_month_type"))
    path2 = write_csv("2025-02-essex-street.csv", [police_row(month="2025-02")])
    assert ingest_police_uk(engine, [path2]).inserted == 1
    assert declared <= _index_names(engine)


def test_cli_summary_and_problems_without_json(db_url: str, write_csv: WriteCsv) -> None:
    path = write_csv("2025-01-essex-street.csv", [police_row(), police_row(lat="north")])
    result = runner.invoke(app, ["ingest", "police-uk", str(path), "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "police-uk: 1 file(s)" in result.stdout
    assert f"{path}:3: non-numeric coordinates: longitude '0.470000', latitude 'north'" in (
        result.stderr
    )


def _stored(engine: Engine) -> list[tuple[object, ...]]:
    columns = [c for c in PublicRecord.__table__.columns if c.name != "id"]
    with engine.connect() as conn:
        rows = conn.execute(select(*columns).order_by(PublicRecord.source_file, "source_line"))
        return [tuple(r) for r in rows]


def test_parsing_in_a_second_process_stores_the_same_as_in_one(
    engine: Engine, tmp_path: Path, write_csv: WriteCsv
) -> None:
    """In parallel (on PostgreSQL also two writing connections) as one file at a time: the same
    rows, quarantine and statuses, in the input's order, with repeats of a force-month in one
    run decided as in order (the same bytes skipped, other bytes reported as changed)."""
    rows = [
        police_row(),
        police_row(lon="", lat="", location="No Location", lsoa="", lsoa_name=""),
        police_row(crime_id="cd" * 32, crime_type="Burglary", outcome="Under investigation"),
        police_row(lon="east", lat="51.7"),  # quarantined
        police_row(lon="1.2", lat="51.1", force="Kent Police"),
    ]
    february = [r.replace("2025-01", "2025-02") for r in rows[:3]]
    paths = [
        write_csv("2025-01-essex-street.csv", rows),
        write_csv("2025-02-essex-street.csv", february),
        write_csv("2025-01-kent-street.csv", [police_row(force="Kent Police", lon="0.9")]),
        write_csv("2025-01-essex-street.csv", rows, folder=tmp_path / "copy"),
        write_csv("2025-03-essex-street.csv", [r.replace("2025-01", "2025-03") for r in rows]),
        write_csv("2025-02-essex-street.csv", february[:1], folder=tmp_path / "reissue"),
        write_csv("2025-04-essex-street.csv", ["not,a,police,row"], header="no header here"),
    ]
    statuses = ["loaded", "loaded", "loaded", "skipped", "loaded", "changed", "failed"]
    stored = []
    for parallel in (True, False):
        report = ingest_police_uk(engine, paths, parallel=parallel)
        assert [r.source for r in report.results] == [str(p) for p in paths]
        assert [r.status for r in report.results] == statuses
        assert (report.inserted, report.quarantined) == (12, 3)  # 2 rows + 1 unreadable file
        stored.append((_stored(engine), _quarantine(engine)))
        with engine.begin() as conn:
            for table in ("public_records", "source_loads", "quarantine"):
                conn.execute(text(f"DELETE FROM {table}"))
    assert stored[0] == stored[1]
    assert len(stored[0][0]) == 12 and stored[0][0][0][2] is None  # blank crime ID is NULL


def test_rows_for_postgresql_are_encoded_in_its_binary_format(write_csv: WriteCsv) -> None:
    """The server parses no text (a quarter of its COPY time); a column the binary writer could
    not take would fall back to CSV, which the stored values alone would not show."""
    path = write_csv("2025-01-essex-street.csv", [police_row(), police_row(lon="", lat="")])
    encoded = prepare(Source(path), encode=True).encoded
    assert encoded is not None and encoded.format == "binary" and encoded.rows == 2


def test_rows_written_many_to_a_statement_keep_their_values_and_lines(
    engine: Engine, write_csv: WriteCsv
) -> None:
    # 70 rows: two statements of 32 rows, then 6 written one by one.
    rows = [
        police_row(location=f"On or near Street {i}", outcome="" if i % 3 else "Court result")
        for i in range(70)
    ]
    path = write_csv("2025-03-essex-street.csv", [r.replace("2025-01", "2025-03") for r in rows])
    report = ingest_police_uk(engine, [path])
    assert report.inserted == 70
    got = [(r.source_line, r.location, r.last_outcome) for r in _records(engine)]
    assert got == [
        (i + 2, f"On or near Street {i}", None if i % 3 else "Court result") for i in range(70)
    ]


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def _corrupt_crc(path: Path) -> None:
    """Flip one byte of the first entry's compressed data: its CRC check then fails."""
    with zipfile.ZipFile(path) as zf:
        info = zf.infolist()[0]
    raw = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start + info.compress_size // 2] ^= 0xFF
    path.write_bytes(bytes(raw))


def test_one_bad_file_fails_alone_and_json_is_one_object(
    db_url: str, engine: Engine, tmp_path: Path, write_csv: WriteCsv
) -> None:
    """14.5: a CRC-corrupt zip entry beside two good zips crashed the run with zlib.error
    (exit 1, no JSON, 0 of 3 loaded); a UTF-16 CSV did the same with _csv.Error."""
    rows = "\n".join([HEADER] + [police_row(month="2025-05", crime_id=f"c{i}") for i in range(400)])
    bad = _zip(tmp_path / "2025-05.zip", {"2025-05/2025-05-essex-street.csv": rows.encode()})
    _corrupt_crc(bad)
    good = [
        _zip(
            tmp_path / f"2025-0{m}.zip",
            {f"2025-0{m}/2025-0{m}-essex-street.csv": (
                "\n".join([HEADER, police_row(month=f"2025-0{m}")]) + "\n").encode()},
        )
        for m in (6, 7)
    ]  # fmt: skip
    utf16 = tmp_path / "2025-08-essex-street.csv"
    utf16.write_bytes(("\n".join([HEADER, police_row(month="2025-08")]) + "\n").encode("utf-16"))
    nul = tmp_path / "2025-09-essex-street.csv"
    nul.write_bytes(("\n".join([HEADER, police_row(month="2025-09")]) + "\n").encode("utf-16-le"))
    args = [str(p) for p in (bad, *good, utf16, nul)]
    result = runner.invoke(app, ["ingest", "police-uk", *args, "--db", db_url, "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)  # one object, despite the failures
    status = {d["source"].split("!")[0].rsplit("/", 1)[-1]: d["status"] for d in report["details"]}
    assert status == {
        "2025-05.zip": "failed",
        "2025-06.zip": "loaded",
        "2025-07.zip": "loaded",
        "2025-08-essex-street.csv": "loaded",  # UTF-16 with its byte-order mark is read
        "2025-09-essex-street.csv": "failed",  # without one it is refused, named
    }
    messages = [m for d in report["details"] for m in d["messages"]]
    assert any(m.startswith(f"{bad}!2025-05/") and "corrupt zip entry" in m for m in messages)
    assert any(m.startswith(f"{nul}:1: holds NUL bytes") for m in messages)
    assert report["inserted"] == 3 and report["failed_files"] == 2
    assert {q[0] for q in _quarantine(engine)} >= {f"{bad}!2025-05/2025-05-essex-street.csv"}


def test_zip_bombs_are_refused_before_they_expand(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """14.5: 2.1 MB of zip expanding to 600 MB loaded 4.95 M rows at 2.3 GB peak memory."""
    row = police_row(month="2025-10") + "\n"
    bomb = _zip(
        tmp_path / "2025-10.zip",
        {"2025-10/2025-10-essex-street.csv": (HEADER + "\n" + row * 60_000).encode()},
    )
    report = ingest_police_uk(engine, [bomb])
    [result] = report.results
    assert result.status is FileStatus.FAILED and report.inserted == 0
    assert "compressed" in result.messages[0] and "the limit is 50 to 1" in result.messages[0]
    # The size cap, independent of the ratio (its default, 256 MiB, is too big for a test).
    monkeypatch.setattr("asbhub.ingest.sources.MAX_ENTRY_BYTES", 4096)
    monkeypatch.setattr("asbhub.ingest.sources.MAX_RATIO", 10**9)
    [result] = ingest_police_uk(engine, [bomb]).results
    assert result.status is FileStatus.FAILED and "expands to" in result.messages[0]
    assert _count(engine, PublicRecord) == 0


def test_other_content_for_a_loaded_force_month_is_reported_and_replace_swaps_it(
    db_url: str, engine: Engine, tmp_path: Path, write_csv: WriteCsv
) -> None:
    """14.6: the demo's ASB-only slice made all 12 Essex 2025 files of the full folder
    "already loaded" (158,217 rows reported as duplicates)."""
    write_csv("2025-11-essex-street.csv", [police_row(month="2025-11")] * 2, folder=tmp_path / "a")
    full = [police_row(month="2025-11", crime_type=t) for t in ("Burglary", "Robbery", "Drugs")]
    write_csv("2025-11-essex-street.csv", full * 2, folder=tmp_path / "b")
    assert ingest_police_uk(engine, [tmp_path / "a"]).inserted == 2
    again = ingest_police_uk(engine, [tmp_path / "a"])
    assert again.results[0].status is FileStatus.SKIPPED and again.duplicates_skipped == 2
    base = ["ingest", "police-uk", str(tmp_path / "b"), "--db", db_url, "--json"]
    changed = json.loads(runner.invoke(app, base).stdout)
    assert changed["changed_files"] == 1 and changed["duplicates_skipped"] == 0
    assert changed["details"][0]["status"] == "changed"
    assert "loaded from different content" in changed["details"][0]["messages"][0]
    assert _count(engine, PublicRecord) == 2
    replaced = json.loads(runner.invoke(app, [*base, "--replace"]).stdout)
    assert replaced["details"][0]["status"] == "replaced" and replaced["inserted"] == 6
    with engine.connect() as conn:
        types = conn.execute(select(PublicRecord.crime_type)).scalars().all()
        loads = conn.execute(select(SourceLoad.source_file)).scalars().all()
    assert sorted(set(types)) == ["Burglary", "Drugs", "Robbery"] and len(types) == 6
    assert loads == [str(tmp_path / "b" / "2025-11-essex-street.csv")]


def test_simultaneous_ingests_of_one_folder_both_finish(
    engine: Engine, tmp_path: Path, write_csv: WriteCsv
) -> None:
    """14.6: two ingests at once after a killed bulk load: the second died with
    "index ... already exists"."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    for m in ("01", "02", "03"):
        write_csv(f"2025-{m}-essex-street.csv", [police_row(month=f"2025-{m}")] * 3)
    with engine.begin() as conn:
        for ix in PublicRecord.__table__.indexes:
            if not ix.unique:
                conn.execute(text(f"DROP INDEX {ix.name}"))
    barrier = threading.Barrier(4)

    def run(_: int) -> int:
        barrier.wait()
        return ingest_police_uk(engine, [tmp_path], bulk=False).inserted

    with ThreadPoolExecutor(4) as pool:
        inserted = list(pool.map(run, range(4)))
    assert sum(inserted) == 9 and _count(engine, PublicRecord) == 9
    declared = {str(ix.name) for ix in PublicRecord.__table__.indexes}
    assert declared <= _index_names(engine)
