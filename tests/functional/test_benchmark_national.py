"""``benchmarks/national.py`` at a small scale: it builds the national store (incidents of two
forces, public rows replicated to their months), measures every read and reports each beside
its reference; on SQLite it refuses, naming PostgreSQL."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from asbhub.store.engine import make_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # benchmarks/, beside src/
from benchmarks import national

ARGS = ["--scale", "0.001", "--forces", "essex,kent", "--years", "2", "--reads", "5"]


def test_the_national_benchmark_runs_small(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    if not db_url.startswith("postgresql"):
        with pytest.raises(SystemExit, match="measures PostgreSQL"):
            national.main(["--db", db_url, *ARGS, "--no-write"])
        return
    assert national.main(["--db", db_url, *ARGS, "--no-write"]) == 0
    out = capsys.readouterr().out
    for measure in (
        "incident list p95",
        "one triage decision p95",
        "all board figures, one force (essex)",
        "all board figures, all 2 forces",
        "DuckDB `read_csv` count (reference)",
        "POST /report, two workers",
    ):
        assert measure in out
    engine = make_engine(db_url)
    with engine.connect() as conn:
        forces = dict(
            conn.execute(
                text("SELECT force_code, count(*) FROM incidents GROUP BY force_code")
            ).all()
        )
        public = dict(
            conn.execute(
                text("SELECT force_code, count(DISTINCT month) FROM public_records GROUP BY 1")
            ).all()
        )
    engine.dispose()
    assert set(forces) == {"essex", "kent"}
    # Every force gets every month of the two financial years, each a copy of a shipped file.
    assert public == {"essex": 24, "kent": 24}
