"""ASB case reviews through HTTP: the JSON API from application to outcome, the screens and
their error messages, the table, and who sees what."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient
from webseed import CANARY_PEOPLE, Seeded, csrf_of

APPLICATION: dict[str, Any] = {
    "local_authority_code": "E06000034",
    "received_on": "2025-03-14",
    "applicant": "victim",
    "applicant_name": "Fictional Applicant",
    "victim_name": "Fictional Applicant",
    "behaviour": "Fictitious: loud parties every weekend.",
    "other_reports": [
        {
            "reference": "TC-1",
            "agency": "Thurrock Council",
            "occurred_on": "2024-10-15",
            "reported_on": "2024-10-20",
        },
        {
            "reference": "TC-2",
            "agency": "Thurrock Council",
            "occurred_on": "2025-01-05",
            "reported_on": "2025-01-10",
        },
        {
            "reference": "TC-3",
            "agency": "Thurrock Council",
            "occurred_on": "2025-02-20",
            "reported_on": "2025-03-01",
        },
    ],
}


def post(c: TestClient, path: str, body: object) -> Any:
    return c.post(path, json=body, headers={"X-CSRF-Token": csrf_of(c)})


def test_api_from_application_to_outcome(client_as: Callable[[str], TestClient]) -> None:
    c = client_as("asb_officer")
    r = post(c, "/api/v1/case-reviews", APPLICATION)
    assert r.status_code == 201, r.text
    cr = r.json()
    assert cr["status"] == "received" and cr["local_authority"] == "Thurrock"
    assert [d["milestone"] for d in cr["deadlines"]] == ["acknowledge", "decision"]
    base = f"/api/v1/case-reviews/{cr['id']}"
    assert post(c, f"{base}/acknowledge", {"acknowledged_on": "2025-03-17"}).status_code == 200
    r = post(c, f"{base}/decision", {"decided_on": "2025-03-20"})
    assert r.json()["threshold"]["basis"] == "mandatory", r.text
    review = {
        "held_on": "2025-04-10",
        "chair": "Fictional Chair",
        "outcome": "Plan agreed.",
        "recommendations": [
            {
                "text": "Mediation",
                "owner_agency": "Thurrock Council",
                "owner_name": "ASB lead",
                "due_on": "2025-05-10",
            }
        ],
    }
    r = post(c, f"{base}/review", review)
    assert r.json()["status"] == "reviewed", r.text
    rec = r.json()["recommendations"][0]["id"]
    r = post(c, f"{base}/recommendations/{rec}/done", {"done_on": "2025-05-01"})
    assert r.json()["recommendations"][0]["done_on"] == "2025-05-01"
    assert post(c, f"{base}/outcome", {"sent_on": "2025-04-14"}).json()["status"] == "closed"
    r = post(c, f"{base}/handling-review", {"requested_on": "2025-04-20", "grounds": "Slow."})
    assert r.json()["handling_reviews"][0]["reviewed_by"].startswith("Office of the Police")
    got = c.get(base).json()
    assert got["reference"] == cr["reference"] and got["outcome"] == "Plan agreed."
    rows = c.get("/api/v1/case-reviews?local_authority_code=E06000034").json()
    assert [r["reference"] for r in rows] == [cr["reference"]]
    table = c.get("/api/v1/case-reviews/table?from=2025-01-01&to=2025-12-31").json()
    thurrock = next(r for r in table["local_authorities"] if r["local_authority"] == "Thurrock")
    assert thurrock == {
        "local_authority": "Thurrock",
        "applications": 1,
        "threshold_not_met": 0,
        "reviews_held": 1,
        "with_recommendations": 1,
    }


def test_api_bad_input_names_the_field(client_as: Callable[[str], TestClient]) -> None:
    c = client_as("asb_officer")
    r = post(
        c,
        "/api/v1/case-reviews",
        APPLICATION | {"applicant": "on_behalf", "applicant_relationship": "mp"},
    )
    assert r.status_code == 422
    assert "consent" in r.text
    r = post(c, "/api/v1/case-reviews", APPLICATION | {"local_authority_code": "E07000999"})
    assert r.status_code == 422
    body = r.json()["error"]
    assert "not a local authority" in body["message"]
    assert "local_authority_code" in body["fields"]
    cr = post(c, "/api/v1/case-reviews", APPLICATION).json()
    r = post(c, f"/api/v1/case-reviews/{cr['id']}/decision", {"decided_on": "2025-03-20"})
    assert r.status_code == 409 and "cannot meet" in r.text
    r = c.get("/api/v1/case-reviews/table?from=2025-02-01&to=2025-01-01")
    assert r.status_code == 422 and "ends before it starts" in r.text


def test_screens_record_and_decide(client_as: Callable[[str], TestClient]) -> None:
    c = client_as("asb_officer")
    page = c.get("/case-reviews/new")
    assert page.status_code == 200 and "Record a case review application" in page.text
    token = csrf_of(c, "/case-reviews/new")
    form = {
        "csrf_token": token,
        "local_authority_code": "E06000034",
        "received_on": "2025-03-14",
        "applicant": "on_behalf",
        "applicant_name": "Fictional Friend",
        "applicant_relationship": "family",
        "victim_name": "Fictional Victim",
        "behaviour": "Fictitious noise.",
        "report_1_reference": "TC-9",
        "report_1_agency": "Thurrock Council",
        "report_1_occurred_on": "2025-03-01",
        "report_1_reported_on": "2025-03-02",
        "report_1_hate": "yes",
    }
    r = c.post("/case-reviews", data=form, follow_redirects=False)
    assert r.status_code == 422
    assert "needs the date the victim consented" in r.text
    assert 'href="#consent_on"' in r.text  # the summary links to the field
    r = c.post("/case-reviews", data=form | {"consent_on": "2025-03-10"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    where = r.headers["location"]
    detail = c.get(where)
    assert "Acknowledge the application" in detail.text
    token = csrf_of(c, where)
    r = c.post(f"{where}/acknowledge", data={"csrf_token": token, "acknowledged_on": "2025-03-01"})
    assert r.status_code == 422 and "2025-03-01 is before received_on 2025-03-14" in r.text
    assert 'id="acknowledge-acknowledged_on"' in r.text
    r = c.post(f"{where}/acknowledge", data={"csrf_token": token, "acknowledged_on": "2025-03-17"})
    assert r.status_code == 200 and "Decide the threshold" in r.text  # after the redirect
    r = c.post(
        f"{where}/decision", data={"csrf_token": token, "decided_on": "2025-03-18", "met": "rules"}
    )
    assert "a hate-motivated report: one is enough in this area" in r.text
    assert "Record the panel&#39;s review" in r.text
    listing = c.get("/case-reviews?local_authority_code=E06000034", headers={"HX-Request": "true"})
    assert "<html" not in listing.text and "Thurrock" in listing.text  # the htmx partial
    table = c.get("/case-reviews/table?from=2025-01-01&to=2025-12-31")
    assert table.status_code == 200 and "Reviews held" in table.text
    bad = c.get("/case-reviews/table?from=2025-02-01&to=2025-01-01")
    assert bad.status_code == 422 and "is before --from" in bad.text


def test_partner_sees_its_area_without_names(
    client_as: Callable[[str], TestClient], seeded: Seeded
) -> None:
    cr_id = seeded.case_review_ids[0]
    partner = client_as("partner")  # Basildon Council: the seeded review is in Basildon
    page = partner.get(f"/case-reviews/{cr_id}")
    assert page.status_code == 200
    for name in (*CANARY_PEOPLE[0], *CANARY_PEOPLE[1]):
        assert name not in page.text
    assert "Next steps" not in page.text  # partners may not decide
    officer = client_as("asb_officer")
    assert " ".join(CANARY_PEOPLE[0]) in officer.get(f"/case-reviews/{cr_id}").text
    assert client_as("analyst").get(f"/case-reviews/{cr_id}").status_code == 403
