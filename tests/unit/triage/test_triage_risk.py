"""Hand-computed scores and levels of the default question set (domain guide 2.3)."""

from __future__ import annotations

import pytest

from asbhub.errors import InvalidInput
from asbhub.triage import rules
from asbhub.triage.risk import Override, assess
from asbhub.triage.rules import RiskLevel

R = rules.load().risk


def yes(*ids: str) -> dict[str, str]:
    return {q: "yes" for q in ids}


@pytest.mark.parametrize(
    ("answers", "score", "level"),
    [
        ({}, 0, "standard"),
        (yes("q2", "q4", "q5"), 3, "standard"),
        (yes("q2", "q4", "q5", "q6", "q7"), 5, "standard"),  # top of standard
        (yes("q3", "q8", "q9"), 6, "medium"),  # 2 + 2 + 2: bottom of medium
        (yes("q3", "q8", "q9", "q12", "q2", "q4", "q5"), 11, "medium"),  # top of medium
        (yes("q3", "q8", "q9", "q12", "q2", "q4", "q5", "q6"), 12, "high"),  # bottom of high
        (yes("q13", "q14", "q15", "q16"), 4, "standard"),
        (yes("q10"), 0, "high"),  # violence or damage: override item
        (yes("q11"), 0, "high"),  # self-harm: override item
        ({"q2": "no", "q3": "unknown", "q4": "yes"}, 1, "standard"),  # only yes scores
    ],
)
def test_scores_and_levels(answers: dict[str, str], score: int, level: str) -> None:
    r = assess(R, answers=answers)
    assert (r.score, r.computed.value, r.level.value) == (score, level, level)
    assert r.version == "asbhub-default-risk-2026.1"


def test_every_yes_scores_the_weights_sum() -> None:
    # 2 (q1 with its bonus) + 1 + 2 + 1 + 1 + 1 + 1 + 2 + 2 + 0 + 0 + 2 + 1 + 1 + 1 + 1 = 19.
    # (The domain guide says 22; its own weights add up to 19.)
    r = assess(R, answers=yes(*(q.id for q in R.questions)), times_last_3_months=3)
    assert r.score == 19 == R.max_score
    assert r.level is RiskLevel.HIGH


def test_question_one_bonus_needs_three_in_three_months() -> None:
    assert assess(R, answers=yes("q1"), times_last_3_months=2).score == 1
    assert assess(R, answers=yes("q1"), times_last_3_months=3).score == 2
    # The records count as well as the caller's memory.
    assert assess(R, answers=yes("q1"), earlier_victim_incidents_3m=3).score == 2


def test_history_makes_question_one_yes() -> None:
    r = assess(R, answers={"q1": "no"}, earlier_victim_incidents_12m=1)
    assert r.score == 1
    assert "q1 taken as yes" in r.reasons[0]


def test_repeat_victim_with_a_harm_answer_is_medium() -> None:
    assert assess(R, answers=yes("q4"), repeat_victim=True).level is RiskLevel.MEDIUM
    # q2 (targeted) is not a harm item (4-9), so it is not enough.
    assert assess(R, answers=yes("q2"), repeat_victim=True).level is RiskLevel.STANDARD
    assert assess(R, answers=yes("q4"), repeat_victim=False).level is RiskLevel.STANDARD


def test_override_raises_with_a_reason() -> None:
    r = assess(R, answers={}, override=Override(RiskLevel.MEDIUM, "lives alone, elderly", "PC 1"))
    assert (r.computed, r.level) == (RiskLevel.STANDARD, RiskLevel.MEDIUM)
    assert r.override is not None and r.override.reason == "lives alone, elderly"


def test_override_without_a_reason_is_refused() -> None:
    with pytest.raises(InvalidInput) as e:
        assess(R, answers={}, override=Override(RiskLevel.HIGH, "  ", "PC 1"))
    assert "override.reason" in e.value.fields


def test_only_a_supervisor_lowers() -> None:
    o = Override(RiskLevel.STANDARD, "neighbour dispute, both parties", "PC 1")
    kept = assess(R, answers=yes("q10"), override=o)
    assert kept.level is RiskLevel.HIGH and kept.override == o  # kept on record, not applied
    assert "only a supervisor" in kept.reasons[-1]
    lowered = assess(R, answers=yes("q10"), override=o, may_lower=True)
    assert lowered.level is RiskLevel.STANDARD


def test_bad_answers_name_the_question() -> None:
    with pytest.raises(InvalidInput) as e:
        assess(R, answers={"q99": "yes", "q2": "maybe"}, first_contact={"fc9": "no"})
    assert set(e.value.fields) == {"answers.q99", "answers.q2", "first_contact.fc9"}


def test_a_first_contact_yes_prompts_the_full_assessment() -> None:
    assert assess(R, answers={}, first_contact={"fc1": "yes"}).full_assessment_prompted
    assert not assess(R, answers={}, first_contact={"fc1": "no"}).full_assessment_prompted
    assert [q.id for q in R.first_contact] == ["fc1", "fc2", "fc3", "fc4"]
    assert len(R.questions) == 16
