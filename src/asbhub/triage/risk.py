"""Victim risk assessment: the score, the level it leads to, and the practitioner's override.

Pure functions of the answers and the rule set (domain guide 2.3), so the same inputs give the
same level from a test, the CLI, the API or the call handler's screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from asbhub.errors import InvalidInput
from asbhub.triage.rules import RiskLevel, RiskRules

Answer = Literal["yes", "no", "unknown"]


@dataclass(frozen=True)
class Override:
    """A practitioner's judgement that sets the level; lowering it needs a supervisor."""

    level: RiskLevel
    reason: str
    by: str


@dataclass(frozen=True)
class RiskResult:
    version: str
    score: int
    computed: RiskLevel
    level: RiskLevel
    override: Override | None
    reasons: list[str] = field(default_factory=list)
    full_assessment_prompted: bool = False


def check_answers(rules: RiskRules, answers: dict[str, str], first_contact: dict[str, str]) -> None:
    """Refuse answers to unknown questions or outside yes / no / unknown, naming each."""
    problems: dict[str, str] = {}
    ids = {q.id for q in rules.questions}
    fc_ids = {q.id for q in rules.first_contact}
    for where, given, known in (
        ("answers", answers, ids),
        ("first_contact", first_contact, fc_ids),
    ):
        for qid, value in given.items():
            if qid not in known:
                problems[f"{where}.{qid}"] = f"not a question of {rules.version}"
            elif value not in ("yes", "no", "unknown"):
                problems[f"{where}.{qid}"] = "answer yes, no or unknown"
    if problems:
        raise InvalidInput("some answers are not valid", problems)


def assess(
    rules: RiskRules,
    *,
    answers: dict[str, str],
    first_contact: dict[str, str] | None = None,
    times_last_3_months: int = 0,
    earlier_victim_incidents_12m: int = 0,
    earlier_victim_incidents_3m: int = 0,
    repeat_victim: bool = False,
    override: Override | None = None,
    may_lower: bool = False,
) -> RiskResult:
    """Score the answers and grade them standard / medium / high.

    The force's records count as well as the caller's memory: earlier incidents with this
    victim make question 1 a "yes" and count towards its 3-in-3-months bonus, so finding more
    history can only raise the level, never lower it.
    """
    first_contact = first_contact or {}
    check_answers(rules, answers, first_contact)
    if times_last_3_months < 0:
        raise InvalidInput("a count cannot be negative", {"times_last_3_months": "0 or more"})
    reasons: list[str] = []
    score = 0
    any_override = False
    harm_yes = False
    for q in rules.questions:
        yes = answers.get(q.id) == "yes"
        if q.repeat_bonus is not None and not yes and earlier_victim_incidents_12m > 0:
            yes = True
            reasons.append(
                f"{q.id} taken as yes: {earlier_victim_incidents_12m} earlier incident(s) "
                "with this victim on record"
            )
        if not yes:
            continue
        score += q.weight
        if q.override:
            any_override = True
            reasons.append(f"{q.id} answered yes: sets the level to high")
        harm_yes = harm_yes or q.harm
        if q.repeat_bonus is not None:
            seen = max(times_last_3_months, earlier_victim_incidents_3m)
            if seen >= q.repeat_bonus.count_3_months:
                score += q.repeat_bonus.weight
                reasons.append(f"{q.id}: {seen} times in 3 months (+{q.repeat_bonus.weight})")
    t = rules.thresholds
    if any_override:
        computed = RiskLevel.HIGH
    elif score >= t.high:
        computed = RiskLevel.HIGH
        reasons.append(f"score {score} is {t.high} or more")
    elif score >= t.medium:
        computed = RiskLevel.MEDIUM
        reasons.append(f"score {score} is {t.medium} to {t.high - 1}")
    elif repeat_victim and harm_yes:
        computed = rules.repeat_victim_with_harm
        reasons.append("repeat victim with at least one harm question answered yes")
    else:
        computed = RiskLevel.STANDARD
    level = computed
    if override is not None:
        if not override.reason.strip():
            raise InvalidInput(
                "an override needs a reason", {"override.reason": "say why the level differs"}
            )
        if may_lower or override.level.rank >= computed.rank:
            level = override.level
            reasons.append(
                f"level set to {level.value} by {override.by}: {override.reason.strip()}"
            )
        else:
            # Kept on the record, but a raise can never pull the level below what the answers
            # give: lowering is a supervisor's decision (domain guide 2.3).
            reasons.append(
                f"{override.by} judged {override.level.value} ({override.reason.strip()}); "
                f"the answers give {computed.value}, and only a supervisor may lower it"
            )
    prompted = any(v == "yes" for v in first_contact.values())
    return RiskResult(
        version=rules.version,
        score=score,
        computed=computed,
        level=level,
        override=override,
        reasons=reasons,
        full_assessment_prompted=prompted,
    )
