"""The JSON API under ``/api/v1``; its OpenAPI document is served at ``/openapi.json``.

It uses the same signed session cookie as the screens (sign in at ``/login``); unsafe methods
need the ``X-CSRF-Token`` header. Errors share one shape, :class:`~asbhub.web.errors.ErrorBody`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from asbhub.analytics import service as analytics
from asbhub.analytics.schemas import MonthlyCounts
from asbhub.incidents import service
from asbhub.incidents.schemas import (
    MAX_ID,
    PRINTABLE,
    IncidentDetail,
    IncidentFilters,
    IncidentPage,
    Nearby,
    PersonDetail,
    SearchResults,
)
from asbhub.permissions import Action, Actor, granted_actions
from asbhub.web.deps import DbSession, require_action
from asbhub.web.errors import ERRORS


class Me(BaseModel):
    user_id: int
    username: str
    display_name: str
    role: str
    organisation: str
    agency: str | None
    purpose: str
    actions: list[str]


router = APIRouter(prefix="/api/v1", tags=["staff"], responses=ERRORS)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Radius = Annotated[float, Query(gt=0, le=service.MAX_RADIUS_M, description="Metres")]


@router.get("/me", response_model=Me)
def me(actor: Actor = require_action(Action.DASHBOARD_VIEW)) -> Me:
    """Who is signed in, and what they may do."""
    return Me(
        user_id=actor.user_id,
        username=actor.username,
        display_name=actor.display_name,
        role=actor.role.value,
        organisation=actor.organisation,
        agency=actor.agency_code,
        purpose=actor.purpose,
        actions=sorted(a.value for a in granted_actions(actor)),
    )


@router.get("/incidents", response_model=IncidentPage)
def list_incidents(
    session: DbSession,
    filters: Annotated[IncidentFilters, Query()],
    after: Annotated[
        str | None, Query(max_length=200, pattern=PRINTABLE, description="Cursor")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    actor: Actor = require_action(Action.INCIDENT_LIST),
) -> IncidentPage:
    """Incidents newest first, filtered, paged by cursor (``next_cursor``)."""
    return service.list_incidents(session, actor=actor, filters=filters, after=after, limit=limit)


@router.get("/incidents/{incident_id}", response_model=IncidentDetail)
def get_incident(
    session: DbSession,
    incident_id: Id,
    actor: Actor = require_action(Action.INCIDENT_VIEW),
) -> IncidentDetail:
    """One incident with its people (names only for entitled roles) and timeline."""
    return service.get_incident(session, actor=actor, incident_id=incident_id)


@router.get("/search", response_model=SearchResults)
def search(
    session: DbSession,
    q: Annotated[str, Query(min_length=2, max_length=100, pattern=PRINTABLE)],
    after: Annotated[str | None, Query(max_length=200, pattern=PRINTABLE)] = None,
    actor: Actor = require_action(Action.INCIDENT_SEARCH),
) -> SearchResults:
    """Search by incident reference, place (town, council area, district) or, for entitled
    roles, a person's name; incidents a page at a time (pass `next_cursor` as `after`)."""
    return service.search(session, actor=actor, q=q, after=after)


@router.get("/people/{person_id}", response_model=PersonDetail)
def get_person(
    session: DbSession,
    person_id: Id,
    actor: Actor = require_action(Action.PERSON_VIEW),
) -> PersonDetail:
    """A person and all their incidents in any role. Each call is audited."""
    return service.get_person(session, actor=actor, person_id=person_id)


@router.get("/locations/{location_id}/incidents", response_model=Nearby)
def location_incidents(
    session: DbSession,
    location_id: Id,
    radius: Radius = 250.0,
    actor: Actor = require_action(Action.LOCATION_VIEW),
) -> Nearby:
    """Incidents within ``radius`` metres of a stored location."""
    return service.location_incidents(session, actor=actor, location_id=location_id, radius=radius)


@router.get("/near", response_model=Nearby)
def near(
    session: DbSession,
    lon: Annotated[float, Query(ge=-8, le=2)],
    lat: Annotated[float, Query(ge=49, le=61)],
    radius: Radius = 250.0,
    actor: Actor = require_action(Action.LOCATION_VIEW),
) -> Nearby:
    """Incidents within ``radius`` metres of a WGS84 point."""
    return service.incidents_near(session, actor=actor, longitude=lon, latitude=lat, radius=radius)


@router.get("/dashboard/monthly", response_model=MonthlyCounts)
def monthly(
    session: DbSession,
    months: Annotated[int, Query(ge=1, le=60)] = 12,
    actor: Actor = require_action(Action.DASHBOARD_VIEW),
) -> MonthlyCounts:
    """Incidents per month and policing district, over the latest ``months`` months held."""
    return MonthlyCounts(**analytics.monthly_counts(session, actor=actor, months=months))
