"""The PFCC's Community Remedy document as versioned data (2014 Act s.101): the actions a
person dealt with out of court may be asked to do, each with at least one purpose."""

from __future__ import annotations

import datetime as dt
import enum
import json
from functools import lru_cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from asbhub.errors import InvalidInput


class Purpose(enum.StrEnum):
    REHABILITATIVE = "rehabilitative"
    REPARATIVE = "reparative"
    PUNITIVE = "punitive"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RemedyAction(_Strict):
    code: str = Field(pattern=r"^[a-z_]+$")
    name: str = Field(min_length=1)
    purposes: tuple[Purpose, ...] = Field(min_length=1)  # s.101(3): at least one


class Menu(_Strict):
    kind: Literal["community_remedy"]
    version: str
    effective_from: dt.date
    source: str
    actions: tuple[RemedyAction, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Menu:
        codes = [a.code for a in self.actions]
        if len(set(codes)) != len(codes):
            raise ValueError("action codes must be unique")
        return self

    def action(self, code: str) -> RemedyAction:
        for a in self.actions:
            if a.code == code:
                return a
        raise InvalidInput(
            f"{code!r} is not on the Community Remedy menu {self.version}",
            {"action_code": "must be one of: " + ", ".join(a.code for a in self.actions)},
        )


def parse_menu(text: str, where: str) -> Menu:
    try:
        return Menu.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            "the Community Remedy menu is not valid JSON", {f"{where}:{exc.lineno}": exc.msg}
        ) from None
    except ValidationError as exc:
        fields = {f"{where}: " + ".".join(map(str, e["loc"])): e["msg"] for e in exc.errors()}
        raise InvalidInput("the Community Remedy menu is not valid", fields) from None


@lru_cache(maxsize=1)
def load() -> Menu:
    """The packaged menu."""
    text = (resources.files("asbhub.restorative") / "rules" / "community_remedy.json").read_text(
        "utf-8"
    )
    return parse_menu(text, "asbhub/restorative/rules/community_remedy.json")
