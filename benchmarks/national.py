"""National scale on PostgreSQL: every force for ten years, about 10 M incidents and 60 M public
rows, with each measure beside a reference taken in the same run (issue 21).

1. **Incidents.** ``asbhub generate --forces all --years 10 --scale 0.6`` (the million incidents
   a year England and Wales record, each force in proportion to its population; see
   docs/generator.md), timed, with a progress bar.
2. **Public rows.** The shipped data.police.uk months (../shared/data/police-uk, 59 force-month
   CSVs, 788,230 rows) replicated to every force and month of the ten years, by this documented
   transform: force-month (f, m) is a copy of shipped file number hash(f, m) mod 59 with its
   ``Month`` set to m and ``Reported by`` / ``Falls within`` set to f's name (coordinates, LSOAs,
   crime types, outcomes and Crime IDs are the source file's). DuckDB writes the copies as plain
   CSVs of the first financial year, which ``ingest_police_uk`` loads (COPY); DuckDB's
   ``read_csv`` over those CSVs, both a row count and a load into a DuckDB table, is the
   reference (goal: ingest >= 50% of DuckDB's rate). Every later year is the first year again,
   in the database: force-month (f, m + 12 k) is a copy of the stored rows of (f, m) with its
   month moved on k years (one ``INSERT ... SELECT`` a month, into that month's partition, with
   its ``source_loads`` row), so the 60 M rows take minutes rather than the hours that writing
   and parsing 5,000 CSVs would; the ingest rate is the first year's.
3. **Reads**, each beside its reference:
   - the incident list (``incidents.service.list_incidents``, the staff filters of
     benchmarks/web.py) p95 against one incident by its unique reference (goal p95 <= 50 ms);
   - one triage decision (``triage.service.assess``, as benchmarks/triage.py) p95 against the
     same indexed lookup (goal p95 <= 20 ms);
   - every board figure of one force (KPIs of six 12-month periods, the dashboard, channel
     counts) against a plain COUNT of its incidents (goal <= 2 s), and of all forces one after
     another against a plain COUNT of all incidents (goal <= 30 s).
   POST /report with two workers is measured by the multi-worker benchmark (issue 21 item 4):
   anything in ``EXTRA_MEASURES`` is run on the built store and reported in the same table.

``--scale`` multiplies both volumes (``--scale 0.001`` builds in seconds; the test suite runs
it so); ``--forces`` takes fewer forces. The database is built once and kept (``--db``):

    .venv/bin/python benchmarks/national.py --db postgresql+psycopg://postgres@127.0.0.1:5432/national
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from asbhub.analytics import areas as areas_module  # noqa: E402
from asbhub.analytics.cli import cli_actor  # noqa: E402
from asbhub.analytics.service import dashboard, kpi_report  # noqa: E402
from asbhub.auth.models import User  # noqa: E402
from asbhub.auth.service import actor_for, add_user  # noqa: E402
from asbhub.config import get_settings  # noqa: E402
from asbhub.contact.counts import channel_counts  # noqa: E402
from asbhub.generate.national import (  # noqa: E402
    expected_incidents,
    financial_years,
    force_areas,
    generate_national,
    parse_forces,
)
from asbhub.geography.service import load_reference  # noqa: E402
from asbhub.incidents import service as incidents  # noqa: E402
from asbhub.incidents.schemas import IncidentFilters  # noqa: E402
from asbhub.ingest.police_uk import ingest_police_uk  # noqa: E402
from asbhub.store.engine import make_engine, session_scope, upgrade  # noqa: E402
from asbhub.store.partitions import ensure_months  # noqa: E402
from benchmarks._report import write_section  # noqa: E402
from benchmarks.ingest import extract_all, police_uk_folder  # noqa: E402

INCIDENT_SCALE = 0.6  # the generator's --scale giving about a million incidents a year
PUBLIC_ROWS = 60_000_000
GOALS = {"list": 50.0, "triage": 20.0, "one_force": 2.0, "all_forces": 30.0, "ingest": 0.5}
PASSWORD = "national-bench-1"
CSV_COLUMNS = (
    '"Crime ID", Month, "Reported by", "Falls within", Longitude, Latitude, Location, '
    '"LSOA code", "LSOA name", "Crime type", "Last outcome category", Context'
)
# Measures added by other benchmarks (POST /report with two workers, issue 21 item 4): each
# takes the store's URL and returns table rows (measure, value, reference, goal).
EXTRA_MEASURES: list[Callable[[str], list[tuple[str, str, str, str]]]] = []


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        transient=False,
    )


def percentiles(times: list[float]) -> dict[str, float]:
    times = sorted(times)
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
    }


def timed(call: Callable[[], Any], n: int, warmup: int = 10) -> dict[str, float]:
    for _ in range(warmup):
        call()
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        call()
        out.append((time.perf_counter() - t0) * 1000)
    return percentiles(out)


# -- 1. incidents ----------------------------------------------------------------------------


def build_incidents(engine: Engine, forces: list[str], years: int, scale: float) -> dict[str, Any]:
    total = expected_incidents(forces, years, scale)
    with progress_bar() as bar:
        task = bar.add_task("incidents", total=total)
        t0 = time.perf_counter()
        report = generate_national(
            engine,
            forces=forces,
            years=years,
            seed=21,
            scale=scale,
            progress=lambda what, n: bar.update(task, advance=n, description=f"incidents {what}"),
        )
        seconds = time.perf_counter() - t0
    rows = sum(
        report.get(k, 0)
        for k in (
            "incidents",
            "people",
            "links",
            "locations",
            "chats",
            "chat_messages",
            "triage_assessments",
            "triage_reviews",
        )
    )
    return {"incidents": report["incidents"], "rows": rows, "seconds": seconds}


# -- 2. public rows ---------------------------------------------------------------------------


def months_of(years: int) -> list[str]:
    """Every month of the financial years, as YYYY-MM."""
    fys = financial_years(years)
    out = []
    for fy in fys:
        for k in range(12):
            y, m = fy - 1 + (k + 3) // 12, (k + 3) % 12 + 1
            out.append(f"{y:04d}-{m:02d}")
    return out


def pick(force: str, month: str, n: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{force}:{month}".encode()).digest()[:4], "big") % n


def write_copies(
    con: duckdb.DuckDBPyConnection,
    sources: list[Path],
    pairs: list[tuple[str, str]],
    into: Path,
    keep_share: float,
) -> list[Path]:
    """The transformed copies of force-months ``pairs`` under ``into`` (see the module text).

    ``keep_share`` below 1 keeps that share of each source's rows (for small runs).
    """
    names = {slug: a.name for slug, a in force_areas().items()}
    written = []
    for force, month in pairs:
        src = sources[pick(force, month, len(sources))]
        out = into / month / f"{month}-{force}-street.csv"
        out.parent.mkdir(parents=True, exist_ok=True)
        name = names[force].replace("'", "''") + " Police"
        sample = (
            ""
            if keep_share >= 1
            else f" USING SAMPLE {keep_share * 100:.4f} PERCENT (bernoulli, 7)"
        )
        con.execute(
            f"COPY (SELECT * REPLACE ('{month}' AS Month, '{name}' AS \"Reported by\", "
            f"'{name}' AS \"Falls within\") FROM read_csv('{src}', header=true, "
            f"all_varchar=true){sample}) TO '{out}' (HEADER, DELIMITER ',')"
        )
        written.append(out)
    return written


def duckdb_reference(files: list[Path]) -> dict[str, float]:
    con = duckdb.connect()
    names = [str(f) for f in files]
    t0 = time.perf_counter()
    rows = con.sql(f"SELECT count(*) FROM read_csv({names!r}, header=true, all_varchar=true)")
    n = int(rows.fetchall()[0][0])
    count_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv({names!r}, header=true)")
    table_s = time.perf_counter() - t0
    con.close()
    return {"rows": n, "count_s": count_s, "table_s": table_s}


def load_public(
    engine: Engine, forces: list[str], years: int, target_rows: int, work: Path
) -> dict[str, Any]:
    extracted = work / "shipped"
    sources, _ = extract_all(police_uk_folder(), extracted)
    shipped_rows = 788_230
    months = months_of(years)
    pairs_all = [(f, m) for m in months for f in forces]
    per_pair = shipped_rows / len(sources)
    keep_share = min(1.0, target_rows / (per_pair * len(pairs_all)))
    con = duckdb.connect()
    stats: dict[str, Any] = {"rows": 0, "seconds": 0.0, "transform_s": 0.0, "files": 0}
    with progress_bar() as bar:
        task = bar.add_task("public rows", total=round(per_pair * keep_share * len(pairs_all)))
        year_pairs = [(f, m) for m in months[:12] for f in forces]
        batch = work / "first-year"
        t0 = time.perf_counter()
        files = write_copies(con, sources, year_pairs, batch, keep_share)
        stats["transform_s"] = time.perf_counter() - t0
        stats["duckdb"] = duckdb_reference(files)
        t0 = time.perf_counter()
        report = ingest_police_uk(engine, [batch])
        seconds = time.perf_counter() - t0
        stats["first_batch"] = {"rows": report.inserted, "seconds": seconds}
        stats["rows"] += report.inserted
        stats["files"] = len(files)
        bar.update(task, advance=report.inserted)
        shutil.rmtree(batch)
        t0 = time.perf_counter()
        for k in range(1, len(months) // 12):
            for month in months[:12]:
                stats["rows"] += replicate_month(engine, month, k)
                bar.update(task, completed=stats["rows"])
        stats["replicated_s"] = time.perf_counter() - t0
        stats["replicated"] = stats["rows"] - report.inserted
    con.close()
    shutil.rmtree(extracted)
    return stats


PUBLIC_COPY_COLUMNS = (
    "crime_id, reported_by, falls_within, longitude, latitude, x_bng, y_bng, mapped, location, "
    "lsoa_code, lsoa_name, crime_type, last_outcome, context, district, local_authority_code, "
    "source_file, source_line"
)


def replicate_month(engine: Engine, month: str, years_on: int) -> int:
    """Copy every force's stored rows of ``month`` to the same month ``years_on`` years later
    (the module text's transform), with the ``source_loads`` rows marking them loaded."""
    src = dt.date.fromisoformat(f"{month}-01")
    dst = src.replace(year=src.year + years_on)
    with engine.begin() as conn:
        ensure_months(conn, "public_records", [dst])
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        n = conn.execute(
            text(
                f"INSERT INTO public_records (force_code, month, {PUBLIC_COPY_COLUMNS}) "
                f"SELECT force_code, :dst, {PUBLIC_COPY_COLUMNS} FROM public_records "
                "WHERE month = :src"
            ),
            {"src": src, "dst": dst},
        ).rowcount
        conn.execute(
            text(
                "INSERT INTO source_loads (force_code, month, source_file, sha256, rows) "
                "SELECT force_code, :dst, source_file || ' (moved on ' || :k || ' years)', "
                "sha256, rows FROM source_loads WHERE month = :src"
            ),
            {"src": src, "dst": dst, "k": str(years_on)},
        )
    return int(n)


# -- 3. reads ---------------------------------------------------------------------------------


def user_named(s: Session, username: str, role: str) -> User:
    """The benchmark's account, made the first time (a ``--reads-only`` run finds it)."""
    user = s.scalars(select(User).where(User.username == username)).one_or_none()
    if user is None:
        user = add_user(s, username=username, password=PASSWORD, role=role, force_code="essex")
    return user


def staff(engine: Engine, role: str) -> Any:
    with session_scope(engine) as s:
        user = user_named(s, f"national.{role}", role)
        return actor_for(user, settings=get_settings(), channel="batch")


def list_filters(rng: random.Random, years: list[int]) -> Callable[[], IncidentFilters]:
    districts = ["Basildon", "Colchester", "Southend", "Thurrock", "Harlow", "Tendring"]
    types = ["noise", "rowdy_inconsiderate", "vehicle_nuisance", "rowdy_nuisance_neighbours"]

    def month() -> dict[str, str]:
        fy = rng.choice(years)
        first = dt.date(fy - 1 + rng.randint(0, 1), rng.randint(1, 12), 1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        return {"date_from": first.isoformat(), "date_to": last.isoformat()}

    shapes: list[Callable[[], dict[str, Any]]] = [
        lambda: {},
        lambda: {"district": rng.choice(districts)},
        lambda: {"district": rng.choice(districts), **month()},
        lambda: {"type": rng.choice(types), **month()},
        lambda: {"channel": rng.choice(["999", "101"]), **month()},
        lambda: {"qualifier": "personal", "attended": False},
        lambda: {"district": rng.choice(districts), "attended": True, "covid": False},
    ]
    return lambda: IncidentFilters.model_validate(rng.choice(shapes)())


def lookups(engine: Engine, n: int) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT reference FROM incidents WHERE force_code = 'essex' "
                    "ORDER BY id LIMIT :n"
                ),
                {"n": n},
            ).scalars()
        )


@contextmanager
def essex_districts() -> Iterator[None]:
    """Read every force's board with Essex's district table.

    The national set gives every force Essex's places, districts and local authorities
    (docs/generator.md), and only Essex's district table ships, so a board of another force
    is asked for with Essex's areas: the same queries on that force's rows (its per-1,000
    figures use Essex's population, which this benchmark does not read).
    """
    shipped = areas_module._rows

    def rows(force_code: str) -> tuple[dict[str, str], ...]:
        try:
            return shipped(force_code)
        except FileNotFoundError:
            return shipped("essex")

    areas_module._rows = rows  # type: ignore[assignment]
    areas_module.areas.cache_clear()
    try:
        yield
    finally:
        areas_module._rows = shipped
        areas_module.areas.cache_clear()


def measure_reads(url: str, forces: list[str], years: int, n: int) -> dict[str, Any]:
    from benchmarks.triage import in_process, sample_calls

    engine = make_engine(url)
    officer = staff(engine, "officer")
    with session_scope(engine) as s:
        user_named(s, "bench", "officer")
    refs = lookups(engine, n)
    it = iter(range(10**9))

    def lookup() -> None:
        with session_scope(engine) as s:
            s.execute(
                text("SELECT * FROM incidents WHERE force_code = 'essex' AND reference = :r"),
                {"r": refs[next(it) % len(refs)]},
            ).one()

    make = list_filters(random.Random(21), financial_years(years))

    def listing() -> None:
        with session_scope(engine) as s:
            incidents.list_incidents(s, actor=officer, filters=make(), with_count=False)

    out: dict[str, Any] = {"lookup": timed(lookup, n), "list": timed(listing, n)}
    calls, found = sample_calls(url, n, force_code="essex")
    out["triage"] = in_process(url, calls, found)

    end = dt.date(financial_years(years)[-1], 3, 31)

    def board(force: str) -> None:
        actor = cli_actor(force)
        with session_scope(engine) as s:
            kpi_report(s, actor=actor, period_end=end, years=6)
            dashboard(s, actor=actor)
            channel_counts(s, actor=actor, start=end.replace(year=end.year - 1), end=end)

    def count(where: str) -> float:
        t0 = time.perf_counter()
        with engine.connect() as conn:
            conn.execute(text(f"SELECT count(*) FROM incidents {where}")).scalar_one()
        return time.perf_counter() - t0

    out["count_one"] = count("WHERE force_code = 'essex'")
    t0 = time.perf_counter()
    board("essex")
    out["board_one"] = time.perf_counter() - t0
    out["count_all"] = count("")
    with essex_districts():
        t0 = time.perf_counter()
        for force in forces:
            board(force)
        out["board_all"] = time.perf_counter() - t0
    engine.dispose()
    return out


def report_md(args: argparse.Namespace, built: dict[str, Any], reads: dict[str, Any]) -> str:
    inc, pub = built["incidents"], built["public"]
    duck, first = pub["duckdb"], pub["first_batch"]
    ingest_rate = first["rows"] / first["seconds"]
    count_rate = duck["rows"] / duck["count_s"]
    table_rate = duck["rows"] / duck["table_s"]

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    tri = reads["triage"]
    rows = [
        (
            "incident list p95 (p50)",
            f"{reads['list']['p95_ms']} ms ({reads['list']['p50_ms']} ms)",
            f"indexed lookup p95 {reads['lookup']['p95_ms']} ms",
            f"<= 50 ms: {met(reads['list']['p95_ms'] <= GOALS['list'])}",
        ),
        (
            "one triage decision p95 (p50)",
            f"{tri['decision']['p95_ms']} ms ({tri['decision']['p50_ms']} ms)",
            f"indexed lookup p95 {tri['lookup']['p95_ms']} ms",
            f"<= 20 ms: {met(tri['decision']['p95_ms'] <= GOALS['triage'])}",
        ),
        (
            "all board figures, one force (essex)",
            f"{reads['board_one']:.2f} s",
            f"COUNT(*) of its incidents {reads['count_one']:.3f} s",
            f"<= 2 s: {met(reads['board_one'] <= GOALS['one_force'])}",
        ),
        (
            f"all board figures, all {len(args.force_list)} forces",
            f"{reads['board_all']:.1f} s",
            f"COUNT(*) of all incidents {reads['count_all']:.3f} s",
            f"<= 30 s: {met(reads['board_all'] <= GOALS['all_forces'])}",
        ),
    ]
    for extra in EXTRA_MEASURES:
        rows.extend(extra(args.db))
    if not EXTRA_MEASURES:
        rows.append(
            (
                "POST /report, two workers",
                "measured by the multi-worker benchmark (issue 21 item 4)",
                "",
                ">= 200/s",
            )
        )
    lines = [
        f"`python benchmarks/national.py --scale {args.scale}` on PostgreSQL "
        f"({len(args.force_list)} forces, {args.years} financial years to March 2021).",
        "",
        "| load | rows | seconds | rows/s |",
        "| --- | ---: | ---: | ---: |",
        f"| incidents (generator, all tables; {inc['incidents']:,} incidents) | {inc['rows']:,} | "
        f"{inc['seconds']:.0f} | {inc['rows'] / inc['seconds']:,.0f} |",
        f"| public rows, first year: ingest (COPY) of {pub['files']:,} force-month CSVs | "
        f"{first['rows']:,} | {first['seconds']:.1f} | {ingest_rate:,.0f} |",
        f"| public rows, later years: the first year moved on, in the database | "
        f"{pub['replicated']:,} | {pub['replicated_s']:.0f} | "
        f"{pub['replicated'] / max(pub['replicated_s'], 1e-9):,.0f} |",
        f"| public rows stored | {pub['rows']:,} | | |",
        f"| the same CSVs, DuckDB `read_csv` count (reference) | {duck['rows']:,} | "
        f"{duck['count_s']:.1f} | {count_rate:,.0f} |",
        f"| the same CSVs, DuckDB `read_csv` into a table (reference) | {duck['rows']:,} | "
        f"{duck['table_s']:.1f} | {table_rate:,.0f} |",
        "",
        f"Ingest / DuckDB: **{ingest_rate / count_rate:.0%}** of the count's rate, "
        f"**{ingest_rate / table_rate:.0%}** of the load into a table (goal 50%: "
        f"{met(ingest_rate / count_rate >= GOALS['ingest'])} against the count, "
        f"{met(ingest_rate / table_rate >= GOALS['ingest'])} against the table). Writing the "
        f"copies (DuckDB, untimed above) took {pub['transform_s']:.0f} s.",
        "",
        "| measure | value | reference (same run) | goal |",
        "| --- | --- | --- | --- |",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows],
        "",
        f"Load average when started: {args.load:.1f}, when done: {os.getloadavg()[0]:.1f} "
        "(2 cores, shared).",
    ]
    return "\n".join(lines)


def build(engine: Engine, args: argparse.Namespace) -> dict[str, Any]:
    upgrade(engine)
    with session_scope(engine) as s:
        load_reference(s, "essex")
    built: dict[str, Any] = {}
    built["incidents"] = build_incidents(
        engine, args.force_list, args.years, INCIDENT_SCALE * args.scale
    )
    work = Path(tempfile.mkdtemp(prefix="asbhub-national-", dir=os.environ.get("TMPDIR")))
    try:
        built["public"] = load_public(
            engine, args.force_list, args.years, round(PUBLIC_ROWS * args.scale), work
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="an empty PostgreSQL database, kept")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies both volumes")
    parser.add_argument("--forces", default="all")
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--reads", type=int, default=200, help="timed calls per read measure")
    parser.add_argument("--no-write", action="store_true", help="leave docs/benchmarks.md")
    parser.add_argument(
        "--built",
        type=Path,
        help="a JSON file keeping the load figures: written after the loads, and read instead "
        "of loading again with --reads-only",
    )
    parser.add_argument(
        "--reads-only", action="store_true", help="measure the reads of a store built before"
    )
    args = parser.parse_args(argv)
    args.load = os.getloadavg()[0]
    args.force_list = parse_forces(args.forces)
    engine = make_engine(args.db)
    if engine.dialect.name != "postgresql":
        raise SystemExit("benchmarks/national.py measures PostgreSQL: give --db postgresql+...")
    if args.reads_only:
        if args.built is None:
            raise SystemExit("--reads-only needs --built FILE, the figures of the loads")
        built = json.loads(args.built.read_text())
    else:
        built = build(engine, args)
        if args.built is not None:
            args.built.write_text(json.dumps(built, indent=1))
    engine.dispose()
    reads = measure_reads(args.db, args.force_list, args.years, args.reads)
    md = report_md(args, built, reads)
    print(md)
    if not args.no_write:
        write_section("national", md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
