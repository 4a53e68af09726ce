"""Typed input from plain data (a form, a JSON body, a file) with every problem named by its
field, as :class:`~asbhub.errors.InvalidInput` expects."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from asbhub.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Any, where: str = "") -> M:
    """``data`` as ``model``. A model-level check names its field by starting its message with
    ``field: `` (``consent_on: an application on the victim's behalf needs ...``)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields: dict[str, str] = {}
        for e in exc.errors():
            loc = ".".join(map(str, e["loc"]))
            msg = str(e["msg"]).removeprefix("Value error, ")
            if not loc and ": " in msg:
                loc, msg = msg.split(": ", 1)
            fields[(f"{where}: " if where else "") + (loc or model.__name__)] = msg
        raise InvalidInput("Check the highlighted answers.", fields) from None


def check_day(
    day: dt.date,
    name: str,
    *,
    today: dt.date,
    after: dt.date | None = None,
    after_name: str = "",
) -> None:
    """Refuse a day still to come, or one before the step it follows (``after``)."""
    if day > today:
        raise InvalidInput(f"{name} is in the future", {name: f"{day.isoformat()} has not come"})
    if after is not None and day < after:
        raise InvalidInput(
            f"{name} is before {after_name}",
            {name: f"{day.isoformat()} is before {after_name} {after.isoformat()}"},
        )
