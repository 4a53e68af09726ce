"""The triage rule sets: versioned data files, validated on load.

The weights, thresholds, windows and policies are force practice or law, not code (domain guide
sections 2-4 mark them CONFIG), so they ship as JSON beside this module and a force can replace
any of them by pointing ``ASBHUB_TRIAGE_RULES_DIR`` at a folder holding its own file of the same
name. Every stored assessment keeps the ``version`` of each set it used.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from asbhub.errors import InvalidInput


class RiskLevel(enum.StrEnum):
    STANDARD = "standard"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _RISK_ORDER.index(self)


_RISK_ORDER = [RiskLevel.STANDARD, RiskLevel.MEDIUM, RiskLevel.HIGH]


class Level(enum.StrEnum):
    """A THRIVE element's level."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return ["low", "medium", "high"].index(self.value)


class Element(enum.StrEnum):
    THREAT = "threat"
    HARM = "harm"
    RISK = "risk"
    INVESTIGATION = "investigation"
    VULNERABILITY = "vulnerability"
    ENGAGEMENT = "engagement"


class Grade(enum.StrEnum):
    IMMEDIATE = "immediate"
    PRIORITY = "priority"
    SCHEDULED = "scheduled"
    RESOLVED = "resolved"
    REFER = "refer"


class Rank(enum.StrEnum):
    SERGEANT = "sergeant"
    INSPECTOR = "inspector"
    CHIEF_INSPECTOR = "chief_inspector"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RepeatBonus(_Strict):
    weight: int = Field(ge=0)
    count_3_months: int = Field(ge=1)


class Question(_Strict):
    id: str
    text: str
    weight: int = Field(ge=0)
    override: bool = False
    harm: bool = False
    hate: bool = False
    vulnerability: bool = False
    repeat_bonus: RepeatBonus | None = None


class FirstContactQuestion(_Strict):
    id: str
    text: str


class Thresholds(_Strict):
    high: int = Field(ge=1)
    medium: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.medium >= self.high:
            raise ValueError("the medium threshold must be below the high one")
        return self


class ReviewRule(_Strict):
    rank: Rank
    every_days: int = Field(ge=1, le=366)


class RiskRules(_Strict):
    kind: Literal["risk"]
    version: str
    effective_from: dt.date
    source: str
    first_contact: list[FirstContactQuestion]
    questions: list[Question]
    thresholds: Thresholds
    repeat_victim_with_harm: RiskLevel
    reviews: dict[RiskLevel, list[ReviewRule]]
    spoc_levels: list[RiskLevel]

    @model_validator(mode="after")
    def _unique(self) -> RiskRules:
        ids = [q.id for q in self.questions]
        if len(set(ids)) != len(ids):
            raise ValueError("question ids must be unique")
        return self

    @property
    def max_score(self) -> int:
        return sum(
            q.weight + (q.repeat_bonus.weight if q.repeat_bonus else 0) for q in self.questions
        )

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)


class GradeInfo(_Strict):
    number: int = Field(ge=1, le=9)
    label: str
    target: str
    deploy: bool


class GradeRule(_Strict):
    grade: Grade
    all: dict[Element, Level] = Field(default_factory=dict)
    any: dict[Element, Level] = Field(default_factory=dict)


class Otherwise(_Strict):
    partner_owns: Grade
    default: Grade


class ThriveRules(_Strict):
    kind: Literal["thrive"]
    version: str
    effective_from: dt.date
    source: str
    elements: list[Element]
    levels: list[Level]
    grades: dict[Grade, GradeInfo]
    rules: list[GradeRule]
    otherwise: Otherwise
    always_attend_grade: Grade


class RepeatRule(_Strict):
    count: int = Field(ge=1)
    months: int = Field(ge=1, le=24)
    radius_m: float | None = Field(None, gt=0, le=1000)


class RepeatRules(_Strict):
    kind: Literal["repeats"]
    version: str
    effective_from: dt.date
    source: str
    history_months: int = Field(ge=1, le=36)
    victim: RepeatRule
    location: RepeatRule
    offender: RepeatRule
    count_includes_current: bool
    exclude_covid_breaches: bool


class LocationRule(_Strict):
    """The optional local addition: several people reporting one place."""

    reports: int = Field(ge=1)
    reporters: int = Field(ge=1)


class CaseReviewPolicy(_Strict):
    reports: int = Field(ge=1, le=3)  # s.104(4): a procedure may set a lower number, not higher
    months: int = Field(ge=1, le=12)
    report_within_months: int = Field(ge=1, le=12)
    hate_single: bool
    location: LocationRule | None = None


class AreaPolicy(_Strict):
    name: str
    reports: int | None = Field(None, ge=1, le=3)
    months: int | None = Field(None, ge=1, le=12)
    report_within_months: int | None = Field(None, ge=1, le=12)
    hate_single: bool | None = None
    location: LocationRule | None = None


class CaseReviewRules(_Strict):
    kind: Literal["case_review"]
    version: str
    effective_from: dt.date
    source: str
    default: CaseReviewPolicy
    areas: dict[str, AreaPolicy]

    def policy(self, local_authority_code: str | None) -> CaseReviewPolicy:
        """The policy of one local authority: its own values over the default."""
        area = self.areas.get(local_authority_code or "")
        if area is None:
            return self.default
        own = area.model_dump(exclude={"name"}, exclude_none=True)
        return self.default.model_copy(update=own)


class RoutingRules(_Strict):
    kind: Literal["routing"]
    version: str
    effective_from: dt.date
    source: str
    partners: dict[str, str]
    by_type: dict[str, str]
    by_premises: dict[str, str]
    police_types: list[str]

    @model_validator(mode="after")
    def _known(self) -> RoutingRules:
        for table in (self.by_type, self.by_premises):
            for key, partner in table.items():
                if partner not in self.partners:
                    raise ValueError(f"{key} routes to unknown partner {partner!r}")
        return self

    def partner_for(self, incident_type: str, premises_type: str | None) -> str | None:
        """The partner that owns an issue: the premises first (a tenancy, a licence), then
        the incident type; ``None`` where the police own it."""
        if incident_type in self.police_types:
            return None
        return self.by_premises.get(premises_type or "") or self.by_type.get(incident_type)


_MODELS: dict[str, type[BaseModel]] = {
    "risk": RiskRules,
    "thrive": ThriveRules,
    "repeats": RepeatRules,
    "case_review": CaseReviewRules,
    "routing": RoutingRules,
}


@dataclass(frozen=True)
class Rules:
    """One of each rule set, as used together by a decision."""

    risk: RiskRules
    thrive: ThriveRules
    repeats: RepeatRules
    case_review: CaseReviewRules
    routing: RoutingRules

    def versions(self) -> dict[str, str]:
        return {
            "risk": self.risk.version,
            "thrive": self.thrive.version,
            "repeats": self.repeats.version,
            "case_review": self.case_review.version,
            "routing": self.routing.version,
        }


def _read(name: str, folder: Path | None) -> BaseModel:
    own = folder / f"{name}.json" if folder is not None else None
    if own is not None and own.exists():
        where, text = str(own), own.read_text(encoding="utf-8")
    else:
        packaged = resources.files("asbhub.triage") / "rules" / f"{name}.json"
        where, text = f"asbhub/triage/rules/{name}.json", packaged.read_text(encoding="utf-8")
    try:
        return _MODELS[name].model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"the {name} rule set is not valid JSON", {f"{where}:{exc.lineno}": exc.msg}
        ) from None
    except ValidationError as exc:
        fields = {f"{where}: " + ".".join(map(str, e["loc"])): e["msg"] for e in exc.errors()}
        raise InvalidInput(f"the {name} rule set is not valid", fields) from None


@lru_cache(maxsize=8)
def load(folder: str | None = None) -> Rules:
    """The rule sets, each from ``folder`` where it holds one, else the packaged default."""
    path = Path(folder) if folder else None
    if path is not None and not path.is_dir():
        raise InvalidInput(
            "the triage rules folder does not exist", {"triage_rules_dir": str(path)}
        )
    sets = {name: _read(name, path) for name in _MODELS}
    return Rules(**sets)  # type: ignore[arg-type]
