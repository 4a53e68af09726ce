"""Every board figure over ten years of generated incidents (about 500,000), on SQLite and on
PostgreSQL, against a plain ``COUNT(*)`` over the same rows in the same run.

The generator covers the deep dive's six years (2015-04..2021-03, 302,899 incidents); the
last four of them are copied four years on (2021-04..2025-03) to make ten years. Each figure
is timed as the board reads it: ``kpi_report`` for ten 12-month periods (volumes, year on
year, attended, excluding COVID-19 breaches, category mix, per 1,000, channel mix with
quarters, the monthly series), the dashboard's month x district table, the channel counts
(``contact.counts``) and the whole dashboard. The forecast (backtest and fit, CPU work on 120
monthly counts) is timed with its cache emptied before each run, once more from the cache, and
statsmodels' import, paid once per process, is timed on its own. Goal: every figure <= 1 s on
SQLite.

    .venv/bin/python benchmarks/kpis.py            # SQLite
    ASBHUB_BENCH_POSTGRES_URL=postgresql+psycopg://... .venv/bin/python benchmarks/kpis.py
    .venv/bin/python benchmarks/kpis.py --keep /tmp/kpis   # build the SQLite store once, reuse it
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asbhub.analytics import forecast
from asbhub.analytics.areas import area
from asbhub.analytics.service import dashboard, kpi_report, monthly_by_district
from asbhub.contact.counts import channel_counts
from asbhub.generate.service import generate
from asbhub.geography.service import load_reference
from asbhub.permissions import cli_actor
from asbhub.store.engine import make_engine, session_scope, upgrade
from benchmarks._report import write_section

GOAL_SECONDS = 1.0
END = dt.date(2025, 3, 31)
RUNS = 3
COLUMNS = (
    "force_code, channel, opening_code, closing_code, qualifier, covid_breach, "
    "hate_motivated, location_text, location_id, longitude, latitude, x_bng, y_bng, lsoa_code, "
    "district, local_authority_code, attended, narrative, status"
)


def _prepare(engine: Engine) -> int:
    upgrade(engine)
    with session_scope(engine) as session:
        load_reference(session, "essex")
    generate(engine, force_code="essex", start="2015-04", end="2021-03", seed=2021)
    later = (
        "datetime(received_at, '+4 years')"
        if engine.dialect.name == "sqlite"
        else "received_at + interval '4 years'"
    )
    with engine.begin() as conn:
        conn.execute(
            text(
                f"INSERT INTO incidents (reference, received_at, {COLUMNS}) "
                f"SELECT reference || '-10Y', {later}, {COLUMNS} FROM incidents "
                "WHERE received_at >= '2017-04-01'"
            )
        )
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
        n: int = conn.execute(text("SELECT COUNT(*) FROM incidents")).scalar_one()
    return n


def _best(fn: Callable[[], Any]) -> tuple[float, float]:
    """The best wall-clock time of RUNS, and the best CPU time of this process: on a shared
    machine the wall clock also counts the waits for a core, which the CPU time leaves out (on
    SQLite the queries run in this process, so it is all the work; on PostgreSQL the server's
    share is not in it)."""
    walls, cpus = [], []
    for _ in range(RUNS):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return min(walls), min(cpus)


def measure(engine: Engine) -> dict[str, tuple[float, float]]:
    actor = cli_actor("essex")
    force = area("essex")
    out: dict[str, tuple[float, float]] = {}
    with session_scope(engine) as s:
        out["plain COUNT(*) over the ten years (reference)"] = _best(
            lambda: s.execute(
                text(
                    "SELECT COUNT(*) FROM incidents WHERE force_code = 'essex' "
                    "AND received_at >= :a AND received_at < :b"
                ),
                {"a": dt.datetime(2015, 4, 1), "b": dt.datetime(2025, 4, 1)},
            ).scalar_one()
        )
        out["KPIs, ten 12-month periods + channels + monthly"] = _best(
            lambda: kpi_report(s, actor=actor, period_end=END, years=10)
        )
        out["KPIs, six periods (the board's table)"] = _best(
            lambda: kpi_report(s, actor=actor, period_end=END, years=6)
        )
        out["month x district, 12 months"] = _best(
            lambda: monthly_by_district(
                s, actor=actor, area=force, start=dt.date(2024, 4, 1), end=END
            )
        )
        out["channel counts, 12 months (contact.counts)"] = _best(
            lambda: channel_counts(s, actor=actor, start=dt.date(2024, 4, 1), end=END)
        )
        out["whole dashboard (default period)"] = _best(lambda: dashboard(s, actor=actor))
        series = kpi_report(s, actor=actor, period_end=END, years=10)["monthly"]
    m = pd.DataFrame(series)
    y = pd.Series(m["excluding_covid"].to_numpy(), index=pd.PeriodIndex(m["month"], freq="M"))

    def fresh() -> None:
        forecast.clear_cache()
        forecast.forecast_years(y)

    out["forecast with backtest, one series (CPU, not a query)"] = _best(fresh)
    out["the same forecast again (cache)"] = _best(lambda: forecast.forecast_years(y))
    return out


def _import_seconds() -> float:
    """statsmodels' import, which the first forecast of a process pays once."""
    t0 = time.perf_counter()
    import statsmodels.tsa.holtwinters
    import statsmodels.tsa.statespace.sarimax  # noqa: F401

    return time.perf_counter() - t0


def _sqlite(keep: Path | None) -> tuple[int, dict[str, tuple[float, float]]]:
    """Measured on a store built here, or kept in ``keep`` from an earlier run."""
    with tempfile.TemporaryDirectory() as tmp:
        path = (keep or Path(tmp)) / "ten.db"
        fresh = not path.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = make_engine(f"sqlite:///{path}")
        if fresh:
            n = _prepare(engine)
        else:
            upgrade(engine)  # a store kept from an older schema
            with engine.connect() as conn:
                n = conn.execute(text("SELECT COUNT(*) FROM incidents")).scalar_one()
        try:
            return n, measure(engine)
        finally:
            engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="keep the SQLite store in this folder, reuse it")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    imported = _import_seconds()
    results: dict[str, tuple[int, dict[str, tuple[float, float]]]] = {}
    results["SQLite"] = _sqlite(args.keep)
    pg = os.environ.get("ASBHUB_BENCH_POSTGRES_URL")
    if pg:
        name = f"asbhub_bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            engine = make_engine(make_url(pg).set(database=name).render_as_string(False))
            n = _prepare(engine)
            results["PostgreSQL"] = (n, measure(engine))
            engine.dispose()
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    names = list(next(iter(results.values()))[1])
    header = "| figure | " + " | ".join(results) + " |"
    lines = [header, "| --- |" + " ---: |" * len(results)]
    for fig in names:
        cells = []
        for _, (_, t) in results.items():
            ref = t["plain COUNT(*) over the ten years (reference)"][0]
            wall, cpu = t[fig]
            cells.append(f"{wall:.3f} s, CPU {cpu:.3f} s ({wall / ref:.1f}x COUNT)")
        lines.append(f"| {fig} | " + " | ".join(cells) + " |")
    sqlite_t = {k: v for k, v in results["SQLite"][1].items() if "reference" not in k}
    worst = max(wall for wall, _ in sqlite_t.values())
    worst_cpu = max(cpu for _, cpu in sqlite_t.values())
    verdict = "met" if worst <= GOAL_SECONDS else "NOT met"
    rows = ", ".join(f"{k}: {n:,} incidents" for k, (n, _) in results.items())
    text_ = "\n".join(
        [
            "`benchmarks/kpis.py`: every board figure over ten years of generated incidents "
            f"({rows}; 2015-04..2025-03), best of {RUNS} (wall clock, and CPU time of the "
            "benchmark's process), against a plain `COUNT(*)` over the same rows in the same run.",
            "",
            *lines,
            "",
            f"Slowest figure on SQLite: {worst:.3f} s wall, {worst_cpu:.3f} s CPU "
            f"(goal <= {GOAL_SECONDS:.0f} s: {verdict}). "
            f"statsmodels import, once per process before the first forecast: {imported:.3f} s. "
            f"Load average when started: {load:.1f}, when done: {os.getloadavg()[0]:.1f} "
            "(on 2 cores).",
        ]
    )
    print(text_)
    write_section("kpis", text_)


if __name__ == "__main__":
    main()
