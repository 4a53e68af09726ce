"""``asbhub audit recording --json`` on SQLite and PostgreSQL, and its bad input."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from asbhub.cli import app
from asbhub.generate.service import generate
from asbhub.store.engine import make_engine

runner = CliRunner()


def test_one_object_with_counts_mix_and_truth(db_url: str) -> None:
    engine = make_engine(db_url)
    generate(engine, force_code="essex", start="2019-07", end="2019-07", seed=5, misrecord_rate=0.1)
    engine.dispose()
    result = runner.invoke(
        app,
        [
            "audit",
            "recording",
            "--from",
            "2019-07-01",
            "--to",
            "2019-07-31",
            "--force",
            "essex",
            "--db",
            db_url,
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert out["incidents"] == 4_143  # July 2019 had no COVID breaches to leave out
    assert sum(out["counts_by_reason"].values()) >= out["flags"] > 0
    assert set(out["estimated_true_mix"]) == {"personal", "nuisance", "environmental"}
    t = out["truth"]
    # Drawn over the financial year, then the month cut out of it: about 10%.
    assert abs(t["misrecorded"] - 0.1 * 4_143) < 60
    assert 0 < t["precision"] <= 1 and 0 < t["recall"] <= 1


def test_without_truth_and_bad_input(db_url: str) -> None:
    engine = make_engine(db_url)
    generate(engine, force_code="essex", start="2019-07", end="2019-07", seed=5)
    engine.dispose()
    ok = runner.invoke(app, ["audit", "recording", "--force", "essex", "--db", db_url, "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["truth"] is None  # rate 0: nothing stored to score against
    bad = runner.invoke(app, ["audit", "recording", "--from", "July", "--db", db_url])
    assert bad.exit_code != 0 and "--from" in bad.output
    backwards = runner.invoke(
        app,
        ["audit", "recording", "--from", "2019-07-31", "--to", "2019-07-01", "--db", db_url],
    )
    assert backwards.exit_code != 0 and "ends before it starts" in backwards.output
