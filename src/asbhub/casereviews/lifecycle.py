"""A case review's life as one declared state machine: a status changes only by an event
listed for it in ``TRANSITIONS``, and nothing else writes ``AsbCaseReview.status``."""

from __future__ import annotations

import enum

from asbhub.statemachine import advance


class Status(enum.StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    THRESHOLD_MET = "threshold_met"
    THRESHOLD_NOT_MET = "threshold_not_met"
    REVIEWED = "reviewed"  # the panel met; outcome and recommendations recorded
    CLOSED = "closed"  # the applicant has been told the outcome
    WITHDRAWN = "withdrawn"


class Event(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"
    MEET = "meet"  # the threshold decision: met
    NOT_MEET = "not_meet"
    HOLD_REVIEW = "hold_review"
    SEND_OUTCOME = "send_outcome"
    WITHDRAW = "withdraw"
    REQUEST_HANDLING_REVIEW = "request_handling_review"


S, E = Status, Event
TRANSITIONS: dict[tuple[Status, Event], Status] = {
    (S.RECEIVED, E.ACKNOWLEDGE): S.ACKNOWLEDGED,
    (S.ACKNOWLEDGED, E.MEET): S.THRESHOLD_MET,
    (S.ACKNOWLEDGED, E.NOT_MEET): S.THRESHOLD_NOT_MET,
    (S.THRESHOLD_MET, E.HOLD_REVIEW): S.REVIEWED,
    (S.REVIEWED, E.SEND_OUTCOME): S.CLOSED,
    (S.RECEIVED, E.WITHDRAW): S.WITHDRAWN,
    (S.ACKNOWLEDGED, E.WITHDRAW): S.WITHDRAWN,
    (S.THRESHOLD_MET, E.WITHDRAW): S.WITHDRAWN,
    # Sch.4 para 3: the applicant unhappy with how the application or the review was handled.
    # The request is its own record; the case review keeps its status.
    (S.THRESHOLD_NOT_MET, E.REQUEST_HANDLING_REVIEW): S.THRESHOLD_NOT_MET,
    (S.CLOSED, E.REQUEST_HANDLING_REVIEW): S.CLOSED,
}
INITIAL = S.RECEIVED


def next_status(status: Status, event: Event) -> Status:
    return advance(TRANSITIONS, status, event, "a case review")
