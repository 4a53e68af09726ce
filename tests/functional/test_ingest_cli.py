"""``asbhub ingest police-uk`` end to end on the real data.police.uk files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select
from typer.testing import CliRunner

from asbhub.cli import app
from asbhub.ingest.models import PublicRecord, SourceLoad
from asbhub.store.engine import make_engine


def _police_uk() -> Path:
    # Same rule as tests/conftest.py: shared/ sits beside the repository (or its parent).
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "shared" / "data" / "police-uk"
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("../shared/data/police-uk not found")


POLICE_UK = _police_uk()
runner = CliRunner()
ASB = "Anti-social behaviour"


def _count(files: list[Path]) -> tuple[int, int]:
    """Rows and ASB rows counted with the csv module, independently of the ingest code."""
    rows = asb = 0
    for path in files:
        with path.open(encoding="utf-8", newline="") as fh:
            for rec in csv.DictReader(fh):
                rows += 1
                asb += rec["Crime type"] == ASB
    return rows, asb


def _ingest(db_url: str, *paths: Path) -> dict[str, object]:
    result = runner.invoke(app, ["ingest", "police-uk", *map(str, paths), "--db", db_url, "--json"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    report: dict[str, object] = json.loads(lines[0])
    return report


def test_january_2025_counts_match_the_files_and_a_second_run_adds_nothing(db_url: str) -> None:
    folder = POLICE_UK / "2025-01"
    files = sorted(folder.glob("*-street.csv"))
    rows, asb = _count(files)
    assert rows > 90_000 and asb > 10_000  # the eight forces' January files

    first = _ingest(db_url, folder)
    assert {k: first[k] for k in ("files", "rows", "asb_rows", "inserted")} == {
        "files": len(files),
        "rows": rows,
        "asb_rows": asb,
        "inserted": rows,
    }
    assert first["duplicates_skipped"] == 0 and first["quarantined"] == 0

    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(PublicRecord)) == rows
        stored_asb = conn.scalar(
            select(func.count()).select_from(PublicRecord).where(PublicRecord.crime_type == ASB)
        )
        assert stored_asb == asb
        assert conn.scalar(select(func.count()).select_from(SourceLoad)) == len(files)

    second = _ingest(db_url, folder)
    assert second["inserted"] == 0
    assert second["duplicates_skipped"] == rows
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(PublicRecord)) == rows
    engine.dispose()


def _manifest() -> list[dict[str, str]]:
    with (POLICE_UK / "MANIFEST.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.slow
def test_whole_folder_matches_the_manifest(tmp_path: Path, _sqlite_template: Path) -> None:
    import shutil

    db = tmp_path / "all.db"
    shutil.copyfile(_sqlite_template, db)
    url = f"sqlite:///{db}"
    manifest = _manifest()
    report = _ingest(url, POLICE_UK)
    assert report["files"] == len(manifest)
    assert report["rows"] == sum(int(m["rows"]) for m in manifest)
    assert report["asb_rows"] == sum(int(m["asb_rows"]) for m in manifest)
    assert report["inserted"] == report["rows"]
    engine = make_engine(url)
    with engine.connect() as conn:
        unmapped = conn.scalar(
            select(func.count()).select_from(PublicRecord).where(PublicRecord.mapped.is_(False))
        )
        assert unmapped == sum(int(m["rows_without_coordinates"]) for m in manifest)
        # Every mapped Essex point got a district from the shipped boundaries, bar a few
        # published just outside them.
        essex = (
            select(func.count())
            .select_from(PublicRecord)
            .where(PublicRecord.force_code == "essex", PublicRecord.mapped.is_(True))
        )
        essex_mapped = conn.scalar(essex)
        essex_placed = conn.scalar(essex.where(PublicRecord.district.is_not(None)))
        assert essex_mapped and essex_placed and essex_placed / essex_mapped > 0.98
        kent_placed = conn.scalar(
            select(func.count())
            .select_from(PublicRecord)
            .where(PublicRecord.force_code == "kent", PublicRecord.district.is_not(None))
        )
        assert kent_placed == 0  # no Kent boundaries are shipped
    # A load this size rebuilds the indexes at the end (bulk mode); they must all be back.
    present = {ix["name"] for ix in inspect(engine).get_indexes("public_records")}
    assert {ix.name for ix in PublicRecord.__table__.indexes} <= present
    engine.dispose()
