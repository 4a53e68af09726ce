"""Rebuild ``src/asbhub/data/essex/asb_2025.zip`` from ``../shared/data/police-uk``.

The slice holds the Essex anti-social behaviour rows of 2025-01..2025-12 in data.police.uk's
archive layout (``YYYY-MM/YYYY-MM-essex-street.csv``, the 12-column header, rows unchanged), so
``asbhub ingest police-uk`` reads it like any monthly archive and the generator draws its
incident locations from real ASB points. Run from the repository root::

    .venv/bin/python scripts/make_asb_slice.py [--source ../shared/data/police-uk]
"""

from __future__ import annotations

import argparse
import csv
import io
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "asbhub" / "data" / "essex" / "asb_2025.zip"
HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context"
)
ASB = "Anti-social behaviour"
CRIME_TYPE_COLUMN = 9


def read_month(source: Path, month: str) -> bytes:
    inner = f"{month}/{month}-essex-street.csv"
    plain = source / inner
    if plain.exists():
        return plain.read_bytes()
    with zipfile.ZipFile(source / f"{month}.zip") as zf:
        return zf.read(inner)


def asb_lines(raw: bytes, where: str) -> list[str]:
    text = raw.decode("utf-8")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n") != HEADER:
        raise SystemExit(f"{where}:1: unexpected header {lines[0][:80]!r}")
    kept = [lines[0]]
    # csv parses each line so a quoted comma in Location cannot shift the crime-type column;
    # the line itself is copied unchanged.
    for lineno, line in enumerate(lines[1:], start=2):
        fields = next(csv.reader(io.StringIO(line)))
        if len(fields) != 12:
            raise SystemExit(f"{where}:{lineno}: expected 12 fields, found {len(fields)}")
        if fields[CRIME_TYPE_COLUMN] == ASB:
            kept.append(line)
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source", type=Path, default=ROOT.parent / "shared" / "data" / "police-uk"
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    total = 0
    with zipfile.ZipFile(args.out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for m in range(1, 13):
            month = f"2025-{m:02d}"
            lines = asb_lines(read_month(args.source, month), f"{args.source}/{month}")
            # A fixed timestamp keeps the archive byte-identical from one rebuild to the next.
            info = zipfile.ZipInfo(f"{month}/{month}-essex-street.csv", (2025, m, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, "".join(lines).encode("utf-8"), compresslevel=9)
            total += len(lines) - 1
            print(f"{month}: {len(lines) - 1} ASB rows")
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes, {total:,} rows)")


if __name__ == "__main__":
    main()
