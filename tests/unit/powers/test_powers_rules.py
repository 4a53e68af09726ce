"""The rules table as data: the packaged file validates, a force's own replaces it, and a bad
file is refused naming where."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from pathlib import Path

import pytest

from asbhub.errors import InvalidInput
from asbhub.powers import rules


def packaged() -> dict[str, object]:
    text = (resources.files("asbhub.powers") / "rules" / "powers.json").read_text("utf-8")
    return json.loads(text)


def test_the_packaged_table_covers_every_power_of_the_issue() -> None:
    table = rules.load()
    assert set(table.powers) == {
        "CPW",
        "CPN",
        "FPN_CPN",
        "FPN_PSPO",
        "CIVIL_INJUNCTION",
        "CBO",
        "DISPERSAL_AUTH",
        "DISPERSAL_DIRECTION",
        "PSPO",
        "CLOSURE_NOTICE",
        "CLOSURE_ORDER",
        "ABSOLUTE_GROUND",
        "RESPECT_ORDER",
    }
    assert all(c.in_force is None for c in table.changes)  # commencement unconfirmed
    for pid, p in table.powers.items():
        assert p.basis and p.breach.text, pid
        assert p.issuers, pid


def test_a_forces_own_file_replaces_the_packaged_one(tmp_path: Path) -> None:
    own = packaged()
    own["version"] = "essex-powers-2026.2"
    own["changes"][2]["in_force"] = "2026-06-29"  # type: ignore[index]
    (tmp_path / "powers.json").write_text(json.dumps(own), "utf-8")
    table = rules.Table(rules.load(str(tmp_path)))
    assert table.version == "essex-powers-2026.2+0"
    assert table.resolve("DISPERSAL_AUTH", dt.date(2026, 7, 1))["duration"]["max"] == "PT72H"
    assert table.resolve("DISPERSAL_AUTH", dt.date(2026, 6, 1))["duration"]["max"] == "PT48H"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d["powers"]["CPN"].pop("basis"), "powers.CPN.basis"),
        (
            lambda d: d["powers"]["PSPO"]["duration"].update(max="three years"),
            "powers.PSPO.duration",
        ),
        (lambda d: d["powers"]["CPW"]["issuers"][0].update(who="mayor"), "powers.CPW.issuers.0"),
        (
            lambda d: d["powers"]["FPN_CPN"]["max_amount_gbp"][1].update(change="cpa2027"),
            "powers.json: ",
        ),
    ],
)
def test_a_bad_file_is_refused_naming_where(tmp_path: Path, change, where: str) -> None:  # type: ignore[no-untyped-def]
    own = packaged()
    change(own)
    (tmp_path / "powers.json").write_text(json.dumps(own), "utf-8")
    with pytest.raises(InvalidInput, match="not valid") as e:
        rules.load(str(tmp_path))
    assert any(where in k for k in e.value.fields), e.value.fields


def test_not_json_and_no_folder(tmp_path: Path) -> None:
    (tmp_path / "powers.json").write_text("{", "utf-8")
    with pytest.raises(InvalidInput, match="not valid JSON") as e:
        rules.load(str(tmp_path))
    assert any("powers.json:1" in k for k in e.value.fields)
    with pytest.raises(InvalidInput, match="does not exist"):
        rules.load(str(tmp_path / "missing"))
