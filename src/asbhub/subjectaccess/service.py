"""Gather one person's records into a single subject-access document.

Each section is one read narrowed by ``permissions.restrict``; the audit section lists every
event that names the person as a data subject (who saw or changed their data, when, why,
from which organisation). The export itself is audited, as an export, naming the person.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from asbhub.audit.models import AuditEvent
from asbhub.audit.queries import filtered
from asbhub.audit.schemas import AuditFilters
from asbhub.audit.service import AuditAction, record
from asbhub.casereviews.models import AsbCaseReview
from asbhub.errors import NotFound
from asbhub.incidents.lifecycle import utcnow
from asbhub.incidents.models import Incident, IncidentPerson, Person
from asbhub.permissions import Action, Actor, require, restrict
from asbhub.restorative.models import RestorativeParticipant, RestorativeReferral
from asbhub.triage.models import TriageAssessment

# A person with more audit events than this is exported with the newest ones and a note; the
# rest are one audit search away (``/audit?subject=person:ID``).
AUDIT_LIMIT = 5000


def _iso(v: Any) -> Any:
    return v.isoformat() if isinstance(v, dt.date | dt.datetime) else v


def _person(session: Session, actor: Actor, person_id: int) -> Person:
    p = session.execute(
        restrict(actor, select(Person).where(Person.id == person_id), Person)
    ).scalar_one_or_none()
    if p is None:
        raise NotFound(f"no person {person_id}")
    return p


def _incidents(session: Session, actor: Actor, person_id: int) -> list[dict[str, Any]]:
    stmt = restrict(
        actor,
        select(Incident, IncidentPerson.role)
        .join(
            IncidentPerson,
            (IncidentPerson.incident_id == Incident.id)
            & (IncidentPerson.force_code == Incident.force_code),
        )
        .where(IncidentPerson.person_id == person_id)
        .order_by(Incident.received_at, Incident.id),
        Incident,
    )
    return [
        {
            "incident_id": i.id,
            "reference": i.reference,
            "role": role.value,
            "received_at": _iso(i.received_at),
            "type": (i.closing_code or i.opening_code).value,
            "place": i.location_text,
            "local_authority_code": i.local_authority_code,
            "status": i.status.value,
            "narrative": i.narrative,
        }
        for i, role in session.execute(stmt)
    ]


def _assessments(session: Session, actor: Actor, incident_ids: list[int]) -> list[dict[str, Any]]:
    if not incident_ids:
        return []
    stmt = restrict(
        actor,
        select(TriageAssessment, Incident.reference)
        .join(
            Incident,
            (Incident.id == TriageAssessment.incident_id)
            & (Incident.force_code == TriageAssessment.force_code),
        )
        .where(TriageAssessment.incident_id.in_(incident_ids))
        .order_by(TriageAssessment.created_at, TriageAssessment.id),
        Incident,
    )
    return [
        {
            "incident": ref,
            "assessed_at": _iso(a.created_at),
            "by": a.actor_name,
            "risk_level": a.risk_level.value,
            "risk_score": a.risk_score,
            "grade": a.grade.value,
            "outcome": a.outcome,
            "repeat_victim": a.repeat_victim,
            "case_review_eligible": a.case_review_eligible,
            "versions": {"risk": a.risk_version, "case_review": a.case_review_version},
        }
        for a, ref in session.execute(stmt)
    ]


def _case_reviews(session: Session, actor: Actor, person_id: int) -> list[dict[str, Any]]:
    stmt = restrict(
        actor,
        select(AsbCaseReview)
        .where(AsbCaseReview.victim_person_id == person_id)
        .order_by(AsbCaseReview.id),
        AsbCaseReview,
    )
    return [
        {
            "reference": c.reference,
            "local_authority_code": c.local_authority_code,
            "status": c.status.value,
            "received_on": _iso(c.received_on),
            "applicant": c.applicant.value,
            "applicant_name": c.applicant_name,
            "consent_on": _iso(c.consent_on),
            "behaviour": c.behaviour,
            "threshold": c.threshold_basis.value if c.threshold_basis else None,
            "threshold_decided_on": _iso(c.threshold_decided_on),
            "held_on": _iso(c.held_on),
            "outcome": c.outcome,
        }
        for c in session.execute(stmt).scalars()
    ]


def _restorative(session: Session, actor: Actor, person_id: int) -> list[dict[str, Any]]:
    R, P = RestorativeReferral, RestorativeParticipant
    stmt = restrict(
        actor,
        select(R, P)
        .join(P, (P.referral_id == R.id) & (P.force_code == R.force_code))
        .where(P.person_id == person_id)
        .order_by(R.id),
        R,
    )
    return [
        {
            "reference": r.reference,
            "kind": r.kind.value,
            "party": p.party.value,
            "status": r.status.value,
            "referred_on": _iso(r.referred_on),
            "consent_on": _iso(p.consent_on),
            "consent_recorded_by": p.consent_recorded_by,
            "withdrawn_on": _iso(p.withdrawn_on),
            "action_code": r.action_code,
            "outcome": r.outcome.value if r.outcome else None,
            "satisfied": p.satisfied,
        }
        for r, p in session.execute(stmt)
    ]


def _audit_trail(
    session: Session, actor: Actor, person_id: int
) -> tuple[list[dict[str, Any]], int]:
    stmt = filtered(AuditFilters(subject=f"person:{person_id}"), actor.force_code)
    rows = list(session.execute(stmt.limit(AUDIT_LIMIT + 1)).scalars())
    events: list[AuditEvent] = rows[:AUDIT_LIMIT]
    return (
        [
            {
                "at": _iso(e.occurred_at),
                "who": e.actor_name,
                "organisation": e.actor_organisation,
                "role": e.actor_role,
                "event": e.event,
                "action": e.action,
                "record": f"{e.object_type} {e.object_id}" if e.object_type else None,
                "purpose": e.purpose,
                "purpose_text": e.purpose_text,
                "recipient": e.recipient,
                "outcome": e.outcome,
            }
            for e in events
        ],
        len(rows),
    )


def subject_access(session: Session, *, actor: Actor, person_id: int) -> dict[str, Any]:
    """Everything held about ``person_id`` that the actor's scope reaches, as one document.

    Sections: the person, the incidents that name them (in any role), the triage assessments
    of those incidents, the case reviews where they are the victim, the restorative referrals
    they are a party to, and the audit of who read or changed their data. Recorded as an
    export of the person's data.
    """
    require(actor, Action.SUBJECT_ACCESS_EXPORT)
    p = _person(session, actor, person_id)
    incidents = _incidents(session, actor, person_id)
    trail, total = _audit_trail(session, actor, person_id)
    doc: dict[str, Any] = {
        "title": f"Subject access: person {p.id}",
        "produced_at": _iso(utcnow()),
        "produced_by": actor.display_name,
        "organisation": actor.organisation,
        "person": {
            "person_id": p.id,
            "forename": p.forename,
            "surname": p.surname,
            "date_of_birth": _iso(p.date_of_birth),
            "phone": p.phone,
            "email": p.email,
            "address": p.address,
            "vulnerable": p.vulnerable,
            "vulnerability_flags": list(p.vulnerability_flags or []),
        },
        "incidents": incidents,
        "assessments": _assessments(session, actor, [i["incident_id"] for i in incidents]),
        "case_reviews": _case_reviews(session, actor, person_id),
        "restorative_referrals": _restorative(session, actor, person_id),
        "audit": trail,
        "audit_truncated": total > AUDIT_LIMIT,
    }
    record(
        session,
        actor=actor,
        event="subject_access:person:export",
        action=AuditAction.EXPORT,
        object_type="person",
        object_id=p.id,
        data_subjects=[p.id],
        result_count=sum(
            len(doc[k])
            for k in ("incidents", "assessments", "case_reviews", "restorative_referrals", "audit")
        ),
        fields={
            k: len(doc[k])
            for k in ("incidents", "assessments", "case_reviews", "restorative_referrals", "audit")
        },
    )
    return doc
