"""Generated partnership casework for the year to March 2021 (issue 18 item 6).

- **Housing providers.** The deep dive (``casework.csv``) counts 16 social housing providers
  under one information sharing agreement with the force. The generator adds 16 fictitious
  providers (agencies of kind ``housing``, ``source`` "generate", each covering two local
  authority areas so every area has at least two) and that one agreement, party to all of them
  and the force. They are reference-like rows, not of a period: a later run reuses them.
- **SARA cases at repeat locations.** In each local authority area two places (one found
  before October, one after) whose generated triage found a repeat location in the year
  (triage's rule, ``repeats.json``: 3 incidents in 3 months, the current one included) are
  drawn and opened as problem-solving
  cases on the day of that incident, owned by the force, with the triage as the source and the
  incidents at the place in the window before it linked. The baseline and the assessment are
  counted from the stored incidents with casework's own query and pure functions
  (``casework.queries.points_around``, ``casework.counts``), so a generated figure is one the
  screens would compute. Each case then moves through SARA on fixed steps (analysis after two
  weeks, response four weeks later, the assessment of the 91 days of response, sign-off two
  weeks after) as far as 31 March 2021 allows; in response it gains a SMART objective, an
  action for the force, one for one of the area's housing providers (tenancy enforcement) and
  one for the council, and is shared with that provider under the agreement.

Every name is fictitious; contacts use ``example.invalid``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import ColumnElement, Connection, delete, func, select
from sqlalchemy.orm import Session

from asbhub.agencies.models import AgencyArea, AgencyRow, AgreementParty, SharingAgreement
from asbhub.agencies.service import load_reference_agencies
from asbhub.audit.service import AuditAction, record
from asbhub.casework import rules as sara_rules
from asbhub.casework.counts import AreaCounts, Place, Window, area_counts, assess
from asbhub.casework.counts import baseline_window as sara_baseline_window
from asbhub.casework.models import (
    ActionStatus,
    Case,
    CaseAction,
    CaseEvent,
    CaseIncident,
    CaseObjective,
    CasePlace,
    CaseReview,
    CaseShare,
    ShareReview,
    Stage,
)
from asbhub.casework.queries import points_around
from asbhub.generate.case_reviews import YEAR_END, YEAR_START, covers_year
from asbhub.generate.schemas import REFERENCE_PREFIX, Generated
from asbhub.generate.triage import WINDOW_S
from asbhub.incidents.models import Incident
from asbhub.permissions import Actor, AgencyKind, DataClass, force_agency_code, system_actor
from asbhub.triage import rules as triage_rules
from asbhub.triage.models import TriageAssessment

SOURCE = "generate"
AGREEMENT = "SYN-ISA-HOUSING-2020"
CASE_REFERENCE = f"{REFERENCE_PREFIX}SARA-"  # SYN-SARA-2020-0001: --replace finds it
# Each area's cases: one found before this day, one after (see _choose).
SECOND_HALF = dt.date(2020, 10, 1)
# The fixed steps of a generated case, in days from the one before.
TO_ANALYSIS, TO_RESPONSE, RESPONSE_DAYS, TO_SIGN_OFF = 14, 28, 91, 14
OFFICER = "PC generated problem-solving officer"
# Invented names, so no real provider is named; each covers two areas (see _areas_of).
HOUSING = (
    ("ashwell-vale-housing", "Ashwell Vale Housing"),
    ("brackenford-homes", "Brackenford Homes"),
    ("cinderby-housing-trust", "Cinderby Housing Trust"),
    ("dunmarsh-homes", "Dunmarsh Homes"),
    ("elderwick-housing", "Elderwick Housing"),
    ("fallowmere-homes", "Fallowmere Homes"),
    ("greystone-lea-housing", "Greystone Lea Housing"),
    ("hollinbrook-homes", "Hollinbrook Homes"),
    ("ivydene-housing-trust", "Ivydene Housing Trust"),
    ("juniper-reach-homes", "Juniper Reach Homes"),
    ("kestrelmoor-housing", "Kestrelmoor Housing"),
    ("larkspur-vale-homes", "Larkspur Vale Homes"),
    ("marshbury-housing", "Marshbury Housing"),
    ("nettlecombe-homes", "Nettlecombe Homes"),
    ("oakhallow-housing", "Oakhallow Housing"),
    ("pennyfold-homes", "Pennyfold Homes"),
)
SHARED_WITH_HOUSING = (
    DataClass.INCIDENT_SUMMARY,
    DataClass.PERSONAL_DETAILS,
    DataClass.CASE_NOTES,
)


@dataclass(frozen=True)
class _Report:
    incident_id: int
    location_id: int
    received_at: dt.datetime
    local_authority_code: str
    district: str | None
    x: float | None
    y: float | None
    assessment_id: int
    repeat_location: bool  # what the incident's triage found


@dataclass(frozen=True)
class _Repeat:
    """A place that became a repeat location: the incident whose triage found it, and the
    incidents at the place in the window before it (itself included)."""

    trigger: _Report
    found: tuple[_Report, ...]


def _areas_of(k: int, areas: list[str]) -> list[str]:
    """Provider ``k``'s two areas: every area gets at least two providers of the 16."""
    n = len(areas)
    return sorted({areas[k % n], areas[(k + 7) % n]})


def ensure_housing(session: Session, force_code: str) -> tuple[list[AgencyRow], SharingAgreement]:
    """The 16 generated housing providers and their agreement with the force (added once)."""
    load_reference_agencies(session, force_code)
    councils = session.scalars(
        select(AgencyRow)
        .where(AgencyRow.force_code == force_code, AgencyRow.kind == AgencyKind.COUNCIL)
        .order_by(AgencyRow.code)
    ).all()
    areas = sorted({a.local_authority_code for c in councils for a in c.areas})
    have = {
        r.code: r
        for r in session.scalars(
            select(AgencyRow).where(
                AgencyRow.force_code == force_code,
                AgencyRow.code.in_([code for code, _ in HOUSING]),
            )
        )
    }
    created = dt.datetime.combine(YEAR_START, dt.time(9, 0))
    providers = []
    for k, (code, name) in enumerate(HOUSING):
        row = have.get(code)
        if row is None:
            row = AgencyRow(
                force_code=force_code,
                code=code,
                name=name,
                kind=AgencyKind.HOUSING,
                contact=f"Tenancy enforcement team, asb@{code}.example.invalid",
                whole_force=False,
                active=True,
                source=SOURCE,
                created_at=created,
            )
            row.areas = [
                AgencyArea(force_code=force_code, local_authority_code=la)
                for la in _areas_of(k, areas)
            ]
            session.add(row)
        providers.append(row)
    session.flush()
    agreement = session.scalar(
        select(SharingAgreement).where(
            SharingAgreement.force_code == force_code, SharingAgreement.reference == AGREEMENT
        )
    )
    if agreement is None:
        force = session.scalar(
            select(AgencyRow).where(
                AgencyRow.force_code == force_code,
                AgencyRow.code == force_agency_code(force_code),
            )
        )
        assert force is not None  # load_reference_agencies added it
        agreement = SharingAgreement(
            force_code=force_code,
            reference=AGREEMENT,
            title="Social housing providers and the police: tackling ASB in tenancies",
            purpose="Preventing and tackling anti-social behaviour by and against tenants: "
            "problem-solving cases, tenancy enforcement and support",
            lawful_basis="cda-1998-s115",
            data_classes=sorted(c.value for c in SHARED_WITH_HOUSING),
            starts_on=YEAR_START,
            ends_on=None,
            review_on=dt.date(2021, 4, 1),
            source=SOURCE,
            created_at=created,
        )
        agreement.parties = [
            AgreementParty(force_code=force_code, agency=a) for a in [force, *providers]
        ]
        session.add(agreement)
        session.flush()
    return providers, agreement


def _generated(g: Generated) -> list[ColumnElement[bool]]:
    return [
        Incident.force_code == g.force_code,
        Incident.reference.like(f"{REFERENCE_PREFIX}%"),
        Incident.location_id.is_not(None),
        Incident.local_authority_code.is_not(None),
    ]


def _first_repeats(session: Session, g: Generated) -> list[tuple[int, str, dt.datetime]]:
    """(place, area, first time) of each place whose generated triage found it a repeat
    location in the year: when it became one."""
    rows = session.execute(
        select(Incident.location_id, Incident.local_authority_code, func.min(Incident.received_at))
        .join(TriageAssessment, TriageAssessment.incident_id == Incident.id)
        .where(
            *_generated(g),
            Incident.received_at >= dt.datetime.combine(YEAR_START, dt.time.min),
            Incident.received_at < dt.datetime.combine(YEAR_END + dt.timedelta(days=1), dt.time()),
            TriageAssessment.seq == 1,
            TriageAssessment.repeat_location.is_(True),
        )
        .group_by(Incident.location_id, Incident.local_authority_code)
        .order_by(Incident.location_id, Incident.local_authority_code)
    ).all()
    first: dict[int, tuple[int, str, dt.datetime]] = {}
    for loc, la, at in rows:  # the query keeps rows with a place and an area only
        place = int(loc or 0)
        if place not in first or at < first[place][2]:
            first[place] = (place, str(la), at)
    return list(first.values())


def _choose(
    places: list[tuple[int, str, dt.datetime]], rng: np.random.Generator
) -> list[tuple[int, str, dt.datetime]]:
    """One repeat location of each area found before ``SECOND_HALF`` and one after, drawn by
    ``rng``: the year's cases are then at every stage on 31 March, as problems found through
    a year would be."""
    by_area: dict[tuple[str, bool], list[tuple[int, str, dt.datetime]]] = defaultdict(list)
    for p in places:
        by_area[(p[1], p[2].date() >= SECOND_HALF)].append(p)
    chosen = [rows[int(rng.integers(len(rows)))] for _, rows in sorted(by_area.items())]
    return sorted(chosen, key=lambda p: (p[2], p[0]))


def _repeat(session: Session, g: Generated, place: int, at: dt.datetime, days: int) -> _Repeat:
    """The incident at ``place`` and ``at`` whose triage found the repeat, with the incidents
    at the place in the ``days`` before it (itself included)."""
    rows = session.execute(
        select(
            Incident.id,
            Incident.location_id,
            Incident.received_at,
            Incident.local_authority_code,
            Incident.district,
            Incident.x_bng,
            Incident.y_bng,
            TriageAssessment.id,
            TriageAssessment.repeat_location,
        )
        .join(TriageAssessment, TriageAssessment.incident_id == Incident.id)
        .where(
            *_generated(g),
            Incident.location_id == place,
            Incident.received_at >= at - dt.timedelta(days=days),
            Incident.received_at <= at,
            TriageAssessment.seq == 1,
        )
        .order_by(Incident.received_at, Incident.id)
    ).all()
    found = tuple(
        _Report(i, int(loc or 0), r_at, str(la), d, x, y, aid, bool(rep))
        for i, loc, r_at, la, d, x, y, aid, rep in rows
    )
    trigger = next(r for r in reversed(found) if r.repeat_location and r.received_at == at)
    return _Repeat(trigger, found)


class _Timeline:
    """The case's timeline lines and its scheduled reviews, dated as the steps happen."""

    def __init__(self, case: Case, owner: str) -> None:
        self.case, self.owner = case, owner
        self.rows: list[CaseEvent] = []

    def add(
        self,
        at: dt.datetime,
        kind: str,
        summary: str,
        data_class: DataClass = DataClass.INCIDENT_SUMMARY,
        **details: object,
    ) -> None:
        self.rows.append(
            CaseEvent(
                force_code=self.case.force_code,
                at=at,
                actor_name=OFFICER,
                agency_code=self.owner,
                kind=kind,
                data_class=data_class,
                summary=summary,
                details=dict(details),
            )
        )


def _reviews(case: Case, rules: sara_rules.SaraRules, until: dt.date) -> list[CaseReview]:
    """Each reviewer's reviews at its interval: done up to ``until``, then the next one due
    (none after sign-off)."""
    out = []
    for step in rules.reviews.get(case.risk_level, []):
        due = case.opened_at.date() + dt.timedelta(days=step.every_days)
        while True:
            done = due <= until
            if not done and case.stage is Stage.CLOSED:
                break
            out.append(
                CaseReview(
                    force_code=case.force_code,
                    reviewer=step.reviewer,
                    risk_level=case.risk_level,
                    due_on=due,
                    every_days=step.every_days,
                    rules_version=rules.version,
                    done_at=dt.datetime.combine(due, dt.time(11, 0)) if done else None,
                    done_by=f"generated {step.reviewer.replace('_', ' ')}" if done else None,
                    note="Reviewed: the plan stands (generated)." if done else None,
                )
            )
            if not done:
                break
            due += dt.timedelta(days=step.every_days)
    return out


def _counts(session: Session, actor: Actor, case: Case, window: Window) -> AreaCounts:
    assert case.centre_x is not None and case.centre_y is not None
    place = Place(
        case.centre_x, case.centre_y, case.radius_m, case.buffer_m, case.local_authority_code
    )
    points = points_around(session, actor, place, window)
    return area_counts(points, place, window, exclude_covid=True)


def _stage_at(opened: dt.date) -> dict[Stage, dt.date]:
    analysis = opened + dt.timedelta(days=TO_ANALYSIS)
    response = analysis + dt.timedelta(days=TO_RESPONSE)
    assessment = response + dt.timedelta(days=RESPONSE_DAYS)
    closed = assessment + dt.timedelta(days=TO_SIGN_OFF)
    steps = {
        Stage.SCANNING: opened,
        Stage.ANALYSIS: analysis,
        Stage.RESPONSE: response,
        Stage.ASSESSMENT: assessment,
        Stage.CLOSED: closed,
    }
    return {s: d for s, d in steps.items() if d <= YEAR_END}


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0))


def _open_case(
    session: Session,
    g: Generated,
    rep: _Repeat,
    number: int,
    rules: sara_rules.SaraRules,
    rule: str,
    assessment: TriageAssessment,
) -> Case:
    t = rep.trigger
    opened = t.received_at.date()
    district = t.district or "the area"
    case = Case(
        force_code=g.force_code,
        reference=f"{CASE_REFERENCE}{opened.year}-{number:04d}",
        title=f"Repeat location in {district}",
        stage=Stage.SCANNING,
        owner_agency_code=force_agency_code(g.force_code),
        local_authority_code=t.local_authority_code,
        district=t.district,
        risk_level=assessment.risk_level,
        victim_locked=False,
        spoc_name=OFFICER,
        spoc_contact="ASB problem-solving hub, asb.hub@essex-police.example.invalid",
        opened_at=_at(opened),
        opened_by=OFFICER,
        how_found=f"triage of the incident of {opened:%d %B %Y} ({rule})",
        trigger_kind="location",
        source_assessment_id=assessment.id,
        behaviour="Repeated anti-social behaviour reported at one place (generated).",
        where_text=f"A repeat location in {district}",
        when_text="Evenings and weekends, as the linked reports show",
        centre_x=t.x,
        centre_y=t.y,
        radius_m=rules.radius_m,
        buffer_m=rules.buffer_m,
        rules_version=rules.version,
    )
    if case.centre_x is None:
        placed = [r for r in rep.found if r.x is not None and r.y is not None]
        if placed:
            case.centre_x = float(np.mean([r.x for r in placed]))
            case.centre_y = float(np.mean([r.y for r in placed]))
    return case


def write_casework(conn: Connection, g: Generated, actor: Actor | None) -> dict[str, int]:
    """Write the housing providers, their agreement and the year's SARA cases on ``conn``'s
    transaction, audited with their counts as ``actor``; returns the counts."""
    if not covers_year(g) or g.force_code != "essex" or not g.calibrated:
        return {"housing_providers": 0, "sara_cases": 0}
    rules = sara_rules.shipped()
    repeats = triage_rules.load().repeats
    rule = (
        f"repeat location: {repeats.location.count} or more in {repeats.location.months} "
        f"months ({repeats.version})"
    )
    # The generator's triage counts "3 months" as 91 days (generate.triage.WINDOW_S).
    window_days = WINDOW_S // 86400
    counter = actor or system_actor(job="generate", force_code=g.force_code)
    rng = np.random.default_rng([g.seed, 18])
    with Session(bind=conn) as session:
        providers, agreement = ensure_housing(session, g.force_code)
        by_area: dict[str, list[AgencyRow]] = defaultdict(list)
        for p in providers:
            for a in p.areas:
                by_area[a.local_authority_code].append(p)
        councils = {
            a.local_authority_code: c.code
            for c in session.scalars(
                select(AgencyRow).where(
                    AgencyRow.force_code == g.force_code, AgencyRow.kind == AgencyKind.COUNCIL
                )
            )
            for a in c.areas
        }
        chosen = [
            _repeat(session, g, place, at, window_days)
            for place, _, at in _choose(_first_repeats(session, g), rng)
        ]
        triaged = {
            a.id: a
            for a in session.scalars(
                select(TriageAssessment).where(
                    TriageAssessment.id.in_([r.trigger.assessment_id for r in chosen])
                )
            )
        }
        cases = []
        for n, rep in enumerate(chosen, start=1):
            la = rep.trigger.local_authority_code
            housing = by_area[la][n % len(by_area[la])]
            case = _open_case(session, g, rep, n, rules, rule, triaged[rep.trigger.assessment_id])
            session.add(case)
            session.flush()
            _work_case(
                session,
                counter,
                case,
                rep,
                rules,
                housing=housing,
                council=councils.get(la),
                agreement=agreement,
                rng=rng,
            )
            cases.append(case)
        record(
            session,
            actor=actor,
            event="generate:casework:create",
            action=AuditAction.CREATE,
            object_type="case",
            result_count=len(cases),
            isa_id=agreement.reference,
            fields={
                "housing_providers": len(providers),
                "agreement": agreement.reference,
                "stages": {s.value: sum(c.stage is s for c in cases) for s in Stage},
            },
            force_code=g.force_code,
        )
    return {"housing_providers": len(providers), "sara_cases": len(cases)}


def _work_case(
    session: Session,
    actor: Actor,
    case: Case,
    rep: _Repeat,
    rules: sara_rules.SaraRules,
    *,
    housing: AgencyRow,
    council: str | None,
    agreement: SharingAgreement,
    rng: np.random.Generator,
) -> None:
    """Link the case's incidents, count its baseline and take it through the stages the
    year leaves time for, each step on the timeline."""
    owner = case.owner_agency_code
    line = _Timeline(case, owner)
    opened = case.opened_at.date()
    for r in rep.found:
        session.add(
            CaseIncident(
                force_code=case.force_code,
                case_id=case.id,
                incident_id=r.incident_id,
                linked_at=case.opened_at,
                linked_by=OFFICER,
            )
        )
    session.add(
        CasePlace(force_code=case.force_code, case_id=case.id, location_id=rep.trigger.location_id)
    )
    line.add(
        case.opened_at,
        "open",
        f"Opened from the triage of a repeat location: {len(rep.found)} incidents linked",
        incidents=len(rep.found),
    )
    if case.centre_x is not None:
        window = sara_baseline_window(opened, rules.baseline_months)
        base = _counts(session, actor, case, window)
        case.baseline_from, case.baseline_to = window.start, window.end
        case.baseline_target, case.baseline_buffer = base.target, base.buffer
        case.baseline_control = base.control
    steps = _stage_at(opened)
    if Stage.ANALYSIS in steps and case.baseline_target is not None:
        case.stage = Stage.ANALYSIS
        line.add(_at(steps[Stage.ANALYSIS]), "stage", "Stage scanning -> analysis")
        case.offender = "Groups of young people gathering after school (generated)"
        case.victim = "Residents of the neighbouring homes, some of them tenants"
        case.place = "An open space beside social housing, poorly lit"
        case.handler = "Parents; the youth service"
        case.guardian = "Neighbours; the housing provider's estate officer"
        case.manager = f"{housing.name} (the landlord)"
        line.add(
            _at(steps[Stage.ANALYSIS], 14),
            "analysis",
            "Analysis updated: offender, handler, victim, guardian, place, manager",
            data_class=DataClass.CASE_NOTES,
        )
    if Stage.RESPONSE in steps and case.stage is Stage.ANALYSIS:
        day = steps[Stage.RESPONSE]
        case.stage = Stage.RESPONSE
        line.add(_at(day), "stage", "Stage analysis -> response")
        due = day + dt.timedelta(days=RESPONSE_DAYS)
        session.add(
            CaseObjective(
                force_code=case.force_code,
                case_id=case.id,
                text="Reduce the reports of ASB at the place",
                measure="incidents within 100 m",
                target="down by a third",
                due_on=due,
                created_at=_at(day, 11),
                created_by=OFFICER,
            )
        )
        line.add(_at(day, 11), "objective", f"Objective added: incidents within 100 m by {due}")
        actions = [
            (owner, "Targeted patrols at the times of the reports", "patrol"),
            (housing.code, "Tenancy warnings to the households named", "tenancy"),
        ]
        if council:
            actions.append((council, "Better lighting and a gate at the open space", "design"))
        closed = Stage.ASSESSMENT in steps
        for agency_code, text, tool in actions:
            session.add(
                CaseAction(
                    force_code=case.force_code,
                    case_id=case.id,
                    description=text,
                    owner_name=f"{agency_code} lead officer",
                    agency_code=agency_code,
                    due_on=day + dt.timedelta(days=int(rng.integers(14, 60))),
                    tool=tool,
                    status=ActionStatus.DONE if closed else ActionStatus.OPEN,
                    done_at=_at(steps[Stage.ASSESSMENT], 9) if closed else None,
                    created_at=_at(day, 12),
                    created_by=OFFICER,
                )
            )
            line.add(_at(day, 12), "action", f"Action for {agency_code} ({rules.tools[tool]})")
        session.add(
            CaseShare(
                force_code=case.force_code,
                case_id=case.id,
                agency_code=housing.code,
                data_classes=sorted(c.value for c in SHARED_WITH_HOUSING),
                agreement_reference=agreement.reference,
                lawful_basis=agreement.lawful_basis,
                purpose="Tenancy enforcement and support for the households at the place",
                shared_at=_at(day, 13),
                shared_by=OFFICER,
                review=ShareReview.NONE,
            )
        )
        line.add(
            _at(day, 13),
            "share",
            f"Shared {', '.join(sorted(c.value for c in SHARED_WITH_HOUSING))} with "
            f"{housing.name} under {agreement.reference}",
        )
    if Stage.ASSESSMENT in steps and case.stage is Stage.RESPONSE:
        day = steps[Stage.ASSESSMENT]
        case.stage = Stage.ASSESSMENT
        line.add(_at(day), "stage", "Stage response -> assessment")
        window = Window(steps[Stage.RESPONSE], day - dt.timedelta(days=1))
        after = _counts(session, actor, case, window)
        before = AreaCounts(
            case.baseline_target or 0, case.baseline_buffer or 0, case.baseline_control or 0
        )
        result = assess(before, after)
        case.assess_from, case.assess_to = window.start, window.end
        case.after_target, case.after_buffer = after.target, after.buffer
        case.after_control = after.control
        case.wdq, case.displacement = result.wdq, result.displacement
        case.outcome = "Reports at the place counted against the baseline (generated)"
        case.assessed_at, case.assessed_by = _at(day, 15), OFFICER
        line.add(
            _at(day, 15),
            "assessment",
            f"Assessment: {before.target} -> {after.target} in the target area",
            before=before.target,
            after=after.target,
            wdq=result.wdq,
        )
    if Stage.CLOSED in steps and case.stage is Stage.ASSESSMENT:
        day = steps[Stage.CLOSED]
        case.stage = Stage.CLOSED
        case.signed_off_at, case.signed_off_by = _at(day), "Inspector (generated)"
        line.add(_at(day), "stage", "Stage assessment -> closed")
    last = max(steps.values())
    until = min(last, YEAR_END) if case.stage is Stage.CLOSED else YEAR_END
    for review in _reviews(case, rules, until):
        review.case_id = case.id
        session.add(review)
    for e in line.rows:
        e.case_id = case.id
        session.add(e)
    session.flush()


def delete_generated_casework(conn: Connection, g: Generated) -> int:
    """``--replace``: the period's generated SARA cases with everything on them (the housing
    providers and their agreement stay; a later run reuses them)."""
    with Session(bind=conn) as session:
        ids = list(
            session.scalars(
                select(Case.id).where(
                    Case.force_code == g.force_code,
                    Case.reference.like(f"{CASE_REFERENCE}%"),
                    Case.opened_at >= dt.datetime.combine(g.first, dt.time.min),
                    Case.opened_at < dt.datetime.combine(g.last, dt.time.min),
                )
            )
        )
        if ids:
            for child in (
                CaseEvent,
                CaseReview,
                CaseShare,
                CaseAction,
                CaseObjective,
                CasePlace,
                CaseIncident,
            ):
                session.execute(delete(child).where(child.case_id.in_(ids)))
            session.execute(delete(Case).where(Case.id.in_(ids)))
        session.flush()
    return len(ids)
