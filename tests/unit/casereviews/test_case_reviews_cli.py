"""``asbhub case-reviews table`` on the generated year (the deep dive's figures) and its bad
input."""

from __future__ import annotations

import json

from sqlalchemy import select
from typer.testing import CliRunner

from asbhub.audit.models import AuditEvent
from asbhub.cli import app
from asbhub.generate.case_reviews import seed_figures
from asbhub.store.engine import make_engine

runner = CliRunner()
YEAR = ["case-reviews", "table", "--from", "2020-04-01", "--to", "2021-03-31"]
FIGURES = ["applications", "threshold_not_met", "reviews_held", "with_recommendations"]


def test_the_generated_year_gives_the_deep_dives_figures(deep_dive_db: str) -> None:
    result = runner.invoke(app, [*YEAR, "--json", "--db", deep_dive_db])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    table = json.loads(lines[0])
    assert list(table) == ["local_authorities", "total"]
    assert list(table["total"]) == FIGURES
    areas = {r["local_authority"]: r for r in table["local_authorities"]}
    assert len(areas) == 14
    assert all(list(r) == ["local_authority", *FIGURES] for r in areas.values())
    seed = seed_figures()
    assert table["total"]["reviews_held"] == seed["Essex Police area"] == 33
    assert areas["Thurrock"]["reviews_held"] == seed["Thurrock"] == 10
    # Thurrock's is the highest; three authorities returned nothing.
    assert max(areas.values(), key=lambda r: r["reviews_held"])["local_authority"] == "Thurrock"
    assert sum(r["applications"] == 0 for r in areas.values()) == 3
    for f in FIGURES:
        assert table["total"][f] == sum(r[f] for r in areas.values())
    total = table["total"]
    assert total["applications"] == total["threshold_not_met"] + total["reviews_held"]
    assert 0 < total["with_recommendations"] <= total["reviews_held"]


def test_the_year_before_holds_none(deep_dive_db: str) -> None:
    result = runner.invoke(
        app,
        [
            "case-reviews",
            "table",
            "--from",
            "2019-04-01",
            "--to",
            "2020-03-31",
            "--json",
            "--db",
            deep_dive_db,
        ],
    )
    assert json.loads(result.stdout)["total"] == dict.fromkeys(FIGURES, 0)


def test_the_generated_reviews_are_audited_with_their_counts(deep_dive_db: str) -> None:
    engine = make_engine(deep_dive_db)
    with engine.connect() as conn:
        run = conn.execute(
            select(AuditEvent).where(AuditEvent.event == "generate:case_reviews:create")
        ).one()
    engine.dispose()
    assert run.result_count == 49  # 33 held and 16 not met
    assert run.fields["held"] == 33 and len(run.fields["no_data"]) == 3


def test_bad_periods_are_named(deep_dive_db: str) -> None:
    r = runner.invoke(
        app,
        [
            "case-reviews",
            "table",
            "--from",
            "2021-04-01",
            "--to",
            "2021-03-31",
            "--db",
            deep_dive_db,
        ],
    )
    assert r.exit_code == 2
    assert "the period ends before it starts" in r.output
    assert "--to: 2021-03-31 is before --from 2021-04-01" in r.output
    r = runner.invoke(
        app,
        ["case-reviews", "table", "--from", "1 April", "--to", "2021-03-31", "--db", deep_dive_db],
    )
    assert r.exit_code == 2 and "--from: expected YYYY-MM-DD" in r.output
