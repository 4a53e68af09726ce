"""The response decision and the reviews it schedules (domain guide 4.1, 4.2, 4.4).

The force procedure (seed report, "Policy and procedure") always responds where there is
vulnerability, a repeat location, an identifiable offender or a repeat victim; otherwise the
THRIVE grade decides between deploying, resolving by phone and referring to the partner whose
job it is.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from asbhub.triage.repeats import RepeatKind, RepeatResult
from asbhub.triage.risk import RiskResult
from asbhub.triage.rules import Grade, Rank, RiskLevel, RiskRules, RoutingRules, ThriveRules
from asbhub.triage.thrive import ThriveResult


class Outcome(enum.StrEnum):
    ATTEND = "attend"
    RESOLVE = "resolve"
    REFER = "refer"


class AlwaysAttend(enum.StrEnum):
    VULNERABILITY = "vulnerability"
    REPEAT_LOCATION = "repeat_location"
    IDENTIFIABLE_OFFENDER = "identifiable_offender"
    REPEAT_VICTIM = "repeat_victim"


@dataclass(frozen=True)
class ScheduledReview:
    rank: Rank
    due_on: dt.date
    every_days: int


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    grade: Grade
    partner: str | None
    partner_name: str | None
    always_attend: list[AlwaysAttend]
    reasons: list[str] = field(default_factory=list)
    reviews: list[ScheduledReview] = field(default_factory=list)
    spoc_required: bool = False


def review_schedule(rules: RiskRules, level: RiskLevel, on: dt.date) -> list[ScheduledReview]:
    """The first review of each rank the level requires, ``every_days`` after ``on``; each
    completed review schedules the next of its rank."""
    return [
        ScheduledReview(r.rank, on + dt.timedelta(days=r.every_days), r.every_days)
        for r in rules.reviews.get(level, [])
    ]


def decide(
    *,
    risk_rules: RiskRules,
    thrive_rules: ThriveRules,
    routing: RoutingRules,
    risk: RiskResult,
    thrive: ThriveResult,
    repeats: dict[RepeatKind, RepeatResult],
    suspect_named: bool,
    vulnerable: list[str],
    partner: str | None,
    on: dt.date,
) -> Decision:
    """Attend, resolve or refer, with every reason that led there.

    ``vulnerable`` lists the vulnerability found outside the risk level (a flag on the
    person, a "yes" to the disability question, THRIVE vulnerability high); a medium or high
    risk level is itself vulnerability (domain guide 3.1).
    """
    always: list[AlwaysAttend] = []
    reasons: list[str] = []
    if risk.level is not RiskLevel.STANDARD or vulnerable:
        always.append(AlwaysAttend.VULNERABILITY)
        why = [f"risk {risk.level.value}"] if risk.level is not RiskLevel.STANDARD else []
        reasons.append("vulnerability: " + "; ".join(why + vulnerable))
    loc = repeats.get(RepeatKind.LOCATION)
    if loc is not None and loc.repeat:
        always.append(AlwaysAttend.REPEAT_LOCATION)
        reasons.append(
            f"repeat location: {loc.count_in_window} earlier in {loc.window_months} months"
        )
    if suspect_named:
        always.append(AlwaysAttend.IDENTIFIABLE_OFFENDER)
        reasons.append("identifiable offender: a named suspect")
    vic = repeats.get(RepeatKind.VICTIM)
    if vic is not None and vic.repeat:
        always.append(AlwaysAttend.REPEAT_VICTIM)
        reasons.append(
            f"repeat victim: {vic.count_in_window} earlier in {vic.window_months} months"
        )
    reasons.append(thrive.reason)
    grade = thrive.grade
    partner_name = routing.partners.get(partner) if partner else None
    if always:
        if not thrive_rules.grades[grade].deploy:
            grade = thrive_rules.always_attend_grade
            reasons.append(
                f"the force procedure always attends here: graded {grade.value}, not "
                f"{thrive.grade.value}"
            )
        outcome = Outcome.ATTEND
    elif thrive_rules.grades[grade].deploy:
        outcome = Outcome.ATTEND
    elif grade is Grade.REFER and partner:
        outcome = Outcome.REFER
        reasons.append(f"refer to {partner_name}: the partner owns this issue")
    else:
        outcome = Outcome.RESOLVE
        grade = Grade.RESOLVED
        reasons.append("resolve by phone: advice, and how to report again")
    if outcome is Outcome.ATTEND and partner:
        reasons.append(f"also inform {partner_name}, who owns the issue")
    return Decision(
        outcome=outcome,
        grade=grade,
        partner=partner,
        partner_name=partner_name if partner else None,
        always_attend=always,
        reasons=reasons,
        reviews=review_schedule(risk_rules, risk.level, on),
        spoc_required=risk.level in risk_rules.spoc_levels,
    )
