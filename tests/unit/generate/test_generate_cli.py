"""``asbhub generate`` through the command line, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from sqlalchemy import select
from typer.testing import CliRunner

from asbhub.audit.models import AuditEvent
from asbhub.cli import app
from asbhub.store.engine import make_engine

runner = CliRunner()
GENERATE = ["generate", "--force", "essex"]


def _generate(db_url: str, *extra: str) -> tuple[int, str, str]:
    result = runner.invoke(
        app,
        [*GENERATE, "--from", "2019-07", "--to", "2019-07", "--seed", "5", "--db", db_url, *extra],
    )
    return result.exit_code, result.stdout, result.output


def test_json_prints_one_object_with_counts(db_url: str) -> None:
    code, out, _ = _generate(db_url, "--json")
    assert code == 0, out
    lines = out.strip().splitlines()
    assert len(lines) == 1
    report = json.loads(lines[0])
    # July 2019 is 4,143 of the year to March 2020 (the calibrated monthly split)
    assert report["incidents"] == 4_143
    assert report["per_year"] == {
        "2020-03-31": {
            "incidents": 4_143,
            "attended": report["per_year"]["2020-03-31"]["attended"],
            "covid_breaches": 0,
        }
    }
    for key in ("people", "links", "locations", "seconds"):
        assert report[key] > 0
    assert report["links"] > report["incidents"]
    # The run is audited as the generate job, with the counts it reported.
    engine = make_engine(db_url)
    with engine.connect() as conn:
        run = conn.execute(
            select(AuditEvent).where(AuditEvent.event == "generate:incidents:create")
        ).one()
    engine.dispose()
    assert (run.actor_role, run.actor_name, run.channel) == ("system", "asbhub generate", "batch")
    assert run.result_count == 4_143 and run.fields["links"] == report["links"]


def test_second_run_is_refused_unless_replace(db_url: str) -> None:
    assert _generate(db_url)[0] == 0
    code, _, output = _generate(db_url)
    assert code == 1
    assert "already holds 4,143 generated essex incidents" in output
    assert "--replace" in output
    code, out, _ = _generate(db_url, "--replace", "--json")
    assert code == 0
    assert json.loads(out)["replaced"] == 4_143


def test_period_outside_the_calibrated_years_is_refused(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'unused.db'}"
    result = runner.invoke(
        app,
        [*GENERATE, "--from", "2014-01", "--to", "2015-06", "--seed", "1", "--db", db],
    )
    assert result.exit_code == 2
    assert "calibrated to April 2015 .. March 2021" in result.output
    result = runner.invoke(
        app,
        [*GENERATE, "--from", "2020/01", "--to", "2020-06", "--seed", "1", "--db", db],
    )
    assert result.exit_code == 2
    assert "--from must be a month written YYYY-MM" in result.output
    result = runner.invoke(
        app,
        [
            "generate",
            "--force",
            "kent",
            "--from",
            "2020-01",
            "--to",
            "2020-06",
            "--seed",
            "1",
            "--db",
            db,
        ],
    )
    assert result.exit_code == 2
    assert "calibrated to essex only, not 'kent'" in result.output
    assert not (tmp_path / "unused.db").exists()


def test_human_output_lists_each_year(db_url: str) -> None:
    code, out, _ = _generate(db_url)
    assert code == 0
    assert "generated 4,143 essex incidents" in out
    assert "12 months to 2020-03-31: 4,143 incidents" in out
