"""A restorative referral's life as one declared state machine (domain guide 6.2): taking part
is voluntary for both parties and either may withdraw at any time."""

from __future__ import annotations

import enum

from asbhub.statemachine import advance


class Status(enum.StrEnum):
    REFERRED = "referred"
    IN_PROGRESS = "in_progress"  # both parties consented and a facilitator holds it
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    NOT_SUITABLE = "not_suitable"


class Event(enum.StrEnum):
    CONSENT = "consent"
    PLAN = "plan"  # facilitator, method, the action chosen with the victim's view
    START = "start"
    COMPLETE = "complete"
    WITHDRAW = "withdraw"
    DECLINE = "decline"  # the facilitator finds it not suitable
    FEEDBACK = "feedback"


S, E = Status, Event
TRANSITIONS: dict[tuple[Status, Event], Status] = {
    (S.REFERRED, E.CONSENT): S.REFERRED,
    (S.REFERRED, E.PLAN): S.REFERRED,
    (S.REFERRED, E.START): S.IN_PROGRESS,
    (S.REFERRED, E.WITHDRAW): S.WITHDRAWN,
    (S.REFERRED, E.DECLINE): S.NOT_SUITABLE,
    (S.IN_PROGRESS, E.PLAN): S.IN_PROGRESS,
    (S.IN_PROGRESS, E.COMPLETE): S.COMPLETED,
    (S.IN_PROGRESS, E.WITHDRAW): S.WITHDRAWN,
    (S.COMPLETED, E.FEEDBACK): S.COMPLETED,
    (S.WITHDRAWN, E.FEEDBACK): S.WITHDRAWN,
}
INITIAL = S.REFERRED


def next_status(status: Status, event: Event) -> Status:
    return advance(TRANSITIONS, status, event, "a referral")
