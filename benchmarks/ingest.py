"""Ingest speed: all of ../shared/data/police-uk into a fresh SQLite database, against DuckDB.

The reference is DuckDB's plain ``read_csv`` row count over the same CSVs, timed in the same
run. Most months are zip archives, which the ingest reads itself and DuckDB cannot, so the two
are compared on equal input both ways:

- plain CSVs: the zips extracted beforehand (untimed), both read the extracted files;
- the folder as shipped: the ingest reads the zips, DuckDB's time includes extracting them.

Goal: ingest rows/s >= 25% of DuckDB's rows/s.

With ``--pg URL`` the ingest goes into PostgreSQL instead (a fresh database per run, created on
URL's server and dropped afterwards), on the plain CSVs only, against DuckDB's count and its
load of the same CSVs into a table (issue 21's goal: >= 50% of DuckDB's rate). Beside them, the
server alone: COPY of the rows the ingest would send, pre-encoded, with the table's indexes and
without its secondary one, so that the part the server takes is measured in the same run.

    .venv/bin/python benchmarks/ingest.py [--repeat N] [--no-write] [--pg URL]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import resource
import shutil
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asbhub.ingest.police_uk import ingest_police_uk, prepare
from asbhub.ingest.sources import Source, discover
from asbhub.store.bulk import Encoded, bulk_insert
from asbhub.store.engine import make_engine, upgrade
from asbhub.store.partitions import ensure_months
from benchmarks._report import write_section

GOAL = 0.25
PG_GOAL = 0.5


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


Timing = tuple[int, float, float]  # rows, wall seconds, CPU seconds (all threads and children)


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the ingest forks a parser)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def time_duckdb(files: list[Path]) -> Timing:
    con = duckdb.connect()
    start, cpu = time.perf_counter(), _cpu()
    (rows,) = con.execute(
        "SELECT count(*) FROM read_csv($files)", {"files": [str(f) for f in files]}
    ).fetchone() or (0,)
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    con.close()
    return int(rows), seconds, cpu


def time_duckdb_with_extraction(folder: Path, into: Path) -> Timing:
    shutil.rmtree(into, ignore_errors=True)
    start, cpu = time.perf_counter(), _cpu()
    files, _ = extract_all(folder, into)
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    rows, duck_s, duck_cpu = time_duckdb(files)
    return rows, seconds + duck_s, cpu + duck_cpu


def time_ingest(paths: list[Path], workdir: Path, run: str) -> Timing:
    db = workdir / f"ingest-{run}.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    start, cpu = time.perf_counter(), _cpu()
    report = ingest_police_uk(engine, paths)
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    if not report.ok or report.inserted != report.rows:
        raise SystemExit(f"ingest did not load everything: {report.to_dict()}")
    return report.rows, seconds, cpu


def time_duckdb_table(files: list[Path]) -> Timing:
    """DuckDB's load of the CSVs into a table (typed columns), as benchmarks/national.py."""
    con = duckdb.connect()
    start, cpu = time.perf_counter(), _cpu()
    con.execute(
        "CREATE TABLE t AS SELECT * FROM read_csv($files)", {"files": [str(f) for f in files]}
    )
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    (rows,) = con.execute("SELECT count(*) FROM t").fetchone() or (0,)
    con.close()
    return int(rows), seconds, cpu


@contextlib.contextmanager
def fresh_postgres(url: str, run: str) -> Iterator[Engine]:
    """A new database on ``url``'s server, at the schema's head, dropped afterwards."""
    name = f"asbhub_bench_ingest_{os.getpid()}_{run}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    engine = make_engine(make_url(url).set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def time_ingest_postgres(paths: list[Path], url: str, run: str) -> Timing:
    with fresh_postgres(url, run) as engine:
        start, cpu = time.perf_counter(), _cpu()
        report = ingest_police_uk(engine, paths)
        seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    if not report.ok or report.inserted != report.rows:
        raise SystemExit(f"ingest did not load everything: {report.to_dict()}")
    return report.rows, seconds, cpu


def encoded_rows(paths: list[Path]) -> list[tuple[dt.date, Encoded]]:
    """What the ingest sends the server for each file (prepared and encoded here, untimed)."""
    out = []
    for source in discover(paths):
        if isinstance(source, Source):
            prep = prepare(source, encode=True)
            assert prep.month is not None and isinstance(prep.encoded, Encoded)
            out.append((prep.month, prep.encoded))
    return out


def time_copy_alone(
    rows: list[tuple[dt.date, Encoded]], url: str, run: str, *, index: bool
) -> Timing:
    """The server's part: COPY of the encoded rows, one transaction per file, as the ingest."""
    with fresh_postgres(url, run) as engine, engine.connect() as conn:
        with conn.begin():
            ensure_months(conn, "public_records", [month for month, _ in rows])
            if not index:
                conn.exec_driver_sql("DROP INDEX ix_public_records_force_month_type")
        start = time.perf_counter()
        for _, encoded in rows:
            with conn.begin():
                bulk_insert(conn, "public_records", encoded)
        seconds = time.perf_counter() - start
    return sum(e.rows for _, e in rows), seconds, float("nan")


def best(timings: list[Timing]) -> Timing:
    return min(timings, key=lambda t: t[1])


def rate(t: Timing) -> float:
    return t[0] / t[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; best is kept")
    parser.add_argument("--no-write", action="store_true", help="do not update the docs")
    parser.add_argument(
        "--pg", metavar="URL", help="ingest into PostgreSQL (fresh databases on URL's server)"
    )
    args = parser.parse_args()
    if args.pg:
        postgres_main(args.pg, args.repeat, write=not args.no_write)
        return
    folder = police_uk_folder()
    load_before, cores = os.getloadavg()[0], os.cpu_count()
    runs: dict[str, list[Timing]] = {"duck": [], "duck_zip": [], "ours": [], "ours_zip": []}
    with tempfile.TemporaryDirectory(prefix="asbhub-bench-") as tmp:
        work = Path(tmp)
        files, plain = extract_all(folder, work / "extracted")
        # Alternate the four so that load from other processes falls on all alike.
        for run in range(args.repeat):
            runs["duck"].append(time_duckdb(files))
            runs["ours"].append(time_ingest(files, work, f"csv-{run}"))
            runs["duck_zip"].append(time_duckdb_with_extraction(folder, work / f"x{run}"))
            runs["ours_zip"].append(time_ingest([folder], work, f"zip-{run}"))
            print(
                f"run {run + 1}: "
                + ", ".join(
                    f"{k} {v[-1][1]:.2f} s (CPU {v[-1][2]:.2f} s)" for k, v in runs.items()
                ),
                flush=True,
            )
    duck, duck_zip, ours, ours_zip = (
        best(runs[k]) for k in ("duck", "duck_zip", "ours", "ours_zip")
    )
    if len({duck[0], duck_zip[0], ours[0], ours_zip[0]}) != 1:
        raise SystemExit(f"row counts differ: {duck[0]}, {duck_zip[0]}, {ours[0]}, {ours_zip[0]}")
    rows = ours[0]
    ratio_csv, ratio_zip = rate(ours) / rate(duck), rate(ours_zip) / rate(duck_zip)
    cpu_csv, cpu_zip = duck[2] / ours[2], duck_zip[2] / ours_zip[2]
    met = [name for name, r in (("plain CSVs", ratio_csv), ("as shipped", ratio_zip)) if r >= GOAL]
    verdict = {
        2: "meets on both comparisons",
        1: f"meets only {' and '.join(met)}",
        0: "misses on both comparisons",
    }[len(met)]
    print(f"rows: {rows:,} in {len(files)} files")
    print(
        f"plain CSVs: duckdb {rate(duck):,.0f} rows/s, ingest {rate(ours):,.0f} rows/s: "
        f"{ratio_csv:.1%} (CPU {cpu_csv:.1%})"
    )
    print(
        f"as shipped: duckdb+unzip {rate(duck_zip):,.0f} rows/s, ingest {rate(ours_zip):,.0f} "
        f"rows/s: {ratio_zip:.1%} (CPU {cpu_zip:.1%})"
    )
    print(f"the {GOAL:.0%} goal: {verdict}")

    def row(label: str, t: Timing) -> str:
        return f"| {label} | {t[1]:.2f} | {rate(t):,.0f} | {t[2]:.2f} |"

    if not args.no_write:
        write_section(
            "ingest",
            f"""All of `../shared/data/police-uk`: {rows:,} rows in {len(files)} CSVs
({plain} plain, {len(files) - plain} inside month zips), best of {args.repeat} runs each.
DuckDB cannot read zip archives, so the two are compared on equal input both ways.

| | seconds | rows/s | CPU seconds |
| --- | ---: | ---: | ---: |
{row("DuckDB `read_csv` count, plain CSVs (zips extracted beforehand, untimed)", duck)}
{row("`ingest_police_uk` into a fresh SQLite file, the same CSVs", ours)}
{row("DuckDB: extracting the zips (Python `zipfile`) + `read_csv` count", duck_zip)}
{row("`ingest_police_uk`, the folder as shipped (reads the zips)", ours_zip)}

Ratio of rates, plain CSVs: **{ratio_csv:.1%}**; as shipped: **{ratio_zip:.1%}**. The goal is
{GOAL:.0%}; this run {verdict}. By CPU time (all threads and processes; steadier when other
work shares the machine) the ratios are {cpu_csv:.1%} and {cpu_zip:.1%}.
Load average when the run started: {load_before:.1f} on {cores} cores (wall-clock figures are
only as steady as the machine was quiet).

The ingest figure is end to end: read (and unzip), decode, SHA-256 of each file, parse, checks,
BNG projection, district lookup, the insert (one transaction per file) and the rebuild of the
table's index at the end (a load this size runs in bulk mode, see docs/formats.md). Files are
parsed in a second process while the first writes, so the ingest uses both cores, as DuckDB
does. The writing process is the bottleneck, at about 2.3 CPU seconds: SQLite inserts about
1.0-1.3 (32 rows per statement), commits and WAL checkpoints about 0.4, the index rebuild about
0.5; the parsing process needs about 1.2-1.5 and runs alongside. SQLite alone needs about 1 s
of CPU to copy these rows from one table into another, so the writer is close to SQLite's own
floor for 20 columns (about 380 bytes a row) in a row store.

Why the plain-CSV ratio stays short of 25%: DuckDB's `count(*)` splits lines on two threads
without converting or storing any value, at about 2.3 million rows/s on a quiet machine; 25% of
that leaves 1.4 s for writing 300 MB of rows and an index through SQLite, which needs more than
that on one core whatever the parser does. Measured and not kept: updating the index row by row
(with or without rows sorted by crime type; no faster than the rebuild), checkpointing only at
the end (no gain). Not done: per-row `source_file` (70 bytes of a 380-byte row) moved to
`source_loads`, which would save about 0.2 s but changes a column other modules write.""",
        )


def postgres_main(url: str, repeat: int, *, write: bool) -> None:
    load_before, cores = os.getloadavg()[0], os.cpu_count()
    runs: dict[str, list[Timing]] = {"count": [], "table": [], "ours": []}
    with tempfile.TemporaryDirectory(prefix="asbhub-bench-") as tmp:
        files, plain = extract_all(police_uk_folder(), Path(tmp) / "extracted")
        # Alternated, so that load from other processes falls on all alike.
        for run in range(repeat):
            runs["count"].append(time_duckdb(files))
            runs["table"].append(time_duckdb_table(files))
            runs["ours"].append(time_ingest_postgres(files, url, f"r{run}"))
            print(
                f"run {run + 1}: "
                + ", ".join(
                    f"{k} {v[-1][1]:.2f} s (CPU {v[-1][2]:.2f} s)" for k, v in runs.items()
                ),
                flush=True,
            )
        encoded = encoded_rows(files)
        server = {
            "indexes": best(
                [time_copy_alone(encoded, url, f"c{k}", index=True) for k in range(repeat)]
            ),
            "no_index": best(
                [time_copy_alone(encoded, url, f"n{k}", index=False) for k in range(repeat)]
            ),
        }
    load_after = os.getloadavg()[0]
    count, table, ours = (best(runs[k]) for k in ("count", "table", "ours"))
    if len({count[0], table[0], ours[0], server["indexes"][0]}) != 1:
        raise SystemExit(f"row counts differ: {count[0]}, {table[0]}, {ours[0]}")
    rows = ours[0]
    vs_count, vs_table = rate(ours) / rate(count), rate(ours) / rate(table)
    verdict = {
        2: "meets it against both",
        1: "meets it against the load into a table only",
        0: "misses it against both",
    }[(vs_table >= PG_GOAL) + (vs_count >= PG_GOAL)]
    print(
        f"rows: {rows:,} in {len(files)} files; load average {load_before:.1f} -> {load_after:.1f}"
    )
    for label, t in (("duckdb count", count), ("duckdb table", table), ("ingest", ours)):
        print(f"{label}: {t[1]:.2f} s, {rate(t):,.0f} rows/s, CPU {t[2]:.2f} s")
    for label, t in server.items():
        print(f"COPY alone, {label}: {t[1]:.2f} s, {rate(t):,.0f} rows/s")
    print(f"ingest / duckdb count {vs_count:.1%}, / duckdb table {vs_table:.1%}: {verdict}")
    if not write:
        return

    def row(label: str, t: Timing) -> str:
        cpu = "" if t[2] != t[2] else f"{t[2]:.2f}"  # NaN: not measured (the server's CPU)
        return f"| {label} | {t[1]:.2f} | {rate(t):,.0f} | {cpu} |"

    server_version = ""
    with contextlib.closing(create_engine(url).connect()) as conn:
        server_version = str(conn.exec_driver_sql("SHOW server_version").scalar())
    write_section(
        "ingest-postgresql",
        f"""`benchmarks/ingest.py --pg URL`: all of `../shared/data/police-uk` as plain CSVs
({rows:,} rows in {len(files)} CSVs; the {len(files) - plain} inside month zips extracted
beforehand, untimed) into a fresh PostgreSQL {server_version.split()[0]} database per run,
best of {repeat} runs each, alternated.

| | seconds | rows/s | CPU seconds (this process and its children) |
| --- | ---: | ---: | ---: |
{row("DuckDB `read_csv` count", count)}
{row("DuckDB `read_csv` into a table (`CREATE TABLE AS`)", table)}
{row("`ingest_police_uk` into PostgreSQL (parse, checks, BNG, districts, COPY, ANALYZE)", ours)}
{row("server alone: COPY of the encoded rows, the table's two indexes", server["indexes"])}
{row("server alone: the same COPY without the secondary index", server["no_index"])}

Ingest / DuckDB: **{vs_count:.1%}** of the count's rate, **{vs_table:.1%}** of the load into a
table; the goal is {PG_GOAL:.0%}: this run {verdict}. Load average {load_before:.1f} when the
run started and {load_after:.1f} when it ended, on {cores} cores: only the ratios of one run
compare (DuckDB's two threads and the ingest's processes share what the machine has left).""",
    )


if __name__ == "__main__":
    main()
