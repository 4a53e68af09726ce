"""Staff screens: incident list, search, incident, person and location pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from asbhub.contact.queries import chat_of_incident
from asbhub.errors import InvalidInput
from asbhub.incidents import service
from asbhub.incidents.labels import choices
from asbhub.incidents.models import INCIDENT_TYPE_LABELS, Channel, Qualifier
from asbhub.incidents.schemas import MAX_ID, PRINTABLE, IncidentFilters, Nearby
from asbhub.permissions import Action, Actor
from asbhub.web.deps import DbSession, require_action
from asbhub.web.forms import incident_filters
from asbhub.web.templating import render
from asbhub.web.views import filter_options

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Radius = Annotated[float, Query(gt=0, le=service.MAX_RADIUS_M)]


def _points(near: Nearby) -> list[dict[str, object]]:
    return [
        {"lat": i.latitude, "lon": i.longitude, "ref": i.reference, "url": f"/incidents/{i.id}"}
        for i in near.items
        if i.latitude is not None and i.longitude is not None
    ]


@router.get("/incidents")
def incident_list(
    request: Request,
    session: DbSession,
    filters: IncidentFilters = Depends(incident_filters),
    after: Annotated[str | None, Query(max_length=200, pattern=PRINTABLE)] = None,
    actor: Actor = require_action(Action.INCIDENT_LIST),
) -> Response:
    page = service.list_incidents(
        session, actor=actor, filters=filters, after=after or None, with_count=False
    )
    ctx = {
        "page": page,
        "filters": filters,
        "active": filters.active(),
        "options": filter_options(actor),
        "type_choices": [(t.value, label) for t, label in INCIDENT_TYPE_LABELS.items()],
        "channel_choices": choices(Channel),
        "qualifier_choices": choices(Qualifier),
    }
    return render(request, "incidents/list.html", ctx, partial="incidents/_table.html")


@router.get("/incidents/count")
def incident_count(
    request: Request,
    session: DbSession,
    filters: IncidentFilters = Depends(incident_filters),
    actor: Actor = require_action(Action.INCIDENT_LIST),
) -> Response:
    """The count line of the list, fetched by htmx after the rows (or followed without JS)."""
    count, capped = service.count_incidents(session, actor=actor, filters=filters)
    ctx = {"count": count, "capped": capped, "active": filters.active()}
    return render(request, "incidents/count.html", ctx, partial="incidents/_count.html")


@router.get("/incidents/{incident_id}")
def incident_page(
    request: Request,
    session: DbSession,
    incident_id: Id,
    actor: Actor = require_action(Action.INCIDENT_VIEW),
) -> Response:
    incident = service.get_incident(session, actor=actor, incident_id=incident_id)
    chat_id = chat_of_incident(session, actor=actor, incident_id=incident_id)
    return render(request, "incidents/incident.html", {"i": incident, "chat_id": chat_id})


@router.get("/search")
def search_page(
    request: Request,
    session: DbSession,
    q: Annotated[str, Query(max_length=100, pattern=PRINTABLE)] = "",
    after: Annotated[str | None, Query(max_length=200, pattern=PRINTABLE)] = None,
    actor: Actor = require_action(Action.INCIDENT_SEARCH),
) -> Response:
    if not q.strip():
        return render(request, "incidents/search.html", {"results": None, "q": ""})
    try:
        results = service.search(session, actor=actor, q=q, after=after or None)
    except InvalidInput as exc:
        ctx = {"results": None, "q": q, "errors": exc.fields}
        return render(request, "incidents/search.html", ctx, status_code=422)
    if results.kind == "reference" and len(results.incidents) == 1:
        return RedirectResponse(f"/incidents/{results.incidents[0].id}", status_code=303)
    return render(request, "incidents/search.html", {"results": results, "q": q})


@router.get("/people/{person_id}")
def person_page(
    request: Request,
    session: DbSession,
    person_id: Id,
    actor: Actor = require_action(Action.PERSON_VIEW),
) -> Response:
    person = service.get_person(session, actor=actor, person_id=person_id)
    return render(request, "incidents/person.html", {"p": person})


@router.get("/locations/{location_id}")
def location_page(
    request: Request,
    session: DbSession,
    location_id: Id,
    radius: Radius = 250.0,
    actor: Actor = require_action(Action.LOCATION_VIEW),
) -> Response:
    near = service.location_incidents(session, actor=actor, location_id=location_id, radius=radius)
    return render(request, "incidents/near.html", {"near": near, "near_points": _points(near)})


@router.get("/near")
def near_page(
    request: Request,
    session: DbSession,
    lon: Annotated[float, Query(ge=-8, le=2)],
    lat: Annotated[float, Query(ge=49, le=61)],
    radius: Radius = 250.0,
    actor: Actor = require_action(Action.LOCATION_VIEW),
) -> Response:
    near = service.incidents_near(session, actor=actor, longitude=lon, latitude=lat, radius=radius)
    return render(request, "incidents/near.html", {"near": near, "near_points": _points(near)})
