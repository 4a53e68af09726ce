"""The reads behind the restorative figures: frames for :mod:`asbhub.restorative.figures`."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from asbhub.incidents.models import Incident, IncidentPerson, PersonRole
from asbhub.permissions import Action, Actor, require, restrict
from asbhub.restorative import figures
from asbhub.restorative.lifecycle import Status
from asbhub.restorative.models import Party, RestorativeParticipant, RestorativeReferral
from asbhub.restorative.schemas import FiguresOut
from asbhub.triage.dates import add_months


def restorative_figures(
    session: Session, *, actor: Actor, start: dt.date, end: dt.date
) -> FiguresOut:
    """Referrals made in ``start``..``end``, the satisfaction of the parties of those that
    ended in it, and re-offending as of ``end`` (counts only: nothing personal is shown)."""
    require(actor, Action.RESTORATIVE_FIGURES)
    R, P = RestorativeReferral, RestorativeParticipant
    made = restrict(actor, select(R.id, R.status).where(R.referred_on.between(start, end)), R)
    rows = session.execute(made).all()
    ended = restrict(
        actor,
        select(P.satisfied)
        .join(R, (R.id == P.referral_id) & (R.force_code == P.force_code))
        .where(R.ended_on.between(start, end), P.satisfied.is_not(None)),
        R,
    )
    parties = pd.DataFrame({"satisfied": list(session.execute(ended).scalars())})
    done = restrict(
        actor,
        select(P.person_id, R.referred_on, R.ended_on)
        .join(R, (R.id == P.referral_id) & (R.force_code == P.force_code))
        .where(
            R.status == Status.COMPLETED,
            R.ended_on <= end,
            P.party == Party.RESPONSIBLE,
            P.person_id.is_not(None),
        ),
        R,
    )
    referrals = pd.DataFrame(
        session.execute(done).all(), columns=["person_id", "referred_on", "ended_on"]
    )
    incidents = pd.DataFrame(columns=["person_id", "received_at"])
    if len(referrals):
        since = add_months(dt.datetime.combine(referrals["referred_on"].min(), dt.time()), -12)
        stmt = restrict(
            actor,
            select(IncidentPerson.person_id, Incident.received_at)
            .join(
                Incident,
                (Incident.id == IncidentPerson.incident_id)
                & (Incident.force_code == IncidentPerson.force_code),
            )
            .where(
                IncidentPerson.person_id.in_(sorted(set(referrals["person_id"].tolist()))),
                IncidentPerson.role == PersonRole.SUSPECT,
                Incident.received_at >= since,
            ),
            Incident,
        )
        incidents = pd.DataFrame(session.execute(stmt).all(), columns=["person_id", "received_at"])
    return FiguresOut(
        start=start,
        end=end,
        referrals=len(rows),
        completed=sum(s is Status.COMPLETED for _, s in rows),
        satisfaction=figures.satisfaction(parties),
        reoffending=figures.reoffending(referrals, incidents, end),
    )
