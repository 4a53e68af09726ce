"""The SARA rule set: baseline window, the radii of the counts, the response tools and the
review intervals by risk level (domain guide 4.3, 4.4; all CONFIG).

Shipped as ``rules/sara.json``; :func:`load` reads a force's own file of the same shape. Every
case keeps the ``version`` it was opened under, and every review the version that set it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from asbhub.errors import InvalidInput
from asbhub.triage.rules import RiskLevel


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReviewStep(_Strict):
    reviewer: str = Field(min_length=1, max_length=40)
    every_days: int = Field(ge=1, le=366)


class SaraRules(_Strict):
    kind: str = Field(pattern="^sara$")
    version: str = Field(min_length=1, max_length=80)
    effective_from: str
    source: str
    baseline_months: int = Field(ge=1, le=36)
    radius_m: float = Field(gt=0, le=5000)
    buffer_m: float = Field(gt=0, le=20000)
    exclude_covid_breaches: bool
    tools: dict[str, str] = Field(min_length=1)
    reviews: dict[RiskLevel, list[ReviewStep]]


def load(path: Path | None = None) -> SaraRules:
    """The rule set at ``path``, or the shipped one; a bad file is refused naming the field."""
    if path is None:
        return shipped()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rules = SaraRules.model_validate(data)
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}", {str(path): str(exc)}) from None
    except ValidationError as exc:
        fields = {".".join(map(str, e["loc"])): e["msg"] for e in exc.errors()}
        raise InvalidInput(f"{path} is not a valid SARA rule set", fields) from None
    if rules.buffer_m <= rules.radius_m:
        raise InvalidInput(f"{path}: the buffer is inside the radius", {"buffer_m": "> radius_m"})
    return rules


@lru_cache(maxsize=1)
def shipped() -> SaraRules:
    path = resources.files("asbhub.casework") / "rules" / "sara.json"
    with path.open("r", encoding="utf-8") as fh:
        return SaraRules.model_validate(json.load(fh))
