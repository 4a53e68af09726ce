"""Statutory powers: draft, issue and record the life of each power, keep its deadlines on the
legal calendar, remind owners, store its letters, and let an administrator set the rules.

Every function is ``fn(session, *, actor, ...)``: it checks the permission, narrows reads in
the query, audits personal data and changes, and never commits. The rules file is passed in
(the entry points load it from the settings, ``ASBHUB_POWERS_RULES_DIR``); the administrators'
settings over it are read here, per force, so the rule applied to a record is the one in force
on the record's date and the record keeps its version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from asbhub.audit.service import AuditAction, record
from asbhub.casework import queries as casework
from asbhub.casework.models import Case, CaseLinkRole, CasePerson, Stage
from asbhub.casework.service import note_on_case
from asbhub.errors import Conflict, InvalidInput, NotFound, NotPermitted
from asbhub.incidents.models import Location, Person
from asbhub.permissions import Action, Actor, DataClass, Role, allowed, require, restrict
from asbhub.powers import guards
from asbhub.powers.calendar import Period, add_working_days
from asbhub.powers.lifecycle import REASON_REQUIRED, Event, Refused, next_state
from asbhub.powers.models import (
    PowerDeadline,
    PowerEvent,
    PowerLetter,
    PowerRecord,
    PowerReminder,
    PowerRuleSetting,
    PowerState,
    SubjectType,
)
from asbhub.powers.rules import Overrides, RulesFile, Table
from asbhub.powers.schemas import DraftIn

# Deadlines a later step settles: a warning's check when the notice follows it, the hearing
# when the order is made.
_SETTLES = {"CPN": "compliance", "CLOSURE_ORDER": "hearing"}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


# --- the rules table -----------------------------------------------------------------------


def table(session: Session, *, file: RulesFile, force_code: str) -> Table:
    """The rules file with the force's administrators' settings over it."""
    rows = session.execute(
        select(PowerRuleSetting)
        .where(PowerRuleSetting.force_code == force_code)
        .order_by(PowerRuleSetting.id)
    ).scalars()
    commencements: dict[str, dt.date] = {}
    config: dict[str, list[tuple[dt.date, int]]] = {}
    seq = 0
    for row in rows:
        seq = row.id
        kind, _, key = row.key.partition(":")
        if kind == "change":
            if row.effective_from is None:
                commencements.pop(key, None)
            else:
                commencements[key] = row.effective_from
        elif kind == "config" and row.value is not None and row.effective_from is not None:
            config.setdefault(key, []).append((row.effective_from, int(row.value)))
    return Table(file, Overrides(commencements, config, seq))


def rules_table(session: Session, *, actor: Actor, file: RulesFile) -> Table:
    """The rules table as it stands for the actor's force (what the rules screen shows)."""
    require(actor, Action.POWER_RULES_VIEW)
    return table(session, file=file, force_code=actor.force_code)


def set_commencement(
    session: Session,
    *,
    actor: Actor,
    file: RulesFile,
    change_id: str,
    in_force: dt.date | None,
    reason: str,
) -> Table:
    """Switch a change in the law on from ``in_force`` (``None`` switches it off again).

    Records made before the date keep the rule they were decided by; later records use the
    new one. Audited with the date before and after.
    """
    require(actor, Action.POWER_RULES_EDIT)
    change = file.change(change_id)
    if not reason.strip():
        raise InvalidInput("say why the change is set", {"reason": "a reason is needed"})
    before = table(session, file=file, force_code=actor.force_code).commenced(change.id)
    row = PowerRuleSetting(
        force_code=actor.force_code,
        key=f"change:{change.id}",
        value=None,
        effective_from=in_force,
        reason=reason.strip(),
        set_at=utcnow(),
        set_by_user_id=actor.user_id or None,
        set_by_name=actor.display_name,
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor=actor,
        event="powers:rules:update",
        action=AuditAction.UPDATE,
        object_type="power_rule",
        object_id=f"change:{change.id}",
        fields={
            "in_force": {
                "before": before and before.isoformat(),
                "after": in_force and in_force.isoformat(),
            },
            "reason": reason.strip(),
            "setting": row.id,
        },
    )
    return table(session, file=file, force_code=actor.force_code)


def set_config(
    session: Session,
    *,
    actor: Actor,
    file: RulesFile,
    key: str,
    value: int,
    effective_from: dt.date,
    reason: str,
) -> Table:
    """Set a configurable value of the rules (within the range the file allows) from a date."""
    require(actor, Action.POWER_RULES_EDIT)
    spec = file.config.get(key)
    if spec is None:
        raise InvalidInput(f"no setting {key!r}", {"key": ", ".join(file.config)})
    if not spec.min <= value <= spec.max:
        raise InvalidInput(
            f"{spec.text}: {value} is outside {spec.min}-{spec.max}",
            {"value": f"between {spec.min} and {spec.max}"},
        )
    if not reason.strip():
        raise InvalidInput("say why the value is set", {"reason": "a reason is needed"})
    before = table(session, file=file, force_code=actor.force_code).setting(key, effective_from)
    row = PowerRuleSetting(
        force_code=actor.force_code,
        key=f"config:{key}",
        value=str(value),
        effective_from=effective_from,
        reason=reason.strip(),
        set_at=utcnow(),
        set_by_user_id=actor.user_id or None,
        set_by_name=actor.display_name,
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor=actor,
        event="powers:rules:update",
        action=AuditAction.UPDATE,
        object_type="power_rule",
        object_id=f"config:{key}",
        fields={
            "value": {"before": before, "after": value},
            "effective_from": effective_from.isoformat(),
            "reason": reason.strip(),
            "setting": row.id,
        },
    )
    return table(session, file=file, force_code=actor.force_code)


def settings_history(session: Session, *, actor: Actor) -> list[PowerRuleSetting]:
    require(actor, Action.POWER_RULES_VIEW)
    return list(
        session.execute(
            select(PowerRuleSetting)
            .where(PowerRuleSetting.force_code == actor.force_code)
            .order_by(PowerRuleSetting.id.desc())
        ).scalars()
    )


# --- records -------------------------------------------------------------------------------


def _load(session: Session, actor: Actor, record_id: int) -> PowerRecord:
    stmt = restrict(
        actor,
        select(PowerRecord)
        .where(PowerRecord.id == record_id)
        .options(
            selectinload(PowerRecord.events),
            selectinload(PowerRecord.deadlines),
            selectinload(PowerRecord.letters),
        ),
        PowerRecord,
    )
    rec = session.execute(stmt).scalar_one_or_none()
    if rec is None:
        raise NotFound(f"power record {record_id} not found")
    return rec


def _person(session: Session, actor: Actor, person_id: int) -> Person:
    person = session.execute(
        restrict(actor, select(Person).where(Person.id == person_id), Person)
    ).scalar_one_or_none()
    if person is None:
        raise NotFound(f"person {person_id} not found")
    return person


def age_on(born: dt.date | None, on: dt.date) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def draft(session: Session, *, actor: Actor, file: RulesFile, data: DraftIn) -> PowerRecord:
    """Write a power as a draft: its subject, issuer and terms. Issuing checks the rules."""
    require(actor, Action.POWER_RECORD)
    return _draft(session, actor, file, data, "recorded")


def _draft(
    session: Session, actor: Actor, file: RulesFile, data: DraftIn, source: str
) -> PowerRecord:
    rule = file.powers.get(data.power)
    if rule is None:
        raise InvalidInput(f"unknown power {data.power!r}", {"power": ", ".join(file.powers)})
    rec = PowerRecord(
        force_code=actor.force_code,
        power=data.power,
        state=PowerState.DRAFT,
        subject_type=data.subject_type,
        issuer=data.issuer,
        issuer_rank=data.issuer_rank if data.issuer == "police" else None,
        issuer_name=(data.issuer_name or actor.display_name).strip(),
        owner_user_id=actor.user_id or None,
        owner_name=actor.display_name,
        terms=data.terms.strip(),
        details=data.details(),
        created_at=utcnow(),
        created_by=actor.display_name,
        source=source,
    )
    _set_subject(session, actor, rec, data)
    case = _case_for_draft(session, actor, data.case_id, rec) if data.case_id else None
    if data.parent_id is not None:
        parent = _load(session, actor, data.parent_id)
        rec.parent_id = parent.id
        rec.local_authority_code = rec.local_authority_code or parent.local_authority_code
        if rec.subject_type is SubjectType.PREMISES and rec.location_id is None:
            rec.location_id, rec.place_text = parent.location_id, parent.place_text
    session.add(rec)
    session.flush()
    _step(session, actor, rec, "draft", None, PowerState.DRAFT, rec.created_at, None, "", {})
    if case is not None:
        note_on_case(session, case=case, actor=actor, summary=f"{rule.name} {rec.id} drafted")
    record(
        session,
        actor=actor,
        event="powers:record:create",
        action=AuditAction.CREATE,
        object_type="power_record",
        object_id=rec.id,
        data_subjects=[rec.person_id] if rec.person_id else [],
        fields={
            "power": rec.power,
            "subject_type": rec.subject_type.value,
            "case": rec.case_id,
        },
    )
    return rec


def _case_for_draft(session: Session, actor: Actor, case_id: int, rec: PowerRecord) -> Case:
    """The case a drafted power joins: in the actor's scope, worked by the actor's agency and
    open; a person the power is given to must be one of the case's people."""
    case, access, _ = casework.load(session, actor, case_id, utcnow().date())
    if not access.may_update:
        raise NotPermitted(f"only the agency that owns case {case.reference} adds powers to it")
    if case.stage is Stage.CLOSED:
        raise Conflict(f"case {case.reference} is closed: reopen it first")
    if rec.person_id is not None and rec.person_id not in _case_people(session, case):
        raise InvalidInput(
            "the person is not on the case",
            {"person_id": f"link the person to case {case.reference} first"},
        )
    rec.case_id = case.id
    rec.local_authority_code = rec.local_authority_code or case.local_authority_code
    return case


def _case_people(session: Session, case: Case) -> set[int]:
    return set(
        session.scalars(
            select(CasePerson.person_id).where(
                CasePerson.force_code == case.force_code, CasePerson.case_id == case.id
            )
        )
    )


def _set_subject(session: Session, actor: Actor, rec: PowerRecord, data: DraftIn) -> None:
    kind = data.subject_type
    if kind is SubjectType.INDIVIDUAL:
        if data.person_id is None:
            raise InvalidInput("choose the person", {"person_id": "a stored person is needed"})
        rec.person_id = _person(session, actor, data.person_id).id
    elif kind is SubjectType.BODY:
        if not (data.body_name or "").strip():
            raise InvalidInput("name the body", {"body_name": "the body's name is needed"})
        rec.body_name = (data.body_name or "").strip()
    else:
        if data.location_id is not None:
            loc = session.execute(
                restrict(actor, select(Location).where(Location.id == data.location_id), Location)
            ).scalar_one_or_none()
            if loc is None:
                raise NotFound(f"location {data.location_id} not found")
            rec.location_id, rec.place_text = loc.id, loc.address
            rec.local_authority_code = loc.local_authority_code
        elif (data.place_text or "").strip():
            rec.place_text = (data.place_text or "").strip()
        elif data.parent_id is None:
            what = "premises" if kind is SubjectType.PREMISES else "locality"
            raise InvalidInput(f"describe the {what}", {"place_text": "an address or an area"})


def _priors(session: Session, rec: PowerRecord, table_: Table) -> Sequence[PowerRecord]:
    need = table_.power(rec.power).requires_prior
    if need is None:
        return ()
    if rec.parent_id is not None:
        stmt = select(PowerRecord).where(
            PowerRecord.force_code == rec.force_code, PowerRecord.id == rec.parent_id
        )
    elif need.same_subject:
        if rec.person_id is not None:
            same = PowerRecord.person_id == rec.person_id
        elif rec.body_name:
            same = PowerRecord.body_name == rec.body_name
        else:
            return ()
        stmt = select(PowerRecord).where(
            PowerRecord.force_code == rec.force_code, PowerRecord.power == need.power, same
        )
    else:
        return ()
    stmt = stmt.options(selectinload(PowerRecord.deadlines))
    return list(session.execute(stmt).scalars())


def issue(
    session: Session,
    *,
    actor: Actor,
    file: RulesFile,
    record_id: int,
    at: dt.datetime,
    now: dt.datetime | None = None,
) -> PowerRecord:
    """Issue (serve, make) a drafted power at ``at``, as the rules in force on that date allow.

    Refused with the reason and section when they do not; nothing is written then. On issue
    the record keeps the rules version and the rule it was decided by, and its deadlines are
    set on the legal calendar.
    """
    require(actor, Action.POWER_RECORD)
    return _issue(session, actor, file, _load(session, actor, record_id), at, now or utcnow())


def _issue(
    session: Session,
    actor: Actor,
    file: RulesFile,
    rec: PowerRecord,
    at: dt.datetime,
    now: dt.datetime,
) -> PowerRecord:
    if at > now + dt.timedelta(minutes=5):
        raise InvalidInput("a power cannot be issued in the future", {"at": "today or earlier"})
    to = next_state(rec.state, Event.ISSUE)
    t = table(session, file=file, force_code=rec.force_code)
    age = age_on(rec.person.date_of_birth, at.date()) if rec.person is not None else None
    facts = guards.Facts(
        power=rec.power,
        subject_type=rec.subject_type,
        age=age,
        issuer=rec.issuer,
        issuer_rank=rec.issuer_rank,
        at=at,
        details=dict(rec.details or {}),
        priors=_priors(session, rec, t),
    )
    plan = guards.check_issue(t, facts)
    rec.record_date = at.date()
    rec.starts_at, rec.ends_at = plan.starts_at, plan.ends_at
    rec.rules_version, rec.rule = t.version, plan.rule
    if plan.parent is not None:
        rec.parent_id = plan.parent.id
        settles = _SETTLES.get(rec.power)
        for d in plan.parent.deadlines:
            if d.kind == settles and d.done_at is None:
                d.done_at = at
    for spec in plan.deadlines:
        _deadline(session, rec, spec)
    frm = rec.state
    rec.state = to
    _step(session, actor, rec, Event.ISSUE.value, frm, to, at, None, t.version, {})
    if rec.case is not None:
        note_on_case(
            session,
            case=rec.case,
            actor=actor,
            summary=f"{t.power(rec.power).name} {rec.id} issued on {at:%d %B %Y}",
        )
    record(
        session,
        actor=actor,
        event="powers:record:issue",
        action=AuditAction.UPDATE,
        object_type="power_record",
        object_id=rec.id,
        data_subjects=[rec.person_id] if rec.person_id else [],
        fields={
            "power": rec.power,
            "at": at.isoformat(),
            "rules_version": t.version,
            "ends_at": rec.ends_at and rec.ends_at.isoformat(),
        },
    )
    session.flush()
    return rec


def _deadline(session: Session, rec: PowerRecord, spec: guards.DeadlineSpec) -> PowerDeadline:
    d = PowerDeadline(
        force_code=rec.force_code,
        record_id=rec.id,
        kind=spec.kind,
        label=spec.label,
        due_at=spec.due_at,
        section=spec.section,
        action=spec.action,
        owner_user_id=rec.owner_user_id,
        owner_name=rec.owner_name,
    )
    session.add(d)
    rec.deadlines.append(d)
    return d


def _step(
    session: Session,
    actor: Actor,
    rec: PowerRecord,
    event: str,
    frm: PowerState | None,
    to: PowerState,
    at: dt.datetime,
    reason: str | None,
    version: str,
    details: dict[str, object],
) -> None:
    ev = PowerEvent(
        force_code=rec.force_code,
        record_id=rec.id,
        at=at,
        event=event,
        from_state=frm,
        to_state=to,
        actor_user_id=actor.user_id or None,
        actor_name=actor.display_name,
        reason=reason,
        rules_version=version or rec.rules_version or "",
        details=details,
    )
    session.add(ev)
    rec.events.append(ev)


def transition(
    session: Session,
    *,
    actor: Actor,
    file: RulesFile,
    record_id: int,
    event: Event,
    at: dt.datetime,
    reason: str | None = None,
    period: str | None = None,
    issuer: str | None = None,
    issuer_rank: str | None = None,
) -> PowerRecord:
    """A later step of a record's life (not issue), checked against the rule it was issued
    under; refused with the reason and section where the rules forbid it."""
    require(actor, Action.POWER_RECORD)
    if event is Event.ISSUE:
        raise InvalidInput("issue a draft with issue()", {"event": "issue"})
    rec = _load(session, actor, record_id)
    to = next_state(rec.state, event)
    if event in REASON_REQUIRED and not (reason or "").strip():
        raise InvalidInput(f"say why ({event.value})", {"reason": "a reason is needed"})
    if rec.starts_at is not None and at < rec.starts_at:
        raise InvalidInput("the step is dated before the power was issued", {"at": str(at)})
    t = table(session, file=file, force_code=rec.force_code)
    extra: dict[str, object] = {}
    if event is Event.EXTEND:
        new_end, section = guards.check_extend(
            t,
            rec,
            issuer=issuer or rec.issuer,
            issuer_rank=issuer_rank if issuer == "police" else None,
            period=Period.parse(period, "period") if period else None,
            at=at,
        )
        extra = {"ends_at": {"before": rec.ends_at and rec.ends_at.isoformat()}}
        rec.ends_at = new_end
        extra["ends_at"] = {**extra["ends_at"], "after": new_end.isoformat()}  # type: ignore[dict-item]
        extra["section"] = section
        for d in rec.deadlines:
            if d.kind == "expiry":
                d.due_at = new_end
    elif event is Event.APPEAL:
        guards.check_appeal(t, rec, at)
    elif event is Event.ARREST:
        spec = guards.check_arrest(t, rec, at)
        _deadline(session, rec, spec)
        extra = {"before_judge_by": spec.due_at.isoformat()}
    elif event is Event.EXPIRE:
        guards.check_expire(t, rec, at)
    if to in (PowerState.COMPLIED, PowerState.EXPIRED, PowerState.DISCHARGED):
        for d in rec.deadlines:
            if d.done_at is None and d.kind in ("compliance", "review", "expiry"):
                d.done_at = at
    frm = rec.state
    rec.state = to
    _step(session, actor, rec, event.value, frm, to, at, (reason or "").strip() or None, "", extra)
    record(
        session,
        actor=actor,
        event="powers:record:transition",
        action=AuditAction.UPDATE,
        object_type="power_record",
        object_id=rec.id,
        data_subjects=[rec.person_id] if rec.person_id else [],
        fields={"event": event.value, "state": {"before": frm.value, "after": to.value}, **extra},
    )
    session.flush()
    return rec


def record_for_job(
    session: Session,
    *,
    actor: Actor,
    file: RulesFile,
    orders: Sequence[tuple[DraftIn, dt.datetime]],
) -> list[PowerRecord]:
    """Draft and issue powers for a job (the generator's seed orders), each through the same
    checks, deadlines and audit events as one recorded by hand. Jobs are audited, not
    authorised: only the system actor may call this."""
    if actor.role is not Role.SYSTEM:
        raise NotPermitted("only a job records powers in bulk")
    out = []
    for data, at in orders:
        rec = _draft(session, actor, file, data, "generated")
        out.append(_issue(session, actor, file, rec, at, at))
    return out


def candidates(
    session: Session, *, actor: Actor, file: RulesFile, power: str, person_id: int | None
) -> list[PowerRecord]:
    """The records a new ``power`` may follow (the form's choice): the person's own where the
    rule wants the same subject, else the force's (latest 50, in scope)."""
    require(actor, Action.POWER_VIEW)
    rule = file.powers.get(power)
    need = rule.requires_prior if rule is not None else None
    if need is None:
        return []
    stmt = select(PowerRecord).where(
        PowerRecord.power == need.power, PowerRecord.state != PowerState.DRAFT
    )
    if need.same_subject:
        if person_id is None:
            return []
        stmt = stmt.where(PowerRecord.person_id == person_id)
    stmt = restrict(actor, stmt, PowerRecord).order_by(PowerRecord.id.desc()).limit(50)
    return list(session.execute(stmt).scalars())


def get_record(session: Session, *, actor: Actor, record_id: int) -> PowerRecord:
    """One power record with its history, deadlines and letters. Audited."""
    require(actor, Action.POWER_VIEW)
    rec = _load(session, actor, record_id)
    record(
        session,
        actor=actor,
        event="powers:record:view",
        action=AuditAction.VIEW,
        object_type="power_record",
        object_id=rec.id,
        data_subjects=[rec.person_id] if rec.person_id else [],
    )
    return rec


@dataclass(frozen=True)
class PersonPowers:
    person: Person
    records: list[PowerRecord]


def for_person(session: Session, *, actor: Actor, person_id: int) -> PersonPowers:
    """Every power given to a person. Audited."""
    require(actor, Action.POWER_VIEW)
    person = _person(session, actor, person_id)
    rows = list(
        session.execute(
            restrict(
                actor,
                select(PowerRecord)
                .where(PowerRecord.person_id == person.id)
                .options(selectinload(PowerRecord.deadlines))
                .order_by(PowerRecord.id.desc()),
                PowerRecord,
            )
        ).scalars()
    )
    record(
        session,
        actor=actor,
        event="powers:record:list",
        action=AuditAction.VIEW,
        object_type="person",
        object_id=person.id,
        data_subjects=[person.id],
        result_count=len(rows),
    )
    return PersonPowers(person, rows)


@dataclass(frozen=True)
class CaseSubject:
    """One of a case's people, as a power may be given to them."""

    id: int
    name: str
    role: str


@dataclass(frozen=True)
class CasePowers:
    case: Case
    records: list[PowerRecord]
    people: list[CaseSubject]  # whom a power on the case may be given to
    may_add: bool
    names: bool  # the reader may see the people's names (the case's personal details)


STATE_FILTERS: dict[str, tuple[PowerState, ...]] = {
    "draft": (PowerState.DRAFT,),
    "in_force": (PowerState.ISSUED, PowerState.BREACHED, PowerState.VARIED, PowerState.APPEALED),
    "ended": (PowerState.COMPLIED, PowerState.EXPIRED, PowerState.DISCHARGED),
}


def for_case(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    state: str | None = None,
    today: dt.date | None = None,
) -> CasePowers:
    """The powers on a problem-solving case (``state``: one of ``STATE_FILTERS``), for those
    the case's notes are open to. Audited with the people the list names."""
    require(actor, Action.POWER_VIEW)
    case, access, _ = casework.load(session, actor, case_id, today or utcnow().date())
    if not access.sees(DataClass.CASE_NOTES):
        raise NotPermitted(f"the powers on case {case.reference} are shown to its owner's staff")
    if state is not None and state not in STATE_FILTERS:
        raise InvalidInput("unknown state", {"state": ", ".join(STATE_FILTERS)})
    stmt = (
        select(PowerRecord)
        .where(PowerRecord.case_id == case.id)
        .options(selectinload(PowerRecord.person))
        .order_by(PowerRecord.id.desc())
    )
    if state is not None:
        stmt = stmt.where(PowerRecord.state.in_(STATE_FILTERS[state]))
    rows = list(session.execute(restrict(actor, stmt, PowerRecord)).scalars())
    people: list[CaseSubject] = []
    if access.sees(DataClass.PERSONAL_DETAILS):
        linked = session.execute(
            select(Person, CasePerson.role)
            .join(
                CasePerson,
                (CasePerson.person_id == Person.id) & (CasePerson.force_code == Person.force_code),
            )
            .where(CasePerson.force_code == case.force_code, CasePerson.case_id == case.id)
            .order_by(CasePerson.role.desc(), Person.surname, Person.id)
        ).all()
        # Those the case names as offenders first: a power is usually theirs.
        order = {CaseLinkRole.OFFENDER: 0, CaseLinkRole.OTHER: 1, CaseLinkRole.VICTIM: 2}
        people = [
            CaseSubject(p.id, f"{p.forename} {p.surname}".strip(), role.value)
            for p, role in sorted(linked, key=lambda r: (order[r[1]], r[0].surname, r[0].id))
        ]
    subjects = sorted({r.person_id for r in rows if r.person_id} | {p.id for p in people})
    record(
        session,
        actor=actor,
        event="powers:record:list",
        action=AuditAction.VIEW,
        object_type="case",
        object_id=case.id,
        data_subjects=subjects,
        result_count=len(rows),
        query=f"state={state}" if state else None,
    )
    may_add = (
        access.may_update and case.stage is not Stage.CLOSED and allowed(actor, Action.POWER_RECORD)
    )
    return CasePowers(case, rows, people, may_add, access.sees(DataClass.PERSONAL_DETAILS))


# --- deadlines and reminders -----------------------------------------------------------------


def _open_deadlines(actor: Actor, until: dt.datetime) -> Select[PowerDeadline, PowerRecord]:
    stmt = (
        select(PowerDeadline, PowerRecord)
        .join(
            PowerRecord,
            (PowerRecord.id == PowerDeadline.record_id)
            & (PowerRecord.force_code == PowerDeadline.force_code),
        )
        .where(
            PowerDeadline.done_at.is_(None),
            PowerDeadline.action.is_(True),
            PowerDeadline.due_at <= until,
            PowerRecord.state.not_in([PowerState.EXPIRED, PowerState.DISCHARGED]),
        )
        .order_by(PowerDeadline.due_at, PowerDeadline.id)
    )
    return restrict(actor, stmt, PowerRecord)


@dataclass(frozen=True)
class DueRow:
    deadline: PowerDeadline
    record: PowerRecord
    overdue: bool


def deadlines_due(
    session: Session,
    *,
    actor: Actor,
    file: RulesFile,
    now: dt.datetime | None = None,
    mine: bool = False,
) -> list[DueRow]:
    """Deadlines that need doing: overdue, then those due within the reminder period (in
    working days). ``mine`` keeps the actor's own. Audited (the list names subjects)."""
    require(actor, Action.POWER_DEADLINES)
    now = now or utcnow()
    t = table(session, file=file, force_code=actor.force_code)
    soon = add_working_days(now.date(), t.setting("reminder_days", now.date()))
    until = dt.datetime.combine(soon, dt.time(23, 59, 59))
    stmt = _open_deadlines(actor, until)
    if mine:
        stmt = stmt.where(PowerDeadline.owner_user_id == actor.user_id)
    rows = [DueRow(d, r, d.due_at < now) for d, r in session.execute(stmt)]
    record(
        session,
        actor=actor,
        event="powers:deadline:list",
        action=AuditAction.VIEW,
        object_type="power_deadline",
        data_subjects=sorted({r.record.person_id for r in rows if r.record.person_id}),
        result_count=len(rows),
        query="mine" if mine else "all",
    )
    return rows


def remind(
    session: Session, *, actor: Actor, file: RulesFile, now: dt.datetime | None = None
) -> dict[str, int]:
    """The scheduled job: one reminder per open deadline due within the reminder period
    (``due_soon``) and one when it is overdue (``overdue``), for its owner. Run as the system
    actor; running it again the same day adds nothing. Audited with the counts."""
    now = now or utcnow()
    t = table(session, file=file, force_code=actor.force_code)
    soon = add_working_days(now.date(), t.setting("reminder_days", now.date()))
    until = dt.datetime.combine(soon, dt.time(23, 59, 59))
    stmt = (
        select(PowerDeadline)
        .join(
            PowerRecord,
            (PowerRecord.id == PowerDeadline.record_id)
            & (PowerRecord.force_code == PowerDeadline.force_code),
        )
        .where(
            PowerDeadline.force_code == actor.force_code,
            PowerDeadline.done_at.is_(None),
            PowerDeadline.action.is_(True),
            PowerDeadline.due_at <= until,
            PowerRecord.state.not_in([PowerState.EXPIRED, PowerState.DISCHARGED]),
        )
    )
    had = {
        (r.deadline_id, r.kind)
        for r in session.execute(
            select(PowerReminder).where(PowerReminder.force_code == actor.force_code)
        ).scalars()
    }
    counts = {"due_soon": 0, "overdue": 0}
    owners: set[str] = set()
    for d in session.execute(stmt).scalars():
        kind = "overdue" if d.due_at < now else "due_soon"
        if (d.id, kind) in had:
            continue
        session.add(
            PowerReminder(
                force_code=d.force_code,
                deadline_id=d.id,
                owner_user_id=d.owner_user_id,
                owner_name=d.owner_name,
                kind=kind,
                created_at=now,
            )
        )
        counts[kind] += 1
        owners.add(d.owner_name)
    session.flush()
    record(
        session,
        actor=actor,
        event="powers:reminder:create",
        action=AuditAction.CREATE,
        object_type="power_reminder",
        fields={**counts, "owners": len(owners)},
        result_count=counts["due_soon"] + counts["overdue"],
    )
    return {**counts, "owners": len(owners)}


def reminders_for(session: Session, *, actor: Actor) -> list[PowerReminder]:
    """The reminders the job gave the actor, newest first."""
    require(actor, Action.POWER_DEADLINES)
    return list(
        session.execute(
            select(PowerReminder)
            .join(
                PowerDeadline,
                (PowerDeadline.id == PowerReminder.deadline_id)
                & (PowerDeadline.force_code == PowerReminder.force_code),
            )
            .where(
                PowerReminder.force_code == actor.force_code,
                PowerReminder.owner_user_id == actor.user_id,
                PowerDeadline.done_at.is_(None),
            )
            .options(selectinload(PowerReminder.deadline).selectinload(PowerDeadline.record))
            .order_by(PowerReminder.created_at.desc(), PowerReminder.id.desc())
        ).scalars()
    )


# --- letters -------------------------------------------------------------------------------

LETTER_KINDS = {
    "CPW": "Community Protection Warning",
    "CPN": "Community Protection Notice",
    "CLOSURE_NOTICE": "Closure notice",
    "RESPECT_ORDER": "Application for a Respect Order",
}


def store_letter(
    session: Session, *, actor: Actor, record_id: int, html: str, pdf: bytes
) -> PowerLetter:
    """Keep a letter as issued with its record (a Respect Order application may be produced
    from the draft; the others once issued). Audited."""
    require(actor, Action.POWER_RECORD)
    rec = _load(session, actor, record_id)
    if rec.power not in LETTER_KINDS:
        raise InvalidInput(f"no letter for a {rec.power}", {"power": ", ".join(LETTER_KINDS)})
    if rec.state is PowerState.DRAFT and rec.power != "RESPECT_ORDER":
        raise Refused("a letter is produced when the power is issued", rec.rule.get("basis", ""))
    letter = PowerLetter(
        force_code=rec.force_code,
        record_id=rec.id,
        kind=rec.power,
        created_at=utcnow(),
        created_by=actor.display_name,
        html=html,
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        rules_version=rec.rules_version or "",
    )
    session.add(letter)
    session.flush()
    record(
        session,
        actor=actor,
        event="powers:letter:issue",
        action=AuditAction.PRINT,
        object_type="power_letter",
        object_id=letter.id,
        data_subjects=[rec.person_id] if rec.person_id else [],
        fields={"record": rec.id, "kind": rec.power, "sha256": letter.sha256},
    )
    return letter


def get_letter(session: Session, *, actor: Actor, letter_id: int) -> PowerLetter:
    """A stored letter, to download. Audited."""
    require(actor, Action.POWER_VIEW)
    letter = session.get(PowerLetter, (letter_id, actor.force_code))
    if letter is None:
        raise NotFound(f"letter {letter_id} not found")
    rec = _load(session, actor, letter.record_id)  # scope through the record
    record(
        session,
        actor=actor,
        event="powers:letter:view",
        action=AuditAction.EXPORT,
        object_type="power_letter",
        object_id=letter.id,
        data_subjects=[rec.person_id] if rec.person_id else [],
    )
    return letter


def subject_words(rec: PowerRecord, *, names: bool = True) -> str:
    if rec.person is not None:
        return f"{rec.person.forename} {rec.person.surname}" if names else f"person {rec.id}"
    return rec.body_name or rec.place_text or "—"


__all__ = [
    "DueRow",
    "PersonPowers",
    "age_on",
    "candidates",
    "deadlines_due",
    "draft",
    "for_case",
    "for_person",
    "get_letter",
    "get_record",
    "issue",
    "record_for_job",
    "remind",
    "reminders_for",
    "rules_table",
    "set_commencement",
    "set_config",
    "store_letter",
    "table",
    "transition",
]
