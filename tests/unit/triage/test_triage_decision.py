"""The decision: each always-attend condition, THRIVE otherwise, referral; the reviews."""

from __future__ import annotations

import datetime as dt

import pytest

from asbhub.triage import rules
from asbhub.triage.assessment import History, evaluate
from asbhub.triage.decision import review_schedule
from asbhub.triage.repeats import Earlier
from asbhub.triage.rules import Rank, RiskLevel
from asbhub.triage.schemas import CallIn, DecisionOut

RULES = rules.load()
NOW = dt.datetime(2026, 6, 15, 12, 0)
LOW = {
    e: {"level": "low"}
    for e in ("threat", "harm", "risk", "investigation", "vulnerability", "engagement")
}


def call(**kw: object) -> CallIn:
    base: dict[str, object] = {"incident_type": "rowdy_inconsiderate", "thrive": LOW}
    base.update(kw)
    return CallIn.model_validate(base)


def earlier(n: int) -> list[Earlier]:
    return [Earlier(i, f"E{i}", NOW - dt.timedelta(days=5 * (i + 1)), "person") for i in range(n)]


def run(c: CallIn, h: History | None = None) -> DecisionOut:
    return evaluate(RULES, c, h or History(), now=NOW, by="Call handler")


def test_nothing_found_and_all_low_resolves_by_phone() -> None:
    d = run(call())
    assert (d.outcome, d.grade, d.always_attend, d.partner) == ("resolve", "resolved", [], None)


def test_partner_issue_all_low_is_referred_to_the_owner() -> None:
    d = run(call(incident_type="noise"))
    assert (d.outcome, d.grade, d.partner) == ("refer", "refer", "environmental_health")
    assert d.partner_name == "Council environmental health"
    d = run(
        call(location={"address": "1 High St", "premises_type": "social_housing"}),
        History(premises_type="social_housing", location=[]),
    )
    assert d.partner == "housing_provider"


@pytest.mark.parametrize(
    ("kw", "history", "condition"),
    [
        ({"answers": {"q12": "yes"}}, History(), "vulnerability"),
        ({"first_contact": {"fc4": "yes"}}, History(), "vulnerability"),
        ({}, History(person_vulnerable=["mental health flag"]), "vulnerability"),
        ({"answers": {"q10": "yes"}}, History(), "vulnerability"),  # high risk is vulnerability
        ({"location": {"address": "1 High St"}}, History(location=earlier(2)), "repeat_location"),
        (
            {"suspect": {"forename": "Dan", "surname": "Smith"}},
            History(offender=[]),
            "identifiable_offender",
        ),
        ({"victim": {"person_id": 7}}, History(victim=earlier(2)), "repeat_victim"),
    ],
)
def test_each_always_attend_condition(kw: dict, history: History, condition: str) -> None:
    # Noise, all THRIVE low, would otherwise go to environmental health.
    d = run(call(incident_type="noise", **kw), history)
    assert d.outcome == "attend" and condition in d.always_attend
    assert d.grade == "scheduled"  # the procedure attends; THRIVE alone would not deploy
    assert d.partner == "environmental_health"  # still told: they own the noise


def test_below_the_repeat_threshold_is_not_always_attend() -> None:
    d = run(call(victim={"person_id": 7}), History(victim=earlier(1)))
    assert d.always_attend == [] and d.outcome == "resolve"
    loc = run(call(location={"address": "1 High St"}), History(location=earlier(1)))
    assert loc.always_attend == []


def test_thrive_grade_deploys_without_a_condition() -> None:
    thrive = dict(LOW, threat={"level": "high", "note": "threatened with a knife"})
    d = run(call(thrive=thrive))
    assert (d.outcome, d.grade, d.thrive.grade_number) == ("attend", "priority", 2)


def test_review_schedule_by_level() -> None:
    on = dt.date(2026, 3, 1)
    med = review_schedule(RULES.risk, RiskLevel.MEDIUM, on)
    assert [(r.rank, r.due_on) for r in med] == [
        (Rank.SERGEANT, dt.date(2026, 3, 29)),
        (Rank.INSPECTOR, dt.date(2026, 4, 26)),
    ]
    high = review_schedule(RULES.risk, RiskLevel.HIGH, on)
    assert [(r.rank, r.due_on) for r in high] == [
        (Rank.SERGEANT, dt.date(2026, 3, 15)),
        (Rank.INSPECTOR, dt.date(2026, 3, 29)),
        (Rank.CHIEF_INSPECTOR, dt.date(2026, 4, 26)),
    ]
    assert review_schedule(RULES.risk, RiskLevel.STANDARD, on) == []


def test_decision_carries_the_reviews_and_spoc() -> None:
    d = run(call(answers={"q10": "yes"}, received_at="2026-03-01T10:00:00"))
    assert d.risk.level == "high" and d.spoc_required
    assert [str(r.due_on) for r in d.reviews] == ["2026-03-15", "2026-03-29", "2026-04-26"]
    std = run(call())
    assert std.reviews == [] and not std.spoc_required


def test_case_review_at_the_call_uses_the_victims_history() -> None:
    h = History(victim=earlier(2), local_authority_code="E07000071")
    d = run(call(victim={"person_id": 7}), h)
    assert d.case_review.eligible and d.case_review.inform_caller
    assert d.case_review.qualifying == ["E1", "E0", "this call"]
    hate = run(
        call(victim={"person_id": 7}, hate_motivated=True),
        History(victim=[], local_authority_code="E07000071"),
    )
    assert hate.case_review.eligible
    elsewhere = run(call(victim={"person_id": 7}, hate_motivated=True), History(victim=[]))
    assert not elsewhere.case_review.eligible


def test_versions_are_reported() -> None:
    assert run(call()).versions == RULES.versions()
