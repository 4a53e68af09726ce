"""Typed inputs and outputs of the powers services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from asbhub.powers.models import SubjectType
from asbhub.powers.rules import ISSUERS, RANKS


class DraftIn(BaseModel):
    """A power record as first written: what, to whom, by whom, on what terms."""

    model_config = ConfigDict(extra="forbid")

    power: str = Field(max_length=40)
    subject_type: SubjectType
    person_id: int | None = Field(None, ge=1)
    body_name: str | None = Field(None, max_length=200)
    location_id: int | None = Field(None, ge=1)
    place_text: str | None = Field(None, max_length=300)
    parent_id: int | None = Field(None, ge=1)
    # The problem-solving case the power is part of; its owner drafts it.
    case_id: int | None = Field(None, ge=1)
    issuer: str
    issuer_rank: str | None = None
    issuer_name: str | None = Field(None, max_length=120)
    terms: str = Field("", max_length=4000)
    # The issuer's statements: ISO periods, amounts, dates, confirmed preconditions.
    period: str | None = Field(None, max_length=20)
    comply_within: str | None = Field(None, max_length=20)
    indefinite: bool = False
    amount_gbp: int | None = Field(None, ge=1, le=100_000)
    conviction_date: dt.date | None = None
    condition: str | None = Field(None, max_length=60)
    condition_date: dt.date | None = None
    power_of_arrest: bool = False
    adjourned: bool = False
    confirmed: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, v: str) -> str:
        if v not in ISSUERS:
            raise ValueError(f"must be one of: {', '.join(ISSUERS)}")
        return v

    @field_validator("issuer_rank")
    @classmethod
    def _rank(cls, v: str | None) -> str | None:
        if v in (None, ""):
            return None
        if v not in RANKS:
            raise ValueError(f"must be one of: {', '.join(RANKS)}")
        return v

    def details(self) -> dict[str, Any]:
        keep = (
            "period",
            "comply_within",
            "indefinite",
            "amount_gbp",
            "conviction_date",
            "condition",
            "condition_date",
            "power_of_arrest",
            "adjourned",
            "confirmed",
        )
        return self.model_dump(mode="json", include=set(keep), exclude_none=True)


@dataclass(frozen=True)
class Effect:
    """Offences and incidents of the subjects of one kind of order, in equal windows before
    and after each subject's (first) order date."""

    type: str
    subjects: int
    window_days: int
    before: int
    after: int

    @property
    def change_pct(self) -> float | None:
        if not self.before:
            return None
        return round(100.0 * (self.after - self.before) / self.before, 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "subjects": self.subjects,
            "window_days": self.window_days,
            "before": self.before,
            "after": self.after,
            "change_pct": self.change_pct,
        }
