"""``asbhub msg`` on the real data.police.uk files in ../shared/data/police-uk."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from asbhub.cli import app

runner = CliRunner()
MSG = {
    "essex",
    "kent",
    "hertfordshire",
    "staffordshire",
    "avon-and-somerset",
    "hampshire",
    "sussex",
    "thames-valley",
}
MONTHS = [f"2025-{m:02d}" for m in range(1, 7)]


def _raw_counts(police_uk: Path) -> Counter[str]:
    """ASB rows per force in 2025-01..06, read here with the csv module, file by file."""
    out: Counter[str] = Counter()

    def take(name: str, data: bytes) -> None:
        base = name.rsplit("/", 1)[-1]
        month, force = base[:7], base[8 : -len("-street.csv")]
        if month in MONTHS and force in MSG:
            rows = csv.DictReader(io.StringIO(data.decode("utf-8")))
            out[force] += sum(r["Crime type"] == "Anti-social behaviour" for r in rows)

    for f in sorted((police_uk / "2025-01").glob("*-street.csv")):
        take(f.name, f.read_bytes())
    for z in sorted(police_uk.glob("2025-0[2-6].zip")):
        with zipfile.ZipFile(z) as zf:
            for n in zf.namelist():
                take(n, zf.read(n))
    return out


def _msg(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["msg", "--from", "2025-01", "--to", "2025-06", *args, "--json"])
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.stdout)
    return out


@pytest.fixture(scope="module")
def police_uk(shared_data: Path) -> Path:
    return shared_data / "police-uk"


@pytest.fixture(scope="module")
def from_files(police_uk: Path) -> dict[str, Any]:
    return _msg("--source", str(police_uk))


def test_every_force_count_equals_the_raw_files(
    from_files: dict[str, Any], police_uk: Path
) -> None:
    raw = _raw_counts(police_uk)
    forces = {f["force"]: f for f in from_files["forces"]}
    assert set(forces) == MSG
    for force in MSG:
        assert forces[force]["asb_count"] == raw[force], force
        for key in ("force", "asb_count", "population", "rate_per_1000", "rank", "months_missing"):
            assert key in forces[force]


def test_avon_and_somerset_reports_its_missing_months(from_files: dict[str, Any]) -> None:
    forces = {f["force"]: f for f in from_files["forces"]}
    assert forces["avon-and-somerset"]["months_missing"] == ["2025-05", "2025-06"]
    assert all(not f["months_missing"] for k, f in forces.items() if k != "avon-and-somerset")
    a = forces["avon-and-somerset"]
    # The rate is the mean of the four months present scaled to six, never zeros for two.
    assert a["rate_per_1000"] == pytest.approx(
        a["asb_count"] / 4 * 6 * 1000 / a["population"], abs=0.005
    )


def test_rank_one_is_the_lowest_rate_and_populations_are_ons(from_files: dict[str, Any]) -> None:
    forces = from_files["forces"]
    rates = [f["rate_per_1000"] for f in forces]
    assert [f["rank"] for f in forces] == list(range(1, 9))
    assert rates == sorted(rates)
    essex = next(f for f in forces if f["force"] == "essex")
    assert (essex["population"], essex["population_year"]) == (1_896_590, 2023)
    assert from_files["group_version"] == "2021"


def test_the_store_gives_the_same_counts_as_the_files(
    engine: Any, db_url: str, police_uk: Path
) -> None:
    from asbhub.ingest.police_uk import ingest_police_uk

    ingest_police_uk(engine, [police_uk / "2025-01"])
    stored = _msg("--db", db_url)
    direct = _msg("--source", str(police_uk / "2025-01"))
    by_force = {f["force"]: (f["asb_count"], f["months_missing"]) for f in stored["forces"]}
    assert by_force == {f["force"]: (f["asb_count"], f["months_missing"]) for f in direct["forces"]}
    assert by_force["essex"] == (948, MONTHS[1:])  # MANIFEST.csv: 948 ASB rows in 2025-01


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (["--from", "2025-13", "--to", "2025-06"], "month"),
        (["--from", "2025-06", "--to", "2025-01"], "--to"),
        (["--from", "2025-01", "--to", "2025-06", "--source", "/nonexistent/x"], "/nonexistent/x"),
    ],
)
def test_bad_input_names_where(args: list[str], where: str) -> None:
    result = runner.invoke(app, ["msg", *args])
    assert result.exit_code == 2, result.output
    assert where in result.output


def test_a_file_that_is_not_street_level_is_refused_by_name(tmp_path: Path) -> None:
    bad = tmp_path / "2025-01-essex-street.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    result = runner.invoke(
        app, ["msg", "--from", "2025-01", "--to", "2025-01", "--source", str(bad)]
    )
    assert result.exit_code == 2
    flat = result.output.replace("\n", "")  # Rich wraps long paths
    assert "2025-01-essex-street.csv:1" in flat
    assert "Crime type" in flat
