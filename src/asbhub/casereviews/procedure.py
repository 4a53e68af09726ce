"""The local procedure of each area (2014 Act s.104(2)-(3), Sch.4): its service levels in
working days and who reviews the handling of an application.

Working days are those of the legal calendar (:mod:`asbhub.powers.calendar`: Monday to Friday
less the bank holidays of England and Wales), the one calendar asbhub counts deadlines on; the
day of the step itself is day 0, so received on a Friday, "within 5 working days" is the next
Friday.

The threshold is *not* here: it is the triage rule set ``case_review.json``
(:mod:`asbhub.triage.rules`), so the call handler's prompt and the case review's decision
apply one rule. Both files are versioned; each case review keeps the versions it used.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from asbhub.errors import InvalidInput
from asbhub.powers.calendar import add_working_days


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Procedure(_Strict):
    acknowledge_working_days: int = Field(ge=1, le=30)
    decision_working_days: int = Field(ge=1, le=60)
    # Gosport counts the threshold decision from the acknowledgement, Colchester from receipt.
    decision_from: Literal["acknowledgement", "receipt"]
    meeting_working_days: int = Field(ge=1, le=60)
    outcome_working_days: int = Field(ge=1, le=30)
    handling_review_working_days: int = Field(ge=1, le=60)
    handling_review_by: str = Field(min_length=1)


class AreaProcedure(_Strict):
    name: str
    acknowledge_working_days: int | None = Field(None, ge=1, le=30)
    decision_working_days: int | None = Field(None, ge=1, le=60)
    decision_from: Literal["acknowledgement", "receipt"] | None = None
    meeting_working_days: int | None = Field(None, ge=1, le=60)
    outcome_working_days: int | None = Field(None, ge=1, le=30)
    handling_review_working_days: int | None = Field(None, ge=1, le=60)
    handling_review_by: str | None = None


class ProcedureRules(_Strict):
    kind: Literal["case_review_procedure"]
    version: str
    effective_from: dt.date
    source: str
    default: Procedure
    areas: dict[str, AreaProcedure]

    def procedure(self, local_authority_code: str) -> Procedure:
        area = self.areas.get(local_authority_code)
        if area is None:
            return self.default
        own = area.model_dump(exclude={"name"}, exclude_none=True)
        return self.default.model_copy(update=own)


def _read(name: str, model: type[BaseModel]) -> BaseModel:
    where = f"asbhub/casereviews/rules/{name}.json"
    text = (resources.files("asbhub.casereviews") / "rules" / f"{name}.json").read_text("utf-8")
    try:
        return model.model_validate(json.loads(text))
    except ValidationError as exc:
        fields = {f"{where}: " + ".".join(map(str, e["loc"])): e["msg"] for e in exc.errors()}
        raise InvalidInput(f"the {name} rules are not valid", fields) from None


@lru_cache(maxsize=1)
def procedures() -> ProcedureRules:
    return _read("procedure", ProcedureRules)  # type: ignore[return-value]


class Milestone(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"
    DECISION = "decision"
    MEETING = "meeting"
    OUTCOME = "outcome"
    HANDLING_REVIEW = "handling_review"


@dataclass(frozen=True)
class Deadline:
    milestone: Milestone
    due_on: dt.date
    done_on: dt.date | None

    def late(self, today: dt.date) -> bool:
        """Done after the due day, or still open past it."""
        return (self.done_on or today) > self.due_on


@dataclass(frozen=True)
class Dates:
    """What has happened so far, by day."""

    received_on: dt.date
    acknowledged_on: dt.date | None = None
    decided_on: dt.date | None = None
    threshold_met: bool | None = None
    held_on: dt.date | None = None
    outcome_sent_on: dt.date | None = None


def deadlines(p: Procedure, d: Dates) -> list[Deadline]:
    """The deadlines that apply so far. A later one counts from the day the earlier step was
    done, or, while it is not done, from its due day (so a late step moves no deadline
    earlier)."""
    out: list[Deadline] = []
    ack_due = add_working_days(d.received_on, p.acknowledge_working_days)
    out.append(Deadline(Milestone.ACKNOWLEDGE, ack_due, d.acknowledged_on))
    base = d.received_on if p.decision_from == "receipt" else (d.acknowledged_on or ack_due)
    decision_due = add_working_days(base, p.decision_working_days)
    out.append(Deadline(Milestone.DECISION, decision_due, d.decided_on))
    if d.threshold_met and d.decided_on is not None:
        meeting_due = add_working_days(d.decided_on, p.meeting_working_days)
        out.append(Deadline(Milestone.MEETING, meeting_due, d.held_on))
        if d.held_on is not None:
            outcome_due = add_working_days(d.held_on, p.outcome_working_days)
            out.append(Deadline(Milestone.OUTCOME, outcome_due, d.outcome_sent_on))
    return out


def handling_review_due(p: Procedure, requested_on: dt.date) -> dt.date:
    return add_working_days(requested_on, p.handling_review_working_days)
