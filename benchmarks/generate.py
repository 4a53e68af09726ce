"""Six generated years (302,899 incidents with their people) into a fresh SQLite database.

Goal: at most 20 s end to end. The reference, measured in the same run, is plain writing:
pandas ``DataFrame.to_sql`` of the very same rows (read back from the generated database
beforehand) into another fresh, migrated database with the same indexes. The ratio says how
much generating costs on top of just storing the rows.

    .venv/bin/python benchmarks/generate.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asbhub.generate.service import build, generate
from asbhub.geography.service import geography, load_reference
from asbhub.store.engine import make_engine, session_scope, upgrade
from benchmarks._report import write_section

TABLES = ("locations", "people", "incidents", "incident_people", "chats", "chat_messages")
GOAL_SECONDS = 20.0


def fresh_db(folder: Path, name: str) -> str:
    url = f"sqlite:///{folder / name}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        load_reference(session, "essex")
    engine.dispose()
    return url


def main() -> None:
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        gen_url, ref_url = fresh_db(folder, "generated.db"), fresh_db(folder, "reference.db")
        geography("essex")  # boundaries load once per process, whatever runs first

        engine = make_engine(gen_url)
        t0, c0 = time.perf_counter(), time.process_time()
        report = generate(engine, force_code="essex", start="2015-04", end="2021-03", seed=2021)
        total, cpu = time.perf_counter() - t0, time.process_time() - c0
        frames = {t: pd.read_sql(f"SELECT * FROM {t}", engine) for t in TABLES}
        engine.dispose()

        t0 = time.perf_counter()
        build(7, "2015-04", "2021-03")  # another seed, so nothing is cached
        in_memory = time.perf_counter() - t0

        ref = make_engine(ref_url)
        t0 = time.perf_counter()
        with ref.begin() as conn:
            for table in TABLES:
                df = frames[table].drop(columns=["created_at"], errors="ignore")
                df.to_sql(table, conn, if_exists="append", index=False, chunksize=50_000)
        plain = time.perf_counter() - t0
        ref.dispose()

    rows = sum(len(f) for f in frames.values())
    ratio = total / plain
    verdict = "met" if total <= GOAL_SECONDS else "NOT met"
    lines = [
        f"six years generated end to end: {total:.1f} s "
        f"({report['incidents']:,} incidents, {report['people']:,} people, "
        f"{report['links']:,} links, {report['locations']:,} locations; {rows:,} rows)",
        f"  CPU time of this process: {cpu:.1f} s (the rest is waiting: disk, other load)",
        f"  building in memory (numpy) alone: {in_memory:.1f} s",
        f"reference, pandas to_sql of the same rows: {plain:.1f} s",
        f"ratio generate / plain write: {ratio:.2f} (goal <= {GOAL_SECONDS:.0f} s: {verdict})",
    ]
    print("\n".join(lines))
    write_section(
        "generate",
        "\n".join(
            [
                "`benchmarks/generate.py`: `asbhub generate --force essex --from 2015-04 "
                "--to 2021-03 --seed 2021` into a fresh SQLite database, against pandas "
                "`DataFrame.to_sql` of the same rows into another fresh database in the same run.",
                "",
                "| measure | value |",
                "| --- | --- |",
                f"| generate, end to end | {total:.1f} s |",
                f"| CPU time of the generating process | {cpu:.1f} s |",
                f"| building in memory alone (numpy) | {in_memory:.1f} s |",
                f"| rows written ({len(TABLES)} tables) | {rows:,} |",
                f"| plain `to_sql` of the same rows | {plain:.1f} s |",
                f"| ratio generate / plain write | {ratio:.2f} |",
                f"| goal (<= {GOAL_SECONDS:.0f} s) | {verdict} |",
                f"| load average when started | {load:.1f} |",
            ]
        ),
    )


if __name__ == "__main__":
    main()
