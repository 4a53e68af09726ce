"""Restorative justice and Community Remedy referrals: refer, record each party's consent,
plan (facilitator, method, the action with the victim's view), start, end, feedback.

Both parties must consent before the work starts, either may withdraw at any time (domain guide
6.2), and a Community Remedy action comes from the PFCC's menu (:mod:`asbhub.restorative.menu`)
with the victim's view recorded (s.102). Every service calls ``permissions.require``, reads
through ``permissions.restrict`` and audits what it shows or changes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from asbhub.audit.service import AuditAction, record
from asbhub.errors import InvalidInput, NotFound
from asbhub.incidents.lifecycle import utcnow
from asbhub.incidents.models import Incident, Person
from asbhub.inputs import check_day
from asbhub.permissions import Action, Actor, field_rule, pseudonym, require, restrict
from asbhub.restorative import lifecycle, menu
from asbhub.restorative.lifecycle import Event, Status
from asbhub.restorative.models import (
    Kind,
    Party,
    RestorativeParticipant,
    RestorativeReferral,
)
from asbhub.restorative.schemas import (
    ActionOut,
    CompleteIn,
    ConsentIn,
    DeclineIn,
    FeedbackIn,
    ParticipantOut,
    PlanIn,
    ReferralIn,
    ReferralOut,
    ReferralRow,
    StartIn,
    WithdrawIn,
)
from asbhub.statemachine import events_from

WITHHELD = "(withheld)"


def _day(day: dt.date, name: str, after: dt.date | None = None, after_name: str = "") -> None:
    check_day(day, name, today=utcnow().date(), after=after, after_name=after_name)


def _load(session: Session, actor: Actor, referral_id: int) -> RestorativeReferral:
    stmt = restrict(
        actor,
        select(RestorativeReferral)
        .where(RestorativeReferral.id == referral_id)
        .options(selectinload(RestorativeReferral.participants)),
        RestorativeReferral,
    )
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no restorative referral {referral_id}")
    return row


def _party(r: RestorativeReferral, party: Party) -> RestorativeParticipant:
    return next(p for p in r.participants if p.party is party)


def _audit(
    session: Session,
    actor: Actor,
    r: RestorativeReferral,
    event: str,
    action: AuditAction,
    fields: dict[str, Any] | None = None,
) -> None:
    record(
        session,
        actor=actor,
        event=event,
        action=action,
        object_type="restorative_referral",
        object_id=r.id,
        data_subjects=[p.person_id for p in r.participants if p.person_id is not None],
        fields={"reference": r.reference, **(fields or {})},
    )


def _begin(session: Session, actor: Actor, referral_id: int) -> RestorativeReferral:
    """The start of every step after the referral: the permission, then the scoped load."""
    require(actor, Action.RESTORATIVE_RECORD)
    return _load(session, actor, referral_id)


def _finish(
    session: Session,
    actor: Actor,
    r: RestorativeReferral,
    event: str,
    fields: dict[str, Any] | None = None,
) -> ReferralOut:
    """The end of every step: the audit event of the change, then the referral as shown."""
    _audit(session, actor, r, event, AuditAction.UPDATE, fields)
    return _out(actor, r)


def _move(r: RestorativeReferral, event: Event) -> None:
    r.status = lifecycle.next_status(r.status, event)


def _person_in_scope(session: Session, actor: Actor, person_id: int | None, field: str) -> None:
    if person_id is None:
        return
    found = session.execute(
        restrict(actor, select(Person.id).where(Person.id == person_id), Person)
    ).scalar_one_or_none()
    if found is None:
        raise InvalidInput("no such person", {field: f"no person {person_id}"})


def refer(session: Session, *, actor: Actor, referral: ReferralIn) -> ReferralOut:
    """Record a referral with its two parties (their consent comes later)."""
    require(actor, Action.RESTORATIVE_RECORD)
    a = referral
    _day(a.referred_on, "referred_on")
    _person_in_scope(session, actor, a.harmed.person_id, "harmed.person_id")
    _person_in_scope(session, actor, a.responsible.person_id, "responsible.person_id")
    if a.harmed.person_id is not None and a.harmed.person_id == a.responsible.person_id:
        raise InvalidInput(
            "the person harmed and the person responsible are the same person",
            {"responsible.person_id": "must differ from harmed.person_id"},
        )
    if a.incident_id is not None:
        found = session.execute(
            restrict(actor, select(Incident.id).where(Incident.id == a.incident_id), Incident)
        ).scalar_one_or_none()
        if found is None:
            raise InvalidInput("no such incident", {"incident_id": f"no incident {a.incident_id}"})
    prefix = f"RJ-{a.referred_on.year}-"
    n = session.execute(
        select(func.count())
        .select_from(RestorativeReferral)
        .where(
            RestorativeReferral.force_code == actor.force_code,
            RestorativeReferral.reference.like(f"{prefix}%"),
        )
    ).scalar_one()
    r = RestorativeReferral(
        force_code=actor.force_code,
        reference=f"{prefix}{n + 1:04d}",
        local_authority_code=a.local_authority_code,
        kind=a.kind,
        status=lifecycle.INITIAL,
        referred_on=a.referred_on,
        referred_by=actor.display_name,
        referring_agency=a.referring_agency,
        incident_id=a.incident_id,
        casework_case_id=a.casework_case_id,
        summary=a.summary,
        menu_version=menu.load().version,
        created_at=utcnow(),
    )
    for party, who in ((Party.HARMED, a.harmed), (Party.RESPONSIBLE, a.responsible)):
        r.participants.append(
            RestorativeParticipant(
                force_code=actor.force_code, party=party, person_id=who.person_id, name=who.name
            )
        )
    session.add(r)
    session.flush()
    _audit(
        session, actor, r, "restorative:referral:create", AuditAction.CREATE, {"kind": a.kind.value}
    )
    return _out(actor, r)


def consent(session: Session, *, actor: Actor, referral_id: int, body: ConsentIn) -> ReferralOut:
    """One party's consent, with its day and who recorded it (the actor)."""
    r = _begin(session, actor, referral_id)
    _day(body.consent_on, "consent_on", r.referred_on, "referred_on")
    _move(r, Event.CONSENT)
    p = _party(r, body.party)
    p.consent_on, p.consent_recorded_by = body.consent_on, actor.display_name
    return _finish(
        session,
        actor,
        r,
        "restorative:referral:consent",
        {"party": body.party.value, "consent_on": body.consent_on.isoformat()},
    )


def plan(session: Session, *, actor: Actor, referral_id: int, body: PlanIn) -> ReferralOut:
    """Facilitator, method and the action; a Community Remedy needs an action from the menu
    and the victim's view of it (s.102)."""
    r = _begin(session, actor, referral_id)
    if body.action_code is not None:
        menu.load().action(body.action_code)  # refuses a code that is not on the menu
    if r.kind is Kind.COMMUNITY_REMEDY:
        missing = {
            k: msg
            for k, msg in (
                ("action_code", "a Community Remedy needs an action from the PFCC's menu"),
                ("victim_view", "record the victim's view of the action (s.102)"),
                ("victim_choice_used", "say whether the victim's choice was used"),
            )
            if getattr(body, k) is None
        }
        if missing:
            raise InvalidInput(
                "the Community Remedy needs its action and the victim's view", missing
            )
    _move(r, Event.PLAN)
    r.facilitator, r.method = body.facilitator, body.method
    r.action_code, r.victim_view = body.action_code, body.victim_view
    r.victim_choice_used, r.not_used_reason = body.victim_choice_used, body.not_used_reason
    return _finish(
        session,
        actor,
        r,
        "restorative:referral:plan",
        {"method": body.method.value, "action": body.action_code},
    )


def start(session: Session, *, actor: Actor, referral_id: int, body: StartIn) -> ReferralOut:
    r = _begin(session, actor, referral_id)
    problems = {
        f"{p.party.value}.consent_on": f"the {p.party.value} party has not consented"
        for p in r.participants
        if p.consent_on is None
    }
    if r.facilitator is None:
        problems["facilitator"] = "name the facilitator first"
    if problems:
        raise InvalidInput("both parties must consent and a facilitator be named first", problems)
    latest = max(p.consent_on for p in r.participants if p.consent_on is not None)
    _day(body.started_on, "started_on", latest, "the last consent")
    _move(r, Event.START)
    r.started_on = body.started_on
    return _finish(
        session, actor, r, "restorative:referral:start", {"started_on": body.started_on.isoformat()}
    )


def complete(session: Session, *, actor: Actor, referral_id: int, body: CompleteIn) -> ReferralOut:
    r = _begin(session, actor, referral_id)
    _day(body.ended_on, "ended_on", r.started_on, "started_on")
    _move(r, Event.COMPLETE)
    r.outcome, r.ended_on, r.end_note = body.outcome, body.ended_on, body.note
    return _finish(
        session, actor, r, "restorative:referral:complete", {"outcome": body.outcome.value}
    )


def withdraw(session: Session, *, actor: Actor, referral_id: int, body: WithdrawIn) -> ReferralOut:
    """A party withdraws their consent: the referral ends (taking part is voluntary)."""
    r = _begin(session, actor, referral_id)
    _day(body.withdrawn_on, "withdrawn_on", r.referred_on, "referred_on")
    _move(r, Event.WITHDRAW)
    _party(r, body.party).withdrawn_on = body.withdrawn_on
    r.ended_on, r.end_note = body.withdrawn_on, body.note
    return _finish(session, actor, r, "restorative:referral:withdraw", {"party": body.party.value})


def decline(session: Session, *, actor: Actor, referral_id: int, body: DeclineIn) -> ReferralOut:
    r = _begin(session, actor, referral_id)
    _day(body.ended_on, "ended_on", r.referred_on, "referred_on")
    _move(r, Event.DECLINE)
    r.ended_on, r.end_note = body.ended_on, body.note
    return _finish(session, actor, r, "restorative:referral:decline")


def feedback(session: Session, *, actor: Actor, referral_id: int, body: FeedbackIn) -> ReferralOut:
    """Whether a party was satisfied, asked once the work has ended."""
    r = _begin(session, actor, referral_id)
    _move(r, Event.FEEDBACK)
    p = _party(r, body.party)
    p.satisfied, p.feedback = body.satisfied, body.feedback
    return _finish(
        session,
        actor,
        r,
        "restorative:referral:feedback",
        {"party": body.party.value, "satisfied": body.satisfied},
    )


def get(session: Session, *, actor: Actor, referral_id: int) -> ReferralOut:
    require(actor, Action.RESTORATIVE_VIEW)
    r = _load(session, actor, referral_id)
    _audit(session, actor, r, "restorative:referral:view", AuditAction.VIEW)
    return _out(actor, r)


def list_referrals(
    session: Session, *, actor: Actor, status: Status | None = None, limit: int = 200
) -> list[ReferralRow]:
    require(actor, Action.RESTORATIVE_LIST)
    stmt = select(RestorativeReferral).order_by(
        RestorativeReferral.referred_on.desc(), RestorativeReferral.id.desc()
    )
    if status is not None:
        stmt = stmt.where(RestorativeReferral.status == status)
    rows = list(session.execute(restrict(actor, stmt, RestorativeReferral).limit(limit)).scalars())
    record(
        session,
        actor=actor,
        event="restorative:referral:list",
        action=AuditAction.SEARCH,
        object_type="restorative_referral",
        query=f"status={status or ''}",
        result_count=len(rows),
    )
    m = menu.load()
    names = {a.code: a.name for a in m.actions}
    return [
        ReferralRow(
            id=r.id,
            reference=r.reference,
            kind=r.kind,
            status=r.status,
            referred_on=r.referred_on,
            local_authority_code=r.local_authority_code,
            action=names.get(r.action_code or ""),
        )
        for r in rows
    ]


def _out(actor: Actor, r: RestorativeReferral) -> ReferralOut:
    rule = field_rule(actor)
    action = None
    if r.action_code:
        a = menu.load().action(r.action_code)
        action = ActionOut(code=a.code, name=a.name, purposes=list(a.purposes))

    def name(p: RestorativeParticipant) -> str:
        if rule.names:
            return p.name
        return pseudonym(actor, p.person_id) if p.person_id is not None else WITHHELD

    return ReferralOut(
        id=r.id,
        reference=r.reference,
        local_authority_code=r.local_authority_code,
        kind=r.kind,
        status=r.status,
        referred_on=r.referred_on,
        referred_by=r.referred_by,
        referring_agency=r.referring_agency,
        incident_id=r.incident_id,
        casework_case_id=r.casework_case_id,
        summary=r.summary if rule.free_text else None,
        facilitator=r.facilitator,
        method=r.method,
        menu_version=r.menu_version,
        action=action,
        victim_view=r.victim_view if rule.free_text else None,
        victim_choice_used=r.victim_choice_used,
        not_used_reason=r.not_used_reason if rule.free_text else None,
        started_on=r.started_on,
        outcome=r.outcome,
        ended_on=r.ended_on,
        participants=[
            ParticipantOut(
                party=p.party,
                name=name(p),
                person_id=p.person_id if rule.names else None,
                consent_on=p.consent_on,
                consent_recorded_by=p.consent_recorded_by,
                withdrawn_on=p.withdrawn_on,
                satisfied=p.satisfied,
                feedback=p.feedback if rule.free_text else None,
            )
            for p in r.participants
        ],
        allowed_events=events_from(lifecycle.TRANSITIONS, r.status),
    )
