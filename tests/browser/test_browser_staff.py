"""Staff journeys in Chromium: sign in, filter incidents, open a person page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from browserkit import LiveServer, sign_in
from playwright.sync_api import expect
from sqlalchemy import func, select

from asbhub.audit.models import AuditEvent
from asbhub.incidents.models import Incident
from asbhub.incidents.schemas import PAGE_SIZE
from asbhub.store.engine import make_engine, session_scope
from functional.web.webseed import CANARY_PEOPLE

SignInAs = Callable[[Any, str], None]


def stored(live_server: LiveServer, *where: Any) -> int:
    engine = make_engine(live_server.database_url)
    with session_scope(engine) as s:
        n = int(s.scalar(select(func.count()).select_from(Incident).where(*where)) or 0)
    engine.dispose()
    return n


def test_sign_in(page: Any, live_server: LiveServer) -> None:
    page.goto("/incidents")
    assert page.url.endswith("/login?next=%2Fincidents")
    sign_in(page, live_server.seeded.users["officer"], password="not-the-password")
    assert page.get_by_text("wrong, or the account is locked").first.is_visible()
    page.console_errors.clear()  # the refused sign-in is a 401 document, logged by Chromium
    page.goto("/login?next=%2Fincidents")
    page.get_by_label("User name").fill(live_server.seeded.users["officer"])
    page.get_by_label("Password").fill("fictitious-password-1")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/incidents$"))
    assert "Test Officer" in page.get_by_test_id("who").inner_text()
    assert page.get_by_test_id("incident-table").is_visible()
    assert page.console_errors == []


def test_filter_incidents(page: Any, live_server: LiveServer, sign_in_as: SignInAs) -> None:
    sign_in_as(page, "officer")
    page.goto("/incidents")
    # Other browser tests share the server and may add incidents (public reports), so the
    # expected counts come from the database now rather than from the seed.
    total = stored(live_server)
    expect(page.get_by_test_id("count")).to_have_text(re.compile(rf"^{total} incidents"))
    # htmx swaps the table in place: a value set on window survives the update.
    page.evaluate("window.__samePage = true")
    with page.expect_response(re.compile(r"/incidents\?.*district=Colchester")):
        page.get_by_label("Policing district").select_option("Colchester")
    colchester = stored(live_server, Incident.district == "Colchester")
    expect(page.get_by_test_id("count")).to_have_text(re.compile(rf"^{colchester} incidents"))
    assert page.evaluate("window.__samePage") is True
    assert "district=Colchester" in page.url  # the address bar follows the filters
    rows = page.locator("[data-testid=incident-table] tbody tr")
    districts = rows.locator("td:nth-child(6)").all_inner_texts()
    assert districts and set(districts) == {"Colchester"}
    with page.expect_response(re.compile(r"covid=true")):
        page.get_by_label("COVID-19 breach").select_option("true")
    expect(page.locator("#results")).not_to_have_class(re.compile("htmx-request"))
    flags = page.locator("[data-testid=incident-table] tbody tr td:nth-child(8)").all_inner_texts()
    assert flags and all("COVID" in f for f in flags)
    # Paging by cursor keeps the filters in the address.
    page.get_by_label("Policing district").select_option("")
    expect(page.get_by_test_id("count")).to_have_text(re.compile(r"^\d+ incidents"))
    page.get_by_label("COVID-19 breach").select_option("false")
    expected = stored(live_server, Incident.covid_breach.is_(False))
    expect(page.get_by_test_id("count")).to_have_text(re.compile(rf"^{expected} incidents"))
    page.get_by_test_id("next-page").click()
    page.wait_for_url(re.compile(r"after="))
    assert "covid=false" in page.url
    # Other modules' public reports may have made more than two pages.
    second = min(expected - PAGE_SIZE, PAGE_SIZE)
    expect(page.locator("[data-testid=incident-table] tbody tr")).to_have_count(second)
    assert page.console_errors == []


def test_open_a_person_page(page: Any, live_server: LiveServer, sign_in_as: SignInAs) -> None:
    sign_in_as(page, "call_handler")
    forename, surname = CANARY_PEOPLE[1]
    page.goto("/search")
    page.get_by_label(re.compile("Incident reference")).fill(surname)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=f"{forename} {surname}").click()
    page.wait_for_url(re.compile(r"/people/\d+$"))
    assert page.get_by_test_id("person-name").inner_text() == f"{forename} {surname}"
    rows = page.locator("[data-testid=person-incidents] tbody tr")
    assert rows.count() == len(live_server.seeded.incident_ids) // 3
    roles = set(rows.locator("td:nth-child(3)").all_inner_texts())
    assert roles == {"Victim", "Suspect", "Caller"}
    # From the person to one of their incidents and back through its link.
    rows.first.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/incidents/\d+$"))
    assert page.get_by_role("link", name=f"{forename} {surname}").is_visible()
    assert page.console_errors == []
    engine = make_engine(live_server.database_url)
    with session_scope(engine) as s:
        viewers = s.execute(
            select(AuditEvent.actor_role).where(
                AuditEvent.event == "incidents:person:view",
                AuditEvent.object_id == str(live_server.seeded.person_ids[1]),
            )
        ).scalars()
        assert "call_handler" in list(viewers)
    engine.dispose()


def test_dashboard_chart_and_location_map_draw(
    page: Any, live_server: LiveServer, sign_in_as: SignInAs
) -> None:
    sign_in_as(page, "supervisor")
    page.goto("/")
    # Polled with evaluate: wait_for_function would need eval, which the CSP forbids.
    expect(page.locator("#monthly-chart")).to_have_attribute("data-drawn", "1")
    assert page.evaluate("() => !!Chart.getChart(document.getElementById('monthly-chart'))")
    page.goto(f"/locations/{live_server.seeded.location_ids[0]}?radius=60")
    page.wait_for_selector("#map.leaflet-container path.leaflet-interactive")
    assert page.locator("#map path.leaflet-interactive").count() >= 2  # circle and incidents
    assert page.console_errors == []


def test_partner_sees_pseudonyms(page: Any, live_server: LiveServer, sign_in_as: SignInAs) -> None:
    sign_in_as(page, "partner")
    page.goto("/incidents")
    count = stored(live_server, Incident.local_authority_code == "E07000066")
    expect(page.get_by_test_id("count")).to_have_text(re.compile(rf"^{count} incidents"))
    # A seeded incident, which has people (the public's anonymous reports have none).
    rows = page.locator("[data-testid=incident-table] tbody tr", has_text="ESX-TEST")
    rows.first.get_by_role("link").click()
    people = page.get_by_test_id("people").inner_text()
    assert re.search(r"P-[0-9A-F]{8}", people)
    assert not any(n in page.content() for pair in CANARY_PEOPLE for n in pair)
