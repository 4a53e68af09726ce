"""The life of a power record as one declared state machine.

``TRANSITIONS`` is the whole policy of states: a record's state changes only by an event listed
for it, and nothing else in asbhub writes ``PowerRecord.state``. Whether an event listed for a
state may happen to this record now (a CPN before the warning's time has passed, an appeal
after its window) is the rules' decision, made in :mod:`asbhub.powers.guards`; a refusal
names its reason and the section it comes from.
"""

from __future__ import annotations

import enum

from asbhub import statemachine
from asbhub.errors import Conflict
from asbhub.powers.models import PowerState as S


class Event(enum.StrEnum):
    ISSUE = "issue"
    EXTEND = "extend"
    COMPLY = "comply"
    BREACH = "breach"
    ARREST = "arrest"
    VARY = "vary"
    APPEAL = "appeal"
    APPEAL_DISMISSED = "appeal_dismissed"
    APPEAL_ALLOWED = "appeal_allowed"
    EXPIRE = "expire"
    DISCHARGE = "discharge"


EVENT_LABELS: dict[Event, str] = {
    Event.ISSUE: "Issue or serve",
    Event.EXTEND: "Extend",
    Event.COMPLY: "Record compliance",
    Event.BREACH: "Record a breach",
    Event.ARREST: "Record an arrest for breach",
    Event.VARY: "Vary",
    Event.APPEAL: "Record an appeal",
    Event.APPEAL_DISMISSED: "Appeal dismissed",
    Event.APPEAL_ALLOWED: "Appeal allowed",
    Event.EXPIRE: "Record expiry",
    Event.DISCHARGE: "Discharge or withdraw",
}

_LIVE = (S.ISSUED, S.VARIED)

TRANSITIONS: dict[tuple[S, Event], S] = {
    (S.DRAFT, Event.ISSUE): S.ISSUED,
    (S.DRAFT, Event.DISCHARGE): S.DISCHARGED,
    **{(s, Event.EXTEND): s for s in _LIVE},
    **{(s, Event.COMPLY): S.COMPLIED for s in _LIVE},
    **{(s, Event.BREACH): S.BREACHED for s in (*_LIVE, S.BREACHED)},
    **{(s, Event.ARREST): S.BREACHED for s in (*_LIVE, S.BREACHED)},
    **{(s, Event.VARY): S.VARIED for s in (*_LIVE, S.BREACHED)},
    **{(s, Event.APPEAL): S.APPEALED for s in _LIVE},
    (S.APPEALED, Event.APPEAL_DISMISSED): S.ISSUED,
    (S.APPEALED, Event.APPEAL_ALLOWED): S.DISCHARGED,
    **{(s, Event.EXPIRE): S.EXPIRED for s in (*_LIVE, S.BREACHED, S.COMPLIED)},
    **{(s, Event.DISCHARGE): S.DISCHARGED for s in (*_LIVE, S.BREACHED, S.APPEALED)},
}

INITIAL = S.DRAFT
FINAL = frozenset({S.EXPIRED, S.DISCHARGED})
# Events whose reason the history must carry: they change what the subject must do.
REASON_REQUIRED = frozenset(
    {Event.VARY, Event.DISCHARGE, Event.BREACH, Event.APPEAL_ALLOWED, Event.APPEAL_DISMISSED}
)


class Refused(Conflict):
    """The rules forbid the step: ``reason`` says why, ``section`` where the law says so."""

    def __init__(self, reason: str, section: str) -> None:
        super().__init__(f"{reason} ({section})")
        self.reason = reason
        self.section = section


def next_state(state: S, event: Event) -> S:
    """The state ``event`` leads to from ``state``, or :class:`Conflict` naming
    what is allowed instead."""
    return statemachine.advance(TRANSITIONS, state, event, "a power record")


def allowed_events(state: S) -> list[Event]:
    return statemachine.allowed(TRANSITIONS, state)


def reachable(start: S = INITIAL) -> set[S]:
    return statemachine.reachable(TRANSITIONS, start)
