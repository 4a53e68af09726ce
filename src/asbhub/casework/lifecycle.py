"""A SARA case's stages as one declared state machine (domain guide 4.3).

``TRANSITIONS`` is the whole policy: the stage changes only by an event listed for it, and
nothing else writes ``Case.stage``. Stages can go back (analysis shows the problem was
mis-scanned; an assessment shows the response did not work), always with a reason; what a
stage needs before the case may leave it forward is in ``READY``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from asbhub import statemachine
from asbhub.casework.models import Case, Stage


class Event(enum.StrEnum):
    ADVANCE = "advance"
    BACK = "back"
    SIGN_OFF = "sign_off"
    REOPEN = "reopen"


S = Stage
TRANSITIONS: dict[tuple[Stage, Event], Stage] = {
    (S.SCANNING, Event.ADVANCE): S.ANALYSIS,
    (S.ANALYSIS, Event.ADVANCE): S.RESPONSE,
    (S.ANALYSIS, Event.BACK): S.SCANNING,
    (S.RESPONSE, Event.ADVANCE): S.ASSESSMENT,
    (S.RESPONSE, Event.BACK): S.ANALYSIS,
    (S.ASSESSMENT, Event.BACK): S.RESPONSE,
    (S.ASSESSMENT, Event.SIGN_OFF): S.CLOSED,
    (S.CLOSED, Event.REOPEN): S.ASSESSMENT,
}
INITIAL = S.SCANNING
FINAL = frozenset({S.CLOSED})
REASON_REQUIRED = frozenset({Event.BACK, Event.REOPEN})


def _has_baseline(c: Case) -> str | None:
    return None if c.baseline_target is not None else "compute the baseline counts first"


def _has_triangle(c: Case) -> str | None:
    sides = (c.offender, c.victim, c.place)
    return None if any(sides) else "describe at least one side of the problem analysis triangle"


READY: dict[tuple[Stage, Event], Callable[[Case], str | None]] = {
    (S.SCANNING, Event.ADVANCE): _has_baseline,
    (S.ANALYSIS, Event.ADVANCE): _has_triangle,
    (S.ASSESSMENT, Event.SIGN_OFF): lambda c: (
        None if c.assessed_at is not None else "record the assessment before signing off"
    ),
}


def next_stage(stage: Stage, event: Event) -> Stage:
    """The stage ``event`` leads to from ``stage``, or :class:`Conflict` naming
    what is allowed instead."""
    return statemachine.advance(TRANSITIONS, stage, event, "a case")


def allowed_events(stage: Stage) -> list[Event]:
    return statemachine.allowed(TRANSITIONS, stage)


def reachable(start: Stage = INITIAL) -> set[Stage]:
    return statemachine.reachable(TRANSITIONS, start)
