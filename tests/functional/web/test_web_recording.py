"""The recording audit's screens over HTTP: who may open and act on them, bad input, and a
correction that shows in the incident's history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, select
from webseed import Seeded, csrf_of

from asbhub.incidents.models import Incident, IncidentStatusChange, Qualifier
from asbhub.permissions import Actor, Role
from asbhub.recording import rules, service
from asbhub.recording.models import RecordingFlag
from asbhub.store.engine import session_scope

ANALYST = Actor(0, "cli", "command line (recording audit)", Role.ANALYST, force_code="essex")


def post(c: Any, path: str, data: dict[str, str]) -> Any:
    """A form post with the CSRF token of a page the client may open (or of sign-in)."""
    return c.post(path, data={**data, "csrf_token": csrf_of(c, "/purpose")}, follow_redirects=False)


@pytest.fixture
def audited(engine: Engine, seeded: Seeded) -> int:
    """The seeded incidents audited, one of them a personal incident recorded as nuisance."""
    with session_scope(engine) as s:
        target = s.execute(
            select(Incident).where(Incident.qualifier == Qualifier.NUISANCE).limit(1)
        ).scalar_one()
        target.narrative = "My neighbour keeps shouting at me (fictitious)."
        target.covid_breach = False
        target_id = target.id
    with session_scope(engine) as s:
        span = service.data_period(s, actor=ANALYST)
        assert span is not None
        service.run(s, actor=ANALYST, start=span[0], end=span[1], rules=rules.load())
    with session_scope(engine) as s:
        flag = s.execute(
            select(RecordingFlag.id).where(RecordingFlag.incident_id == target_id)
        ).scalar_one()
    return int(flag)


def test_who_may_see_and_correct(client_as: Callable[[str], Any], audited: int) -> None:
    for role in ("asb_officer", "supervisor"):
        assert client_as(role).get("/recording").status_code == 200
        assert client_as(role).get(f"/recording/flags/{audited}").status_code == 200
    for role in ("call_handler", "officer", "analyst", "partner", "admin"):
        assert client_as(role).get("/recording").status_code == 403
        r = post(
            client_as(role),
            f"/recording/flags/{audited}/reclassify",
            {"qualifier": "personal", "reason": "x"},
        )
        assert r.status_code == 403


def test_bad_input_is_refused_naming_the_field(
    client_as: Callable[[str], Any], audited: int
) -> None:
    c = client_as("asb_officer")
    r = c.get("/recording?month=July&min_confidence=high")
    assert r.status_code == 422
    assert "Month received:" in r.text and "Confidence at least:" in r.text
    r = post(c, f"/recording/flags/{audited}/reclassify", {"qualifier": "personal"})
    assert r.status_code == 422 and "Reason for the change:" in r.text
    r = post(c, f"/recording/flags/{audited}/reclassify", {"qualifier": "x", "reason": "y"})
    assert r.status_code == 422 and "Qualifier:" in r.text
    assert c.get("/recording/flags/999999").status_code == 404


def test_reclassify_shows_in_the_history(
    client_as: Callable[[str], Any], audited: int, engine: Engine
) -> None:
    c = client_as("asb_officer")
    r = post(
        c,
        f"/recording/flags/{audited}/reclassify",
        {"qualifier": "personal", "reason": "Names the household"},
    )
    assert r.status_code == 303 and r.headers["location"].endswith("/life")
    life = c.get(r.headers["location"])
    assert "Names the household" in life.text and "nuisance → personal" in life.text
    assert "offered to triage" in life.text
    with session_scope(engine) as s:
        change = s.execute(
            select(IncidentStatusChange).where(IncidentStatusChange.event == "reclassify")
        ).scalar_one()
        assert change.at <= dt.datetime.now(dt.UTC).replace(tzinfo=None)
    again = post(
        c, f"/recording/flags/{audited}/reclassify", {"qualifier": "nuisance", "reason": "again"}
    )
    assert again.status_code == 409
