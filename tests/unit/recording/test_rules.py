"""Each recording rule on hand-made incidents: fires where it should and nowhere else."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from asbhub.errors import InvalidInput
from asbhub.recording import rules

RULES = rules.load()
T0 = dt.datetime(2024, 5, 1, 12)


def _incident(i: int, **kw: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": i,
        "received_at": T0,
        "district": "Colchester",
        "opening_code": "rowdy_inconsiderate",
        "closing_code": "rowdy_inconsiderate",
        "qualifier": "nuisance",
        "hate_motivated": False,
        "covid_breach": False,
        "location_id": None,
        "narrative": "A group of youths shouting on the high street.",
    }
    row.update(kw)
    return row


def _hits(
    incidents: list[dict[str, object]], people: list[tuple[int, int, str]] = ()
) -> pd.DataFrame:
    inc = pd.DataFrame(incidents)
    inc["received_at"] = pd.to_datetime(inc["received_at"])
    ppl = pd.DataFrame(list(people), columns=["incident_id", "person_id", "role"])
    rep = rules.repeat_counts(inc, ppl, 28)
    return rules.evaluate(RULES, inc, rep).set_index(inc["id"])


def test_every_rule_states_its_reason_and_the_set_its_version() -> None:
    assert RULES.version and RULES.flag_threshold == 0.7 and RULES.flag_threshold_reason
    assert {r.id for r in RULES.rules} == {
        "narrative_names_target",
        "hate_not_personal",
        "repeat_targeted_victim",
        "personal_opening_code",
        "hate_words_without_flag",
    }
    for r in RULES.rules:
        assert len(r.reason) > 40, r.id


@pytest.mark.parametrize(
    "text",
    [
        "My neighbour keeps playing music at 3am and banging on the wall.",
        "They shout at me every time I leave the house.",
        "The caller says this is aimed at them and their family.",
        "The victim feels targeted and is frightened to go out.",
        "This is the latest of several incidents directed at the same household.",
    ],
)
def test_narrative_naming_a_target_recorded_as_nuisance(text: str) -> None:
    h = _hits(
        [
            _incident(1, narrative=text),
            _incident(2, narrative=text, qualifier="environmental"),
            _incident(3, narrative=text, qualifier="personal"),
        ]
    )
    assert h.loc[1, "narrative_names_target"] and h.loc[2, "narrative_names_target"]
    assert not h.loc[3, "narrative_names_target"]  # already personal


def test_narrative_about_the_community_does_not_fire() -> None:
    h = _hits(
        [
            _incident(1, narrative="Residents in the area are affected generally."),
            _incident(2, narrative="Several neighbours have complained about the same behaviour."),
            _incident(3, narrative="Caller reports fly-tipping aimed at nobody in particular."),
        ]
    )
    assert not h["narrative_names_target"].any()


def test_hate_flag_with_a_non_personal_qualifier() -> None:
    h = _hits(
        [
            _incident(1, hate_motivated=True),
            _incident(2, hate_motivated=True, qualifier="environmental"),
            _incident(3, hate_motivated=True, qualifier="personal"),
            _incident(4),
        ]
    )
    assert h["hate_not_personal"].tolist() == [True, True, False, False]


def test_repeat_victim_same_place_or_suspect_within_the_window() -> None:
    later = T0 + dt.timedelta(days=20)
    much_later = T0 + dt.timedelta(days=60)
    incidents = [
        _incident(1, location_id=7),
        _incident(2, location_id=7, received_at=later),  # same victim, same place, 20 days
        _incident(3, location_id=8, received_at=much_later),  # same victim, 60 days: no
        _incident(4, location_id=20),  # victim 101 with suspect 500
        _incident(5, location_id=21, received_at=later),  # victim 101, suspect 500 again
        _incident(6, location_id=30),  # a victim seen once
        _incident(7, location_id=7, qualifier="personal"),  # already personal
    ]
    people = [
        (1, 100, "victim"),
        (2, 100, "victim"),
        (3, 100, "victim"),
        (4, 101, "victim"),
        (4, 500, "suspect"),
        (5, 101, "victim"),
        (5, 500, "suspect"),
        (6, 102, "victim"),
        (7, 100, "victim"),
    ]
    h = _hits(incidents, people)["repeat_targeted_victim"]
    assert h.tolist() == [True, True, False, True, True, False, False]


def test_opening_code_personal_by_nature_closed_otherwise() -> None:
    h = _hits(
        [
            _incident(1, opening_code="malicious_communications", closing_code="noise"),
            _incident(2, opening_code="rowdy_nuisance_neighbours", qualifier="environmental"),
            _incident(3, opening_code="malicious_communications", qualifier="personal"),
            _incident(4, opening_code="street_drinking"),
        ]
    )
    assert h["personal_opening_code"].tolist() == [True, True, False, False]


def test_hate_words_without_the_hate_flag() -> None:
    h = _hits(
        [
            _incident(1, narrative="Homophobic language was used towards the victim."),
            _incident(2, narrative="The victim believes they are targeted because of their race."),
            _incident(3, narrative="Religious abuse was shouted.", hate_motivated=True),
            _incident(4, narrative="A disabled parking bay was blocked by a van."),
        ]
    )
    assert h["hate_words_without_flag"].tolist() == [True, True, False, False]


def test_bad_rule_file_is_refused_naming_where(tmp_path: Path) -> None:
    data = json.loads((Path(rules.__file__).parent / "rules" / "recording.json").read_text())
    data["rules"][0]["patterns"] = ["(unclosed"]
    data["rules"][1]["confidence"] = 2
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(InvalidInput) as exc:
        rules.load(str(bad))
    where = " ".join(exc.value.fields)
    assert "rules.0.patterns" in where and "rules.1.confidence" in where
    with pytest.raises(InvalidInput, match="does not exist"):
        rules.load(str(tmp_path / "missing.json"))
    (tmp_path / "not.json").write_text("{")
    with pytest.raises(InvalidInput, match="not JSON"):
        rules.load(str(tmp_path / "not.json"))
