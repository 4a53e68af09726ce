"""The triage screens through HTTP, without JavaScript: check, refuse, record, assign, attend,
close; the supervisor's and the officer's lists."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from sqlalchemy import Engine, select
from starlette.testclient import TestClient
from webseed import Seeded, csrf_of

from asbhub.incidents.models import Incident, IncidentStatusChange
from asbhub.store.engine import session_scope


def form(c: TestClient, path: str, data: dict[str, str], page: str) -> object:
    return c.post(path, data={**data, "csrf_token": csrf_of(c, page)}, follow_redirects=False)


MEDIUM = {
    "a_q3": "yes",
    "a_q8": "yes",
    "a_q9": "yes",
    "t_harm": "medium",
    "tn_harm": "scared at home",
}


def test_call_handler_to_closure_without_javascript(
    client_as: Callable[[str], TestClient], seeded: Seeded
) -> None:
    handler, officer, sup = (client_as(r) for r in ("call_handler", "officer", "supervisor"))
    incident = seeded.incident_ids[2]  # an online report, new
    page = f"/incidents/{incident}/triage"
    r = handler.get(page)
    assert r.status_code == 200 and 'id="triage-form"' in r.text
    assert "Has this happened to you before?" in r.text  # first-contact questions come first
    assert r.text.index("First contact") < r.text.index("Victim risk assessment")
    r = form(handler, f"{page}/check", {**MEDIUM, "address": "1 Fictional Way, Basildon"}, page)
    assert r.status_code == 200  # type: ignore[attr-defined]
    assert 'data-testid="repeat-victim"' in r.text and "Medium (score 6 of 19)" in r.text  # type: ignore[attr-defined]
    r = form(handler, page, MEDIUM, page)
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert "names a single point of contact" in r.text  # type: ignore[attr-defined]
    assert 'value="yes" selected' in r.text  # the answers given are kept  # type: ignore[attr-defined]
    r = form(
        handler,
        page,
        {**MEDIUM, "spoc": seeded.users["officer"], "case_review_informed": "yes"},
        page,
    )
    assert r.status_code == 303 and r.headers["location"] == f"/incidents/{incident}/life"  # type: ignore[attr-defined]
    life = f"/incidents/{incident}/life"
    text = handler.get(life).text
    assert 'data-testid="status">triaged' in text and "asbhub-default-risk-2026.1" in text
    r = form(handler, f"/incidents/{incident}/assign", {"assignee": seeded.users["officer"]}, life)
    assert r.status_code == 303  # type: ignore[attr-defined]
    assert f"/incidents/{incident}/life" in officer.get("/my-incidents").text
    received = re.search(
        r'"received_at":"([^"]+)"', officer.get(f"/api/v1/incidents/{incident}").text
    )
    assert received
    r = form(
        officer, f"/incidents/{incident}/attend", {"attended_at": received.group(1)[:16]}, life
    )
    assert r.status_code == 303  # type: ignore[attr-defined]
    closing = {"closing_code": "noise", "qualifier": "nuisance", "reason": "advice given"}
    r = form(officer, f"/incidents/{incident}/close", closing, life)
    assert r.status_code == 422 and "confirm the qualifier" in r.text  # type: ignore[attr-defined]
    r = form(
        officer, f"/incidents/{incident}/close", {**closing, "qualifier_confirmed": "yes"}, life
    )
    assert r.status_code == 303  # type: ignore[attr-defined]
    text = officer.get(life).text
    assert 'data-testid="status">closed' in text
    assert "closing code noise, qualifier nuisance" in text
    assert "Nothing is assigned to you." in officer.get("/my-incidents").text
    assert sup.get("/triage/reviews").status_code == 200


def test_the_queue_opens_new_reports_into_triage(
    client_as: Callable[[str], TestClient], seeded: Seeded
) -> None:
    text = client_as("call_handler").get("/contact/queue").text
    assert re.search(r'href="/incidents/\d+/triage"', text)


def test_an_online_report_starts_its_history_and_joins_triage(
    client: TestClient, client_as: Callable[[str], TestClient], engine: Engine
) -> None:
    """The "incident recorded" event: the report's first history row says how it came in."""
    day = dt.date.today() - dt.timedelta(days=1)
    form = {
        "what": "noise",
        "description": "Music until 3am (fictitious triage test).",
        "place": "Nowhere Flats, Basildon",
        "area": "E07000066",  # Basildon
        "when-day": str(day.day),
        "when-month": str(day.month),
        "when-year": str(day.year),
        "time": "23:00",
        "ongoing": "yes",
        "impact": "No sleep.",
        "targeted": "no",
        "contact": "anonymous",
        "consent": "yes",
        "csrf_token": csrf_of(client, "/report"),
    }
    assert client.post("/report", data=form).status_code == 200
    with session_scope(engine) as s:
        incident = (
            s.execute(
                select(Incident).where(Incident.channel == "online").order_by(Incident.id.desc())
            )
            .scalars()
            .first()
        )
        assert incident is not None
        rows = (
            s.execute(
                select(IncidentStatusChange).where(IncidentStatusChange.incident_id == incident.id)
            )
            .scalars()
            .all()
        )
        assert [(r.event, r.from_status.value, r.to_status.value) for r in rows] == [
            ("record", "new", "new")
        ]
        assert rows[0].actor_name == "the public (online report)"
    life = client_as("call_handler").get(f"/api/v1/incidents/{incident.id}/life").json()
    assert life["status"] == "new" and life["allowed"] == ["triage", "reclassify"]
    assert life["history"][0]["event"] == "record"
