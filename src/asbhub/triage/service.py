"""Triage at first contact and the incident's life after it.

Keyword-only services ``fn(session, *, actor, ...)``: each checks the policy, narrows what it
reads to the actor's scope, changes state through :mod:`asbhub.incidents.lifecycle` and
records who did what in the audit trail. The rule sets are passed in (the caller loads them
from its settings), so a test, the CLI and the web app run the same code.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from asbhub.audit.service import AuditAction, record
from asbhub.auth.models import User
from asbhub.errors import InvalidInput, NotFound
from asbhub.incidents import lifecycle
from asbhub.incidents.lifecycle import Event
from asbhub.incidents.models import (
    INCIDENT_TYPE_LABELS,
    Incident,
    IncidentAssignment,
    IncidentPerson,
    IncidentStatus,
    IncidentStatusChange,
    IncidentType,
    PersonRole,
    Qualifier,
)
from asbhub.permissions import Action, Actor, Role, allowed, require, restrict
from asbhub.triage import queries
from asbhub.triage.assessment import History, evaluate
from asbhub.triage.dates import add_months
from asbhub.triage.models import TriageAssessment, TriageReview
from asbhub.triage.repeats import RepeatKind
from asbhub.triage.rules import Rules
from asbhub.triage.schemas import (
    AssessmentSummary,
    AssignedRow,
    CallIn,
    DecisionOut,
    IncidentLife,
    LocationIn,
    ReviewOut,
    ReviewRow,
    StatusChangeOut,
    TriageRecordOut,
)

FIELD_ROLES = frozenset({Role.OFFICER, Role.ASB_OFFICER, Role.SUPERVISOR})


def utcnow() -> dt.datetime:
    return lifecycle.utcnow()


def _history(
    session: Session,
    actor: Actor,
    rules: Rules,
    call: CallIn,
    now: dt.datetime,
    incident: Incident | None,
) -> tuple[History, list[int]]:
    """Find the call's victim, place and suspect in the store, and their incidents."""
    received = call.received_at or now
    window = (add_months(received, -rules.repeats.history_months), received)
    exclude = incident.id if incident else None
    subjects: list[int] = []
    victim = offender = location = None
    vulnerable: list[str] = []
    if (who := call.the_victim) is not None:
        m = queries.find_person(session, actor, who)
        subjects += m.ids
        vulnerable += m.vulnerable
        victim = queries.person_history(
            session, actor, m.ids, PersonRole.VICTIM, window, m.matched_by, exclude
        )
    if call.suspect is not None:
        m = queries.find_person(session, actor, call.suspect)
        subjects += m.ids
        offender = queries.person_history(
            session, actor, m.ids, PersonRole.SUSPECT, window, m.matched_by, exclude
        )
    where = call.location
    if where is None and incident is not None:
        if incident.location_id is not None:
            where = LocationIn(location_id=incident.location_id)
        elif incident.longitude is not None and incident.latitude is not None:
            where = LocationIn(longitude=incident.longitude, latitude=incident.latitude)
    la = incident.local_authority_code if incident else None
    premises = None
    if where is not None:
        place = queries.find_place(session, actor, where)
        location = queries.place_history(
            session, actor, place, rules.repeats.location.radius_m, window, exclude
        )
        la = la or place.local_authority_code
        premises = place.premises_type
    return (
        History(
            victim=victim,
            location=location,
            offender=offender,
            person_vulnerable=vulnerable,
            premises_type=premises,
            local_authority_code=la,
        ),
        subjects,
    )


def _decide(
    session: Session,
    actor: Actor,
    rules: Rules,
    call: CallIn,
    now: dt.datetime,
    incident: Incident | None = None,
) -> tuple[DecisionOut, list[int]]:
    history, subjects = _history(session, actor, rules, call, now, incident)
    decision = evaluate(
        rules,
        call,
        history,
        now=now,
        by=actor.display_name,
        may_lower=allowed(actor, Action.TRIAGE_RISK_LOWER),
    )
    return decision, subjects


def assess(
    session: Session, *, actor: Actor, call: CallIn, rules: Rules, now: dt.datetime | None = None
) -> DecisionOut:
    """The decision for a call, with the history found, without recording it.

    Looking up a caller's, victim's or suspect's history reads personal data, so it is audited.
    """
    require(actor, Action.TRIAGE_ASSESS)
    now = now or utcnow()
    decision, subjects = _decide(session, actor, rules, call, now)
    record(
        session,
        actor=actor,
        event="triage:call:assess",
        action=AuditAction.SEARCH,
        object_type="call",
        data_subjects=subjects,
        result_count=sum(len(r.incidents) for r in decision.repeats),
    )
    return decision


def _load(session: Session, actor: Actor, incident_id: int) -> Incident:
    stmt = restrict(actor, select(Incident).where(Incident.id == incident_id), Incident)
    incident = session.execute(stmt).scalar_one_or_none()
    if incident is None:
        raise NotFound(f"incident {incident_id} not found")
    return incident


def _begin(
    session: Session, actor: Actor, action: Action, incident_id: int, now: dt.datetime | None
) -> tuple[Incident, dt.datetime]:
    """The permission check and scoped load every change of an incident's life starts with."""
    require(actor, action)
    return _load(session, actor, incident_id), now or utcnow()


def _finish(session: Session, actor: Actor, event: str, incident: Incident) -> IncidentLife:
    """Audit the change against the incident's people and answer with its life as it now is."""
    _audit_change(session, actor, event, incident)
    return life(session, actor=actor, incident_id=incident.id)


def _user(session: Session, actor: Actor, username: str, field: str) -> User:
    user = session.execute(
        select(User).where(
            User.username == username.strip(),
            User.force_code == actor.force_code,
            User.active.is_(True),
        )
    ).scalar_one_or_none()
    if user is None:
        raise InvalidInput(f"no active account {username!r}", {field: "not an active account"})
    return user


def record_triage(
    session: Session,
    *,
    actor: Actor,
    incident_id: int,
    call: CallIn,
    rules: Rules,
    now: dt.datetime | None = None,
) -> TriageRecordOut:
    """Assess and decide for a stored incident, and record it all.

    The first triage moves a new incident to triaged, and on to referred or resolved where
    that is the decision; a later one (a re-THRIVE) adds an assessment and leaves the status.
    Refused, with nothing stored, when the Case Review threshold is met but the caller was not
    told, or when the level needs a single point of contact and none is named.
    """
    require(actor, Action.TRIAGE_RECORD)
    now = now or utcnow()
    incident = _load(session, actor, incident_id)
    if call.received_at is None:
        call = call.model_copy(update={"received_at": incident.received_at})
    decision, subjects = _decide(session, actor, rules, call, now, incident)
    problems: dict[str, str] = {}
    if decision.case_review.eligible and not call.case_review_informed:
        problems["case_review_informed"] = (
            "the ASB Case Review threshold is met: tell the caller of the right to a review, "
            "and record that you did"
        )
    spoc: User | None = None
    if call.spoc:
        spoc = _user(session, actor, call.spoc, "spoc")
    elif decision.spoc_required:
        problems["spoc"] = (
            f"a {decision.risk.level.value} risk case names a single point of contact"
        )
    if problems:
        raise InvalidInput("the triage cannot be recorded yet", problems)
    first = incident.status is IncidentStatus.NEW
    seq = 1 + int(
        session.execute(
            select(func.count()).where(
                TriageAssessment.force_code == incident.force_code,
                TriageAssessment.incident_id == incident.id,
            )
        ).scalar_one()
    )
    flags = {r.kind: r.repeat for r in decision.repeats}
    v = decision.versions
    row = TriageAssessment(
        force_code=incident.force_code,
        incident_id=incident.id,
        seq=seq,
        created_at=now,
        actor_user_id=actor.user_id or None,
        actor_name=actor.display_name,
        occurred_at=call.occurred_at or call.received_at,
        risk_version=v["risk"],
        thrive_version=v["thrive"],
        repeats_version=v["repeats"],
        case_review_version=v["case_review"],
        routing_version=v["routing"],
        risk_score=decision.risk.score,
        risk_computed=decision.risk.computed_level,
        risk_level=decision.risk.level,
        override_level=decision.risk.override.level if decision.risk.override else None,
        override_reason=decision.risk.override.reason if decision.risk.override else None,
        override_by=decision.risk.override.by if decision.risk.override else None,
        grade=decision.grade,
        outcome=decision.outcome,
        partner=decision.partner,
        repeat_victim=flags[RepeatKind.VICTIM.value],
        repeat_location=flags[RepeatKind.LOCATION.value],
        repeat_offender=flags[RepeatKind.OFFENDER.value],
        case_review_eligible=decision.case_review.eligible,
        case_review_informed=call.case_review_informed,
        spoc_user_id=spoc.id if spoc else None,
        spoc_name=spoc.display_name if spoc else None,
        call=call.model_dump(mode="json"),
        decision=decision.model_dump(mode="json"),
    )
    session.add(row)
    session.flush()
    # A fresh assessment supersedes the reviews the last one scheduled.
    for old in session.execute(
        select(TriageReview).where(
            TriageReview.force_code == incident.force_code,
            TriageReview.incident_id == incident.id,
            TriageReview.done_at.is_(None),
        )
    ).scalars():
        old.done_at, old.done_by, old.note = (
            now,
            actor.display_name,
            f"superseded by assessment {seq}",
        )
    for r in decision.reviews:
        session.add(
            TriageReview(
                force_code=incident.force_code,
                assessment_id=row.id,
                incident_id=incident.id,
                rank=r.rank,
                risk_level=decision.risk.level,
                due_on=r.due_on,
                every_days=r.every_days,
            )
        )
    why = "; ".join(decision.reasons)
    details = {"assessment": seq, "risk": decision.risk.level.value, "grade": decision.grade.value}
    event = Event.TRIAGE if first else Event.REASSESS
    lifecycle.apply(
        session, actor=actor, incident=incident, event=event, reason=why, details=details, at=now
    )
    if first and decision.outcome == "refer":
        lifecycle.apply(
            session,
            actor=actor,
            incident=incident,
            event=Event.REFER,
            reason=f"referred to {decision.partner_name}",
            details={"partner": decision.partner},
            at=now,
        )
    elif first and decision.outcome == "resolve":
        lifecycle.apply(
            session,
            actor=actor,
            incident=incident,
            event=Event.RESOLVE,
            reason="resolved by phone without deployment",
            at=now,
        )
    record(
        session,
        actor=actor,
        event="triage:assessment:create",
        action=AuditAction.CREATE,
        object_type="incident",
        object_id=incident.id,
        data_subjects=subjects,
        fields={"assessment": seq, "risk": decision.risk.level.value, "outcome": decision.outcome},
    )
    return TriageRecordOut(
        assessment_id=row.id,
        incident_id=incident.id,
        reference=incident.reference,
        seq=seq,
        status=incident.status.value,
        decision=decision,
    )


def _current_assignment(session: Session, incident: Incident) -> IncidentAssignment | None:
    return session.execute(
        select(IncidentAssignment).where(
            IncidentAssignment.force_code == incident.force_code,
            IncidentAssignment.incident_id == incident.id,
            IncidentAssignment.ended_at.is_(None),
        )
    ).scalar_one_or_none()


def assign(
    session: Session,
    *,
    actor: Actor,
    incident_id: int,
    assignee: str | None = None,
    team: str | None = None,
    reason: str | None = None,
    now: dt.datetime | None = None,
) -> IncidentLife:
    """Give the incident to an officer (by username) or a team; hands over any current one."""
    incident, now = _begin(session, actor, Action.INCIDENT_ASSIGN, incident_id, now)
    team = (team or "").strip() or None
    if not assignee and not team:
        raise InvalidInput("assign to an officer or a team", {"assignee": "choose an officer"})
    user = _user(session, actor, assignee, "assignee") if assignee else None
    if user is not None and Role(user.role) not in FIELD_ROLES:
        raise InvalidInput(
            "incidents are assigned to officers", {"assignee": f"{user.username} is a {user.role}"}
        )
    old = _current_assignment(session, incident)
    lifecycle.apply(
        session,
        actor=actor,
        incident=incident,
        event=Event.ASSIGN,
        reason=reason,
        details={
            "assignee": user.username if user else None,
            "team": team,
            "previous": old.assignee_name or old.team if old else None,
        },
        at=now,
    )
    if old is not None:
        old.ended_at = now
    session.add(
        IncidentAssignment(
            force_code=incident.force_code,
            incident_id=incident.id,
            assignee_user_id=user.id if user else None,
            assignee_name=user.display_name if user else None,
            team=team,
            assigned_at=now,
            assigned_by=actor.display_name,
        )
    )
    return _finish(session, actor, "incidents:incident:assign", incident)


def attend(
    session: Session,
    *,
    actor: Actor,
    incident_id: int,
    attended_at: dt.datetime,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> IncidentLife:
    """Record that police attended, and when."""
    incident, now = _begin(session, actor, Action.INCIDENT_ATTEND, incident_id, now)
    if attended_at.tzinfo is not None:
        attended_at = attended_at.astimezone(dt.UTC).replace(tzinfo=None)
    # Forms give the minute only, so the minute the incident came in is allowed.
    earliest = incident.received_at.replace(second=0, microsecond=0)
    if attended_at < earliest or attended_at > now + dt.timedelta(minutes=5):
        raise InvalidInput(
            "the attendance time is not possible",
            {"attended_at": "between the time it was received and now"},
        )
    lifecycle.apply(
        session,
        actor=actor,
        incident=incident,
        event=Event.ATTEND,
        reason=note,
        details={
            "attended_at": attended_at.isoformat(),
            "previous": incident.attended_at.isoformat() if incident.attended_at else None,
        },
        at=now,
    )
    incident.attended, incident.attended_at = True, attended_at
    return _finish(session, actor, "incidents:incident:attend", incident)


def close(
    session: Session,
    *,
    actor: Actor,
    incident_id: int,
    closing_code: IncidentType,
    qualifier: Qualifier,
    qualifier_confirmed: bool,
    reason: str,
    now: dt.datetime | None = None,
) -> IncidentLife:
    """Close with the closing code and the qualifier (NSIR returns count the closing
    classification); the opening code and any earlier values stay in the history."""
    incident, now = _begin(session, actor, Action.INCIDENT_CLOSE, incident_id, now)
    if not qualifier_confirmed:
        raise InvalidInput(
            "confirm the qualifier before closing",
            {"qualifier_confirmed": "national returns count the closing classification"},
        )
    lifecycle.apply(
        session,
        actor=actor,
        incident=incident,
        event=Event.CLOSE,
        reason=reason,
        details={
            "closing_code": closing_code.value,
            "qualifier": qualifier.value,
            "opening_code": incident.opening_code.value,
            "previous_closing_code": incident.closing_code.value if incident.closing_code else None,
            "previous_qualifier": incident.qualifier.value if incident.qualifier else None,
            "reclassified": closing_code is not incident.opening_code,
        },
        at=now,
    )
    old = _current_assignment(session, incident)
    if old is not None:
        old.ended_at = now
    for r in session.execute(
        select(TriageReview).where(
            TriageReview.force_code == incident.force_code,
            TriageReview.incident_id == incident.id,
            TriageReview.done_at.is_(None),
        )
    ).scalars():
        r.done_at, r.done_by, r.note = now, actor.display_name, "incident closed"
    incident.closing_code, incident.qualifier = closing_code, qualifier
    return _finish(session, actor, "incidents:incident:close", incident)


def _audit_change(session: Session, actor: Actor, event: str, incident: Incident) -> None:
    people = session.execute(
        select(IncidentPerson.person_id).where(
            IncidentPerson.force_code == incident.force_code,
            IncidentPerson.incident_id == incident.id,
        )
    ).scalars()
    record(
        session,
        actor=actor,
        event=event,
        action=AuditAction.UPDATE,
        object_type="incident",
        object_id=incident.id,
        data_subjects=list(people),
    )


def life(session: Session, *, actor: Actor, incident_id: int) -> IncidentLife:
    """The incident's assessments, status history, assignment and open reviews."""
    require(actor, Action.INCIDENT_VIEW)
    incident = _load(session, actor, incident_id)
    rows = session.execute(
        select(TriageAssessment)
        .where(
            TriageAssessment.force_code == incident.force_code,
            TriageAssessment.incident_id == incident.id,
        )
        .order_by(TriageAssessment.seq)
    ).scalars()
    assessments = [
        AssessmentSummary(
            id=a.id,
            seq=a.seq,
            created_at=a.created_at,
            by=a.actor_name,
            risk_level=a.risk_level,
            risk_score=a.risk_score,
            grade=a.grade,
            outcome=a.outcome,
            partner_name=a.decision.get("partner_name"),
            case_review_eligible=a.case_review_eligible,
            case_review_informed=a.case_review_informed,
            spoc_name=a.spoc_name,
            versions={
                "risk": a.risk_version,
                "thrive": a.thrive_version,
                "repeats": a.repeats_version,
                "case_review": a.case_review_version,
                "routing": a.routing_version,
            },
            reasons=list(a.decision.get("reasons", [])),
        )
        for a in rows
    ]
    history = [
        StatusChangeOut(
            at=c.at,
            event=c.event,
            from_status=c.from_status.value,
            to_status=c.to_status.value,
            by=c.actor_name,
            reason=c.reason,
            details=c.details or {},
        )
        for c in session.execute(
            select(IncidentStatusChange)
            .where(
                IncidentStatusChange.force_code == incident.force_code,
                IncidentStatusChange.incident_id == incident.id,
            )
            .order_by(IncidentStatusChange.id)
        ).scalars()
    ]
    current = _current_assignment(session, incident)
    reviews = session.execute(
        select(TriageReview)
        .where(
            TriageReview.force_code == incident.force_code,
            TriageReview.incident_id == incident.id,
            TriageReview.done_at.is_(None),
        )
        .order_by(TriageReview.due_on)
    ).scalars()
    return IncidentLife(
        incident_id=incident.id,
        reference=incident.reference,
        status=incident.status.value,
        allowed=[e.value for e in lifecycle.allowed_events(incident.status)],
        assessments=assessments,
        history=history,
        assignee=current.assignee_name if current else None,
        team=current.team if current else None,
        attended_at=incident.attended_at,
        open_reviews=[
            ReviewOut(rank=r.rank, due_on=r.due_on, every_days=r.every_days) for r in reviews
        ],
    )


def review_queue(
    session: Session,
    *,
    actor: Actor,
    today: dt.date | None = None,
    within_days: int = 7,
    limit: int = 200,
) -> list[ReviewRow]:
    """Open reviews of medium and high risk cases due within ``within_days`` or overdue,
    the most overdue first."""
    require(actor, Action.REVIEW_QUEUE)
    today = today or utcnow().date()
    spoc = (
        select(TriageAssessment.spoc_name)
        .where(
            TriageAssessment.force_code == TriageReview.force_code,
            TriageAssessment.id == TriageReview.assessment_id,
        )
        .correlate(TriageReview)
        .scalar_subquery()
    )
    stmt = (
        restrict(
            actor,
            select(TriageReview, Incident.reference, Incident.status, spoc)
            .join(
                Incident,
                (Incident.id == TriageReview.incident_id)
                & (Incident.force_code == TriageReview.force_code),
            )
            .where(
                TriageReview.force_code == actor.force_code,
                TriageReview.done_at.is_(None),
                TriageReview.due_on <= today + dt.timedelta(days=within_days),
                Incident.status != IncidentStatus.CLOSED,
            ),
            Incident,
        )
        .order_by(TriageReview.due_on, TriageReview.id)
        .limit(limit)
    )
    return [
        ReviewRow(
            review_id=r.id,
            incident_id=r.incident_id,
            reference=ref,
            risk_level=r.risk_level,
            rank=r.rank,
            due_on=r.due_on,
            overdue=r.due_on < today,
            spoc_name=spoc_name,
            status=status.value,
        )
        for r, ref, status, spoc_name in session.execute(stmt)
    ]


def record_review(
    session: Session, *, actor: Actor, review_id: int, note: str, now: dt.datetime | None = None
) -> IncidentLife:
    """Record a review as done and schedule the next of its rank."""
    require(actor, Action.REVIEW_RECORD)
    now = now or utcnow()
    if not note.strip():
        raise InvalidInput("say what the review found", {"note": "a note is needed"})
    review = session.execute(
        select(TriageReview).where(
            TriageReview.id == review_id, TriageReview.force_code == actor.force_code
        )
    ).scalar_one_or_none()
    if review is None or review.done_at is not None:
        raise NotFound(f"open review {review_id} not found")
    incident = _load(session, actor, review.incident_id)
    review.done_at, review.done_by, review.note = now, actor.display_name, note.strip()
    session.add(
        TriageReview(
            force_code=review.force_code,
            assessment_id=review.assessment_id,
            incident_id=review.incident_id,
            rank=review.rank,
            risk_level=review.risk_level,
            due_on=max(review.due_on, now.date()) + dt.timedelta(days=review.every_days),
            every_days=review.every_days,
        )
    )
    record(
        session,
        actor=actor,
        event="triage:review:record",
        action=AuditAction.UPDATE,
        object_type="incident",
        object_id=incident.id,
        fields={"rank": review.rank.value},
    )
    return life(session, actor=actor, incident_id=incident.id)


def assigned_to_me(session: Session, *, actor: Actor, limit: int = 200) -> list[AssignedRow]:
    """The open incidents assigned to the actor, oldest assignment first."""
    require(actor, Action.ASSIGNED_LIST)
    latest = (
        select(TriageAssessment.risk_level, TriageAssessment.grade)
        .where(
            TriageAssessment.force_code == Incident.force_code,
            TriageAssessment.incident_id == Incident.id,
        )
        .order_by(TriageAssessment.seq.desc())
        .limit(1)
        .correlate(Incident)
    )
    level = latest.with_only_columns(TriageAssessment.risk_level).scalar_subquery()
    grade = latest.with_only_columns(TriageAssessment.grade).scalar_subquery()
    stmt = (
        restrict(
            actor,
            select(Incident, IncidentAssignment.assigned_at, level, grade)
            .join(
                IncidentAssignment,
                (IncidentAssignment.incident_id == Incident.id)
                & (IncidentAssignment.force_code == Incident.force_code),
            )
            .where(
                IncidentAssignment.assignee_user_id == actor.user_id,
                IncidentAssignment.ended_at.is_(None),
            ),
            Incident,
        )
        .order_by(IncidentAssignment.assigned_at)
        .limit(limit)
    )
    return [
        AssignedRow(
            incident_id=i.id,
            reference=i.reference,
            received_at=i.received_at,
            type_label=INCIDENT_TYPE_LABELS[i.closing_code or i.opening_code],
            status=i.status.value,
            assigned_at=at,
            attended=i.attended,
            risk_level=lv,
            grade=g,
        )
        for i, at, lv, g in session.execute(stmt)
    ]


def officers(session: Session, *, actor: Actor) -> list[tuple[str, str]]:
    """``(username, display name)`` of the active officer accounts of the actor's force."""
    require(actor, Action.INCIDENT_VIEW)
    rows = session.execute(
        select(User.username, User.display_name)
        .where(
            User.force_code == actor.force_code,
            User.active.is_(True),
            User.role.in_([r.value for r in FIELD_ROLES]),
        )
        .order_by(User.display_name)
    ).all()
    return [(u, d) for u, d in rows]
