"""SARA problem-solving cases: open, work, share, review, assess and sign off (issue 18).

Keyword-only services ``fn(session, *, actor, ...)``. Each checks the grant with ``require``,
loads the case through the one scoping rule (``permissions.restrict``), asks
``permissions.case_access`` what this actor may see and do with it, writes a line of the
case's timeline and records an audit event in the same transaction. ``today`` is passed in by
tests; otherwise it is the UTC date.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from asbhub.agencies.service import get_agency, list_agencies
from asbhub.audit.service import AuditAction, record
from asbhub.casework import lifecycle, queries
from asbhub.casework.counts import VERDICTS, AreaCounts, Place, Window, area_counts, assess
from asbhub.casework.counts import baseline_window as _baseline_window
from asbhub.casework.models import (
    ActionStatus,
    Case,
    CaseAction,
    CaseEvent,
    CaseIncident,
    CaseLinkRole,
    CaseObjective,
    CasePerson,
    CaseReview,
    CaseShare,
    ShareReview,
    Stage,
)
from asbhub.casework.queries import load, sharing_of, utcnow
from asbhub.casework.rules import SaraRules
from asbhub.casework.schemas import (
    ActionIn,
    AnalysisIn,
    AssessmentIn,
    FromTriageIn,
    ObjectiveIn,
    ProblemIn,
    ShareIn,
)
from asbhub.errors import Conflict, InvalidInput, NotFound, NotPermitted
from asbhub.incidents.models import Incident, IncidentPerson, PersonRole
from asbhub.permissions import (
    Action,
    Actor,
    CaseAccess,
    DataClass,
    may_update_action,
    require,
    restrict,
    share_decision,
)
from asbhub.triage.models import TriageAssessment


def _may_update(access: CaseAccess, case: Case) -> None:
    if not access.may_update:
        raise NotPermitted(f"you may not work on case {case.reference}")
    if case.stage is Stage.CLOSED:
        raise Conflict(f"case {case.reference} is closed: reopen it first")


def _for_update(
    session: Session, actor: Actor, case_id: int, today: dt.date | None
) -> tuple[Case, dt.date]:
    """The grant, the case in scope, and the owner's right to change it (not closed); with
    the day the change is decided on."""
    require(actor, Action.CASE_UPDATE)
    day = today or utcnow().date()
    case, access, _ = load(session, actor, case_id, day)
    _may_update(access, case)
    return case, day


def _event(
    session: Session,
    case: Case,
    actor: Actor,
    kind: str,
    summary: str,
    data_class: DataClass = DataClass.INCIDENT_SUMMARY,
    at: dt.datetime | None = None,
    **details: object,
) -> None:
    session.add(
        CaseEvent(
            force_code=case.force_code,
            case_id=case.id,
            at=at or utcnow(),
            actor_name=actor.display_name,
            agency_code=actor.acts_for,
            kind=kind,
            data_class=data_class,
            summary=summary,
            details=dict(details),
        )
    )


def note_on_case(
    session: Session,
    *,
    case: Case,
    actor: Actor,
    summary: str,
    kind: str = "power",
    data_class: DataClass = DataClass.CASE_NOTES,
) -> None:
    """A line on the case's timeline for work another capability records on it (a statutory
    power drafted or issued): the caller has checked the actor's right to work the case."""
    _event(session, case, actor, kind, summary, data_class=data_class)


def _person_ids(session: Session, case: Case) -> list[int]:
    return sorted(
        set(
            session.scalars(
                select(CasePerson.person_id).where(
                    CasePerson.force_code == case.force_code, CasePerson.case_id == case.id
                )
            )
        )
    )


def _audit(
    session: Session,
    actor: Actor,
    case: Case,
    event: str,
    action: AuditAction,
    *,
    subjects: Sequence[int] = (),
    **kw: object,
) -> None:
    record(
        session,
        actor=actor,
        event=event,
        action=action,
        object_type="case",
        object_id=case.id,
        data_subjects=subjects,
        force_code=case.force_code,
        **kw,  # type: ignore[arg-type]
    )


def _next_reference(session: Session, force_code: str, year: int) -> str:
    prefix = f"SARA-{year}-"
    n = session.scalar(
        select(func.count()).where(Case.force_code == force_code, Case.reference.like(prefix + "%"))
    )
    return f"{prefix}{int(n or 0) + 1:04d}"


def _schedule_reviews(
    session: Session, case: Case, rules: SaraRules, start: dt.date, only: str | None = None
) -> None:
    for step in rules.reviews.get(case.risk_level, []):
        if only is not None and step.reviewer != only:
            continue
        session.add(
            CaseReview(
                force_code=case.force_code,
                case_id=case.id,
                reviewer=step.reviewer,
                risk_level=case.risk_level,
                due_on=start + dt.timedelta(days=step.every_days),
                every_days=step.every_days,
                rules_version=rules.version,
            )
        )


def _counts(
    session: Session, actor: Actor, case: Case, window: Window, rules: SaraRules
) -> AreaCounts:
    if case.centre_x is None or case.centre_y is None:
        raise InvalidInput(
            "the case has no place to count around", {"place": "link an incident with a position"}
        )
    place = Place(
        case.centre_x, case.centre_y, case.radius_m, case.buffer_m, case.local_authority_code
    )
    points = queries.points_around(session, actor, place, window)
    return area_counts(points, place, window, exclude_covid=rules.exclude_covid_breaches)


def _set_baseline(
    session: Session, actor: Actor, case: Case, rules: SaraRules, window: Window
) -> AreaCounts:
    counts = _counts(session, actor, case, window, rules)
    case.baseline_from, case.baseline_to = window.start, window.end
    case.baseline_target, case.baseline_buffer = counts.target, counts.buffer
    case.baseline_control = counts.control
    return counts


def _link_incidents(
    session: Session, actor: Actor, case: Case, incident_ids: Iterable[int], now: dt.datetime
) -> list[Incident]:
    wanted = sorted(set(incident_ids))
    if not wanted:
        return []
    found = list(
        session.scalars(restrict(actor, select(Incident).where(Incident.id.in_(wanted)), Incident))
    )
    missing = sorted(set(wanted) - {i.id for i in found})
    if missing:
        raise InvalidInput(
            "some incidents cannot be linked",
            {"incident_ids": f"not found or outside your scope: {missing[:10]}"},
        )
    have = set(
        session.scalars(
            select(CaseIncident.incident_id).where(
                CaseIncident.force_code == case.force_code, CaseIncident.case_id == case.id
            )
        )
    )
    for i in found:
        if i.id not in have:
            session.add(
                CaseIncident(
                    force_code=case.force_code,
                    case_id=case.id,
                    incident_id=i.id,
                    linked_at=now,
                    linked_by=actor.display_name,
                )
            )
    return found


_PERSON_ROLE = {
    "victim": ((PersonRole.VICTIM,), CaseLinkRole.VICTIM),
    "offender": ((PersonRole.SUSPECT,), CaseLinkRole.OFFENDER),
}


def _link_people(
    session: Session, case: Case, incidents: Sequence[Incident], kinds: Iterable[str]
) -> list[int]:
    """Link the victims and suspects of ``incidents`` to the case (analysis: who)."""
    ids = [i.id for i in incidents]
    linked: list[int] = []
    for kind in kinds:
        roles, link_role = _PERSON_ROLE[kind]
        people = set(
            session.scalars(
                select(IncidentPerson.person_id).where(
                    IncidentPerson.force_code == case.force_code,
                    IncidentPerson.incident_id.in_(ids),
                    IncidentPerson.role.in_(roles),
                )
            )
        )
        have = set(
            session.scalars(
                select(CasePerson.person_id).where(
                    CasePerson.force_code == case.force_code,
                    CasePerson.case_id == case.id,
                    CasePerson.role == link_role,
                )
            )
        )
        for pid in sorted(people - have):
            session.add(
                CasePerson(
                    force_code=case.force_code, case_id=case.id, person_id=pid, role=link_role
                )
            )
        linked += sorted(people)
    return linked


def open_from_triage(
    session: Session,
    *,
    actor: Actor,
    data: FromTriageIn,
    rules: SaraRules,
    now: dt.datetime | None = None,
) -> Case:
    """Open a SARA case from a repeat location, victim or offender that a recorded triage
    found, with the incidents it found linked, the baseline computed and reviews scheduled.

    Refused when that triage did not find a repeat of that kind.
    """
    require(actor, Action.CASE_CREATE)
    now = now or utcnow()
    found = session.execute(
        restrict(
            actor,
            select(TriageAssessment, Incident)
            .join(
                Incident,
                (Incident.id == TriageAssessment.incident_id)
                & (Incident.force_code == TriageAssessment.force_code),
            )
            .where(TriageAssessment.id == data.assessment_id),
            Incident,
        )
    ).first()
    if found is None:
        raise NotFound(f"triage assessment {data.assessment_id} not found")
    assessment, incident = found
    repeat = next((r for r in assessment.decision["repeats"] if r["kind"] == data.kind), None)
    if repeat is None or not repeat.get("repeat"):
        raise InvalidInput(
            f"that triage found no repeat {data.kind}",
            {"kind": f"no repeat {data.kind} was found by assessment {assessment.id}"},
        )
    ids = [incident.id, *(e["incident_id"] for e in repeat["incidents"])]
    rule = f"repeat {data.kind}: {repeat['threshold']} or more in {repeat['window_months']} months"
    district = incident.district or "the area"
    case = Case(
        force_code=actor.force_code,
        reference=_next_reference(session, actor.force_code, now.year),
        title=f"Repeat {data.kind} in {district}",
        stage=lifecycle.INITIAL,
        owner_agency_code=actor.acts_for,
        local_authority_code=incident.local_authority_code,
        district=incident.district,
        risk_level=assessment.risk_level,
        victim_locked=data.victim_locked,
        spoc_user_id=assessment.spoc_user_id or (actor.user_id or None),
        spoc_name=assessment.spoc_name or actor.display_name,
        spoc_contact=actor.agency.contact if actor.agency else None,
        opened_at=now,
        opened_by=actor.display_name,
        how_found=f"triage of {incident.reference} ({assessment.repeats_version}): {rule}",
        trigger_kind=data.kind,
        source_assessment_id=assessment.id,
        centre_x=incident.x_bng,
        centre_y=incident.y_bng,
        radius_m=rules.radius_m,
        buffer_m=rules.buffer_m,
        rules_version=rules.version,
    )
    session.add(case)
    session.flush()
    linked = _link_incidents(session, actor, case, ids, now)
    kinds = {"location": [], "victim": ["victim"], "offender": ["offender"]}[data.kind]
    people = _link_people(session, case, linked, kinds)
    if case.centre_x is None:
        placed = [i for i in linked if i.x_bng is not None and i.y_bng is not None]
        if placed:
            case.centre_x = statistics.fmean(i.x_bng or 0.0 for i in placed)
            case.centre_y = statistics.fmean(i.y_bng or 0.0 for i in placed)
    if case.centre_x is not None:
        _set_baseline(
            session, actor, case, rules, _baseline_window(now.date(), rules.baseline_months)
        )
    _schedule_reviews(session, case, rules, now.date())
    _event(
        session,
        case,
        actor,
        "open",
        f"Opened from the triage of {incident.reference}: {rule}; {len(linked)} incidents linked",
        at=now,
        incidents=len(linked),
    )
    _audit(
        session,
        actor,
        case,
        "casework:case:create",
        AuditAction.CREATE,
        subjects=people,
        fields={"from_assessment": assessment.id, "kind": data.kind, "incidents": len(linked)},
    )
    return case


def update_problem(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    data: ProblemIn,
    rules: SaraRules,
    today: dt.date | None = None,
) -> Case:
    """Scanning: the problem statement (behaviour, where, when); recounts the baseline."""
    case, today = _for_update(session, actor, case_id, today)
    changed = [k for k, v in data.model_dump(exclude_none=True).items() if getattr(case, k) != v]
    for k in changed:
        setattr(case, k, getattr(data, k))
    if case.centre_x is not None:
        _set_baseline(
            session,
            actor,
            case,
            rules,
            _baseline_window(case.opened_at.date(), rules.baseline_months),
        )
    _event(
        session,
        case,
        actor,
        "problem",
        f"Problem statement updated: {', '.join(changed) or 'recounted'}",
    )
    _audit(
        session,
        actor,
        case,
        "casework:case:update",
        AuditAction.UPDATE,
        fields={"changed": changed},
    )
    return case


def record_analysis(
    session: Session, *, actor: Actor, case_id: int, data: AnalysisIn, today: dt.date | None = None
) -> Case:
    """Analysis: the problem analysis triangle and more linked incidents."""
    case, today = _for_update(session, actor, case_id, today)
    sides = ("offender", "handler", "victim", "guardian", "place", "manager")
    changed = [
        s for s in sides if getattr(data, s) is not None and getattr(case, s) != getattr(data, s)
    ]
    for s in changed:
        setattr(case, s, getattr(data, s) or None)
    linked = _link_incidents(session, actor, case, data.incident_ids, utcnow())
    _event(
        session,
        case,
        actor,
        "analysis",
        f"Analysis updated: {', '.join(changed) or 'no side changed'}; "
        f"{len(linked)} incidents linked",
        data_class=DataClass.CASE_NOTES,
    )
    _audit(
        session,
        actor,
        case,
        "casework:case:update",
        AuditAction.UPDATE,
        fields={"triangle": changed, "linked": len(linked)},
    )
    return case


def add_objective(
    session: Session, *, actor: Actor, case_id: int, data: ObjectiveIn, today: dt.date | None = None
) -> CaseObjective:
    """Response: a SMART objective (specific, measurable, with a target and a date)."""
    case, today = _for_update(session, actor, case_id, today)
    if data.due_on <= today:
        raise InvalidInput("the objective cannot be added", {"due_on": "a date in the future"})
    o = CaseObjective(
        force_code=case.force_code,
        case_id=case.id,
        text=data.text,
        measure=data.measure,
        target=data.target,
        due_on=data.due_on,
        created_at=utcnow(),
        created_by=actor.display_name,
    )
    session.add(o)
    session.flush()
    _event(
        session,
        case,
        actor,
        "objective",
        f"Objective added: {data.measure} {data.target} by {data.due_on}",
    )
    _audit(
        session, actor, case, "casework:case:update", AuditAction.UPDATE, fields={"objective": o.id}
    )
    return o


def add_action(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    data: ActionIn,
    rules: SaraRules,
    today: dt.date | None = None,
) -> CaseAction:
    """Response: an action with its owner, agency, due date and tool (from the rule set)."""
    case, today = _for_update(session, actor, case_id, today)
    problems: dict[str, str] = {}
    if data.tool not in rules.tools:
        problems["tool"] = f"one of: {', '.join(rules.tools)}"
    if data.due_on < today:
        problems["due_on"] = "today or later"
    try:
        get_agency(session, force_code=case.force_code, code=data.agency_code)
    except InvalidInput as exc:
        problems["agency_code"] = exc.fields.get("agency", "unknown agency")
    if problems:
        raise InvalidInput("the action cannot be added", problems)
    a = CaseAction(
        force_code=case.force_code,
        case_id=case.id,
        description=data.description,
        owner_name=data.owner_name,
        agency_code=data.agency_code,
        due_on=data.due_on,
        tool=data.tool,
        status=ActionStatus.OPEN,
        created_at=utcnow(),
        created_by=actor.display_name,
    )
    session.add(a)
    session.flush()
    _event(
        session,
        case,
        actor,
        "action",
        f"Action for {data.agency_code} ({rules.tools[data.tool]}) due {data.due_on}",
    )
    _audit(
        session,
        actor,
        case,
        "casework:case:update",
        AuditAction.UPDATE,
        fields={"action": a.id, "agency": data.agency_code, "tool": data.tool},
    )
    return a


def update_action(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    action_id: int,
    status: str,
    today: dt.date | None = None,
) -> CaseAction:
    """Mark an action done or dropped: the owning agency, or the agency the action is for."""
    require(actor, Action.CASE_UPDATE)
    today = today or utcnow().date()
    case, access, _ = load(session, actor, case_id, today)
    a = session.scalar(
        select(CaseAction).where(
            CaseAction.force_code == case.force_code,
            CaseAction.id == action_id,
            CaseAction.case_id == case.id,
        )
    )
    if a is None:
        raise NotFound(f"action {action_id} not found")
    if not may_update_action(actor, access, a.agency_code):
        raise NotPermitted("only the owning agency or the action's agency may update it")
    if case.stage is Stage.CLOSED:
        raise Conflict(f"case {case.reference} is closed: reopen it first")
    new = ActionStatus(status)
    a.status, a.done_at = new, (utcnow() if new is not ActionStatus.OPEN else None)
    _event(session, case, actor, "action", f"Action {a.id} is now {new.value}")
    _audit(
        session,
        actor,
        case,
        "casework:case:update",
        AuditAction.UPDATE,
        fields={"action": a.id, "status": new.value},
    )
    return a


def move_stage(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    event: str,
    reason: str | None,
    today: dt.date | None = None,
) -> Case:
    """Move the case forward or back through SARA (the declared machine in lifecycle.py)."""
    ev = lifecycle.Event(event)
    require(actor, Action.CASE_SIGN_OFF if ev is lifecycle.Event.SIGN_OFF else Action.CASE_UPDATE)
    today = today or utcnow().date()
    case, access, _ = load(session, actor, case_id, today)
    if not access.owner:
        raise NotPermitted("only the owning agency moves a case between stages")
    if ev in lifecycle.REASON_REQUIRED and not (reason or "").strip():
        raise InvalidInput(f"say why ({ev.value})", {"reason": "a reason is needed"})
    to = lifecycle.next_stage(case.stage, ev)
    ready = lifecycle.READY.get((case.stage, ev))
    if ready is not None and (why := ready(case)):
        raise Conflict(why)
    before = case.stage
    case.stage = to
    now = utcnow()
    if ev is lifecycle.Event.SIGN_OFF:
        case.signed_off_at, case.signed_off_by = now, actor.display_name
        for r in session.scalars(
            select(CaseReview).where(
                CaseReview.force_code == case.force_code,
                CaseReview.case_id == case.id,
                CaseReview.done_at.is_(None),
            )
        ):
            r.done_at, r.done_by, r.note = now, actor.display_name, "case closed"
    text = f"Stage {before.value} -> {to.value}" + (f": {reason.strip()}" if reason else "")
    _event(
        session,
        case,
        actor,
        "stage",
        text,
        data_class=DataClass.CASE_NOTES if reason else DataClass.INCIDENT_SUMMARY,
    )
    _audit(
        session,
        actor,
        case,
        "casework:case:sign_off" if ev is lifecycle.Event.SIGN_OFF else "casework:case:stage",
        AuditAction.UPDATE,
        fields={"from": before.value, "to": to.value, "event": ev.value},
    )
    return case


def record_assessment(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    data: AssessmentIn,
    rules: SaraRules,
    today: dt.date | None = None,
) -> Case:
    """Assessment: count the after period against the baseline, with the displacement check."""
    case, today = _for_update(session, actor, case_id, today)
    if case.stage is not Stage.ASSESSMENT:
        raise Conflict(f"case {case.reference} is in {case.stage.value}, not assessment")
    if data.assess_to < data.assess_from:
        raise InvalidInput("the assessment cannot be recorded", {"assess_to": "before the start"})
    if data.assess_to > today:
        raise InvalidInput("the assessment cannot be recorded", {"assess_to": "in the future"})
    window = Window(data.assess_from, data.assess_to)
    after = _counts(session, actor, case, window, rules)
    before = _baseline(case)
    if before is None:
        raise Conflict("the case has no baseline")
    result = assess(before, after)
    case.assess_from, case.assess_to = window.start, window.end
    case.after_target, case.after_buffer, case.after_control = (
        after.target,
        after.buffer,
        after.control,
    )
    case.wdq, case.displacement = result.wdq, result.displacement
    case.outcome, case.victim_feedback = data.outcome, data.victim_feedback
    case.assessed_at, case.assessed_by = utcnow(), actor.display_name
    _event(
        session,
        case,
        actor,
        "assessment",
        f"Assessment: {before.target} -> {after.target} in the target area; "
        f"{VERDICTS[result.displacement]}",
        before=before.target,
        after=after.target,
        wdq=result.wdq,
    )
    _audit(
        session,
        actor,
        case,
        "casework:case:assess",
        AuditAction.UPDATE,
        fields={
            "before": before.target,
            "after": after.target,
            "wdq": result.wdq,
            "displacement": result.displacement,
        },
    )
    return case


def _baseline(case: Case) -> AreaCounts | None:
    if case.baseline_target is None:
        return None
    return AreaCounts(case.baseline_target, case.baseline_buffer or 0, case.baseline_control or 0)


def share(
    session: Session, *, actor: Actor, case_id: int, data: ShareIn, today: dt.date | None = None
) -> CaseShare:
    """Share classes of the case with another agency, under an agreement in force; with no
    agreement a personal class is refused unless an emergency override is given, which
    is logged and queued for review."""
    require(actor, Action.CASE_SHARE)
    today = today or utcnow().date()
    case, access, shares = load(session, actor, case_id, today)
    if not access.may_share:
        raise NotPermitted("only the owning agency may share this case")
    problems: dict[str, str] = {}
    classes: list[DataClass] = []
    for c in data.data_classes:
        try:
            classes.append(DataClass(c))
        except ValueError:
            problems["data_classes"] = f"unknown class {c!r}"
    try:
        recipient = get_agency(session, force_code=case.force_code, code=data.agency_code)
    except InvalidInput as exc:
        problems["agency_code"] = exc.fields.get("agency", "unknown agency")
    if problems:
        raise InvalidInput("the share cannot be made", problems)
    # A refusal raises NotPermitted; the web layer logs it (web:route:access_denied, with
    # the reason) in a transaction of its own, as this one rolls back.
    decision = share_decision(
        actor,
        sharing_of(case, shares),
        recipient=recipient.code,
        data_classes=classes,
        on=today,
        override_reason=data.override_reason,
    )
    now = utcnow()
    row = CaseShare(
        force_code=case.force_code,
        case_id=case.id,
        agency_code=recipient.code,
        data_classes=sorted(c.value for c in classes),
        agreement_reference=decision.agreement.reference if decision.agreement else None,
        lawful_basis=decision.lawful_basis,
        purpose=data.purpose,
        override_reason=(data.override_reason or "").strip() or None if decision.override else None,
        shared_at=now,
        shared_by=actor.display_name,
        shared_by_user_id=actor.user_id or None,
        review=ShareReview.PENDING if decision.override else ShareReview.NONE,
    )
    session.add(row)
    session.flush()
    how = (
        "by emergency override (queued for review)"
        if decision.override
        else f"under {decision.agreement.reference}"
        if decision.agreement
        else "(incident summary: no agreement needed)"
    )
    _event(
        session,
        case,
        actor,
        "share",
        f"Shared {', '.join(row.data_classes)} with {recipient.name} {how}",
        at=now,
    )
    _audit(
        session,
        actor,
        case,
        "casework:share:override" if decision.override else "casework:case:share",
        AuditAction.SHARE,
        subjects=_person_ids(session, case) if DataClass.PERSONAL_DETAILS in classes else (),
        recipient=recipient.name,
        isa_id=row.agreement_reference,
        legal_basis=row.lawful_basis,
        fields={
            "share": row.id,
            "data_classes": row.data_classes,
            "purpose": data.purpose,
            "override_reason": row.override_reason,
        },
    )
    return row


def review_override(
    session: Session, *, actor: Actor, share_id: int, decision: str, note: str
) -> CaseShare:
    """Uphold or revoke an emergency override; a revoked one stops granting at once."""
    require(actor, Action.CASE_SHARE_REVIEW)
    found = session.execute(
        restrict(
            actor,
            select(CaseShare, Case)
            .join(Case, (Case.id == CaseShare.case_id) & (Case.force_code == CaseShare.force_code))
            .where(CaseShare.id == share_id),
            Case,
        )
    ).first()
    if found is None:
        raise NotFound(f"share {share_id} not found")
    row, case = found
    if row.review is not ShareReview.PENDING:
        raise Conflict(f"share {share_id} is not waiting for review")
    if row.shared_by_user_id is not None and row.shared_by_user_id == actor.user_id:
        raise Conflict("an override is reviewed by someone other than the person who made it")
    row.review = ShareReview(decision)
    row.reviewed_at, row.reviewed_by, row.review_note = utcnow(), actor.display_name, note.strip()
    _event(
        session,
        case,
        actor,
        "share",
        f"Emergency share with {row.agency_code} {decision}",
        data_class=DataClass.CASE_NOTES,
    )
    _audit(
        session,
        actor,
        case,
        "casework:share:review",
        AuditAction.UPDATE,
        fields={"share": row.id, "decision": decision},
    )
    return row


def record_review(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    review_id: int,
    note: str,
    rules: SaraRules,
    today: dt.date | None = None,
) -> CaseReview:
    """Record a scheduled review and schedule the next one at the interval its risk sets."""
    require(actor, Action.CASE_REVIEW_RECORD)
    today = today or utcnow().date()
    case, access, _ = load(session, actor, case_id, today)
    if not access.owner:
        raise NotPermitted("reviews are recorded by the owning agency")
    r = session.scalar(
        select(CaseReview).where(
            CaseReview.force_code == case.force_code,
            CaseReview.id == review_id,
            CaseReview.case_id == case.id,
            CaseReview.done_at.is_(None),
        )
    )
    if r is None:
        raise NotFound(f"open review {review_id} not found")
    r.done_at, r.done_by, r.note = utcnow(), actor.display_name, note.strip()
    if case.stage is not Stage.CLOSED:
        _schedule_reviews(session, case, rules, today, only=r.reviewer)
    _event(
        session,
        case,
        actor,
        "review",
        f"{r.reviewer.replace('_', ' ').capitalize()} review recorded: {note.strip()}",
        data_class=DataClass.RISK_ASSESSMENT,
    )
    _audit(
        session,
        actor,
        case,
        "casework:review:record",
        AuditAction.UPDATE,
        fields={"review": r.id, "reviewer": r.reviewer},
    )
    return r


def agency_names(session: Session, force_code: str) -> dict[str, str]:
    return {a.code: a.name for a in list_agencies(session, force_code=force_code)}
