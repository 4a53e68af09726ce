"""The incident's life as one declared state machine (issue 16; NSIR recording).

``TRANSITIONS`` is the whole policy: a status changes only by an event listed for it, and
nothing else in asbhub writes ``Incident.status``. Events that leave the status as it is
(reassigning, recording attendance, a fresh THRIVE) are listed too, so they are refused in the
states where they make no sense (attending a closed incident).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping

from sqlalchemy.orm import Session

from asbhub import statemachine
from asbhub.errors import Conflict, InvalidInput
from asbhub.incidents.models import Incident, IncidentStatusChange, Qualifier
from asbhub.incidents.models import IncidentStatus as S
from asbhub.permissions import Actor


class Event(enum.StrEnum):
    TRIAGE = "triage"
    REASSESS = "reassess"
    ASSIGN = "assign"
    ATTEND = "attend"
    REFER = "refer"
    RESOLVE = "resolve"
    CLOSE = "close"
    # A correction of the recorded qualifier or hate flag (the recording audit, issue 20).
    RECLASSIFY = "reclassify"


TRANSITIONS: dict[tuple[S, Event], S] = {
    (S.NEW, Event.TRIAGE): S.TRIAGED,
    (S.TRIAGED, Event.REASSESS): S.TRIAGED,
    (S.TRIAGED, Event.ASSIGN): S.ASSIGNED,
    (S.TRIAGED, Event.REFER): S.REFERRED,
    (S.TRIAGED, Event.RESOLVE): S.RESOLVED,
    (S.ASSIGNED, Event.REASSESS): S.ASSIGNED,
    (S.ASSIGNED, Event.ASSIGN): S.ASSIGNED,
    (S.ASSIGNED, Event.ATTEND): S.ASSIGNED,
    (S.ASSIGNED, Event.REFER): S.REFERRED,
    (S.ASSIGNED, Event.RESOLVE): S.RESOLVED,
    (S.ASSIGNED, Event.CLOSE): S.CLOSED,
    # A partner can hand an issue back to the police.
    (S.REFERRED, Event.REASSESS): S.REFERRED,
    (S.REFERRED, Event.ASSIGN): S.ASSIGNED,
    (S.REFERRED, Event.CLOSE): S.CLOSED,
    (S.RESOLVED, Event.REASSESS): S.RESOLVED,
    (S.RESOLVED, Event.CLOSE): S.CLOSED,
    # Correcting the record is allowed at every point, closed included: audits of recording
    # look back at closed incidents, and national returns count the corrected qualifier. It
    # never moves the status, so closed stays final.
    **{(s, Event.RECLASSIFY): s for s in S},
}

INITIAL = S.NEW
# The entry, not a transition: the first history row of an incident recorded as new (written
# by the subscriber to the "incident recorded" event, asbhub.triage.events).
RECORD = "record"
FINAL = frozenset({S.CLOSED})
# Events whose reason the history must carry: they end or hand off the police's part.
REASON_REQUIRED = frozenset(
    {Event.REFER, Event.RESOLVE, Event.CLOSE, Event.REASSESS, Event.RECLASSIFY}
)


def next_status(status: S, event: Event) -> S:
    """The status ``event`` leads to from ``status``, or :class:`Conflict` naming
    what is allowed instead."""
    return statemachine.advance(TRANSITIONS, status, event, "an incident")


def allowed_events(status: S) -> list[Event]:
    return statemachine.allowed(TRANSITIONS, status)


def reachable(start: S = INITIAL) -> set[S]:
    return statemachine.reachable(TRANSITIONS, start)


def apply(
    session: Session,
    *,
    actor: Actor,
    incident: Incident,
    event: Event,
    reason: str | None = None,
    details: Mapping[str, object] | None = None,
    at: dt.datetime | None = None,
) -> IncidentStatusChange:
    """Move ``incident`` by ``event`` and keep the step: who, when, why, from and to.

    The one writer of ``Incident.status``; callers check the permission for what they do.
    """
    if event in REASON_REQUIRED and not (reason or "").strip():
        raise InvalidInput(f"say why ({event.value})", {"reason": "a reason is needed"})
    to = next_status(incident.status, event)
    change = IncidentStatusChange(
        force_code=incident.force_code,
        incident_id=incident.id,
        at=at or utcnow(),
        event=event.value,
        from_status=incident.status,
        to_status=to,
        actor_user_id=actor.user_id or None,
        actor_name=actor.display_name,
        reason=(reason or "").strip() or None,
        details=dict(details or {}),
    )
    session.add(change)
    incident.status = to
    session.flush()
    return change


def reclassify(
    session: Session,
    *,
    actor: Actor,
    incident: Incident,
    expected: tuple[Qualifier | None, bool],
    qualifier: Qualifier,
    hate_motivated: bool,
    reason: str,
    details: Mapping[str, object] | None = None,
    at: dt.datetime | None = None,
) -> IncidentStatusChange:
    """Correct the recorded qualifier and hate flag, keeping the old values in the history.

    ``expected`` is what the caller saw (qualifier, hate flag): if the record changed since,
    :class:`Conflict`, so no correction overwrites another unseen. A change that changes
    nothing is refused too. The one writer of a recorded qualifier after the incident closed.
    """
    if (incident.qualifier, incident.hate_motivated) != expected:
        raise Conflict(
            f"incident {incident.reference} was re-recorded since it was flagged "
            f"(now {incident.qualifier.value if incident.qualifier else 'none'}, hate "
            f"{'yes' if incident.hate_motivated else 'no'}); look again before changing it"
        )
    if (incident.qualifier, incident.hate_motivated) == (qualifier, hate_motivated):
        raise InvalidInput(
            "the incident is already recorded so", {"qualifier": "choose a different value"}
        )
    changes: dict[str, object] = dict(details or {})
    if incident.qualifier != qualifier:
        changes["qualifier"] = {
            "from": incident.qualifier.value if incident.qualifier else None,
            "to": qualifier.value,
        }
    if incident.hate_motivated != hate_motivated:
        changes["hate_motivated"] = {"from": incident.hate_motivated, "to": hate_motivated}
    change = apply(
        session,
        actor=actor,
        incident=incident,
        event=Event.RECLASSIFY,
        reason=reason,
        details=changes,
        at=at,
    )
    incident.qualifier = qualifier
    incident.hate_motivated = hate_motivated
    session.flush()
    return change


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
