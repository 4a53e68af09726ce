"""The effect of orders: the offences and incidents of the subjects of one kind of order in
equal windows before and after each subject's first order of that kind.

A subject's window is their own: ``window_days`` before the order's date and as many from it,
so subjects given orders months apart are compared alike. What counts is every incident in
which the person is recorded as the suspect (the force's ASB incidents are asbhub's record of
offending behaviour); the counts are of the actor's scope, and no identity leaves this module.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from asbhub.errors import InvalidInput
from asbhub.incidents.models import Incident, IncidentPerson, PersonRole
from asbhub.permissions import Action, Actor, require, restrict
from asbhub.powers.models import PowerRecord, PowerState
from asbhub.powers.schemas import Effect

# The names ``--type`` takes, for the orders whose effect is worth measuring.
TYPES = {
    "cbo": "CBO",
    "injunction": "CIVIL_INJUNCTION",
    "cpn": "CPN",
    "cpw": "CPW",
    "respect-order": "RESPECT_ORDER",
    "dispersal": "DISPERSAL_DIRECTION",
}
DEFAULT_WINDOW_DAYS = 61  # September + October, November + December: the deep dive's windows
_NOT_MADE = (PowerState.DRAFT,)


def power_of(kind: str) -> str:
    try:
        return TYPES[kind.lower()]
    except KeyError:
        raise InvalidInput(
            f"unknown order type {kind!r}", {"--type": ", ".join(sorted(TYPES))}
        ) from None


def order_effect(
    session: Session,
    *,
    actor: Actor,
    kind: str,
    window_days: int = DEFAULT_WINDOW_DAYS,
    person_ids: list[int] | None = None,
) -> Effect:
    """Subjects of ``kind`` orders and their incidents as suspect before and after the order.

    ``person_ids`` narrows the subjects (the people of a case).
    """
    require(actor, Action.POWER_EFFECT_VIEW)
    power = power_of(kind)
    if not 1 <= window_days <= 731:
        raise InvalidInput("the window is 1 to 731 days", {"--window-days": str(window_days)})
    firsts = select(PowerRecord.person_id, func.min(PowerRecord.starts_at)).where(
        PowerRecord.power == power,
        PowerRecord.person_id.is_not(None),
        PowerRecord.starts_at.is_not(None),
        PowerRecord.state.not_in(_NOT_MADE),
    )
    if person_ids is not None:
        firsts = firsts.where(PowerRecord.person_id.in_(person_ids))
    made: dict[int, dt.datetime] = {
        int(pid): at
        for pid, at in session.execute(
            restrict(actor, firsts, PowerRecord).group_by(PowerRecord.person_id)
        )
        if pid is not None and at is not None
    }
    window = dt.timedelta(days=window_days)
    before = after = 0
    if made:
        lo = min(made.values()) - window
        hi = max(made.values()) + window
        stmt = restrict(
            actor,
            select(IncidentPerson.person_id, Incident.received_at)
            .join(Incident, Incident.id == IncidentPerson.incident_id)
            .where(
                IncidentPerson.person_id.in_(sorted(made)),
                IncidentPerson.role == PersonRole.SUSPECT,
                Incident.received_at >= lo,
                Incident.received_at < hi,
            ),
            Incident,
        )
        seen: dict[int, list[dt.datetime]] = defaultdict(list)
        for pid, at in session.execute(stmt):
            seen[int(pid)].append(at)
        for pid, start in made.items():
            before += sum(1 for at in seen[pid] if start - window <= at < start)
            after += sum(1 for at in seen[pid] if start <= at < start + window)
    return Effect(
        type=kind.lower(), subjects=len(made), window_days=window_days, before=before, after=after
    )
