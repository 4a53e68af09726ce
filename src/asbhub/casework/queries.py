"""The reads of casework: the incident points the counts use, a case as one reader may see it,
the case list, the referrals triage routed to an agency.

Every select is narrowed by ``permissions.restrict``; what a case shows is cut by the reader's
:class:`~asbhub.permissions.CaseAccess`; reads of personal data are audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from asbhub.agencies.service import list_agencies
from asbhub.audit.service import AuditAction, record
from asbhub.casework import lifecycle
from asbhub.casework.counts import VERDICTS, Place, Point, Window
from asbhub.casework.models import (
    ActionStatus,
    Case,
    CaseAction,
    CaseEvent,
    CaseIncident,
    CaseObjective,
    CasePerson,
    CaseReview,
    CaseShare,
    ShareReview,
    Stage,
)
from asbhub.casework.rules import SaraRules
from asbhub.casework.schemas import (
    ActionOut,
    AssessmentOut,
    CaseOut,
    CaseStub,
    Counts,
    LinkedIncident,
    LinkedPerson,
    ObjectiveOut,
    OverrideRow,
    ReferralRow,
    RepeatCandidate,
    ReviewOut,
    ShareOut,
    TimelineEntry,
    Triangle,
)
from asbhub.errors import NotFound
from asbhub.incidents.models import INCIDENT_TYPE_LABELS, Incident, IncidentStatus, Person
from asbhub.permissions import (
    Action,
    Actor,
    AgencyKind,
    CaseAccess,
    CaseSharing,
    DataClass,
    Share,
    case_access,
    may_update_action,
    pseudonym,
    require,
    restrict,
)
from asbhub.triage.models import TriageAssessment


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def sharing_of(case: Case, shares: Iterable[CaseShare]) -> CaseSharing:
    """The policy's view of a case: owner, area, lock and its standing shares."""
    return CaseSharing(
        force_code=case.force_code,
        owner_agency=case.owner_agency_code,
        local_authority_code=case.local_authority_code,
        victim_locked=case.victim_locked,
        shares=tuple(
            Share(
                agency_code=s.agency_code,
                data_classes=s.classes,
                agreement_reference=s.agreement_reference,
                override=s.override_reason is not None,
                revoked=s.review is ShareReview.REVOKED,
            )
            for s in shares
        ),
    )


def _shares(session: Session, case: Case) -> list[CaseShare]:
    return list(
        session.scalars(
            select(CaseShare)
            .where(CaseShare.force_code == case.force_code, CaseShare.case_id == case.id)
            .order_by(CaseShare.id)
        )
    )


def load(
    session: Session, actor: Actor, case_id: int, today: dt.date
) -> tuple[Case, CaseAccess, list[CaseShare]]:
    """The case in the actor's scope with what the actor may do with it, else NotFound."""
    stmt = restrict(actor, select(Case).where(Case.id == case_id), Case)
    case = session.execute(stmt).scalar_one_or_none()
    if case is None:
        raise NotFound(f"case {case_id} not found")
    shares = _shares(session, case)
    access = case_access(actor, sharing_of(case, shares), on=today)
    if not access.exists:
        raise NotFound(f"case {case_id} not found")
    return case, access, shares


def referral_partner_keys(kind: str) -> frozenset[str]:
    """The routing keys of triage (rules/routing.json) whose referrals an agency of ``kind``
    receives: councils take noise, environment, licensing and dogs; housing providers their
    tenants; the fire service fire-setting."""
    return {
        "council": frozenset({"environmental_health", "council", "licensing", "dog_warden"}),
        "housing": frozenset({"housing_provider"}),
        "fire": frozenset({"fire"}),
    }.get(kind, frozenset())


def points_around(session: Session, actor: Actor, place: Place, window: Window) -> list[Point]:
    """The incidents of ``window`` in the place's area or within its buffer (the counts)."""
    start = dt.datetime.combine(window.start, dt.time.min)
    end = dt.datetime.combine(window.end + dt.timedelta(days=1), dt.time.min)
    box = Incident.x_bng.between(
        place.x - place.buffer_m, place.x + place.buffer_m
    ) & Incident.y_bng.between(place.y - place.buffer_m, place.y + place.buffer_m)
    where = (
        box
        if place.local_authority_code is None
        else (box | (Incident.local_authority_code == place.local_authority_code))
    )
    stmt = select(
        Incident.received_at,
        Incident.x_bng,
        Incident.y_bng,
        Incident.local_authority_code,
        Incident.covid_breach,
    ).where(Incident.received_at >= start, Incident.received_at < end, where)
    return [Point(*row) for row in session.execute(restrict(actor, stmt, Incident))]


def _names(session: Session, force_code: str) -> dict[str, tuple[str, str | None]]:
    return {a.code: (a.name, a.contact) for a in list_agencies(session, force_code=force_code)}


def _next_review(session: Session, case: Case) -> dt.date | None:
    return session.scalar(
        select(func.min(CaseReview.due_on)).where(
            CaseReview.force_code == case.force_code,
            CaseReview.case_id == case.id,
            CaseReview.done_at.is_(None),
        )
    )


def stub(session: Session, case: Case, names: dict[str, tuple[str, str | None]]) -> CaseStub:
    owner, contact = names.get(case.owner_agency_code, (case.owner_agency_code, None))
    return CaseStub(
        id=case.id,
        reference=case.reference,
        title=case.title,
        stage=case.stage.value,
        owner_agency=case.owner_agency_code,
        owner_agency_name=owner,
        owner_contact=contact,
        spoc_name=case.spoc_name,
        spoc_contact=case.spoc_contact,
        district=case.district,
        local_authority_code=case.local_authority_code,
        opened_at=case.opened_at,
        next_review_on=_next_review(session, case),
    )


def list_cases(
    session: Session, *, actor: Actor, stage: str | None = None, limit: int = 200
) -> list[CaseStub]:
    """The cases the actor may know exist (own, shared, or in its areas), newest first."""
    require(actor, Action.CASE_LIST)
    stmt = select(Case).order_by(Case.opened_at.desc(), Case.id.desc()).limit(limit)
    if stage:
        stmt = stmt.where(Case.stage == Stage(stage))
    cases = list(session.scalars(restrict(actor, stmt, Case)))
    names = _names(session, actor.force_code)
    rows = [stub(session, c, names) for c in cases]
    record(
        session,
        actor=actor,
        event="casework:case:list",
        action=AuditAction.SEARCH,
        object_type="case",
        query=f"stage={stage}" if stage else None,
        result_count=len(rows),
    )
    return rows


def _counts(
    start: dt.date | None, end: dt.date | None, t: int | None, b: int | None, c: int | None
) -> Counts | None:
    if start is None or end is None or t is None:
        return None
    return Counts(start=start, end=end, target=t, buffer=b or 0, control=c or 0)


def view_case(
    session: Session,
    *,
    actor: Actor,
    case: Case,
    access: CaseAccess,
    shares: list[CaseShare],
    rules: SaraRules,
    today: dt.date,
) -> CaseOut:
    """The case cut to what ``access`` allows, audited with the classes shown."""
    names = _names(session, case.force_code)
    sees = access.sees
    out = CaseOut(
        case=stub(session, case, names),
        classes=sorted(c.value for c in access.classes),
        owner=access.owner,
        may_update=access.may_update and case.stage is not Stage.CLOSED,
        may_share=access.may_share,
        allowed_events=[e.value for e in lifecycle.allowed_events(case.stage)]
        if access.owner
        else [],
        risk_level=case.risk_level.value if sees(DataClass.RISK_ASSESSMENT) else None,
        victim_locked=case.victim_locked,
        how_found=case.how_found if access.classes else None,
        rules_version=case.rules_version,
    )
    subjects: list[int] = []
    if sees(DataClass.INCIDENT_SUMMARY):
        out.behaviour, out.where_text, out.when_text = (
            case.behaviour,
            case.where_text,
            case.when_text,
        )
        out.radius_m, out.buffer_m = case.radius_m, case.buffer_m
        out.baseline = _counts(
            case.baseline_from,
            case.baseline_to,
            case.baseline_target,
            case.baseline_buffer,
            case.baseline_control,
        )
        incidents = session.execute(
            select(Incident)
            .join(
                CaseIncident,
                (CaseIncident.incident_id == Incident.id)
                & (CaseIncident.force_code == Incident.force_code),
            )
            .where(CaseIncident.force_code == case.force_code, CaseIncident.case_id == case.id)
            .order_by(Incident.received_at.desc())
        ).scalars()
        out.incidents = [
            LinkedIncident(
                id=i.id,
                reference=i.reference,
                received_at=i.received_at,
                type=INCIDENT_TYPE_LABELS.get(i.opening_code, i.opening_code.value),
                district=i.district,
            )
            for i in incidents
        ]
        out.objectives = [
            ObjectiveOut(id=o.id, text=o.text, measure=o.measure, target=o.target, due_on=o.due_on)
            for o in session.scalars(
                select(CaseObjective)
                .where(
                    CaseObjective.force_code == case.force_code,
                    CaseObjective.case_id == case.id,
                )
                .order_by(CaseObjective.id)
            )
        ]
        out.actions = [
            ActionOut(
                id=a.id,
                description=a.description,
                owner_name=a.owner_name,
                agency_code=a.agency_code,
                agency_name=names.get(a.agency_code, (a.agency_code, None))[0],
                due_on=a.due_on,
                tool=a.tool,
                tool_label=rules.tools.get(a.tool, a.tool),
                status=a.status.value,
                overdue=a.status is ActionStatus.OPEN and a.due_on < today,
                may_update=case.stage is not Stage.CLOSED
                and may_update_action(actor, access, a.agency_code),
            )
            for a in session.scalars(
                select(CaseAction)
                .where(CaseAction.force_code == case.force_code, CaseAction.case_id == case.id)
                .order_by(CaseAction.id)
            )
        ]
        if case.assessed_at is not None and out.baseline is not None:
            after = _counts(
                case.assess_from,
                case.assess_to,
                case.after_target,
                case.after_buffer,
                case.after_control,
            )
            assert after is not None
            change = after.target - out.baseline.target
            out.assessment = AssessmentOut(
                before=out.baseline,
                after=after,
                target_change=change,
                target_change_pct=None
                if out.baseline.target == 0
                else round(100.0 * change / out.baseline.target, 1),
                wdq=case.wdq,
                displacement=case.displacement or "",
                displacement_text=VERDICTS.get(case.displacement or "", ""),
                outcome=case.outcome if sees(DataClass.CASE_NOTES) else None,
                victim_feedback=case.victim_feedback if sees(DataClass.CASE_NOTES) else None,
                assessed_at=case.assessed_at,
                assessed_by=case.assessed_by or "",
                signed_off_at=case.signed_off_at,
                signed_off_by=case.signed_off_by,
            )
    if sees(DataClass.PERSONAL_DETAILS):
        people = session.execute(
            select(CasePerson, Person)
            .join(
                Person,
                (Person.id == CasePerson.person_id) & (Person.force_code == CasePerson.force_code),
            )
            .where(CasePerson.force_code == case.force_code, CasePerson.case_id == case.id)
            .order_by(CasePerson.role, Person.surname)
        ).tuples()
        out.people = [
            LinkedPerson(
                person_id=p.id,
                label=f"{p.forename or ''} {p.surname or ''}".strip(),
                role=cp.role.value,
            )
            for cp, p in people
        ]
        subjects = sorted({p.person_id for p in out.people if p.person_id is not None})
    elif sees(DataClass.INCIDENT_SUMMARY) and actor.pseudonym_key is not None:
        roles = session.execute(
            select(CasePerson.person_id, CasePerson.role).where(
                CasePerson.force_code == case.force_code, CasePerson.case_id == case.id
            )
        ).all()
        out.people = [
            LinkedPerson(person_id=None, label=pseudonym(actor, pid), role=r.value)
            for pid, r in roles
        ]
    if sees(DataClass.CASE_NOTES):
        out.triangle = Triangle(
            offender=case.offender,
            handler=case.handler,
            victim=case.victim,
            guardian=case.guardian,
            place=case.place,
            manager=case.manager,
        )
    if sees(DataClass.RISK_ASSESSMENT):
        out.reviews = [
            ReviewOut(
                id=r.id,
                reviewer=r.reviewer,
                risk_level=r.risk_level.value,
                due_on=r.due_on,
                every_days=r.every_days,
                rules_version=r.rules_version,
                done_at=r.done_at,
                done_by=r.done_by,
                note=r.note,
                overdue=r.done_at is None and r.due_on < today,
            )
            for r in session.scalars(
                select(CaseReview)
                .where(CaseReview.force_code == case.force_code, CaseReview.case_id == case.id)
                .order_by(CaseReview.done_at.is_not(None), CaseReview.due_on, CaseReview.id)
            )
        ]
    if access.owner:
        out.shares = [
            ShareOut(
                id=s.id,
                agency_code=s.agency_code,
                agency_name=names.get(s.agency_code, (s.agency_code, None))[0],
                data_classes=list(s.data_classes),
                agreement_reference=s.agreement_reference,
                lawful_basis=s.lawful_basis,
                purpose=s.purpose,
                override=s.override_reason is not None,
                review=s.review.value,
                shared_at=s.shared_at,
                shared_by=s.shared_by,
            )
            for s in shares
        ]
    events = session.scalars(
        select(CaseEvent)
        .where(CaseEvent.force_code == case.force_code, CaseEvent.case_id == case.id)
        .order_by(CaseEvent.at.desc(), CaseEvent.id.desc())
    )
    out.timeline = [
        TimelineEntry(
            at=e.at,
            actor_name=e.actor_name,
            agency_code=e.agency_code,
            kind=e.kind,
            summary=e.summary,
        )
        for e in events
        if sees(e.data_class)
    ]
    record(
        session,
        actor=actor,
        event="casework:case:view",
        action=AuditAction.VIEW,
        object_type="case",
        object_id=case.id,
        data_subjects=subjects,
        force_code=case.force_code,
        fields={"classes": out.classes},
    )
    return out


def get_case(
    session: Session, *, actor: Actor, case_id: int, rules: SaraRules, today: dt.date | None = None
) -> CaseOut:
    """Open a case: what the reader's access allows, audited (with the people whose details
    were shown)."""
    require(actor, Action.CASE_VIEW)
    today = today or utcnow().date()
    case, access, shares = load(session, actor, case_id, today)
    return view_case(
        session, actor=actor, case=case, access=access, shares=shares, rules=rules, today=today
    )


def referrals(session: Session, *, actor: Actor, limit: int = 200) -> list[ReferralRow]:
    """The incidents triage referred to the actor's agency, still with it, newest first."""
    require(actor, Action.REFERRAL_LIST)
    kind = actor.agency.kind.value if actor.agency else AgencyKind.POLICE.value
    keys = sorted(referral_partner_keys(kind))
    latest = (
        select(TriageAssessment.incident_id, func.max(TriageAssessment.seq).label("seq"))
        .where(TriageAssessment.force_code == actor.force_code)
        .group_by(TriageAssessment.incident_id)
        .subquery()
    )
    stmt = (
        select(Incident, TriageAssessment)
        .join(
            TriageAssessment,
            (TriageAssessment.incident_id == Incident.id)
            & (TriageAssessment.force_code == Incident.force_code),
        )
        .join(
            latest,
            (latest.c.incident_id == TriageAssessment.incident_id)
            & (latest.c.seq == TriageAssessment.seq),
        )
        .where(Incident.status == IncidentStatus.REFERRED, TriageAssessment.partner.in_(keys))
        .order_by(TriageAssessment.created_at.desc(), Incident.id.desc())
        .limit(limit)
    )
    rows = [
        ReferralRow(
            incident_id=i.id,
            reference=i.reference,
            received_at=i.received_at,
            type=INCIDENT_TYPE_LABELS.get(i.opening_code, i.opening_code.value),
            district=i.district,
            partner=a.partner or "",
            partner_name=a.decision.get("partner_name"),
            referred_at=a.created_at,
        )
        for i, a in session.execute(restrict(actor, stmt, Incident)).tuples()
    ]
    record(
        session,
        actor=actor,
        event="casework:referral:list",
        action=AuditAction.SEARCH,
        object_type="incident",
        result_count=len(rows),
    )
    return rows


def override_rows(session: Session, *, actor: Actor) -> list[OverrideRow]:
    """The emergency overrides waiting for review, oldest first."""
    require(actor, Action.CASE_SHARE_REVIEW)
    stmt = (
        select(CaseShare, Case)
        .join(Case, (Case.id == CaseShare.case_id) & (Case.force_code == CaseShare.force_code))
        .where(CaseShare.review == ShareReview.PENDING)
        .order_by(CaseShare.shared_at, CaseShare.id)
    )
    names = _names(session, actor.force_code)
    return [
        OverrideRow(
            share_id=s.id,
            case_id=c.id,
            reference=c.reference,
            agency_name=names.get(s.agency_code, (s.agency_code, None))[0],
            data_classes=list(s.data_classes),
            reason=s.override_reason or "",
            shared_at=s.shared_at,
            shared_by=s.shared_by,
        )
        for s, c in session.execute(restrict(actor, stmt, Case)).tuples()
    ]


def repeat_candidates(
    session: Session, *, actor: Actor, incident_id: int | None = None, limit: int = 50
) -> list[RepeatCandidate]:
    """Recorded triages that found a repeat location, victim or offender and have no case
    yet: where a problem-solving case can be opened (newest first)."""
    require(actor, Action.CASE_CREATE)
    opened = select(Case.source_assessment_id).where(
        Case.force_code == actor.force_code, Case.source_assessment_id.is_not(None)
    )
    stmt = (
        select(TriageAssessment, Incident)
        .join(
            Incident,
            (Incident.id == TriageAssessment.incident_id)
            & (Incident.force_code == TriageAssessment.force_code),
        )
        .where(
            TriageAssessment.repeat_location
            | TriageAssessment.repeat_victim
            | TriageAssessment.repeat_offender,
            TriageAssessment.id.not_in(opened),
        )
        .order_by(TriageAssessment.created_at.desc(), TriageAssessment.id.desc())
        .limit(limit)
    )
    if incident_id is not None:
        stmt = stmt.where(Incident.id == incident_id)
    out = []
    for a, i in session.execute(restrict(actor, stmt, Incident)).tuples():
        kinds = [
            k
            for k, on in (
                ("location", a.repeat_location),
                ("victim", a.repeat_victim),
                ("offender", a.repeat_offender),
            )
            if on
        ]
        counts = {r["kind"]: len(r["incidents"]) for r in a.decision.get("repeats", [])}
        out.append(
            RepeatCandidate(
                assessment_id=a.id,
                incident_id=i.id,
                reference=i.reference,
                district=i.district,
                assessed_at=a.created_at,
                risk_level=a.risk_level.value,
                kinds=kinds,
                earlier={k: counts.get(k, 0) for k in kinds},
            )
        )
    return out
