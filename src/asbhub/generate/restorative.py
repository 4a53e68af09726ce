"""Generated restorative justice and Community Remedy referrals for the year to March 2021.

The deep dive (``casework.csv``) gives the Essex Mediation and Restorative Justice Hub's 93%
participant satisfaction: of the parties asked after the work ended, 93 in 100 were satisfied.
Each referral is about a generated incident with a suspect, who is the person responsible; the
person harmed is its victim (else its caller). Every name is a generated, fictitious one.
"""

from __future__ import annotations

import csv
import datetime as dt
from importlib import resources

import numpy as np
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from asbhub.audit.service import AuditAction, record
from asbhub.generate.schemas import REFERENCE_PREFIX, Generated
from asbhub.incidents import bulk
from asbhub.permissions import Actor
from asbhub.restorative import menu
from asbhub.restorative.lifecycle import Status
from asbhub.restorative.models import (
    Kind,
    Method,
    Outcome,
    Party,
    RestorativeParticipant,
    RestorativeReferral,
)

YEAR_START, YEAR_END = dt.date(2020, 4, 1), dt.date(2021, 3, 31)
LAST_REFERRAL = dt.date(2021, 1, 31)  # so the work has ended by 31 March
REFERENCE = f"{REFERENCE_PREFIX}RJ-"
# 50 completed (both parties asked: 100 answers), 6 withdrawn, 4 found not suitable.
COMPLETED, WITHDRAWN, NOT_SUITABLE = 50, 6, 4
FACILITATORS = tuple(f"Restorative facilitator {c}" for c in "ABCDEF")
VIEWS = (
    "Would like the damage put right.",
    "Wants an apology and for it to stop.",
    "Happy to meet and talk it through.",
    "No preference; wants it to stop.",
)


def seed_satisfaction() -> int:
    """The Hub's participant satisfaction, per cent (``casework.csv``)."""
    path = resources.files("asbhub") / "data" / "deep_dive_2021" / "casework.csv"
    with path.open("r", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["measure"] == "rj_participant_satisfaction_pct":
                return int(r["value"])
    raise LookupError("casework.csv has no rj_participant_satisfaction_pct")


def _candidates(batch: bulk.IncidentBatch) -> list[tuple[int, int, int]]:
    """(incident, harmed person, responsible person) for the year's incidents with a suspect."""
    roles = np.asarray(batch.link_role)
    by_incident: dict[int, dict[str, int]] = {}
    for i, p, role in zip(
        batch.link_incident.tolist(), batch.link_person.tolist(), roles.tolist(), strict=True
    ):
        by_incident.setdefault(i, {}).setdefault(role, p)
    received = batch.received_at.astype("datetime64[D]").astype(dt.date)
    out = []
    for i, links in by_incident.items():
        harmed = links.get("victim", links.get("caller"))
        if (
            "suspect" in links
            and harmed is not None
            and harmed != links["suspect"]
            and YEAR_START <= received[i] <= LAST_REFERRAL
            and batch.place[i] >= 0
        ):
            out.append((i, harmed, links["suspect"]))
    return sorted(out)


def write_restorative(
    conn: Connection,
    g: Generated,
    batch: bulk.IncidentBatch,
    incident_ids: np.ndarray,
    person_ids: np.ndarray,
    actor: Actor | None,
) -> int:
    """Write the year's referrals on ``conn``'s transaction, audited as ``actor``."""
    if (
        not (g.first <= YEAR_START and g.last > YEAR_END)
        or g.force_code != "essex"
        or not g.calibrated
    ):
        return 0
    rng = np.random.default_rng([g.seed, 101])
    pool = _candidates(batch)
    n = COMPLETED + WITHDRAWN + NOT_SUITABLE
    chosen = sorted(rng.choice(len(pool), n, replace=False).tolist())
    outcomes = (
        [Status.COMPLETED] * COMPLETED
        + [Status.WITHDRAWN] * WITHDRAWN
        + [Status.NOT_SUITABLE] * NOT_SUITABLE
    )
    rng.shuffle(outcomes)
    # Exactly the seed's share of the 100 answers are satisfied, spread at random.
    answers = COMPLETED * 2
    satisfied = np.zeros(answers, bool)
    satisfied[rng.choice(answers, round(answers * seed_satisfaction() / 100), replace=False)] = True
    m = menu.load()
    codes = [a.code for a in m.actions]
    la = np.asarray(batch.places.local_authority_code, dtype=object)
    received = batch.received_at.astype("datetime64[D]").astype(dt.date)
    people = batch.people
    rows: list[RestorativeReferral] = []
    asked = 0
    for k, (pick, status) in enumerate(zip(chosen, outcomes, strict=True)):
        i, harmed, responsible = pool[pick]
        referred = received[i] + dt.timedelta(days=int(rng.integers(2, 15)))
        kind = Kind.COMMUNITY_REMEDY if rng.random() < 0.65 else Kind.RESTORATIVE_JUSTICE
        r = RestorativeReferral(
            force_code=g.force_code,
            reference=f"{REFERENCE}{referred.year}-{k + 1:04d}",
            local_authority_code=str(la[batch.place[i]]),
            kind=kind,
            status=status,
            referred_on=referred,
            referred_by="generated officer",
            referring_agency="Essex Police",
            incident_id=int(incident_ids[i]),
            summary="Generated: a dispute the parties agreed to resolve restoratively.",
            menu_version=m.version,
            created_at=dt.datetime.combine(referred, dt.time(9, 0)),
        )
        for party, p in ((Party.HARMED, harmed), (Party.RESPONSIBLE, responsible)):
            r.participants.append(
                RestorativeParticipant(
                    force_code=g.force_code,
                    party=party,
                    person_id=int(person_ids[p]),
                    name=f"{people.forename[p]} {people.surname[p]}",
                )
            )
        consent = referred + dt.timedelta(days=int(rng.integers(1, 8)))
        if status is Status.NOT_SUITABLE:
            r.ended_on = consent
            r.end_note = "Generated: the facilitator found it not suitable."
        else:
            for p in r.participants:
                p.consent_on, p.consent_recorded_by = consent, "generated facilitator"
            r.facilitator = str(rng.choice(FACILITATORS))
            r.method = Method(str(rng.choice([m_.value for m_ in Method], p=[0.5, 0.2, 0.1, 0.2])))
            r.action_code = str(rng.choice(codes))
            r.victim_view = str(rng.choice(VIEWS))
            r.victim_choice_used = True
            r.started_on = consent + dt.timedelta(days=int(rng.integers(3, 15)))
            r.ended_on = r.started_on + dt.timedelta(days=int(rng.integers(7, 40)))
            if status is Status.COMPLETED:
                r.outcome = (
                    Outcome.AGREEMENT_KEPT if rng.random() < 0.85 else Outcome.AGREEMENT_BROKEN
                )
                for p in r.participants:
                    p.satisfied = bool(satisfied[asked])
                    asked += 1
            else:
                r.participants[int(rng.integers(0, 2))].withdrawn_on = r.ended_on
        rows.append(r)
    with Session(bind=conn) as session:
        session.add_all(rows)
        session.flush()
        record(
            session,
            actor=actor,
            event="generate:restorative:create",
            action=AuditAction.CREATE,
            object_type="restorative_referral",
            data_subjects=[p.person_id for r in rows for p in r.participants if p.person_id],
            result_count=len(rows),
            fields={"completed": COMPLETED, "answers": answers, "satisfied": int(satisfied.sum())},
            force_code=g.force_code,
        )
    return len(rows)
