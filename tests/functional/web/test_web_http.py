"""HTTP details: HEAD is answered wherever GET is (every GET route of the live app, generated),
and a lost session is handled as the user expects (htmx gets a full-page redirect; the public
keep their report's answers)."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.testclient import TestClient
from webseed import Seeded

from asbhub.web.app import create_app


def _get_paths() -> list[str]:
    app = create_app("sqlite://")
    return sorted(
        {
            rc.path
            for rc in iter_route_contexts(app.routes)
            if isinstance(rc.route, APIRoute) and "GET" in (rc.methods or ())
        }
    )


GET_PATHS = _get_paths()


def _url(path: str, seeded: Seeded) -> str:
    values = {
        "incident_id": seeded.incident_ids[0],
        "person_id": seeded.person_ids[0],
        "location_id": seeded.location_ids[0],
    }
    for name in re.findall(r"{(\w+)}", path):
        path = path.replace("{" + name + "}", str(values.get(name, 1)))
    extra = {
        "/near": "?lon=0.458&lat=51.576",
        "/hotspots/patrol.pdf": "?district=Basildon",
        # The same middleware answers HEAD whatever the route makes; laying out the board's
        # PDF twice a dialect was most of this test's time.
        "/reports/board": "?format=html",
    }
    return path + extra.get(path, "")


def test_head_is_answered_wherever_get_is(
    client_as: Callable[[str], TestClient], client: TestClient, seeded: Seeded
) -> None:
    assert "/api/v1/me" in GET_PATHS and "/" in GET_PATHS
    supervisor = client_as("supervisor")
    for who, c in (("supervisor", supervisor), ("anonymous", client)):
        for path in GET_PATHS:
            if path.startswith("/hotspots"):
                continue  # needs police.uk records; the same middleware serves it
            url = _url(path, seeded)
            got = c.get(url, follow_redirects=False)
            head = c.head(url, follow_redirects=False)
            assert head.status_code == got.status_code != 405, (who, url)
            assert head.content == b"", (who, url)
            assert head.headers.get("content-type") == got.headers.get("content-type"), url


def test_head_on_a_post_only_path_says_which_methods(client: TestClient) -> None:
    r = client.head("/logout")
    assert r.status_code == 405 and "POST" in r.headers["allow"]


def test_htmx_request_without_a_session_redirects_the_whole_window(client: TestClient) -> None:
    r = client.get(
        "/incidents?district=Thurrock",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/incidents"},
        follow_redirects=False,
    )
    assert r.status_code == 401 and r.text == ""  # nothing to swap into the panel
    assert r.headers["hx-redirect"] == "/login?next=%2Fincidents%3Fdistrict%3DThurrock"
    # A fragment of another page (the count line) returns to the page in view.
    r = client.get(
        "/incidents/count?channel=online",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/incidents?x=1"},
        follow_redirects=False,
    )
    assert r.headers["hx-redirect"] == "/login?next=%2Fincidents%3Fx%3D1"
    # Without htmx it stays an ordinary redirect.
    r = client.get("/incidents", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fincidents"


def test_public_report_without_its_session_keeps_the_answers(app: FastAPI) -> None:
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post(
            "/report",
            data={
                "description": "Fictitious answer kept <b>",
                "what": "begging",
                "csrf_token": "x",
            },
        )
    assert r.status_code == 403
    assert "Essex Police" in r.text and "Sign in" not in r.text and "Not permitted" not in r.text
    assert "send again" in r.text
    assert "Fictitious answer kept &lt;b&gt;" in r.text  # kept, and escaped
    assert 'value="begging" checked' in r.text
    assert re.search(r'name="csrf_token" value="[^"]{20,}"', r.text)  # a fresh token to resend


def test_staff_form_without_its_session_is_still_refused(app: FastAPI) -> None:
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/purpose", data={"purpose": "operational", "csrf_token": "x"})
    assert r.status_code == 403
