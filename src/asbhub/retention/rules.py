"""The retention rule set: versioned data, which a force replaces with its own file
(``ASBHUB_RETENTION_RULES_DIR``)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from asbhub.errors import InvalidInput

# The tables a class may name, with the columns its ``where`` and date may use: a rules file
# is data, never SQL, so it can only pick among these.
TABLES: dict[str, frozenset[str]] = {
    "incidents": frozenset({"received_at", "qualifier", "channel", "status", "opening_code"}),
    "chats": frozenset({"started_at", "incident_id", "status"}),
}


class RecordClass(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z_]+$")
    label: str
    table: Literal["incidents", "chats"]
    date_column: str
    where: dict[str, str | list[str | None] | None] = Field(default_factory=dict)
    review_after_days: int = Field(ge=30, le=36_525)
    action: Literal["review", "dispose"]
    reason: str


class RetentionRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["retention"]
    version: str
    effective_from: str
    source: str
    classes: list[RecordClass]

    def named(self, name: str) -> RecordClass:
        for c in self.classes:
            if c.name == name:
                return c
        names = ", ".join(c.name for c in self.classes)
        raise InvalidInput(f"no record class {name!r} (one of {names})", {"class": name})


@lru_cache(maxsize=8)
def load(folder: str | None = None) -> RetentionRules:
    """The rule set from ``folder`` when it holds ``retention.json``, else the packaged one."""
    own = Path(folder) / "retention.json" if folder else None
    if own is not None and own.is_file():
        where, text = str(own), own.read_text(encoding="utf-8")
    else:
        packaged = resources.files("asbhub.retention") / "rules" / "retention.json"
        where, text = "retention.json (packaged)", packaged.read_text(encoding="utf-8")
    try:
        rules = RetentionRules.model_validate(json.loads(text))
    except (ValueError, ValidationError) as exc:
        problem = f"{where} is not a valid retention rule set: {exc}"
        raise InvalidInput(problem, {"rules": where}) from None
    for c in rules.classes:
        allowed = TABLES[c.table]
        for column in [c.date_column, *c.where]:
            if column not in allowed:
                raise InvalidInput(
                    f"{where}: class {c.name} names column {column!r} of {c.table}, which a "
                    f"retention rule may not use (one of {', '.join(sorted(allowed))})",
                    {"rules": where},
                )
    return rules
