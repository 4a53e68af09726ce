"""ASB Case Reviews: record an application, test it against the threshold, keep its deadlines,
record the panel's review and the applicant's request to review the handling.

The threshold test is triage's (:func:`asbhub.triage.case_review.check` under the area's
policy from ``case_review.json``) applied to the victim's incident history as the store holds
it, plus the reports to other bodies the application names; the call handler's prompt and the
decision therefore cannot disagree. Every service calls ``permissions.require``, reads through
``permissions.restrict`` and audits what it shows or changes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from asbhub.audit.service import AuditAction, record
from asbhub.casereviews import lifecycle, procedure
from asbhub.casereviews.lifecycle import Event, Status
from asbhub.casereviews.models import (
    Applicant,
    AsbCaseReview,
    CaseReviewRecommendation,
    HandlingReview,
    ThresholdBasis,
)
from asbhub.casereviews.schemas import (
    AcknowledgeIn,
    ApplicationIn,
    CaseReviewOut,
    CaseReviewRow,
    DeadlineOut,
    DecisionIn,
    HandlingDecisionIn,
    HandlingRequestIn,
    HandlingReviewOut,
    OutcomeIn,
    RecommendationDoneIn,
    RecommendationOut,
    ReviewIn,
    ThresholdOut,
    WithdrawIn,
)
from asbhub.errors import Conflict, InvalidInput, NotFound
from asbhub.incidents.lifecycle import utcnow
from asbhub.incidents.models import Person, PersonRole
from asbhub.inputs import check_day
from asbhub.permissions import Action, Actor, field_rule, pseudonym, require, restrict
from asbhub.statemachine import events_from
from asbhub.triage import case_review as threshold
from asbhub.triage import queries as history
from asbhub.triage.dates import add_months
from asbhub.triage.rules import CaseReviewRules

WITHHELD = "(withheld)"


def area_name(rules: CaseReviewRules, code: str) -> str:
    area = rules.areas.get(code)
    return area.name if area else code


def _known_area(rules: CaseReviewRules, code: str) -> None:
    if code not in rules.areas:
        known = ", ".join(f"{c} ({a.name})" for c, a in sorted(rules.areas.items()))
        raise InvalidInput(
            f"{code} is not a local authority of this force's case review procedures",
            {"local_authority_code": f"must be one of: {known}"},
        )


def _day(day: dt.date, name: str, after: dt.date | None = None, after_name: str = "") -> None:
    check_day(day, name, today=utcnow().date(), after=after, after_name=after_name)


def _load(session: Session, actor: Actor, case_review_id: int) -> AsbCaseReview:
    stmt = restrict(
        actor,
        select(AsbCaseReview)
        .where(AsbCaseReview.id == case_review_id)
        .options(
            selectinload(AsbCaseReview.recommendations),
            selectinload(AsbCaseReview.handling_reviews),
        ),
        AsbCaseReview,
    )
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no case review {case_review_id}")
    return row


def _subjects(cr: AsbCaseReview) -> list[int]:
    return [cr.victim_person_id] if cr.victim_person_id is not None else []


def _audit(
    session: Session,
    actor: Actor,
    cr: AsbCaseReview,
    event: str,
    action: AuditAction,
    fields: dict[str, Any] | None = None,
) -> None:
    record(
        session,
        actor=actor,
        event=event,
        action=action,
        object_type="case_review",
        object_id=cr.id,
        data_subjects=_subjects(cr),
        fields={"reference": cr.reference, **(fields or {})},
    )


def _begin(session: Session, actor: Actor, case_review_id: int) -> AsbCaseReview:
    """The start of every step after the application: the permission, then the scoped load."""
    require(actor, Action.CASE_REVIEW_DECIDE)
    return _load(session, actor, case_review_id)


def _finish(
    session: Session,
    actor: Actor,
    cr: AsbCaseReview,
    event: str,
    rules: CaseReviewRules,
    fields: dict[str, Any] | None = None,
) -> CaseReviewOut:
    """The end of every step: the audit event of the change, then the case review as shown."""
    _audit(session, actor, cr, event, AuditAction.UPDATE, fields)
    return _out(actor, cr, rules)


def _move(cr: AsbCaseReview, event: Event) -> None:
    cr.status = lifecycle.next_status(cr.status, event)


# --- the threshold -----------------------------------------------------------------------------


def _reports(
    session: Session, actor: Actor, cr: AsbCaseReview, rules: CaseReviewRules, on: dt.datetime
) -> list[threshold.Report]:
    """The victim's reports: their incidents in the store (as victim) within the policy's
    window, and the reports to other bodies the application names."""
    policy = rules.policy(cr.local_authority_code)
    out: list[threshold.Report] = []
    if cr.victim_person_id is not None:
        since = add_months(on, -policy.months - policy.report_within_months)
        for e in history.person_history(
            session, actor, [cr.victim_person_id], PersonRole.VICTIM, (since, on), "person"
        ):
            out.append(
                threshold.Report(
                    e.reference, e.occurred_at or e.received_at, e.received_at, e.hate_motivated
                )
            )
    for r in cr.other_reports:
        out.append(
            threshold.Report(
                f"{r['agency']}:{r['reference']}",
                dt.datetime.fromisoformat(r["occurred_on"]),
                dt.datetime.fromisoformat(r["reported_on"]),
                bool(r.get("hate_motivated")),
            )
        )
    return out


def check_threshold(
    session: Session, *, actor: Actor, case_review_id: int, rules: CaseReviewRules
) -> threshold.CaseReviewResult:
    """What the rules find for the application as of the day it was received (the complaints
    in the months before it), without deciding anything."""
    cr = _begin(session, actor, case_review_id)
    return _check(session, actor, cr, rules)


def _check(
    session: Session, actor: Actor, cr: AsbCaseReview, rules: CaseReviewRules
) -> threshold.CaseReviewResult:
    # The end of the day received: a report made that day is within the window.
    on = dt.datetime.combine(cr.received_on, dt.time(23, 59, 59))
    return threshold.check(
        rules.policy(cr.local_authority_code),
        version=rules.version,
        area=cr.local_authority_code,
        victim_reports=_reports(session, actor, cr, rules, on),
        now=on,
    )


# --- writes ------------------------------------------------------------------------------------


def _next_reference(session: Session, force_code: str, year: int) -> str:
    prefix = f"CR-{year}-"
    n = session.execute(
        select(func.count())
        .select_from(AsbCaseReview)
        .where(AsbCaseReview.force_code == force_code, AsbCaseReview.reference.like(f"{prefix}%"))
    ).scalar_one()
    return f"{prefix}{n + 1:04d}"


def apply(
    session: Session, *, actor: Actor, application: ApplicationIn, rules: CaseReviewRules
) -> CaseReviewOut:
    """Record an application as received; the acknowledgement and decision deadlines run from
    its day."""
    require(actor, Action.CASE_REVIEW_CREATE)
    a = application
    _known_area(rules, a.local_authority_code)
    _day(a.received_on, "received_on")
    for i, r in enumerate(a.other_reports):
        _day(a.received_on, "received_on", r.reported_on, f"other_reports.{i}.reported_on")
    if a.victim_person_id is not None:
        found = session.execute(
            restrict(actor, select(Person.id).where(Person.id == a.victim_person_id), Person)
        ).scalar_one_or_none()
        if found is None:
            raise InvalidInput(
                "the victim is not a person asbhub holds",
                {"victim_person_id": f"no person {a.victim_person_id}"},
            )
    proc = procedure.procedures()
    cr = AsbCaseReview(
        force_code=actor.force_code,
        reference=_next_reference(session, actor.force_code, a.received_on.year),
        local_authority_code=a.local_authority_code,
        status=lifecycle.INITIAL,
        received_on=a.received_on,
        applicant=a.applicant,
        applicant_name=a.applicant_name,
        applicant_relationship=a.applicant_relationship,
        applicant_contact=a.applicant_contact,
        consent_on=a.consent_on,
        consent_recorded_by=actor.display_name if a.applicant is Applicant.ON_BEHALF else None,
        victim_kind=a.victim_kind,
        victim_name=a.victim_name,
        victim_person_id=a.victim_person_id,
        behaviour=a.behaviour,
        other_reports=[r.model_dump(mode="json") for r in a.other_reports],
        casework_case_id=a.casework_case_id,
        procedure_version=proc.version,
        created_at=utcnow(),
        created_by=actor.display_name,
    )
    session.add(cr)
    session.flush()
    _audit(
        session,
        actor,
        cr,
        "casereviews:case_review:create",
        AuditAction.CREATE,
        {"applicant": a.applicant.value, "local_authority_code": a.local_authority_code},
    )
    return _out(actor, cr, rules)


def acknowledge(
    session: Session,
    *,
    actor: Actor,
    case_review_id: int,
    body: AcknowledgeIn,
    rules: CaseReviewRules,
) -> CaseReviewOut:
    cr = _begin(session, actor, case_review_id)
    _day(body.acknowledged_on, "acknowledged_on", cr.received_on, "received_on")
    _move(cr, Event.ACKNOWLEDGE)
    cr.acknowledged_on = body.acknowledged_on
    return _finish(
        session,
        actor,
        cr,
        "casereviews:case_review:acknowledge",
        rules,
        {"acknowledged_on": body.acknowledged_on.isoformat()},
    )


def decide(
    session: Session,
    *,
    actor: Actor,
    case_review_id: int,
    body: DecisionIn,
    rules: CaseReviewRules,
) -> CaseReviewOut:
    """Decide the threshold (s.104(6)) and tell the applicant.

    Where the rules find it met, it is met: s.104(4) leaves no discretion to refuse. Below
    them it may be treated as met on persistence, harm or the adequacy of the response
    (s.104(5)), with a reason; otherwise it is not met.
    """
    cr = _begin(session, actor, case_review_id)
    _day(body.decided_on, "decided_on", cr.acknowledged_on, "acknowledged_on")
    found = _check(session, actor, cr, rules)
    chosen = body.discretion and any(body.discretion.model_dump().values())
    if found.eligible:
        if body.met is False:
            raise InvalidInput(
                "the threshold is met under the rules and must be treated as met (s.104(4))",
                {"met": "; ".join(found.reasons)},
            )
        basis = ThresholdBasis.MANDATORY
    elif body.met and not chosen:
        raise InvalidInput(
            "below the threshold, a decision that it is met must rest on persistence, harm or "
            "the adequacy of the response (s.104(5))",
            {
                "discretion": "choose at least one",
                "met": f"the rules found {len(found.qualifying)} qualifying report(s)",
            },
        )
    elif body.met:
        if not body.reason:
            raise InvalidInput(
                "say why the threshold is treated as met", {"reason": "required with discretion"}
            )
        basis = ThresholdBasis.DISCRETIONARY
    else:
        basis = ThresholdBasis.NOT_MET
    _move(cr, Event.NOT_MEET if basis is ThresholdBasis.NOT_MET else Event.MEET)
    cr.threshold_version = found.version
    cr.threshold_basis = basis
    cr.threshold_decided_on = body.decided_on
    cr.threshold_decided_by = actor.display_name
    cr.threshold_reason = body.reason
    cr.threshold_found = {
        "eligible": found.eligible,
        "qualifying": found.qualifying,
        "late": found.late,
        "reasons": found.reasons,
        "discretion": body.discretion.model_dump() if chosen and body.discretion else None,
    }
    return _finish(
        session,
        actor,
        cr,
        "casereviews:case_review:decide",
        rules,
        {"basis": basis.value, "qualifying": len(found.qualifying), "rules": found.version},
    )


def hold_review(
    session: Session,
    *,
    actor: Actor,
    case_review_id: int,
    body: ReviewIn,
    rules: CaseReviewRules,
) -> CaseReviewOut:
    """The panel's review (s.104(1)): outcome and recommendations, each with its owner."""
    cr = _begin(session, actor, case_review_id)
    _day(body.held_on, "held_on", cr.threshold_decided_on, "the threshold decision")
    for i, r in enumerate(body.recommendations):
        # A due day is in the future by nature: only its order is checked.
        check_day(
            r.due_on,
            f"recommendations.{i}.due_on",
            today=dt.date.max,
            after=body.held_on,
            after_name="held_on",
        )
    _move(cr, Event.HOLD_REVIEW)
    cr.held_on = body.held_on
    cr.chair = body.chair
    cr.independent_chair = body.independent_chair
    cr.victim_attended = body.victim_attended
    cr.outcome = body.outcome
    for r in body.recommendations:
        cr.recommendations.append(
            CaseReviewRecommendation(force_code=cr.force_code, **r.model_dump())
        )
    session.flush()
    return _finish(
        session,
        actor,
        cr,
        "casereviews:case_review:review",
        rules,
        {"held_on": body.held_on.isoformat(), "recommendations": len(body.recommendations)},
    )


def send_outcome(
    session: Session,
    *,
    actor: Actor,
    case_review_id: int,
    body: OutcomeIn,
    rules: CaseReviewRules,
) -> CaseReviewOut:
    cr = _begin(session, actor, case_review_id)
    _day(body.sent_on, "sent_on", cr.held_on, "held_on")
    _move(cr, Event.SEND_OUTCOME)
    cr.outcome_sent_on = body.sent_on
    return _finish(
        session,
        actor,
        cr,
        "casereviews:case_review:outcome",
        rules,
        {"sent_on": body.sent_on.isoformat()},
    )


def withdraw(
    session: Session,
    *,
    actor: Actor,
    case_review_id: int,
    body: WithdrawIn,
    rules: CaseReviewRules,
) -> CaseReviewOut:
    cr = _begin(session, actor, case_review_id)
    _day(body.withdrawn_on, "withdrawn_on", cr.received_on, "received_on")
    _move(cr, Event.WITHDRAW)
    cr.withdrawn_on = body.withdrawn_on
    return _finish(
        session,
        actor,
        cr,
        "casereviews:case_review:withdraw",
        rules,
        {"withdrawn_on": body.withdrawn_on.isoformat(), "reason": body.reason},
    )


def request_handling_review(
    session: Session,
    *,
    actor: Actor,
    case_review_id: int,
    body: HandlingRequestIn,
    rules: CaseReviewRules,
) -> CaseReviewOut:
    """The applicant asks for the handling to be reviewed (Sch.4 para 3), by the body the
    area's procedure names (the PFCC's office in Essex), within its working days."""
    cr = _begin(session, actor, case_review_id)
    told = cr.outcome_sent_on or cr.threshold_decided_on
    _day(body.requested_on, "requested_on", told, "the decision the applicant was told")
    if any(h.decided_on is None for h in cr.handling_reviews):
        raise Conflict(f"{cr.reference} already has a request to review its handling open")
    lifecycle.next_status(cr.status, Event.REQUEST_HANDLING_REVIEW)  # refused unless told
    p = procedure.procedures().procedure(cr.local_authority_code)
    cr.handling_reviews.append(
        HandlingReview(
            force_code=cr.force_code,
            requested_on=body.requested_on,
            grounds=body.grounds,
            reviewed_by=p.handling_review_by,
            due_on=procedure.handling_review_due(p, body.requested_on),
        )
    )
    session.flush()
    _audit(
        session,
        actor,
        cr,
        "casereviews:handling_review:request",
        AuditAction.CREATE,
        {"requested_on": body.requested_on.isoformat(), "reviewed_by": p.handling_review_by},
    )
    return _out(actor, cr, rules)


def decide_handling_review(
    session: Session,
    *,
    actor: Actor,
    case_review_id: int,
    body: HandlingDecisionIn,
    rules: CaseReviewRules,
) -> CaseReviewOut:
    cr = _begin(session, actor, case_review_id)
    open_ = [h for h in cr.handling_reviews if h.decided_on is None]
    if not open_:
        raise Conflict(f"{cr.reference} has no open request to review its handling")
    h = open_[0]
    _day(body.decided_on, "decided_on", h.requested_on, "requested_on")
    h.decided_on, h.upheld, h.response = body.decided_on, body.upheld, body.response
    return _finish(
        session, actor, cr, "casereviews:handling_review:decide", rules, {"upheld": body.upheld}
    )


def complete_recommendation(
    session: Session,
    *,
    actor: Actor,
    case_review_id: int,
    recommendation_id: int,
    body: RecommendationDoneIn,
    rules: CaseReviewRules,
) -> CaseReviewOut:
    cr = _begin(session, actor, case_review_id)
    rec = next((r for r in cr.recommendations if r.id == recommendation_id), None)
    if rec is None:
        raise NotFound(f"no recommendation {recommendation_id} on {cr.reference}")
    _day(body.done_on, "done_on", cr.held_on, "held_on")
    rec.done_on = body.done_on
    return _finish(
        session,
        actor,
        cr,
        "casereviews:recommendation:update",
        rules,
        {"recommendation": rec.id, "done_on": body.done_on.isoformat()},
    )


# --- reads -------------------------------------------------------------------------------------


def get(
    session: Session, *, actor: Actor, case_review_id: int, rules: CaseReviewRules
) -> CaseReviewOut:
    """One case review, audited as a view of the victim's data."""
    require(actor, Action.CASE_REVIEW_VIEW)
    cr = _load(session, actor, case_review_id)
    _audit(session, actor, cr, "casereviews:case_review:view", AuditAction.VIEW)
    return _out(actor, cr, rules)


def list_reviews(
    session: Session,
    *,
    actor: Actor,
    rules: CaseReviewRules,
    status: Status | None = None,
    local_authority_code: str | None = None,
    limit: int = 200,
) -> list[CaseReviewRow]:
    """Case reviews in the actor's scope, newest first, with the next deadline of each.
    Shows references and dates only, so it is audited as a list, with no data subjects."""
    require(actor, Action.CASE_REVIEW_LIST)
    stmt = select(AsbCaseReview).order_by(AsbCaseReview.received_on.desc(), AsbCaseReview.id.desc())
    if status is not None:
        stmt = stmt.where(AsbCaseReview.status == status)
    if local_authority_code:
        stmt = stmt.where(AsbCaseReview.local_authority_code == local_authority_code)
    rows = list(session.execute(restrict(actor, stmt, AsbCaseReview).limit(limit)).scalars())
    record(
        session,
        actor=actor,
        event="casereviews:case_review:list",
        action=AuditAction.SEARCH,
        object_type="case_review",
        query=f"status={status or ''} area={local_authority_code or ''}",
        result_count=len(rows),
    )
    today = utcnow().date()
    out = []
    for cr in rows:
        open_ = [d for d in _deadlines(cr, today) if d.done_on is None]
        out.append(
            CaseReviewRow(
                id=cr.id,
                reference=cr.reference,
                local_authority_code=cr.local_authority_code,
                local_authority=area_name(rules, cr.local_authority_code),
                status=cr.status,
                received_on=cr.received_on,
                next_due=open_[0] if open_ and _live(cr) else None,
            )
        )
    return out


def _live(cr: AsbCaseReview) -> bool:
    return cr.status not in (Status.CLOSED, Status.WITHDRAWN, Status.THRESHOLD_NOT_MET)


def _deadlines(cr: AsbCaseReview, today: dt.date) -> list[DeadlineOut]:
    p = procedure.procedures().procedure(cr.local_authority_code)
    dates = procedure.Dates(
        received_on=cr.received_on,
        acknowledged_on=cr.acknowledged_on,
        decided_on=cr.threshold_decided_on,
        threshold_met=None
        if cr.threshold_basis is None
        else cr.threshold_basis is not ThresholdBasis.NOT_MET,
        held_on=cr.held_on,
        outcome_sent_on=cr.outcome_sent_on,
    )
    out = [
        DeadlineOut(
            milestone=d.milestone.value, due_on=d.due_on, done_on=d.done_on, late=d.late(today)
        )
        for d in procedure.deadlines(p, dates)
    ]
    for h in cr.handling_reviews:
        out.append(
            DeadlineOut(
                milestone=procedure.Milestone.HANDLING_REVIEW.value,
                due_on=h.due_on,
                done_on=h.decided_on,
                late=(h.decided_on or today) > h.due_on,
            )
        )
    return out


def _out(actor: Actor, cr: AsbCaseReview, rules: CaseReviewRules) -> CaseReviewOut:
    rule = field_rule(actor)
    victim = (
        cr.victim_name
        if rule.names
        else (pseudonym(actor, cr.victim_person_id) if cr.victim_person_id else WITHHELD)
    )
    found = cr.threshold_found or {}
    return CaseReviewOut(
        id=cr.id,
        reference=cr.reference,
        local_authority_code=cr.local_authority_code,
        local_authority=area_name(rules, cr.local_authority_code),
        status=cr.status,
        received_on=cr.received_on,
        applicant=cr.applicant,
        applicant_name=cr.applicant_name if rule.names else WITHHELD,
        applicant_relationship=cr.applicant_relationship,
        consent_on=cr.consent_on,
        consent_recorded_by=cr.consent_recorded_by,
        victim_kind=cr.victim_kind,
        victim_name=victim,
        victim_person_id=cr.victim_person_id if rule.names else None,
        behaviour=cr.behaviour if rule.free_text else None,
        other_reports=list(cr.other_reports or []),
        casework_case_id=cr.casework_case_id,
        procedure_version=cr.procedure_version,
        acknowledged_on=cr.acknowledged_on,
        threshold=ThresholdOut(
            version=cr.threshold_version or "",
            basis=cr.threshold_basis,
            met=cr.threshold_basis is not ThresholdBasis.NOT_MET,
            decided_on=cr.threshold_decided_on,
            decided_by=cr.threshold_decided_by or "",
            rules_met=bool(found.get("eligible")),
            qualifying=list(found.get("qualifying", [])),
            late=list(found.get("late", [])),
            reasons=list(found.get("reasons", [])),
            reason=cr.threshold_reason if rule.free_text else None,
        )
        if cr.threshold_basis is not None and cr.threshold_decided_on is not None
        else None,
        held_on=cr.held_on,
        chair=cr.chair,
        independent_chair=cr.independent_chair,
        victim_attended=cr.victim_attended,
        outcome=cr.outcome if rule.free_text else None,
        outcome_sent_on=cr.outcome_sent_on,
        withdrawn_on=cr.withdrawn_on,
        deadlines=_deadlines(cr, utcnow().date()),
        recommendations=[
            RecommendationOut(
                id=r.id,
                text=r.text,
                owner_agency=r.owner_agency,
                owner_name=r.owner_name,
                due_on=r.due_on,
                done_on=r.done_on,
            )
            for r in cr.recommendations
        ],
        handling_reviews=[
            HandlingReviewOut(
                id=h.id,
                requested_on=h.requested_on,
                grounds=h.grounds if rule.free_text else WITHHELD,
                reviewed_by=h.reviewed_by,
                due_on=h.due_on,
                decided_on=h.decided_on,
                upheld=h.upheld,
                response=h.response if rule.free_text else None,
            )
            for h in cr.handling_reviews
        ],
        allowed_events=events_from(lifecycle.TRANSITIONS, cr.status),
    )
