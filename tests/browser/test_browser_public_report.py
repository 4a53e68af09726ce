"""The public's online report in Chromium: sent and found in a call handler's queue, or refused
field by field with nothing stored; and the same form without JavaScript."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from browserkit import LiveServer, sign_in
from playwright.sync_api import expect
from sqlalchemy import func, select

from asbhub.contact.models import PublicSubmission
from asbhub.incidents.models import Incident, Person
from asbhub.store.engine import make_engine, session_scope

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def stored(live_server: LiveServer) -> tuple[int, int, int]:
    engine = make_engine(live_server.database_url)
    try:
        with session_scope(engine) as s:
            return (
                int(s.scalar(select(func.count()).select_from(Incident)) or 0),
                int(s.scalar(select(func.count()).select_from(Person)) or 0),
                int(s.scalar(select(func.count()).select_from(PublicSubmission)) or 0),
            )
    finally:
        engine.dispose()


def fill_when(page: Any, day: dt.date) -> None:
    page.get_by_label("Day").fill(str(day.day))
    page.get_by_label("Month").fill(str(day.month))
    page.get_by_label("Year").fill(str(day.year))
    page.get_by_label("What time did it happen?").fill("21:15")


def test_report_with_a_map_pin_reaches_the_queue(new_page: Any, live_server: LiveServer) -> None:
    public = new_page()
    public.goto("/report")
    public.get_by_label("Vehicles driven or used in a nuisance way").check()
    public.get_by_label("Tell us what happened").fill(
        "Two off-road bikes racing round the recreation ground (fictitious browser test)."
    )
    # The pin: the map loads the force's boundaries, then a click drops it.
    expect(public.locator("#report-map path.leaflet-interactive").first).to_be_visible()
    public.locator("#report-map").click(position={"x": 330, "y": 190})
    expect(public.locator("#pin-status")).to_contain_text("Pin placed")
    assert public.input_value("#pin_lat") and public.input_value("#pin_lon")
    fill_when(public, dt.date.today() - dt.timedelta(days=1))
    public.locator("#ongoing-2").check()
    public.get_by_label("How is it affecting you?").fill("My children cannot play there.")
    public.locator("#targeted-2").check()
    public.locator("#contact").check()  # give contact details: the fields are revealed
    public.get_by_label("First name").fill("Fictionia")
    public.get_by_label("Last name").fill("Browserson")
    public.get_by_label("Email address").fill("fictionia@example.invalid")
    public.get_by_label(re.compile("The information I have given is true")).check()
    public.get_by_role("button", name="Send report").click()
    expect(public.get_by_role("heading", name="Report sent")).to_be_visible()
    reference = public.locator("#reference").inner_text()
    assert re.fullmatch(r"WEB-\d{6}-[0-9A-Z]{6}", reference)
    assert public.console_errors == []

    handler = new_page()
    sign_in(handler, live_server.seeded.users["call_handler"])
    handler.goto("/contact/queue")
    row = handler.locator("[data-testid=new-reports] tr", has_text=reference)
    expect(row).to_contain_text("Online")
    expect(row).to_contain_text("Vehicle nuisance")
    row.get_by_role("link", name=reference).click()
    handler.wait_for_url(re.compile(r"/incidents/\d+$"))
    expect(handler.locator("main")).to_contain_text(reference)
    assert handler.console_errors == []


def test_invalid_reports_show_field_errors_and_store_nothing(
    page: Any, live_server: LiveServer
) -> None:
    before = stored(live_server)
    page.goto("/report")
    page.get_by_role("button", name="Send report").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # govuk-frontend moves focus to the summary
    expect(summary.get_by_role("link")).to_have_count(10)
    # Each link takes the keyboard to its question.
    summary.get_by_role("link", name="Enter how it affects you").click()
    expect(page.locator("#impact")).to_be_focused()
    expect(page.locator("#impact-error")).to_contain_text("Enter how it affects you")
    assert "impact-error" in (page.locator("#impact").get_attribute("aria-describedby") or "")

    # Fix most answers but give a date in the future and a bad email address.
    page.get_by_label("Loud noise or music").check()
    page.get_by_label("Tell us what happened").fill("Music until 4am (fictitious).")
    page.get_by_label("Address or description of the place").fill("Nowhere Flats, Basildon")
    fill_when(page, dt.date.today() + dt.timedelta(days=3))
    page.locator("#ongoing").check()
    page.get_by_label("How is it affecting you?").fill("No sleep.")
    page.locator("#targeted").check()  # yes, but no reason chosen
    page.locator("#contact").check()
    page.get_by_label("First name").fill("Fictio")
    page.get_by_label("Last name").fill("Invalidson")
    page.get_by_label("Email address").fill("not-an-email")
    page.get_by_label(re.compile("The information I have given is true")).check()
    page.get_by_role("button", name="Send report").click()
    expect(summary).to_be_visible()
    texts = summary.get_by_role("link").all_inner_texts()
    assert texts == [
        "The date it happened must be today or in the past",
        "Select why you think you were targeted",
        "Enter an email address in the correct format, like name@example.com",
    ]
    # What was typed is still there.
    expect(page.get_by_label("Tell us what happened")).to_have_value(
        "Music until 4am (fictitious)."
    )
    expect(page.locator("#strands-error")).to_be_visible()
    assert stored(live_server) == before
    page.console_errors.clear()  # the refused form is a 422 document, which Chromium logs


def test_report_works_without_javascript(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        before = stored(live_server)
        page.goto("/report")
        # Without JavaScript the map is not offered, and every follow-up question shows.
        assert not page.locator(".js-map-block").is_visible()
        assert page.get_by_label("First name").is_visible()
        page.get_by_label("People being rowdy, rude or intimidating in a public place").check()
        page.get_by_label("Tell us what happened").fill("Group shouting at passers-by.")
        page.get_by_label("Address or description of the place").fill("Bus station, Chelmsford")
        fill_when(page, dt.date.today() - dt.timedelta(days=2))
        page.locator("#ongoing-2").check()
        page.get_by_label("How is it affecting you?").fill("I avoid the bus station.")
        page.locator("#targeted").check()
        page.get_by_label("Race or ethnicity").check()
        page.locator("#contact-2").check()  # anonymous
        page.get_by_label(re.compile("The information I have given is true")).check()
        page.get_by_role("button", name="Send report").click()
        assert page.get_by_role("heading", name="Report sent").is_visible()
        after = stored(live_server)
        assert after == (before[0] + 1, before[1], before[2] + 1)  # anonymous: no person
    finally:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(SCREENSHOTS / "test_report_works_without_javascript.png"), full_page=True
        )
        context.close()
