"""Survey tables in the seed's format: import, changes since the first year, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from asbhub.analytics import surveys
from asbhub.errors import InvalidInput


def test_the_deep_dives_perception_changes_are_kept_as_given(shared_data: Path) -> None:
    path = shared_data / "deep-dive-2021" / "perception_csew.csv"
    out = surveys.summarise(surveys.load("perception", path))
    differs = {r["measure"] for r in out["rows"] if r["given_differs"]}
    assert differs == {
        "ASB Perception - abandoned or burnt out cars",
        "ASB Perception - people using or dealing drugs",
        "ASB Perception - noisy neighbours",
    }
    cars = next(r for r in out["rows"] if "burnt out" in r["measure"])
    assert (cars["given_change"], cars["change"]) == (-2.1, -2.2)


@pytest.mark.parametrize("kind", ["msg_positions", "national_ranks"])
def test_rank_changes_and_better_worse(kind: str, shared_data: Path) -> None:
    name = {"msg_positions": "msg_positions.csv", "national_ranks": "national_ranks.csv"}[kind]
    out = surveys.summarise(surveys.load(kind, shared_data / "deep-dive-2021" / name))
    for r in out["rows"]:
        assert r["change"] == r["given_change"], r["measure"]
    total = out["rows"][0]
    if kind == "msg_positions":  # 4, 7, 8, 1, 4 of 8
        assert list(total["vs_msg_average"].values()) == [
            "better",
            "worse",
            "worse",
            "better",
            "better",
        ]


def test_confidence_survey_imports(shared_data: Path) -> None:
    path = shared_data / "deep-dive-2021" / "confidence_survey.csv"
    out = surveys.summarise(surveys.load("confidence", path))
    assert [r["agree_pct"] for r in out["rows"]] == [69, 67, 63, 69]


def test_every_bad_cell_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "ranks.csv"
    bad.write_text(
        "measure,2016-03-31,2017-03-31,diff_from_2016\nA,4,nine,1\nB,0,3,x\n", encoding="utf-8"
    )
    with pytest.raises(InvalidInput) as exc:
        surveys.load("msg_positions", bad)
    assert set(exc.value.fields) == {
        f"{bad}:2:2017-03-31",
        f"{bad}:3:2016-03-31",
        f"{bad}:3:diff_from_2016",
    }


def test_a_table_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "p.csv"
    bad.write_text("question,agree\nQ,1\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not a perception table"):
        surveys.load("perception", bad)
    with pytest.raises(InvalidInput, match="not a confidence survey table"):
        surveys.load("confidence", bad)
