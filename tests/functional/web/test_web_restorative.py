"""Restorative referrals through HTTP: the API from referral to feedback and figures, the
screens with their errors, and who sees the parties' names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient
from webseed import CANARY_PEOPLE, Seeded, csrf_of

REFERRAL: dict[str, Any] = {
    "local_authority_code": "E06000034",
    "kind": "restorative_justice",
    "referred_on": "2025-03-03",
    "referring_agency": "Thurrock Council",
    "summary": "Fictitious: a row between neighbours.",
    "harmed": {"name": "Fictional Harmed"},
    "responsible": {"name": "Fictional Responsible"},
}


def post(c: TestClient, path: str, body: object) -> Any:
    return c.post(path, json=body, headers={"X-CSRF-Token": csrf_of(c)})


def test_api_from_referral_to_feedback(client_as: Callable[[str], TestClient]) -> None:
    c = client_as("asb_officer")
    r = post(c, "/api/v1/restorative", REFERRAL)
    assert r.status_code == 201, r.text
    base = f"/api/v1/restorative/{r.json()['id']}"
    r = post(c, f"{base}/start", {"started_on": "2025-03-10"})
    assert r.status_code == 422 and "both parties must consent" in r.text
    for party in ("harmed", "responsible"):
        assert (
            post(c, f"{base}/consent", {"party": party, "consent_on": "2025-03-04"}).status_code
            == 200
        )
    plan = {"facilitator": "Fictional Facilitator", "method": "shuttle", "action_code": "mediation"}
    assert post(c, f"{base}/plan", plan).json()["action"]["purposes"] == [
        "rehabilitative",
        "reparative",
    ]
    assert post(c, f"{base}/start", {"started_on": "2025-03-10"}).json()["status"] == "in_progress"
    r = post(c, f"{base}/complete", {"ended_on": "2025-03-20", "outcome": "agreement_kept"})
    assert r.json()["status"] == "completed"
    r = post(c, f"{base}/feedback", {"party": "harmed", "satisfied": True})
    assert r.json()["participants"][0]["satisfied"] is True
    r = post(c, f"{base}/start", {"started_on": "2025-03-21"})
    assert r.status_code == 409
    figures = client_as("analyst").get("/api/v1/restorative/figures?from=2024-04-01&to=2025-03-31")
    assert figures.status_code == 200, figures.text
    f = figures.json()
    assert (f["completed"], f["satisfaction"]["satisfied_pct"]) == (1, 100.0)


def test_screens_refer_with_errors_then_consent(client_as: Callable[[str], TestClient]) -> None:
    c = client_as("officer")
    assert "Make a restorative referral" in c.get("/restorative/new").text
    token = csrf_of(c, "/restorative/new")
    form = {
        "csrf_token": token,
        "local_authority_code": "E06000034",
        "kind": "community_remedy",
        "referred_on": "2025-03-03",
        "referring_agency": "Essex Police",
        "summary": "Fictitious.",
        "harmed_name": "Fictional Harmed",
        "responsible_name": "",
    }
    r = c.post("/restorative", data=form)
    assert r.status_code == 422 and 'href="#responsible_name"' in r.text
    r = c.post(
        "/restorative",
        data=form | {"responsible_name": "Fictional Responsible"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    where = r.headers["location"]
    r = c.post(f"{where}/plan", data={"csrf_token": token, "facilitator": "F", "method": "letter"})
    assert r.status_code == 422
    assert "a Community Remedy needs an action from the PFCC" in r.text
    r = c.post(
        f"{where}/consent",
        data={"csrf_token": token, "party": "harmed", "consent_on": "2025-03-04"},
    )
    assert r.status_code == 200 and "recorded by Test Officer" in r.text
    listing = c.get("/restorative?status=referred", headers={"HX-Request": "true"}).text
    assert "<html" not in listing and "RJ-2025-0001" in listing  # the htmx partial


def test_partner_sees_no_names(client_as: Callable[[str], TestClient], seeded: Seeded) -> None:
    rid = seeded.referral_ids[0]
    page = client_as("partner").get(f"/restorative/{rid}")
    assert page.status_code == 200
    for name in (*CANARY_PEOPLE[0], *CANARY_PEOPLE[2]):
        assert name not in page.text
    assert "Next steps" not in page.text
    assert " ".join(CANARY_PEOPLE[0]) in client_as("officer").get(f"/restorative/{rid}").text
