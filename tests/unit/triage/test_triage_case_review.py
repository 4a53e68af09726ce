"""The ASB Case Review threshold at the call (2014 Act s.104; Essex areas; local additions)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from asbhub.errors import InvalidInput
from asbhub.triage import rules
from asbhub.triage.case_review import CaseReviewResult, Report, check
from asbhub.triage.rules import CaseReviewPolicy, LocationRule

CR = rules.load().case_review
NOW = dt.datetime(2026, 6, 15, 12, 0)
DEFAULT = CR.default
ESSEX = CR.policy("E07000071")  # Colchester


def rep(
    ref: str, days_ago: int, late_days: int = 0, hate: bool = False, who: int | None = None
) -> Report:
    reported = NOW - dt.timedelta(days=days_ago)
    return Report(ref, reported - dt.timedelta(days=late_days), reported, hate, who)


def run(
    policy: CaseReviewPolicy, reports: list[Report], place: Sequence[Report] = ()
) -> CaseReviewResult:
    return check(
        policy, version="v", area=None, victim_reports=reports, location_reports=place, now=NOW
    )


def test_three_prompt_reports_in_six_months_meet_it() -> None:
    r = run(DEFAULT, [rep("A", 0), rep("B", 40, 3), rep("C", 170, 10)])
    assert r.eligible and r.qualifying == ["C", "B", "A"]


def test_two_reports_do_not() -> None:
    assert not run(DEFAULT, [rep("A", 0), rep("B", 40)]).eligible


def test_a_report_older_than_six_months_does_not_count() -> None:
    r = run(DEFAULT, [rep("A", 0), rep("B", 40), rep("C", 190)])  # 15 Dec is 182 days back
    assert not r.eligible and r.qualifying == ["B", "A"]


def test_one_month_reporting_rule() -> None:
    # B was reported 40 days after the behaviour: not a qualifying complaint (s.104(11)).
    r = run(DEFAULT, [rep("A", 0), rep("B", 30, late_days=40), rep("C", 60)])
    assert not r.eligible and r.late == ["B"]


def test_one_month_is_a_calendar_month() -> None:
    occurred = dt.datetime(2026, 1, 31, 20, 0)
    on_time = Report("T", occurred, dt.datetime(2026, 2, 28, 20, 0))
    late = Report("L", occurred, dt.datetime(2026, 3, 1, 9, 0))
    now = dt.datetime(2026, 3, 2)
    out = check(DEFAULT, version="v", area=None, victim_reports=[on_time, late], now=now)
    assert out.qualifying == ["T"] and out.late == ["L"]


def test_essex_hate_rule_one_report_is_enough() -> None:
    assert run(ESSEX, [rep("A", 0, hate=True)]).eligible
    assert not run(DEFAULT, [rep("A", 0, hate=True)]).eligible  # not a default rule
    assert not run(ESSEX, [rep("A", 0)]).eligible
    # A late hate report is not a qualifying complaint either.
    assert not run(ESSEX, [rep("A", 0, late_days=45, hate=True)]).eligible


def test_every_essex_area_has_the_hate_rule() -> None:
    assert len(CR.areas) == 14
    assert all(CR.policy(code).hate_single for code in CR.areas)
    assert CR.policy("E09000001") == DEFAULT  # an area with no policy of its own


def test_several_people_about_one_place() -> None:
    policy = DEFAULT.model_copy(update={"location": LocationRule(reports=5, reporters=3)})
    place = [rep(f"P{i}", 10 * i, who=i % 3) for i in range(5)]
    assert run(policy, [rep("A", 0)], place).eligible
    two_people = [rep(f"P{i}", 10 * i, who=i % 2) for i in range(5)]
    assert not run(policy, [rep("A", 0)], two_people).eligible
    assert not run(DEFAULT, [rep("A", 0)], place).eligible  # the rule is optional


def test_the_same_incident_to_several_agencies_counts_once() -> None:
    assert not run(DEFAULT, [rep("A", 0), rep("B", 10), rep("B", 10)]).eligible


def test_a_policy_above_the_statutory_three_is_refused(tmp_path: Path) -> None:
    data = json.loads((Path(rules.__file__).parent / "rules" / "case_review.json").read_text())
    data["default"]["reports"] = 4
    (tmp_path / "case_review.json").write_text(json.dumps(data))
    with pytest.raises(InvalidInput) as e:
        rules.load(str(tmp_path))
    assert any("default.reports" in k for k in e.value.fields)
