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
    expect(public.locator("#report-map path").first).to_be_visible()
    public.locator("#report-map").click(position={"x": 330, "y": 190})
    expect(public.locator("#pin-status")).to_contain_text("Pin placed")
    assert public.input_value("#pin_lat") and public.input_value("#pin_lon")
    fill_when(public, dt.date.today() - dt.timedelta(days=1))
    public.locator("#ongoing-2").check()
    public.get_by_label(re.compile("How is it affecting you")).fill(
        "My children cannot play there."
    )
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
    summary.get_by_role("link", name="Enter what happened").click()
    expect(page.locator("#description")).to_be_focused()
    expect(page.locator("#description-error")).to_contain_text("Enter what happened")
    d = page.locator("#description").get_attribute("aria-describedby") or ""
    assert "description-error" in d

    # Fix most answers but give a date in the future and a bad email address.
    page.get_by_label("Loud noise or music").check()
    page.get_by_label("Tell us what happened").fill("Music until 4am (fictitious).")
    page.get_by_label("Address or description of the place").fill("Nowhere Flats, Basildon")
    page.get_by_label("Town or council area").select_option(label="Basildon")
    fill_when(page, dt.date.today() + dt.timedelta(days=3))
    page.locator("#ongoing").check()
    page.get_by_label(re.compile("How is it affecting you")).fill("No sleep.")
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
        page.get_by_label("Town or council area").select_option(label="Chelmsford")
        fill_when(page, dt.date.today() - dt.timedelta(days=2))
        page.locator("#ongoing-2").check()
        page.get_by_label(re.compile("How is it affecting you")).fill("I avoid the bus station.")
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


def test_typed_address_report_reaches_the_partners_list(
    browser: Any, new_page: Any, live_server: LiveServer
) -> None:
    """No pin and no JavaScript: the council area chosen puts the report in its district."""
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/report")
        page.get_by_label("Drinking in the street").check()
        page.get_by_label("Tell us what happened").fill("Group drinking outside the shops (test).")
        page.get_by_label("Address or description of the place").fill("Shopping parade, Laindon")
        page.get_by_label("Town or council area").select_option(label="Basildon")
        fill_when(page, dt.date.today() - dt.timedelta(days=1))
        page.locator("#ongoing").check()
        page.locator("#targeted-3").check()
        page.locator("#contact-2").check()
        page.get_by_label(re.compile("The information I have given is true")).check()
        page.get_by_role("button", name="Send report").click()
        reference = page.locator("#reference").inner_text()
    finally:
        context.close()
    partner = new_page()  # Basildon Council's partner account
    sign_in(partner, live_server.seeded.users["partner"])
    partner.goto("/incidents?district=Basildon&channel=online")
    table = partner.get_by_test_id("incident-table")
    expect(table.get_by_role("link", name=reference)).to_be_visible()
    row = table.locator("tbody tr", has_text=reference)
    expect(row.locator("td:nth-child(6)")).to_have_text("Basildon")
    assert partner.console_errors == []


def test_pin_placed_with_the_keyboard_only(page: Any) -> None:
    page.goto("/report")
    expect(page.locator("#report-map path").first).to_be_attached()
    clear = page.get_by_role("button", name="Remove the pin")
    expect(clear).to_be_hidden()  # no pin yet, nothing to remove
    # From the address, Tab reaches the map after the area: no council shape is a tab stop.
    page.get_by_label("Address or description of the place").focus()
    stops = []
    for _ in range(3):
        page.keyboard.press("Tab")
        stops.append(page.evaluate("document.activeElement.id"))
        if stops[-1] == "report-map":
            break
    assert stops == ["area", "report-map"]
    assert page.locator("#report-map path[tabindex]").count() == 0
    page.keyboard.press("ArrowUp")  # move the map, then drop the pin in its middle
    page.keyboard.press("Enter")
    expect(page.locator("#pin-status")).to_contain_text("Pin placed at latitude")
    assert page.input_value("#pin_lat") and page.input_value("#pin_lon")
    expect(clear).to_be_visible()
    # Then the pin and the zoom buttons: every stop has a name.
    names = []
    for _ in range(2):
        page.keyboard.press("Tab")
        names.append(
            page.evaluate(
                "(e => e.getAttribute('aria-label') || e.getAttribute('title') || e.alt)"
                "(document.activeElement)"
            )
        )
    assert "Zoom in" in names and all(names)
    clear.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#pin-status")).to_have_text("No pin placed.")
    expect(clear).to_be_hidden()
    assert page.input_value("#pin_lat") == ""
    assert page.console_errors == []


def test_character_limits_show_while_typing_and_the_date_example_is_accepted(
    page: Any,
) -> None:
    page.goto("/report")
    # The static limit is kept for screen readers only; the live count replaces it on screen.
    expect(page.locator("#description-info")).to_have_class(re.compile("govuk-visually-hidden"))
    counts = page.locator(".govuk-character-count__status")
    expect(counts.first).to_have_text("You have 2,000 characters remaining")
    page.get_by_label("Tell us what happened").fill("x" * 1990)
    expect(counts.first).to_have_text("You have 10 characters remaining")
    page.get_by_label(re.compile("How is it affecting you")).fill("y" * 1005)
    expect(counts.nth(1)).to_have_text("You have 5 characters too many")
    # The hint's own example date is one the form accepts.
    hint = page.locator("#when-hint").inner_text()
    day, month, year = re.search(r"For example, (\d+) (\d+) (\d{4})", hint).groups()
    example = dt.date(int(year), int(month), int(day))
    assert dt.date.today() - dt.timedelta(days=365) < example <= dt.date.today()
    assert page.console_errors == []
