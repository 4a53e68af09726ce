"""``asbhub generate --forces``: a national data set in proportion to population."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from asbhub.cli import app
from asbhub.errors import InvalidInput
from asbhub.generate.calibration import year_targets
from asbhub.generate.national import (
    build_part,
    financial_years,
    force_areas,
    parse_forces,
    parts_of,
)
from asbhub.generate.service import build
from asbhub.store.engine import make_engine

runner = CliRunner()
# The City of London is 1/240 of Essex.
FORCES = "essex,city-of-london"


def _run(db_url: str, *extra: str) -> tuple[int, str]:
    result = runner.invoke(
        app,
        [
            "generate",
            "--forces",
            FORCES,
            "--years",
            "1",
            "--scale",
            "0.05",
            "--seed",
            "5",
            "--db",
            db_url,
            *extra,
        ],
    )
    return result.exit_code, result.output + (repr(result.exception) if result.exit_code else "")


def test_forces_are_written_in_proportion_to_population(db_url: str) -> None:
    code, out = _run(db_url, "--json")
    assert code == 0, out
    report = json.loads(out)
    per_force = report["per_force"]
    areas = force_areas()
    essex_fy2021 = year_targets()[2021].incidents
    for force, written in per_force.items():
        share = areas[force].population_in(2020) / areas["essex"].population_in(2020)
        assert written == pytest.approx(0.05 * essex_fy2021 * share, abs=2)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        stored = dict(
            conn.execute(text("SELECT force_code, count(*) FROM incidents GROUP BY force_code"))
            .tuples()
            .all()
        )
        triaged = conn.scalar(text("SELECT count(*) FROM triage_assessments"))
        audited = conn.scalar(
            text("SELECT count(*) FROM audit_events WHERE event = 'generate:incidents:create'")
        )
    engine.dispose()
    assert stored == per_force
    assert triaged == sum(per_force.values())
    assert audited == 2  # one write per force (each is one part at this scale)
    # A second run finds the first and names the force.
    code, out = _run(db_url)
    assert code == 1
    assert "generated essex incidents" in out and "--replace" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--forces", "essex,atlantis"], "unknown force 'atlantis'"),
        (["--forces", "all", "--years", "0"], "--years must be 1 to 20"),
        (["--forces", "all", "--scale", "0"], "--scale must be above 0"),
        (["--forces", "all", "--force", "essex"], "leave out --force"),
        (["--from", "2020-01", "--to", "2020-02"], "give --force, --from and --to"),
    ],
)
def test_bad_options_are_named(args: list[str], message: str, tmp_path: object) -> None:
    result = runner.invoke(app, ["generate", "--seed", "1", *args, "--db", "sqlite://"])
    assert result.exit_code != 0
    assert message in result.output


def test_all_is_the_43_forces_and_bigger_forces_come_in_parts() -> None:
    forces = parse_forces("all")
    assert len(forces) == 43 and {"metropolitan", "city-of-london", "dyfed-powys"} <= set(forces)
    areas, fys = force_areas(), financial_years(10)
    assert fys == list(range(2012, 2022))
    assert parts_of(areas["metropolitan"], areas["essex"], fys, 1.0) == 5
    assert parts_of(areas["essex"], areas["essex"], fys, 1.0) == 1
    with pytest.raises(InvalidInput):
        parse_forces("")


def test_essex_first_part_is_the_essex_generator_and_early_years_copy_the_first() -> None:
    national = build_part(2021, "essex", 0, 1, [2015, 2016], 1.0)
    essex = build(2021, "2015-04", "2016-03")
    assert np.array_equal(national.years[1].received, essex.years[0].received)
    # 2014/15 is before the deep dive: 2015/16's counts in the months a year earlier.
    early = national.years[0]
    assert len(early.received) == year_targets()[2016].incidents
    assert early.received.min() >= np.datetime64("2014-04-01")
    assert early.received.max() < np.datetime64("2015-04-01")
