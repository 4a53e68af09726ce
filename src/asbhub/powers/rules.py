"""The rules table of the statutory powers: one versioned data file, validated on load.

Every number the Act sets (ages, durations, deadlines, extension limits, appeal windows, fine
maxima) and every issuer and precondition lives in ``rules/powers.json``, with the section it
comes from, so a change in the law is a new row with a commencement date, never new code. A
force replaces the file by pointing ``ASBHUB_POWERS_RULES_DIR`` at a folder holding its own
``powers.json``.

A value that a 2026 Act change alters is a list of variants, each in force ``from`` a date or
from the commencement of a named ``change``. Commencement of those changes is unconfirmed, so
the file leaves them ``null`` and an administrator switches each on with its effective date
(:mod:`asbhub.powers.service`, stored and audited); the same goes for the ``config`` values.
:func:`resolve` gives the rule of one power as it stood on one date, which is what a record is
decided by and keeps.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from asbhub.errors import InvalidInput
from asbhub.powers.calendar import EXCLUDABLE, Period

RANKS = (
    "constable",
    "sergeant",
    "inspector",
    "chief_inspector",
    "superintendent",
    "chief_superintendent",
    "chief_officer",
)
ISSUERS = (
    "police",
    "pcso_designated",
    "council",
    "council_officer",
    "council_chief_executive",
    "housing_provider",
    "housing_provider_designated",
    "housing_provider_senior_manager",
    "csas_accredited",
    "prosecution",
    "landlord",
    "chief_officer_police",
    "btp",
    "tfl",
    "environment_agency",
    "nrw",
    "nhs_security",
)
SUBJECT_TYPES = ("individual", "body", "premises", "locality")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _period(value: str | None) -> str | None:
    """``value`` if it is an ISO 8601 period; a ``ValueError`` (a validation error) if not."""
    if value is not None:
        try:
            Period.parse(value)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None
    return value


class Change(_Strict):
    id: str
    title: str
    basis: str
    in_force: dt.date | None = None


class ConfigValue(_Strict):
    value: int
    min: int
    max: int
    text: str

    @model_validator(mode="after")
    def _in_range(self) -> ConfigValue:
        if not self.min <= self.value <= self.max:
            raise ValueError(f"{self.value} is outside {self.min}-{self.max}")
        return self


class Dated(_Strict):
    """Something in force from a date, or from the commencement of a change."""

    from_: dt.date | None = Field(None, alias="from")
    change: str | None = None
    section: str | None = None


class Issuer(Dated):
    who: str
    min_rank: str | None = None

    @model_validator(mode="after")
    def _known(self) -> Issuer:
        if self.who not in ISSUERS:
            raise ValueError(f"unknown issuer {self.who!r}")
        if self.min_rank is not None and self.min_rank not in RANKS:
            raise ValueError(f"unknown rank {self.min_rank!r}")
        return self


class Variant(Dated):
    value: Any
    review_at: str | None = None


class Precondition(_Strict):
    id: str
    text: str
    section: str


class MinAge(_Strict):
    value: int | None = None
    config: str | None = None
    section: str


class Prior(_Strict):
    power: str
    same_subject: bool
    period_expired: bool
    active: bool = False
    section: str


class Window(_Strict):
    court: str | None = None
    within: str
    beginning_with: bool = True
    from_: str = Field("issue", alias="from")
    section: str
    text: str | None = None

    @model_validator(mode="after")
    def _within(self) -> Window:
        _period(self.within)
        return self


class Limit(_Strict):
    min: str | None = None
    max: str | None = None
    section: str | None = None

    @model_validator(mode="after")
    def _periods(self) -> Limit:
        _period(self.min)
        _period(self.max)
        return self


class Duration(_Strict):
    """How long a power lasts: one maximum (or dated maxima), by age, or the closure notice's
    24 / 48 hours with its days not counted."""

    max: str | list[Variant] | None = None
    section: str | None = None
    under_18: Limit | None = None
    adult: Limit | None = None
    within_parent: dict[str, str] | None = None
    default: str | None = None
    extended: str | None = None
    exclude_days: list[str] = []
    long_by: list[Issuer] = []

    @model_validator(mode="after")
    def _days(self) -> Duration:
        for value in (self.default, self.extended, self.max):
            if isinstance(value, str):
                _period(value)
        for d in self.exclude_days:
            if d not in EXCLUDABLE:
                raise ValueError(f"unknown excluded day {d!r}; one of {', '.join(EXCLUDABLE)}")
        return self


class Extension(_Strict):
    each_max: str
    total_max: str | None
    section: str


class Hearing(_Strict):
    within: list[Variant]
    exclude_days: list[str] = []


class Arrest(_Strict):
    within: str
    exclude_days: list[str]
    section: str
    text: str


class Breach(_Strict):
    offence: bool
    section: str | None = None
    text: str
    next_step: str | None = None
    fpn: str | None = None


class Condition(_Strict):
    within: str
    section: str


class SectionValue(_Strict):
    value: str | None = None
    every: str | None = None
    within: str | None = None
    section: str


class PowerRule(_Strict):
    name: str
    basis: str
    in_force: dt.date | None
    change: str | None = None
    issuers: list[Issuer]
    subject_types: list[str]
    subject_min_age: MinAge | None = None
    pre: list[Precondition] = []
    pre_under_18: list[Precondition] = []
    requires_prior: Prior | None = None
    requires_conviction: dict[str, str] | None = None
    compliance_period: dict[str, str] | None = None
    duration: Duration | None = None
    extension: Extension | None = None
    hearing: Hearing | None = None
    arrest: Arrest | None = None
    adjournment_max: SectionValue | None = None
    review_under_18: SectionValue | None = None
    review_request: SectionValue | None = None
    conditions: dict[str, Condition] = {}
    max_amount_gbp: list[Variant] = []
    no_proceedings: SectionValue | None = None
    cannot_exclude: list[str] = []
    appeal: Window | None = None
    breach: Breach

    @model_validator(mode="after")
    def _types(self) -> PowerRule:
        for t in self.subject_types:
            if t not in SUBJECT_TYPES:
                raise ValueError(f"unknown subject type {t!r}")
        return self


class Advice(_Strict):
    """Where a letter's recipient can get advice (s.76(6)(e) for closure notices; good
    practice for every letter)."""

    name: str
    phone: str | None = None
    url: str | None = None
    about: str | None = None


class RulesFile(_Strict):
    kind: str
    version: str
    source: str
    changes: list[Change]
    config: dict[str, ConfigValue]
    advice: list[Advice] = []
    powers: dict[str, PowerRule]

    @model_validator(mode="after")
    def _references(self) -> RulesFile:
        known = {c.id for c in self.changes}
        for pid, p in self.powers.items():
            dated: list[Dated] = [*p.issuers, *p.max_amount_gbp]
            if p.duration:
                dated += p.duration.long_by
                if isinstance(p.duration.max, list):
                    dated += p.duration.max
            if p.hearing:
                dated += p.hearing.within
            for d in dated:
                if d.change is not None and d.change not in known:
                    raise ValueError(f"{pid} names unknown change {d.change!r}")
            if p.change is not None and p.change not in known:
                raise ValueError(f"{pid} names unknown change {p.change!r}")
            if p.requires_prior and p.requires_prior.power not in self.powers:
                raise ValueError(f"{pid} requires unknown power {p.requires_prior.power!r}")
            age = p.subject_min_age
            if age and age.config and age.config not in self.config:
                raise ValueError(f"{pid} names unknown setting {age.config!r}")
        return self

    def change(self, change_id: str) -> Change:
        for c in self.changes:
            if c.id == change_id:
                return c
        raise InvalidInput(f"no change {change_id!r} in the rules", {"change": change_id})


def _read(folder: Path | None) -> RulesFile:
    own = folder / "powers.json" if folder is not None else None
    if own is not None and own.exists():
        where, text = str(own), own.read_text(encoding="utf-8")
    else:
        packaged = resources.files("asbhub.powers") / "rules" / "powers.json"
        where, text = "asbhub/powers/rules/powers.json", packaged.read_text(encoding="utf-8")
    try:
        return RulesFile.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            "the powers rules are not valid JSON", {f"{where}:{exc.lineno}": exc.msg}
        ) from None
    except ValidationError as exc:
        fields = {f"{where}: " + ".".join(map(str, e["loc"])): e["msg"] for e in exc.errors()}
        raise InvalidInput("the powers rules are not valid", fields) from None


@lru_cache(maxsize=8)
def load(folder: str | None = None) -> RulesFile:
    """The rules file: the force's own from ``folder`` where it holds one, else the packaged."""
    path = Path(folder) if folder else None
    if path is not None and not path.is_dir():
        raise InvalidInput(
            "the powers rules folder does not exist", {"powers_rules_dir": str(path)}
        )
    return _read(path)


@dataclass(frozen=True)
class Overrides:
    """What administrators have set over the file: commencement dates and config values,
    each with the date it takes effect, and the id of the latest setting (the version)."""

    commencements: dict[str, dt.date] = field(default_factory=dict)
    config: dict[str, list[tuple[dt.date, int]]] = field(default_factory=dict)
    seq: int = 0


@dataclass(frozen=True)
class Table:
    """The rules file with the administrators' settings over it."""

    file: RulesFile
    overrides: Overrides = Overrides()

    @property
    def version(self) -> str:
        """What a record keeps: the file's version and the last administrator setting."""
        return f"{self.file.version}+{self.overrides.seq}"

    def commenced(self, change_id: str) -> dt.date | None:
        if change_id in self.overrides.commencements:
            return self.overrides.commencements[change_id]
        return self.file.change(change_id).in_force

    def effective(self, d: Dated) -> dt.date | None:
        """The date ``d`` comes into force (``None``: not in force)."""
        if d.change is not None:
            return self.commenced(d.change)
        return d.from_ or dt.date.min

    def in_force(self, d: Dated, on: dt.date) -> bool:
        start = self.effective(d)
        return start is not None and start <= on

    def pick(self, variants: list[Variant], on: dt.date) -> Variant | None:
        """The variant in force on ``on``: the one that came into force last."""
        live = [(self.effective(v), i, v) for i, v in enumerate(variants) if self.in_force(v, on)]
        return max(live, key=lambda t: (t[0], t[1]))[2] if live else None

    def setting(self, key: str, on: dt.date) -> int:
        dated = [(d, v) for d, v in self.overrides.config.get(key, []) if d <= on]
        return max(dated)[1] if dated else self.file.config[key].value

    def power(self, power_id: str) -> PowerRule:
        try:
            return self.file.powers[power_id]
        except KeyError:
            raise InvalidInput(
                f"unknown power {power_id!r}", {"power": ", ".join(self.file.powers)}
            ) from None

    def power_in_force(self, power_id: str) -> dt.date | None:
        p = self.power(power_id)
        if p.change is not None:
            return self.commenced(p.change)
        return p.in_force

    def resolve(self, power_id: str, on: dt.date) -> dict[str, Any]:
        """The rule of one power as it stood on ``on``: every dated value picked, the issuers
        then allowed, the settings then in force. This is the snapshot a record keeps."""
        p = self.power(power_id)
        out: dict[str, Any] = {
            "power": power_id,
            "name": p.name,
            "basis": p.basis,
            "on": on.isoformat(),
            "version": self.version,
            "in_force": (f := self.power_in_force(power_id)) and f.isoformat(),
            "issuers": [
                i.model_dump(by_alias=True, mode="json", exclude_none=True)
                for i in p.issuers
                if self.in_force(i, on)
            ],
        }
        if p.subject_min_age:
            age = p.subject_min_age
            value = self.setting(age.config, on) if age.config else age.value
            out["subject_min_age"] = {"value": value, "section": age.section}
        if p.compliance_period:
            days = self.setting(p.compliance_period["config"], on)
            out["compliance_period"] = {
                "default": f"P{days}D",
                "section": p.compliance_period["section"],
            }
        if p.max_amount_gbp:
            v = self.pick(p.max_amount_gbp, on)
            out["max_amount_gbp"] = v and {"value": v.value, "section": v.section}
        if p.duration:
            d = p.duration
            dur: dict[str, Any] = d.model_dump(mode="json", exclude_none=True, by_alias=True)
            if isinstance(d.max, list):
                v = self.pick(d.max, on)
                dur["max"] = v and v.value
                dur["section"] = v and v.section
                if v and v.review_at:
                    dur["review_at"] = v.review_at
            dur["long_by"] = [
                i.model_dump(by_alias=True, mode="json", exclude_none=True)
                for i in d.long_by
                if self.in_force(i, on)
            ]
            out["duration"] = dur
        if p.pre or p.pre_under_18:
            out["pre"] = [c.model_dump(mode="json") for c in [*p.pre, *p.pre_under_18]]
        if p.appeal is not None:
            out["appeal"] = p.appeal.model_dump(mode="json", by_alias=True, exclude_none=True)
        out["breach"] = p.breach.model_dump(mode="json", exclude_none=True)
        if p.breach.fpn and p.breach.fpn in self.file.powers:
            fpn = self.pick(self.file.powers[p.breach.fpn].max_amount_gbp, on)
            out["fpn_max"] = fpn and {"value": fpn.value, "section": fpn.section}
        if p.hearing:
            v = self.pick(p.hearing.within, on)
            out["hearing"] = {
                "within": v and v.value,
                "section": v and v.section,
                "exclude_days": p.hearing.exclude_days,
            }
        return out

    def changes_state(self) -> list[dict[str, Any]]:
        """Each 2026 change with its commencement as now set."""
        return [
            {
                "id": c.id,
                "title": c.title,
                "basis": c.basis,
                "in_force": (d := self.commenced(c.id)) and d.isoformat(),
                "set_by_admin": c.id in self.overrides.commencements,
            }
            for c in self.file.changes
        ]
