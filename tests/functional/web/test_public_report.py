"""The public's online report through HTTP, on both databases: stored once, or not at all."""

from __future__ import annotations

import datetime as dt
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient
from webseed import csrf_of

from asbhub.audit.models import AuditEvent
from asbhub.audit.service import verify
from asbhub.contact.models import PublicSubmission
from asbhub.incidents.models import Channel, Incident, IncidentPerson, IncidentStatus, Person
from asbhub.store.engine import session_scope
from asbhub.web.app import create_app

REF_RE = re.compile(r'id="reference">([A-Z0-9-]+)<')


def good_form(**changes: Any) -> dict[str, Any]:
    today = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    form: dict[str, Any] = {
        "what": "vehicles",
        "description": "Off-road bikes racing across the playing field (fictitious test report).",
        "place": "Playing field off Imaginary Lane, Witham",
        "area": "E07000067",  # Braintree, which Witham is in
        "when-day": str(today.day),
        "when-month": str(today.month),
        "when-year": str(today.year),
        "time": "19:45",
        "ongoing": "no",
        "impact": "The children cannot use the field.",
        "targeted": "no",
        "contact": "details",
        "forename": "Fictionella",
        "surname": "Reportsworth",
        "email": "fictionella@example.invalid",
        "consent": "yes",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def counts(engine: Engine) -> tuple[int, int, int, int]:
    with session_scope(engine) as s:
        return (
            int(s.scalar(select(func.count()).select_from(Incident)) or 0),
            int(s.scalar(select(func.count()).select_from(Person)) or 0),
            int(s.scalar(select(func.count()).select_from(IncidentPerson)) or 0),
            int(s.scalar(select(func.count()).select_from(PublicSubmission)) or 0),
        )


def submit(client: TestClient, form: dict[str, Any], *, csrf: bool = True) -> Any:
    data = dict(form)
    if csrf:
        data["csrf_token"] = csrf_of(client, "/report")
    return client.post("/report", data=data, follow_redirects=True)


def test_report_page_is_public_accessible_and_has_no_inline_script(client: TestClient) -> None:
    r = client.get("/report")
    assert r.status_code == 200
    html = r.text
    assert "Essex Police" in html and "Report anti-social behaviour" in html
    assert '<label class="govuk-label" for="place">' in html
    assert "<legend" in html and 'name="website"' in html and 'tabindex="-1"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script found"
    assert "script-src 'self'" in r.headers["content-security-policy"]


def test_valid_report_creates_exactly_one_incident_and_shows_a_reference(
    client: TestClient, engine: Engine
) -> None:
    before = counts(engine)
    r = submit(client, good_form())
    assert r.status_code == 200, r.text
    assert "Report sent" in r.text and "What happens next" in r.text
    m = REF_RE.search(r.text)
    assert m, r.text
    after = counts(engine)
    assert after[0] == before[0] + 1 and after[1] == before[1] + 1
    assert after[2] == before[2] + 1 and after[3] == before[3] + 1
    with session_scope(engine) as s:
        inc = s.scalars(select(Incident).where(Incident.reference == m.group(1))).one()
        assert inc.channel is Channel.ONLINE and inc.status is IncidentStatus.NEW
        assert inc.location_text == "Playing field off Imaginary Lane, Witham"
        # No pin: the chosen council area puts it in its district (not "Unknown").
        assert inc.longitude is None and inc.local_authority_code == "E07000067"
        assert inc.district == "Braintree & Uttlesford"
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.event == "public:report:create")
        ).all()
        assert [e.object_id for e in events] == [str(inc.id)]
    # Reloading the confirmation shows the same reference again.
    again = client.get("/report/sent", follow_redirects=False)
    assert again.status_code == 200 and inc.reference in again.text


def test_pin_only_report_is_located(client: TestClient, engine: Engine) -> None:
    r = submit(
        client, good_form(place="", pin_lon="0.7135", pin_lat="51.5388", contact="anonymous")
    )
    ref = REF_RE.search(r.text)
    assert ref, r.text
    with session_scope(engine) as s:
        inc = s.scalars(select(Incident).where(Incident.reference == ref.group(1))).one()
        assert inc.local_authority_code == "E06000033"  # Southend-on-Sea
        assert inc.district is not None and inc.lsoa_code is not None


INVALID = [
    ({"what": None}, "what", "Select what happened"),
    ({"description": ""}, "description", "Enter what happened"),
    ({"place": ""}, "place", "Enter where it happened, or put a pin on the map"),
    ({"pin_lon": "-0.1276", "pin_lat": "51.5072"}, "place", "The pin is outside Essex"),
    ({"when-day": "31", "when-month": "2"}, "when", "must be a real date"),
    ({"time": "25:61"}, "time", "Enter the time in the 24-hour clock"),
    ({"ongoing": None}, "ongoing", "Select whether it is still happening"),
    ({"impact": "x" * 1001}, "impact", "1000 characters or fewer"),
    ({"targeted": "yes"}, "strands", "Select why you think you were targeted"),
    ({"contact": None}, "contact", "Select whether you want to give your contact details"),
    ({"forename": ""}, "forename", "Enter your first name"),
    ({"email": "not-an-email"}, "email", "Enter an email address in the correct format"),
    ({"consent": None}, "consent", "Confirm that we may store"),
]


@pytest.mark.parametrize(("changes", "field", "message"), INVALID, ids=[i[1] for i in INVALID])
def test_each_invalid_field_gives_its_error_and_stores_nothing(
    client: TestClient, engine: Engine, changes: dict[str, Any], field: str, message: str
) -> None:
    before = counts(engine)
    r = submit(client, good_form(**changes))
    assert r.status_code == 422
    html = r.text
    assert "There is a problem" in html and "govuk-error-summary" in html
    anchor = {"when": "when-day"}.get(field, field)
    assert re.search(rf'href="#{anchor}">[^<]*{re.escape(message)}', html)
    assert f'id="{field}-error"' in html
    assert re.search(rf'aria-describedby="[^"]*\b{field}-error\b', html)
    assert html.startswith("<!DOCTYPE html>") and "<title>Error: " in html
    # What was typed is kept so the reporter fixes only the field in error.
    if field != "description":
        assert "Off-road bikes racing" in html
    assert counts(engine) == before


def test_honeypot_looks_sent_but_stores_nothing(client: TestClient, engine: Engine) -> None:
    before = counts(engine)
    r = submit(client, good_form(website="http://cheap-pills.example"))
    assert r.status_code == 200 and "Report sent" in r.text and REF_RE.search(r.text)
    assert counts(engine) == before


def test_missing_csrf_token_is_rejected_and_stores_nothing(
    client: TestClient, engine: Engine
) -> None:
    client.get("/report")
    before = counts(engine)
    r = submit(client, good_form(), csrf=False)
    assert r.status_code == 403
    r = client.post("/report", data={**good_form(), "csrf_token": "forged"})
    assert r.status_code == 403
    assert "send again" in r.text  # the public's own page, answers kept
    assert counts(engine) == before


def test_rate_limit_gives_a_readable_429(
    monkeypatch: pytest.MonkeyPatch, db_url: str, engine: Engine
) -> None:
    monkeypatch.setenv("ASBHUB_PUBLIC_REPORT_RATE_LIMIT", "2")
    with TestClient(create_app(db_url)) as c:
        for _ in range(2):
            assert REF_RE.search(submit(c, good_form()).text)
        before = counts(engine)
        r = submit(c, good_form())
        assert r.status_code == 429
        assert "Too many reports" in r.text and "up to 2 reports a minute" in r.text
        assert r.headers["retry-after"] == "60"
        assert counts(engine) == before


@pytest.fixture
def app(db_url: str) -> FastAPI:
    """The real app on a fresh database; the public pages need no seeded users."""
    return create_app(db_url)


def test_simultaneous_reports_are_all_stored_with_an_unbroken_audit_chain(
    monkeypatch: pytest.MonkeyPatch, db_url: str, engine: Engine
) -> None:
    """Reports arriving together (one writer at a time on SQLite) are each stored once."""
    monkeypatch.setenv("ASBHUB_PUBLIC_REPORT_RATE_LIMIT", "100")  # all from one test client
    app = create_app(db_url)
    clients = [TestClient(app) for _ in range(6)]
    forms = []
    for c in clients:
        c.__enter__()
        forms.append({**good_form(contact="anonymous"), "csrf_token": csrf_of(c, "/report")})
    before = counts(engine)
    try:

        def three(i: int) -> list[int]:
            c, data = clients[i], forms[i]
            return [c.post("/report", data=data, follow_redirects=False).status_code for _ in "abc"]

        with ThreadPoolExecutor(len(clients)) as pool:
            codes = [code for codes in pool.map(three, range(6)) for code in codes]
    finally:
        for c in clients:
            c.__exit__(None, None, None)
    assert codes == [303] * 18
    after = counts(engine)
    assert after[0] == before[0] + 18 and after[3] == before[3] + 18
    with session_scope(engine) as s:
        assert verify(s).intact
        created = s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.event == "public:report:create")
        )
        assert created == 18
