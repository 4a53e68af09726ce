"""Reading HTML form and query input leniently: blank fields mean "not given"."""

from __future__ import annotations

from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from asbhub.errors import InvalidInput
from asbhub.incidents.schemas import IncidentFilters
from asbhub.web.labels import plain_errors

M = TypeVar("M", bound=BaseModel)


def parse_query(request: Request, model: type[M]) -> M:
    """Validate the non-blank query parameters named by ``model``'s fields."""
    data = {
        k: v.strip()
        for k, v in request.query_params.items()
        if k in model.model_fields and v.strip() != ""
    }
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput("Some filters are not valid.", plain_errors(exc.errors())) from None


async def incident_filters(request: Request) -> IncidentFilters:
    # Async: parsing reads no database, so it need not wait for a pool thread.
    return parse_query(request, IncidentFilters)
