"""The shipped ASB slice is exactly the Essex ASB rows of 2025 in data.police.uk's layout."""

from __future__ import annotations

import csv
import io
import zipfile
from importlib import resources
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[3]
POLICE_UK = next(
    p / "data" / "police-uk"
    for p in (_ROOT.parent / "shared", _ROOT.parent.parent / "shared")
    if p.exists()
)
HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context"
)


def _source(month: str) -> str:
    inner = f"{month}/{month}-essex-street.csv"
    if (POLICE_UK / inner).exists():
        return (POLICE_UK / inner).read_text(encoding="utf-8")
    with zipfile.ZipFile(POLICE_UK / f"{month}.zip") as zf:
        return zf.read(inner).decode("utf-8")


def test_slice_holds_the_asb_rows_unchanged() -> None:
    path = resources.files("asbhub") / "data" / "essex" / "asb_2025.zip"
    data = path.read_bytes()
    assert len(data) < 2 * 1024 * 1024
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist() == [f"{m}/{m}-essex-street.csv" for m in months]
        for m in months:
            shipped = zf.read(f"{m}/{m}-essex-street.csv").decode("utf-8").splitlines()
            source = _source(m).splitlines()
            assert shipped[0] == source[0] == HEADER
            asb = [
                line
                for line, rec in zip(source[1:], csv.reader(source[1:]), strict=True)
                if rec[9] == "Anti-social behaviour"
            ]
            assert shipped[1:] == asb, m
            assert len(asb) > 900
