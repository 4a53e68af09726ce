"""Who sees where: exact positions and location ids only for roles that see personal data
(docs/web.md: others get ~100 m), and a partner reaches no location outside its area."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient
from webseed import PLACES, Seeded, sign_in

from asbhub.agencies.service import reference_agency
from asbhub.auth.service import add_user
from asbhub.incidents.models import Incident
from asbhub.permissions import GRANTS, Action, Actor, Role, allowed
from asbhub.store.engine import session_scope

Client = Callable[[str], TestClient]
# Roles that may open incidents and places: every role with incidents:location:view.
READERS = [r for r in Role if Action.LOCATION_VIEW in GRANTS[r]]


def _exact(role: Role) -> bool:
    actor = Actor(
        1,
        "x",
        "x",
        role,
        agency=reference_agency("essex", "basildon-council") if role is Role.PARTNER else None,
        force_code="essex",
    )
    return allowed(actor, Action.PERSONAL_DATA_VIEW)


def _decimals(value: float) -> int:
    text = repr(float(value))
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def _coarse(value: float | None) -> bool:
    return value is None or _decimals(value) <= 3


@pytest.mark.parametrize("role", [r.value for r in READERS])
def test_incident_position_and_location_id_follow_the_role(
    client_as: Client, seeded: Seeded, engine: Engine, role: str
) -> None:
    incident_id = seeded.incident_ids[3]  # Basildon (the partner's area), at a location
    with session_scope(engine) as s:
        stored = s.get_one(Incident, (incident_id, "essex"))
        exact_lon, exact_lat, location_id = stored.longitude, stored.latitude, stored.location_id
    assert location_id is not None and _decimals(exact_lon or 0) > 3
    c = client_as(role)
    detail = c.get(f"/api/v1/incidents/{incident_id}").json()
    page = c.get(f"/incidents/{incident_id}").text
    near_link = re.search(r'href="(/near\?[^"]+)"', page)
    assert near_link is not None
    query = parse_qs(urlsplit(near_link.group(1).replace("&amp;", "&")).query)
    link_lon, link_lat = float(query["lon"][0]), float(query["lat"][0])
    if _exact(Role(role)):
        assert (detail["longitude"], detail["latitude"]) == (exact_lon, exact_lat)
        assert detail["location_id"] == location_id
        assert (link_lon, link_lat) == (exact_lon, exact_lat)
        assert f'href="/locations/{location_id}"' in page
    else:
        assert (detail["longitude"], detail["latitude"]) == (
            round(exact_lon or 0, 3),
            round(exact_lat or 0, 3),
        )
        assert detail["location_id"] is None
        assert (link_lon, link_lat) == (round(exact_lon or 0, 3), round(exact_lat or 0, 3))
        assert "/locations/" not in page


@pytest.mark.parametrize("role", [r.value for r in READERS])
def test_nearby_pages_and_api_round_every_position_for_coarse_roles(
    client_as: Client, seeded: Seeded, role: str
) -> None:
    c = client_as(role)
    _, _, lon, lat, _ = PLACES[0]
    answers = [
        c.get(f"/api/v1/near?lon={lon + 0.00012345}&lat={lat + 0.00012345}&radius=500").json(),
        c.get(f"/api/v1/locations/{seeded.location_ids[0]}/incidents?radius=500").json(),
    ]
    pages = [
        c.get(f"/near?lon={lon + 0.00012345}&lat={lat + 0.00012345}&radius=500").text,
        c.get(f"/locations/{seeded.location_ids[0]}?radius=500").text,
    ]
    for near in answers:
        assert near["items"], near
        positions = [near["longitude"], near["latitude"]] + [
            v for i in near["items"] for v in (i["longitude"], i["latitude"])
        ]
        if _exact(Role(role)):
            assert any(_decimals(v) > 3 for v in positions)
        else:
            assert all(_coarse(v) for v in positions), positions
            assert near["location_id"] is None
            assert near["x_bng"] % 100 == 0 and near["y_bng"] % 100 == 0
            assert all(i["distance_m"] % 100 == 0 for i in near["items"])
    for page in pages:
        data_map = re.search(r"data-map='([^']+)'", page)
        assert data_map is not None
        numbers = [float(v) for v in re.findall(r"-?\d+\.\d+", data_map.group(1))]
        assert numbers
        if not _exact(Role(role)):
            # The map's centre and points are the only coordinates the page carries.
            assert all(_decimals(v) <= 3 for v in numbers), numbers


def test_a_partner_gets_no_location_outside_its_area(
    app: object, seeded: Seeded, engine: Engine
) -> None:
    with session_scope(engine) as s:
        add_user(
            s,
            username="thurrock1",
            password="fictitious-password-1",
            role="partner",
            display_name="Thurrock partner",
            agency_code="thurrock-council",
            force_code="essex",
        )
    with TestClient(app, raise_server_exceptions=False) as c:  # type: ignore[arg-type]
        sign_in(c, "thurrock1")
        inside = seeded.location_ids[[p[1] for p in PLACES].index("E06000034")]
        outside = [lid for lid in seeded.location_ids if lid != inside]
        assert c.get(f"/api/v1/locations/{inside}/incidents").status_code == 200
        assert c.get(f"/locations/{inside}").status_code == 200
        for lid in outside:
            r = c.get(f"/api/v1/locations/{lid}/incidents")
            assert r.status_code == 404, r.text
            assert "latitude" not in r.text
            assert c.get(f"/locations/{lid}").status_code == 404
        # Ids that were never stored answer the same as ones outside the area.
        assert c.get("/api/v1/locations/999999/incidents").status_code == 404
