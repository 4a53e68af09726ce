"""``asbhub kpi`` on the six generated years against the deep dive's published tables."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from asbhub.cli import app
from asbhub.store.engine import make_engine

runner = CliRunner()
Published = Callable[[str], dict[str, dict[str, str]]]


@pytest.fixture(scope="module")
def published(shared_data: Path) -> Callable[[str], dict[str, dict[str, str]]]:
    def read(name: str) -> dict[str, dict[str, str]]:
        with (shared_data / "deep-dive-2021" / name).open(encoding="utf-8") as fh:
            return {r["period_end"]: r for r in csv.DictReader(fh)}

    return read


def _printed(x: float) -> int:
    """A percentage as the report prints it: whole, half up."""
    return int(Decimal(str(x)).quantize(Decimal(1), ROUND_HALF_UP))


@pytest.fixture(scope="module")
def kpi(deep_dive_db: str) -> dict[str, Any]:
    result = runner.invoke(
        app, ["kpi", "--period-end", "2021-03-31", "--db", deep_dive_db, "--json"]
    )
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.stdout)
    return out


def test_years_are_the_six_periods_oldest_first(kpi: dict[str, Any]) -> None:
    ends = [y["period_end"] for y in kpi["years"]]
    assert ends == [f"{y}-03-31" for y in range(2016, 2022)]
    for y in kpi["years"]:
        for key in (
            "incidents",
            "attended",
            "pct_attended",
            "diff",
            "pct_diff",
            "excluding_covid",
            "personal_pct",
            "nuisance_pct",
            "environmental_pct",
        ):
            assert key in y


def test_year_on_year_equals_reported_yoy(kpi: dict[str, Any], published: Published) -> None:
    table = published("reported_yoy.csv")
    for y in kpi["years"]:
        row = table[y["period_end"]]
        assert y["incidents"] == int(row["incidents"])
        if row["diff"]:
            assert y["diff"] == int(row["diff"])
            assert _printed(y["pct_diff"]) == int(row["pct_diff"])
        else:
            assert y["diff"] is None and y["pct_diff"] is None


def test_attendance_equals_reported_attendance(kpi: dict[str, Any], published: Published) -> None:
    table = published("reported_attendance.csv")
    for y in kpi["years"]:
        row = table[y["period_end"]]
        assert (y["incidents"], y["attended"]) == (int(row["incidents"]), int(row["attended"]))
        assert _printed(y["pct_attended"]) == int(row["pct_attended"])


def test_category_mix_within_a_tenth_of_a_point(kpi: dict[str, Any], published: Published) -> None:
    table = published("category_mix.csv")
    rounded = published("category_mix_rounded.csv")
    by_end = {y["period_end"]: y for y in kpi["years"]}
    for end, row in table.items():
        for q in ("personal_pct", "nuisance_pct", "environmental_pct"):
            assert abs(by_end[end][q] - float(row[q])) <= 0.1 + 1e-9, (end, q)
    # The whole-% table is rounded from the counts, not from the one-decimal shares (16.46%
    # is 16.5 to one decimal, which a second rounding would make 17).
    for end, row in rounded.items():
        y = by_end[end]
        qualified = y["personal"] + y["nuisance"] + y["environmental"]
        for q in ("personal", "nuisance", "environmental"):
            assert _printed(100 * y[q] / qualified) == int(row[f"{q}_pct"]), (end, q)


def test_excluding_covid_2021_is_44995(kpi: dict[str, Any]) -> None:
    last = kpi["years"][-1]
    assert last["excluding_covid"] == 44_995
    assert last["covid_breaches"] == 60_391 - 44_995


def test_monthly_series_and_channels_add_up_to_the_years(
    kpi: dict[str, Any], deep_dive_db: str
) -> None:
    assert len(kpi["monthly"]) == 72
    assert sum(m["incidents"] for m in kpi["monthly"]) == sum(y["incidents"] for y in kpi["years"])
    ch = kpi["channels"]
    assert ch["total"] == kpi["years"][-1]["incidents"]
    engine = make_engine(deep_dive_db)
    with engine.connect() as conn:
        online = conn.execute(
            text(
                "SELECT COUNT(*) FROM incidents WHERE channel = 'online' "
                "AND received_at >= '2020-10-01' AND received_at < '2021-01-01'"
            )
        ).scalar_one()
    engine.dispose()
    q3 = next(q for q in ch["quarters"] if q["quarter"] == "2020-21 Q3")
    assert q3["counts"]["online"] == online == 733
    assert q3["change"]["online"] == -177  # channels.csv: 733 in Q3, 177 fewer than Q2


def test_a_district_is_a_part_of_the_force(deep_dive_db: str, kpi: dict[str, Any]) -> None:
    result = runner.invoke(
        app,
        [
            "kpi",
            "--period-end",
            "2021-03-31",
            "--db",
            deep_dive_db,
            "--level",
            "policing_district",
            "--area",
            "Thurrock",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    thurrock = json.loads(result.stdout)
    engine = make_engine(deep_dive_db)
    with engine.connect() as conn:
        n = conn.execute(
            text(
                "SELECT COUNT(*) FROM incidents WHERE district = 'Thurrock' "
                "AND received_at >= '2020-04-01' AND received_at < '2021-04-01'"
            )
        ).scalar_one()
    engine.dispose()
    assert thurrock["years"][-1]["incidents"] == n
    assert 0 < n < kpi["years"][-1]["incidents"]


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (["--period-end", "2021-02-30"], "--period-end"),
        (
            ["--period-end", "2021-03-31", "--level", "policing_district", "--area", "Gotham"],
            "area",
        ),
        (["--period-end", "2021-03-31", "--years", "0"], "years"),
    ],
)
def test_bad_input_names_where(deep_dive_db: str, args: list[str], where: str) -> None:
    result = runner.invoke(app, ["kpi", *args, "--db", deep_dive_db])
    assert result.exit_code == 2
    assert where in result.output
