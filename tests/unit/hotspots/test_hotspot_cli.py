"""``asbhub hotspots evaluate`` and ``predict`` read the store and print what they promise."""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from pathlib import Path

import pypdf
import pytest
from sqlalchemy import Engine, insert
from typer.testing import CliRunner

from asbhub.cli import app
from asbhub.geography.service import from_bng
from asbhub.hotspots.patrol import district_names
from asbhub.ingest.models import PublicRecord

# Hand-made, plainly fictitious ASB reports at four town-centre points (BNG metres).
PLACES = {
    "On or near Test Street, Chelmsford": (570_810.0, 206_930.0),
    "On or near Sample Road, Colchester": (599_520.0, 225_070.0),
    "On or near Example Way, Southend": (588_030.0, 186_020.0),
    "On or near Dummy Lane, Basildon": (571_040.0, 189_010.0),
}
PROJECT_VERSION = tomllib.loads(
    (Path(__file__).resolve().parents[3] / "pyproject.toml").read_text()
)["project"]["version"]
NEW_PLACE = ("On or near Fresh Close, Harlow", (544_620.0, 210_080.0))


def _row(month: dt.date, place: str, x: float, y: float, line: int) -> dict[str, object]:
    lon, lat = from_bng([x], [y])
    return {
        "force_code": "essex",
        "month": month,
        "crime_id": None,
        "reported_by": "Essex Police",
        "falls_within": "Essex Police",
        "longitude": float(lon[0]),
        "latitude": float(lat[0]),
        "x_bng": x,
        "y_bng": y,
        "mapped": True,
        "location": place,
        "lsoa_code": None,
        "lsoa_name": None,
        "crime_type": "Anti-social behaviour",
        "last_outcome": None,
        "context": None,
        "district": None,
        "local_authority_code": None,
        "source_file": "test",
        "source_line": line,
    }


def seed(engine: Engine) -> None:
    rows: list[dict[str, object]] = []
    for m in range(1, 10):
        month = dt.date(2025, m, 1)
        for i, (place, (x, y)) in enumerate(PLACES.items()):
            rows += [_row(month, place, x, y, len(rows) + 2) for _ in range(i + 1)]
        # A burglary never counts as ASB.
        rows.append({**_row(month, "On or near Test Street", 600_000, 220_000, len(rows) + 2),
                     "crime_type": "Burglary"})  # fmt: skip
    # One report in September at a place never seen before: the only miss a method can make.
    place, (x, y) = NEW_PLACE
    rows.append(_row(dt.date(2025, 9, 1), place, x, y, len(rows) + 2))
    with engine.begin() as conn:
        conn.execute(insert(PublicRecord), rows)


def test_evaluate_json(engine: Engine, db_url: str) -> None:
    seed(engine)
    args = ["hotspots", "evaluate", "--force", "essex", "--test-from", "2025-07",
            "--test-to", "2025-09", "--train-months", "6", "--cell", "250", "--json",
            "--db", db_url]  # fmt: skip
    every = db_url.startswith("sqlite")
    if not every:
        # The store only supplies the events: on PostgreSQL the two baselines show it read the
        # same ones, without fitting every method a second time.
        args += ["--method", "naive", "--method", "kde"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    names = [m["name"] for m in out["methods"]]
    assert names[:2] == ["naive", "kde"]
    assert ("sepp" in names and "ranker_gbm" in names) if every else names == ["naive", "kde"]
    naive = out["methods"][0]
    assert set(naive["coverage"]) == {"0.1", "0.25", "0.5", "1", "2", "5"}
    # 10 reports a month at four points; September adds one at a new point. Deterministic:
    # 1, 1, 10/11. Tie-averaged, the new cell is one of the 60,576 empty cells tied for the
    # 56 slots left at 0.1 % (K = 60), so it adds 56/60,576 of a report.
    det = (1 + 1 + 10 / 11) / 3
    assert naive["coverage"]["0.1"]["deterministic"]["hit_rate"] == pytest.approx(det)
    tied = (1 + 1 + (10 + 56 / 60_576) / 11) / 3
    assert naive["coverage"]["0.1"]["hit_rate"] == pytest.approx(tied)
    assert naive["coverage"]["1"]["deterministic"]["pei"] == pytest.approx(det)
    k = naive["coverage"]["1"]["cells"]
    assert naive["coverage"]["1"]["pai"] == pytest.approx(
        naive["coverage"]["1"]["hit_rate"] * out["settings"]["cells"] / k
    )
    assert naive["seconds_per_month"] >= 0
    assert [d["events"] for d in out["diagnostics"]] == [10, 10, 11]
    assert {t["baseline"] for t in out["paired_tests"]} == {"naive", "kde"}


def test_evaluate_names_missing_months(engine: Engine, db_url: str) -> None:
    seed(engine)
    args = ["hotspots", "evaluate", "--test-from", "2025-03", "--test-to", "2025-03",
            "--train-months", "6", "--db", db_url, "--method", "naive"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "2024-09" in result.stderr and "2024-12" in result.stderr


def test_evaluate_without_data_says_ingest(db_url: str) -> None:
    result = CliRunner().invoke(
        app,
        [
            "hotspots",
            "evaluate",
            "--test-from",
            "2025-07",
            "--test-to",
            "2025-07",
            "--db",
            db_url,
        ],
    )
    assert result.exit_code == 3 and "ingest police-uk" in result.stderr


def test_predict_geojson_and_csv(engine: Engine, db_url: str, tmp_path: Path) -> None:
    seed(engine)
    gj = tmp_path / "p.geojson"
    base = ["hotspots", "predict", "--force", "essex", "--month", "2025-10", "--db", db_url]
    result = CliRunner().invoke(app, [*base, "--coverage", "1", "--out", str(gj)])
    assert result.exit_code == 0, result.output
    fc = json.loads(gj.read_text())
    feats = fc["features"]
    assert len(feats) == 605  # 1 % of 60,580 kept cells
    top = feats[0]["properties"]
    assert top["rank"] == 1 and top["location"] == "On or near Dummy Lane, Basildon"
    assert top["last_3"] == [4, 4, 4] and top["trend"] == "flat"
    assert "4 reports in each of the last 3 months" in top["reason"]
    assert fc["metadata"]["method"] == "naive"
    # The release that made the list, as pyproject.toml states it (never a placeholder).
    assert fc["metadata"]["asbhub_version"] == PROJECT_VERSION
    csv = tmp_path / "p.csv"
    result = CliRunner().invoke(app, [*base, "--cells", "5", "--out", str(csv)])
    assert result.exit_code == 0, result.output
    lines = csv.read_text().splitlines()
    assert len(lines) == 6 and lines[0].startswith("rank,")


def _pages(pdf: bytes) -> int:
    # Page objects, not the /Pages tree node; matplotlib writes object dictionaries uncompressed.
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def test_patrol_writes_one_pdf_per_district_with_every_place(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    seed(engine)
    base = ["hotspots", "patrol", "--force", "essex", "--month", "2025-10", "--db", db_url]
    result = CliRunner().invoke(app, [*base, "--out", str(tmp_path / "plans"), "--json"])
    assert result.exit_code == 0, result.output
    files = [Path(p) for p in json.loads(result.stdout)["files"]]
    names = district_names("essex")
    assert len(files) == len(names) == len(set(files)) >= 10
    for f in files:
        pdf = f.read_bytes()
        assert pdf.startswith(b"%PDF") and _pages(pdf) >= 1, f
    one = tmp_path / "basildon.pdf"
    result = CliRunner().invoke(app, [*base, "--district", "Basildon", "--out", str(one)])
    assert result.exit_code == 0, result.output
    reader = pypdf.PdfReader(one)
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "15 places" in text and "data to 2025-09" in text
    assert "1. On or near Dummy Lane, Basildon" in text
    # Every place of the plan is explained in the PDF itself, the list going on to page 2.
    assert [int(n) for n in re.findall(r"^(\d+)\. ", text, flags=re.M)] == list(range(1, 16))
    n = len(reader.pages)
    assert n >= 2 and f"Page {n} of {n}" in text
    result = CliRunner().invoke(app, [*base, "--district", "Atlantis", "--out", str(one)])
    assert result.exit_code != 0 and "Atlantis" in result.output
    result = CliRunner().invoke(app, [*base, "--cells", "100", "--out", str(one)])
    assert result.exit_code != 0 and "--cells" in result.output


def test_predict_from_the_forces_own_incidents(engine: Engine, db_url: str) -> None:
    """``--source incidents`` reads exact-time incidents and counts them by month."""
    from asbhub.incidents.models import Channel, Incident, IncidentType

    seed(engine)  # public records elsewhere, which this source must not read
    place, (x, y) = NEW_PLACE
    rows = [
        {
            "force_code": "essex",
            "reference": f"TEST-{m}-{d}",
            "received_at": dt.datetime(2025, m, d, 22, 15),
            "channel": Channel.NON_EMERGENCY,
            "opening_code": IncidentType.FIREWORKS,
            "location_text": place,
            "x_bng": x,
            "y_bng": y,
        }
        for m in range(4, 10)
        for d in (3, 17)
    ]
    with engine.begin() as conn:
        conn.execute(insert(Incident), rows)
    args = ["hotspots", "predict", "--month", "2025-10", "--cells", "1", "--source",
            "incidents", "--json", "--db", db_url]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (top,) = json.loads(result.stdout)["top"]
    assert top["location"] == place and top["score"] == 12  # 2 a month over 6 months
    assert top["last_3"] == [2, 2, 2]
