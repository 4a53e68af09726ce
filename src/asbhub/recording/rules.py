"""The recording rules: a versioned data file of checks, each with its stated reason.

``rules/recording.json`` ships with the package; a force can pass its own file of the same
shape (``asbhub audit recording --rules PATH``). Each rule has a ``kind``
(which check it runs) and the parameters of that check: the qualifiers it applies to, what it
suggests, its patterns or window, the confidence a flag from it alone is given and whether the
learned check may take its suggestion as a training label (``label``: only for rules whose
hits are the definition itself). Every run keeps the file's ``version``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from asbhub.errors import InvalidInput

Kind = Literal["narrative", "hate_flag", "repeat_victim", "opening_code", "hate_words"]
QualifierName = Literal["personal", "nuisance", "environmental"]


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z_]+$")
    kind: Kind
    title: str
    reason: str = Field(min_length=20)
    applies_to: list[QualifierName]
    suggest: QualifierName | None = None
    suggest_hate: bool = False
    confidence: float = Field(ge=0.0, le=1.0)
    label: bool = False
    patterns: list[str] = []
    window_days: int = Field(default=28, ge=1, le=366)
    opening_codes: list[str] = []

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, v: list[str]) -> list[str]:
        for p in v:
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"pattern {p!r} does not compile: {exc}") from None
        return v


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["recording"]
    version: str
    effective_from: dt.date
    source: str
    flag_threshold: float = Field(gt=0.0, lt=1.0)
    flag_threshold_reason: str = ""
    exclude_covid_breaches: bool
    exclude_covid_reason: str = ""
    rules: list[Rule]

    @field_validator("rules")
    @classmethod
    def _unique(cls, v: list[Rule]) -> list[Rule]:
        ids = [r.id for r in v]
        if len(set(ids)) != len(ids):
            raise ValueError("rule ids must be unique")
        return v

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


def _parse(text: str, where: str) -> RuleSet:
    try:
        return RuleSet.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{where} is not JSON", {where: str(exc)}) from None
    except ValidationError as exc:
        fields = {f"{where}: {'.'.join(map(str, e['loc']))}": e["msg"] for e in exc.errors()}
        raise InvalidInput(f"{where} is not a valid recording rule set", fields) from None


@lru_cache(maxsize=4)
def load(path: str | None = None) -> RuleSet:
    """The rule set in ``path``, else the packaged one."""
    if path:
        p = Path(path)
        if not p.is_file():
            raise InvalidInput("the recording rules file does not exist", {"rules": path})
        return _parse(p.read_text(encoding="utf-8"), path)
    res = resources.files("asbhub.recording") / "rules" / "recording.json"
    return _parse(res.read_text(encoding="utf-8"), "recording.json")


# -- the checks ------------------------------------------------------------------------------


def within_window(key: np.ndarray, seconds: np.ndarray, window: int) -> np.ndarray:
    """For each row, how many *other* rows share its key within ``window`` seconds either side
    (``key`` -1: none). Sorted once and searched twice, so no pairwise loop."""
    out = np.zeros(len(key), dtype=np.int64)
    sel = np.flatnonzero(key >= 0)
    if not len(sel):
        return out
    combined = key[sel].astype(np.int64) * (1 << 40) + seconds[sel]
    order = np.argsort(combined, kind="stable")
    ordered = combined[order]
    lo = np.searchsorted(ordered, ordered - window, side="left")
    hi = np.searchsorted(ordered, ordered + window, side="right")
    out[sel[order]] = hi - lo - 1
    return out


def repeat_counts(incidents: pd.DataFrame, people: pd.DataFrame, window_days: int) -> pd.DataFrame:
    """Per incident: other incidents of the same victim at the same place, and with the same
    suspect, within ``window_days`` either side; and its people's roles."""
    n = len(incidents)
    index = pd.Series(np.arange(n), index=incidents["id"].to_numpy())
    seconds = incidents["received_at"].to_numpy().astype("datetime64[s]").astype(np.int64)
    window = window_days * 86400
    victims = people[people["role"] == "victim"]
    suspects = people[people["role"] == "suspect"]
    callers = people[people["role"] == "caller"]
    at_place = np.zeros(n, np.int64)
    with_suspect = np.zeros(n, np.int64)
    caller_is_victim = np.zeros(n, np.int64)
    if len(victims):
        vi = index[victims["incident_id"]].to_numpy()
        loc = incidents["location_id"].to_numpy()[vi]
        has_loc = ~pd.isna(loc)
        # One key per (victim, place) pair, then per (victim, suspect) pair.
        pairs = pd.DataFrame({"v": victims["person_id"].to_numpy(), "loc": loc})
        key = np.where(has_loc, pairs.groupby(["v", "loc"], dropna=False).ngroup().to_numpy(), -1)
        np.maximum.at(at_place, vi, within_window(key, seconds[vi], window))
        vs = victims.merge(suspects, on="incident_id", suffixes=("_v", "_s"))
        if len(vs):
            vsi = index[vs["incident_id"]].to_numpy()
            key2 = vs.groupby(["person_id_v", "person_id_s"]).ngroup().to_numpy()
            np.maximum.at(with_suspect, vsi, within_window(key2, seconds[vsi], window))
        both = callers.merge(victims, on=["incident_id", "person_id"])
        caller_is_victim = np.bincount(index[both["incident_id"]].to_numpy(), minlength=n)

    def count(role: str) -> np.ndarray:
        ids = people.loc[people["role"] == role, "incident_id"]
        return np.bincount(index[ids].to_numpy(), minlength=n)

    out = pd.DataFrame(
        {
            "victim_at_place": at_place,
            "victim_with_suspect": with_suspect,
            "victims": count("victim"),
            "suspects": count("suspect"),
            "witnesses": count("witness"),
            "caller_is_victim": caller_is_victim.clip(0, 1),
        },
        index=incidents.index,
    )
    return out


def _matches(text: pd.Series, patterns: list[str]) -> np.ndarray:
    if not patterns:
        return np.zeros(len(text), bool)
    rx = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
    return np.fromiter((rx.search(t) is not None for t in text), bool, len(text))


def evaluate(rules: RuleSet, incidents: pd.DataFrame, repeats: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per rule: which incidents it fires on."""
    q = incidents["qualifier"].to_numpy(object)
    hate = incidents["hate_motivated"].to_numpy(bool)
    out: dict[str, np.ndarray] = {}
    for r in rules.rules:
        applies = np.isin(q, r.applies_to)
        if r.kind == "narrative":
            hit = _matches(incidents["narrative"], r.patterns)
        elif r.kind == "hate_flag":
            hit = hate
        elif r.kind == "repeat_victim":
            hit = (repeats["victim_at_place"].to_numpy() > 0) | (
                repeats["victim_with_suspect"].to_numpy() > 0
            )
        elif r.kind == "opening_code":
            hit = np.isin(incidents["opening_code"].to_numpy(object), r.opening_codes)
        else:  # hate_words
            hit = _matches(incidents["narrative"], r.patterns) & ~hate
        out[r.id] = applies & hit
    return pd.DataFrame(out, index=incidents.index)
