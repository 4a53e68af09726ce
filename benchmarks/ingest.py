"""Ingest speed: all of ../shared/data/police-uk into a fresh SQLite database, against DuckDB.

The reference is DuckDB's plain ``read_csv`` row count over the same CSVs, timed in the same
run (the month zips are extracted for DuckDB beforehand, outside its timing; the ingest reads
the zips itself, inside its timing). Goal: ingest rows/s >= 25% of DuckDB's rows/s.

    .venv/bin/python benchmarks/ingest.py [--repeat N] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asbhub.ingest.police_uk import ingest_police_uk
from asbhub.store.engine import make_engine, upgrade
from benchmarks._report import write_section

GOAL = 0.25


def police_uk_folder() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "shared" / "data" / "police-uk"
        if candidate.is_dir():
            return candidate
    raise SystemExit("../shared/data/police-uk not found")


def extract_all(folder: Path, into: Path) -> tuple[list[Path], int]:
    """Every street CSV (zip entries extracted under ``into``) and how many were plain files."""
    files = sorted(folder.glob("*/*-street.csv"))
    for z in sorted(folder.glob("*.zip")):
        with zipfile.ZipFile(z) as zf:
            for name in zf.namelist():
                if name.endswith("-street.csv"):
                    zf.extract(name, into)
    return files + sorted(into.glob("*/*-street.csv")), len(files)


Timing = tuple[int, float, float]  # rows, wall seconds, CPU seconds (all threads)


def time_duckdb(files: list[Path]) -> Timing:
    con = duckdb.connect()
    start, cpu = time.perf_counter(), time.process_time()
    (rows,) = con.execute(
        "SELECT count(*) FROM read_csv($files)", {"files": [str(f) for f in files]}
    ).fetchone() or (0,)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    con.close()
    return int(rows), seconds, cpu


def time_ingest(folder: Path, workdir: Path, run: int) -> Timing:
    db = workdir / f"ingest-{run}.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    start, cpu = time.perf_counter(), time.process_time()
    report = ingest_police_uk(engine, [folder])
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    engine.dispose()
    if not report.ok or report.inserted != report.rows:
        raise SystemExit(f"ingest did not load everything: {report.to_dict()}")
    return report.rows, seconds, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; best is kept")
    parser.add_argument("--no-write", action="store_true", help="do not update the docs")
    args = parser.parse_args()
    folder = police_uk_folder()
    load_before, cores = os.getloadavg()[0], os.cpu_count()
    with tempfile.TemporaryDirectory(prefix="asbhub-bench-") as tmp:
        work = Path(tmp)
        files, plain = extract_all(folder, work / "extracted")
        # Alternate the two so that load from other processes falls on both alike.
        duck: list[Timing] = []
        ours: list[Timing] = []
        for run in range(args.repeat):
            duck.append(time_duckdb(files))
            ours.append(time_ingest(folder, work, run))
            print(
                f"run {run + 1}: duckdb {duck[-1][1]:.2f} s (CPU {duck[-1][2]:.2f} s), "
                f"ingest {ours[-1][1]:.2f} s (CPU {ours[-1][2]:.2f} s)",
                flush=True,
            )
    duck_rows, duck_s, duck_cpu = min(duck, key=lambda r: r[1])
    our_rows, our_s, our_cpu = min(ours, key=lambda r: r[1])
    if duck_rows != our_rows:
        raise SystemExit(f"row counts differ: duckdb {duck_rows}, ingest {our_rows}")
    duck_rate, our_rate = duck_rows / duck_s, our_rows / our_s
    ratio = our_rate / duck_rate
    verdict = "meets" if ratio >= GOAL else "misses"
    print(f"rows: {our_rows:,} in {len(files)} files")
    print(f"duckdb read_csv count: {duck_s:.2f} s = {duck_rate:,.0f} rows/s")
    print(f"asbhub ingest to SQLite: {our_s:.2f} s = {our_rate:,.0f} rows/s")
    cpu_ratio = duck_cpu / our_cpu
    print(f"ratio: {ratio:.1%} ({verdict} the {GOAL:.0%} goal)")
    print(f"CPU seconds: duckdb {duck_cpu:.2f}, ingest {our_cpu:.2f} (ratio {cpu_ratio:.1%})")
    if not args.no_write:
        write_section(
            "ingest",
            f"""All of `../shared/data/police-uk`: {our_rows:,} rows in {len(files)} CSVs
({plain} plain, {len(files) - plain} inside month zips), best of {args.repeat} runs each.

| | seconds | rows/s | CPU seconds |
| --- | ---: | ---: | ---: |
| DuckDB `read_csv` count (zips pre-extracted, untimed) | {duck_s:.2f} | {duck_rate:,.0f} \
| {duck_cpu:.2f} |
| `ingest_police_uk` into a fresh SQLite file (reads the zips) | {our_s:.2f} \
| {our_rate:,.0f} | {our_cpu:.2f} |

Ratio: **{ratio:.1%}** of DuckDB's rate; the goal is {GOAL:.0%}, which this run {verdict}.
By CPU time (all threads; steadier when other work shares the machine) the ratio is
{cpu_ratio:.1%}. Load average when the run started: {load_before:.1f} on {cores} cores
(wall-clock figures are only as steady as the machine was quiet).
The ingest figure is end to end: unzip, decode, parse, checks, BNG projection, district
lookup, SHA-256 of each file, the insert (one transaction per file) and the rebuild of the
table's three secondary indexes at the end (a load this size runs in bulk mode, see
docs/formats.md). Where the time goes, in CPU seconds: SQLite `executemany` about 2.0, commits
and WAL checkpoints about 0.7, index rebuild about 1.5, reading and checking the files on the
second thread about 1.7. SQLite alone needs about 1.2 s of CPU to copy these rows from one
table into another (`INSERT … SELECT`), so the insert is within a factor of two of SQLite's own
floor; the gap to DuckDB is mostly that DuckDB only counts rows, while the ingest writes
them, with 20 columns and three indexes, to a row store.""",
        )


if __name__ == "__main__":
    main()
