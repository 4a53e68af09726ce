"""Generated ASB case reviews for the year to March 2021, as the deep dive reports them
(``casework.csv``: 33 held county-wide, 10 in Thurrock, 3 local authorities returning no data).

Each application is made by (or for) a generated repeat victim, on a day after their own
reports; the threshold decision is what :func:`asbhub.triage.case_review.check` finds on those
reports under the area's policy, so a generated decision is one the rules would make. Reviews
held come from victims whose reports meet the threshold, "not met" from victims with one or two
reports. Every name is drawn from the generator's fictitious people.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from importlib import resources

import numpy as np
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from asbhub.audit.service import AuditAction, record
from asbhub.casereviews import procedure
from asbhub.casereviews.lifecycle import Status
from asbhub.casereviews.models import (
    Applicant,
    AsbCaseReview,
    CaseReviewRecommendation,
    HandlingReview,
    ThresholdBasis,
    VictimKind,
)
from asbhub.generate.schemas import REFERENCE_PREFIX, Generated
from asbhub.incidents import bulk
from asbhub.permissions import Actor
from asbhub.powers.calendar import add_working_days
from asbhub.triage import case_review as threshold
from asbhub.triage import rules as triage_rules

YEAR_START, YEAR_END = dt.date(2020, 4, 1), dt.date(2021, 3, 31)
# Applications late enough in the year that the panel has met by 31 March.
LAST_APPLICATION = dt.date(2021, 1, 15)
# A "not met" application looks back six months into this year only, so a longer generated
# period (with the victim's earlier reports) gives the same decision.
NOT_MET_FROM = dt.date(2020, 10, 5)

# (held, not met, with recommendations) per local authority. The deep dive publishes only the
# county total and Thurrock's; the split of the other 23 follows the areas' incident volumes.
# Maldon, Uttlesford and Brentwood stand for the 3 authorities that returned no data.
QUOTAS: dict[str, tuple[int, int, int]] = {
    "E06000034": (10, 4, 7),  # Thurrock
    "E07000066": (4, 2, 3),  # Basildon
    "E06000033": (4, 2, 3),  # Southend-on-Sea
    "E07000071": (3, 1, 2),  # Colchester
    "E07000070": (3, 2, 2),  # Chelmsford
    "E07000073": (2, 1, 1),  # Harlow
    "E07000076": (2, 1, 1),  # Tendring
    "E07000067": (2, 1, 1),  # Braintree
    "E07000069": (1, 1, 1),  # Castle Point
    "E07000072": (1, 1, 0),  # Epping Forest
    "E07000075": (1, 0, 1),  # Rochford
}
NO_DATA = ("E07000074", "E07000077", "E07000068")  # Maldon, Uttlesford, Brentwood

REFERENCE = f"{REFERENCE_PREFIX}CR-"  # SYN-CR-2020-034001: generated, so --replace finds it
RELATIONSHIPS = ("family", "councillor", "professional", "carer")
OWNERS = (
    ("{council}", "ASB team leader"),
    ("Essex Police", "Community Policing Team inspector"),
    ("Housing provider", "Tenancy enforcement manager"),
    ("{council}", "Environmental health manager"),
    ("Essex Restorative and Mediation Service", "Mediation coordinator"),
)
RECOMMENDATIONS = (
    "Offer mediation between the households through the restorative service",
    "Review the tenancy enforcement steps taken and agree the next with the victim",
    "Name a single point of contact who calls the victim weekly",
    "Install a noise monitoring kit and share the recordings with environmental health",
    "Consider a Community Protection Warning for the person responsible",
    "Refer the victim to Victim Support for an enhanced needs assessment",
)
OUTCOMES = (
    "The agencies' response had not been joined up; a multi-agency action plan was agreed.",
    "The actions taken were reasonable; further support for the victim was agreed.",
    "Enforcement had stalled; the panel asked for a closure and enforcement review.",
)


def seed_figures() -> dict[str, int]:
    """The deep dive's case review figures for the year (``casework.csv``)."""
    path = resources.files("asbhub") / "data" / "deep_dive_2021" / "casework.csv"
    with path.open("r", encoding="utf-8") as fh:
        return {
            r["scope"]: int(r["value"])
            for r in csv.DictReader(fh)
            if r["measure"] == "asb_case_reviews_held" and r["period_start"] == "2020-04-01"
        }


@dataclass(frozen=True)
class _Victim:
    person: int  # index into the batch's people
    la: str
    reports: list[threshold.Report]


def covers_year(g: Generated) -> bool:
    return g.first <= YEAR_START and g.last > YEAR_END


def _victims(batch: bulk.IncidentBatch) -> list[_Victim]:
    """Each generated victim of the year with their reports, placed in the area of their
    latest incident."""
    roles = np.asarray(batch.link_role)
    mask = roles == "victim"
    inc, per = batch.link_incident[mask], batch.link_person[mask]
    received = batch.received_at.astype("datetime64[s]").astype(dt.datetime)
    la = np.asarray(batch.places.local_authority_code, dtype=object)
    order = np.lexsort((inc, per))
    inc, per = inc[order], per[order]
    # Sorted by person then incident, so each victim's incidents are one slice.
    persons, starts = np.unique(per, return_index=True)
    out: list[_Victim] = []
    if not len(per):
        return out
    for person, rows in zip(persons.tolist(), np.split(inc, starts[1:]), strict=True):
        reports = [
            threshold.Report(
                batch.reference[i], received[i], received[i], bool(batch.hate_motivated[i])
            )
            for i in rows.tolist()
        ]
        place = batch.place[rows[-1]]
        if place >= 0 and YEAR_START <= received[rows[-1]].date() <= YEAR_END:
            out.append(_Victim(person, str(la[place]), reports))
    return out


def _apply_day(v: _Victim, met: bool, rng: np.random.Generator) -> dt.date | None:
    """A day the victim could apply on: soon after a report, within the year's window."""
    lo = NOT_MET_FROM if not met else YEAR_START
    days = sorted({r.reported_at.date() for r in v.reports})
    choices = [d + dt.timedelta(days=int(rng.integers(1, 21))) for d in days]
    ok = [d for d in choices if lo <= d <= LAST_APPLICATION]
    return ok[-1] if ok else None


def _decision(v: _Victim, day: dt.date, rules: triage_rules.CaseReviewRules) -> bool:
    on = dt.datetime.combine(day, dt.time(23, 59, 59))
    return threshold.check(
        rules.policy(v.la), version=rules.version, area=v.la, victim_reports=v.reports, now=on
    ).eligible


def write_case_reviews(
    conn: Connection,
    g: Generated,
    batch: bulk.IncidentBatch,
    person_ids: np.ndarray,
    actor: Actor | None,
) -> int:
    """Write the year's case reviews on ``conn``'s transaction, audited with their counts as
    ``actor``; returns how many."""
    if not covers_year(g) or g.force_code != "essex" or not g.calibrated:
        return 0
    rules = triage_rules.load().case_review
    proc = procedure.procedures()
    rng = np.random.default_rng([g.seed, 104])
    victims = _victims(batch)
    by_area: dict[str, list[_Victim]] = {}
    for v in victims:
        by_area.setdefault(v.la, []).append(v)
    people = g.pools.people
    batch_people = np.unique(np.concatenate([y.link_person for y in g.years]))
    rows: list[AsbCaseReview] = []
    numbers: dict[int, int] = {}
    for la, (held, not_met, with_recs) in QUOTAS.items():
        council = f"{rules.areas[la].name} Council"
        pool = by_area.get(la, [])
        picks = rng.permutation(len(pool)).tolist()
        wanted = [True] * held + [False] * not_met
        chosen: list[tuple[_Victim, dt.date, bool]] = []
        for met in wanted:
            while picks:
                v = pool[picks.pop()]
                day = _apply_day(v, met, rng)
                if day is not None and _decision(v, day, rules) is met:
                    chosen.append((v, day, met))
                    break
            else:
                raise RuntimeError(f"too few generated victims in {la} for its case reviews")
        recs_left = with_recs
        for v, day, met in sorted(chosen, key=lambda c: c[1]):
            numbers[day.year] = numbers.get(day.year, 0) + 1
            p = proc.procedure(la)
            pool_index = int(batch_people[v.person])
            name = f"{people.forename[pool_index]} {people.surname[pool_index]}"
            behalf = rng.random() < 0.3
            ack = add_working_days(day, int(rng.integers(1, p.acknowledge_working_days + 1)))
            decided = add_working_days(ack, int(rng.integers(2, p.decision_working_days + 1)))
            on = dt.datetime.combine(day, dt.time(23, 59, 59))
            found = threshold.check(
                rules.policy(la), version=rules.version, area=la, victim_reports=v.reports, now=on
            )
            cr = AsbCaseReview(
                force_code=g.force_code,
                reference=f"{REFERENCE}{day.year}-{la[-3:]}{numbers[day.year]:03d}",
                local_authority_code=la,
                status=Status.THRESHOLD_NOT_MET,
                received_on=day,
                applicant=Applicant.ON_BEHALF if behalf else Applicant.VICTIM,
                applicant_name=(
                    f"{people.forename[(pool_index + 7) % len(people.forename)]} "
                    f"{people.surname[pool_index]}"
                    if behalf
                    else name
                ),
                applicant_relationship=str(rng.choice(RELATIONSHIPS)) if behalf else None,
                consent_on=day - dt.timedelta(days=int(rng.integers(0, 5))) if behalf else None,
                consent_recorded_by=f"{council} ASB officer" if behalf else None,
                victim_kind=VictimKind.INDIVIDUAL,
                victim_name=name,
                victim_person_id=int(person_ids[v.person]),
                behaviour="Repeated anti-social behaviour near the victim's home (generated).",
                other_reports=[],
                procedure_version=proc.version,
                created_at=dt.datetime.combine(day, dt.time(10, 0)),
                created_by=f"{council} single point of contact",
                acknowledged_on=ack,
                threshold_version=rules.version,
                threshold_basis=ThresholdBasis.MANDATORY if met else ThresholdBasis.NOT_MET,
                threshold_decided_on=decided,
                threshold_decided_by=f"{council} ASB lead",
                threshold_found={
                    "eligible": found.eligible,
                    "qualifying": found.qualifying,
                    "late": found.late,
                    "reasons": found.reasons,
                    "discretion": None,
                },
            )
            if met:
                held_on = add_working_days(
                    decided, int(rng.integers(5, p.meeting_working_days + 1))
                )
                cr.status = Status.CLOSED
                cr.held_on = held_on
                cr.chair = f"{council} community safety manager"
                cr.independent_chair = bool(rng.random() < 0.3)
                cr.victim_attended = bool(rng.random() < 0.5)
                cr.outcome = str(rng.choice(OUTCOMES))
                cr.outcome_sent_on = add_working_days(
                    held_on, int(rng.integers(1, p.outcome_working_days + 1))
                )
                if recs_left:
                    recs_left -= 1
                    for k in rng.choice(len(RECOMMENDATIONS), int(rng.integers(1, 4)), False):
                        agency, owner = OWNERS[int(k) % len(OWNERS)]
                        cr.recommendations.append(
                            CaseReviewRecommendation(
                                force_code=g.force_code,
                                text=RECOMMENDATIONS[int(k)],
                                owner_agency=agency.format(council=council),
                                owner_name=owner,
                                due_on=held_on + dt.timedelta(days=28),
                            )
                        )
            elif rng.random() < 0.25:
                asked = add_working_days(decided, 5)
                cr.handling_reviews.append(
                    HandlingReview(
                        force_code=g.force_code,
                        requested_on=asked,
                        grounds="The applicant feels the earlier reports were not counted.",
                        reviewed_by=p.handling_review_by,
                        due_on=procedure.handling_review_due(p, asked),
                        decided_on=add_working_days(asked, 10),
                        upheld=False,
                        response="The reports were checked; the threshold was rightly not met.",
                    )
                )
            rows.append(cr)
        if recs_left:
            raise RuntimeError(f"{la}: fewer reviews held than reviews with recommendations")
    with Session(bind=conn) as session:
        session.add_all(rows)
        session.flush()
        record(
            session,
            actor=actor,
            event="generate:case_reviews:create",
            action=AuditAction.CREATE,
            object_type="case_review",
            data_subjects=[r.victim_person_id for r in rows if r.victim_person_id],
            result_count=len(rows),
            fields={
                "held": sum(r.held_on is not None for r in rows),
                "not_met": sum(r.threshold_basis is ThresholdBasis.NOT_MET for r in rows),
                "no_data": list(NO_DATA),
            },
            force_code=g.force_code,
        )
    return len(rows)
