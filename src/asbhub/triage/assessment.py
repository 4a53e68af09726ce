"""One triage from a call description and the history found for it: pure, no store.

:func:`evaluate` joins the parts in the order the call handler meets them: the repeats check
(shown first), the risk assessment (whose question 1 the victim's history informs), THRIVE,
the ASB Case Review threshold, then the decision and the reviews it schedules.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from asbhub.triage import case_review, decision, repeats, risk, thrive
from asbhub.triage.dates import add_months
from asbhub.triage.repeats import Earlier, RepeatKind, RepeatResult
from asbhub.triage.rules import Element, Level, Rules
from asbhub.triage.schemas import (
    CallIn,
    CaseReviewOut,
    DecisionOut,
    EarlierOut,
    OverrideOut,
    RepeatOut,
    ReviewOut,
    RiskOut,
    ThriveOut,
)

THIS_CALL = "this call"


@dataclass(frozen=True)
class History:
    """What the store holds about the call's victim, place and suspect. ``None`` means the
    call gave nothing to look up for that kind."""

    victim: list[Earlier] | None = None
    location: list[Earlier] | None = None
    offender: list[Earlier] | None = None
    person_vulnerable: list[str] = field(default_factory=list)
    premises_type: str | None = None
    local_authority_code: str | None = None


def _repeat_out(r: RepeatResult | None, kind: RepeatKind, months: int, rules: Rules) -> RepeatOut:
    if r is None:
        rule = getattr(rules.repeats, kind.value)
        return RepeatOut(
            kind=kind.value,
            checked=False,
            repeat=False,
            count_in_window=0,
            threshold=rule.count,
            window_months=rule.months,
            history_months=months,
            incidents=[],
        )
    return RepeatOut(
        kind=kind.value,
        checked=True,
        repeat=r.repeat,
        count_in_window=r.count_in_window,
        threshold=r.threshold,
        window_months=r.window_months,
        history_months=months,
        incidents=[
            EarlierOut(
                incident_id=e.incident_id,
                reference=e.reference,
                received_at=e.received_at,
                matched_by=e.matched_by,
            )
            for e in r.shown
        ],
    )


def _report(e: Earlier) -> case_review.Report:
    """An earlier incident as a report: reported when received, about when it occurred."""
    return case_review.Report(
        e.reference, e.occurred_at or e.received_at, e.received_at, e.hate_motivated, e.reporter_id
    )


def evaluate(
    rules: Rules,
    call: CallIn,
    history: History,
    *,
    now: dt.datetime,
    by: str,
    may_lower: bool = False,
) -> DecisionOut:
    """The decision for ``call`` given ``history``, as of ``now`` (naive UTC)."""
    received = call.received_at or now
    occurred = call.occurred_at or received
    found: dict[RepeatKind, RepeatResult] = {}
    for kind, earlier in (
        (RepeatKind.VICTIM, history.victim),
        (RepeatKind.LOCATION, history.location),
        (RepeatKind.OFFENDER, history.offender),
    ):
        if earlier is not None:
            found[kind] = repeats.evaluate(rules.repeats, kind, earlier, now=received)
    vic = found.get(RepeatKind.VICTIM)
    shown_victim = vic.shown if vic else []
    override = (
        risk.Override(call.override.level, call.override.reason, by) if call.override else None
    )
    r = risk.assess(
        rules.risk,
        answers=dict(call.answers),
        first_contact=dict(call.first_contact),
        times_last_3_months=call.times_last_3_months,
        earlier_victim_incidents_12m=len(shown_victim),
        earlier_victim_incidents_3m=repeats.count_since(
            shown_victim, add_months(received, -3), received
        ),
        repeat_victim=bool(vic and vic.repeat),
        override=override,
        may_lower=may_lower,
    )
    partner = rules.routing.partner_for(call.incident_type.value, history.premises_type)
    elements = {e: thrive.ThriveElement(t.level, t.note) for e, t in call.thrive.items()}
    t = thrive.grade(rules.thrive, elements, partner_owns=partner is not None)

    hate_q = [q.id for q in rules.risk.questions if q.hate]
    hate_now = call.hate_motivated or any(call.answers.get(q) == "yes" for q in hate_q)
    now_report = case_review.Report(THIS_CALL, occurred, received, hate_now, None)
    victim_reports = [now_report] + [_report(e) for e in shown_victim]
    place = found.get(RepeatKind.LOCATION)
    location_reports = [now_report] + [_report(e) for e in (place.shown if place else [])]
    area = history.local_authority_code
    cr = case_review.check(
        rules.case_review.policy(area),
        version=rules.case_review.version,
        area=area,
        victim_reports=victim_reports if call.the_victim is not None else [now_report],
        location_reports=location_reports,
        now=received,
    )

    vulnerable = list(history.person_vulnerable)
    vq = [q.id for q in rules.risk.questions if q.vulnerability]
    if any(call.answers.get(q) == "yes" for q in vq):
        vulnerable.append("a household vulnerability (" + ", ".join(vq) + " yes)")
    if call.first_contact.get("fc4") == "yes":
        vulnerable.append("disability or long-term illness in the household (first contact)")
    if elements.get(Element.VULNERABILITY) and elements[Element.VULNERABILITY].level is Level.HIGH:
        vulnerable.append("THRIVE vulnerability high")
    d = decision.decide(
        risk_rules=rules.risk,
        thrive_rules=rules.thrive,
        routing=rules.routing,
        risk=r,
        thrive=t,
        repeats=found,
        suspect_named=call.suspect is not None,
        vulnerable=vulnerable,
        partner=partner,
        on=received.date(),
    )
    info = rules.thrive.grades[d.grade]
    months = rules.repeats.history_months
    return DecisionOut(
        versions=rules.versions(),
        assessed_at=now,
        risk=RiskOut(
            version=r.version,
            score=r.score,
            max_score=rules.risk.max_score,
            computed_level=r.computed,
            level=r.level,
            override=OverrideOut(level=r.override.level, reason=r.override.reason, by=r.override.by)
            if r.override
            else None,
            reasons=r.reasons,
            full_assessment_prompted=r.full_assessment_prompted,
        ),
        thrive=ThriveOut(
            version=t.version,
            grade=d.grade,
            grade_number=info.number,
            grade_label=info.label,
            target=info.target,
            reason=t.reason,
            elements=call.thrive,
        ),
        repeats=[_repeat_out(found.get(k), k, months, rules) for k in RepeatKind],
        case_review=CaseReviewOut(
            version=cr.version,
            local_authority=cr.area,
            eligible=cr.eligible,
            qualifying=cr.qualifying,
            late=cr.late,
            reasons=cr.reasons,
            inform_caller=cr.eligible,
        ),
        outcome=d.outcome.value,
        grade=d.grade,
        partner=d.partner,
        partner_name=d.partner_name,
        always_attend=[a.value for a in d.always_attend],
        reasons=d.reasons,
        reviews=[
            ReviewOut(rank=v.rank, due_on=v.due_on, every_days=v.every_days) for v in d.reviews
        ],
        spoc_required=d.spoc_required,
    )
