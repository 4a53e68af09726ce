"""The subject-access document (JSON, HTML, PDF) for one seeded person, and the audit search
by case and by agency."""

from __future__ import annotations

from collections.abc import Callable

from starlette.testclient import TestClient
from webseed import CANARY_PEOPLE, Seeded


def test_everything_about_one_person_in_one_document(
    client_as: Callable[[str], TestClient], seeded: Seeded
) -> None:
    pid = seeded.person_ids[0]  # the canary victim: incidents, a case review, a referral
    officer = client_as("asb_officer")
    officer.get(f"/people/{pid}")  # a view the audit section must then show
    c = client_as("supervisor")
    r = c.get(f"/api/v1/people/{pid}/subject-access")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["person"]["surname"] == CANARY_PEOPLE[0][1]
    assert doc["incidents"] and all(i["role"] for i in doc["incidents"])
    assert [c_["reference"] for c_ in doc["case_reviews"]] == ["CR-2021-0001"]
    assert [(r_["reference"], r_["party"]) for r_ in doc["restorative_referrals"]] == [
        ("RJ-2021-0001", "harmed")
    ]
    views = [e for e in doc["audit"] if e["event"] == "incidents:person:view"]
    assert views and views[0]["role"] == "asb_officer"
    # The export itself is recorded, naming the person: the next document lists it.
    again = c.get(f"/api/v1/people/{pid}/subject-access").json()
    assert any(e["event"] == "subject_access:person:export" for e in again["audit"])
    html = c.get(f"/people/{pid}/subject-access")
    assert html.status_code == 200 and "Who saw or changed their data" in html.text
    pdf = c.get(f"/people/{pid}/subject-access?format=pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"


def test_only_supervisors_export_and_a_missing_person_is_not_found(
    client_as: Callable[[str], TestClient],
) -> None:
    for role in ("partner", "officer", "analyst"):
        assert client_as(role).get("/api/v1/people/1/subject-access").status_code == 403
    assert client_as("supervisor").get("/api/v1/people/999999/subject-access").status_code == 404


def test_audit_search_by_case_and_by_agency(
    client_as: Callable[[str], TestClient], seeded: Seeded
) -> None:
    cr = seeded.case_review_ids[0]
    client_as("partner").get(f"/case-reviews/{cr}")  # Basildon Council opens the review
    client_as("asb_officer").get(f"/case-reviews/{cr}")
    c = client_as("supervisor")
    page = c.get(f"/audit?case=case_review:{cr}")
    assert page.status_code == 200
    assert page.text.count("casereviews:case_review:view") == 2
    by_agency = c.get(f"/audit?case={cr}&agency=Basildon")
    assert by_agency.text.count("casereviews:case_review:view") == 1
    assert "Test Partner" in by_agency.text and "Test Asb Officer" not in by_agency.text
    bad = c.get("/audit?case=case review 1")
    assert bad.status_code == 422 and 'href="#case"' in bad.text
