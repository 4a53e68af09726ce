"""A SARA case in Chromium: opened from a repeat location that triage found, a partner action
added, shared with a housing provider under an agreement, seen by the provider's user (what
it shows and what it keeps back), worked to the assessment. Each step is screenshotted and
checked with axe-core; the screenshots are the ones in docs/images/casework-*.png."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from browserkit import LiveServer, assert_axe_clean, sign_in
from playwright.sync_api import expect

from asbhub.store.engine import make_engine
from caseseed import HARLOW_AREA, HOUSING, ISA, VICTIM, build

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"casework-{name}.png"), full_page=True)
    assert_axe_clean(page, name)


def test_sara_case_from_triage_to_assessment(new_page: Any, live_server: LiveServer) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    engine = make_engine(live_server.database_url)
    world = build(engine, now, area=HARLOW_AREA, prefix="BRW-")
    engine.dispose()

    asb = new_page()
    sign_in(asb, "asb.t")
    asb.goto(f"/incidents/{world.new_incident}/life")
    asb.get_by_test_id("open-case-link").click()
    asb.wait_for_url(re.compile(r"/cases/new\?incident=\d+$"))
    shot(asb, "1-repeat-found")
    asb.get_by_role("button", name=re.compile(r"Open case: repeat location")).click()
    asb.wait_for_url(re.compile(r"/cases/\d+$"))
    case_url = asb.url
    expect(asb.get_by_test_id("stage")).to_have_text("scanning")
    expect(asb.get_by_test_id("baseline")).to_contain_text("incidents within 100 m")
    expect(asb.get_by_test_id("linked")).to_contain_text("BRW-REP-NEW")
    expect(asb.get_by_test_id("spoc")).to_contain_text("Test asb.t")
    shot(asb, "2-opened")

    # A partner action: the housing provider fits a door entry system (keyboard: the summary
    # opens with Enter).
    asb.locator("summary", has_text="Add an action").focus()
    asb.keyboard.press("Enter")
    form = asb.get_by_test_id("action-form")
    form.get_by_label("What will be done").fill("Fit a door entry system to the stairwell")
    form.get_by_label("Owner (a person or a team)").fill("Tenancy team")
    form.get_by_label("Agency").select_option(value=HOUSING)
    form.get_by_label("Tool").select_option(value="design")
    form.get_by_label("Due").fill((now.date() + dt.timedelta(days=28)).isoformat())
    form.get_by_role("button", name="Add action").click()
    expect(asb.get_by_test_id("actions")).to_contain_text("Fit a door entry system")
    expect(asb.get_by_test_id("actions")).to_contain_text("Test Homes")
    shot(asb, "3-action")

    # Share the summary and the case notes (not the victim's details) under the agreement.
    asb.get_by_text("Share with another agency").click()
    share = asb.get_by_test_id("share-form")
    share.get_by_label("Agency").select_option(value=HOUSING)
    share.get_by_label("Case notes").check()
    share.get_by_role("button", name="Share").click()
    expect(asb.get_by_test_id("shares")).to_contain_text(f"under {ISA}")
    shot(asb, "4-shared")

    # What the provider's user sees, and does not.
    provider = new_page()
    sign_in(provider, "housing.t")
    provider.goto("/cases")
    provider.get_by_role("link", name=re.compile(r"SARA-")).first.click()
    provider.wait_for_url(case_url)
    expect(provider.get_by_test_id("classes")).to_contain_text("Case notes, Incident summary")
    expect(provider.get_by_test_id("actions")).to_contain_text("Fit a door entry system")
    expect(provider.get_by_test_id("linked")).to_contain_text("BRW-REP-NEW")
    body = provider.locator("main").inner_text()
    assert VICTIM[1] not in body and VICTIM[0] not in body  # personal details not shared
    expect(provider.get_by_role("heading", name="Reviews")).to_have_count(0)  # risk assessment
    expect(provider.get_by_role("heading", name="Sharing")).to_have_count(0)
    expect(provider.get_by_test_id("stage-form")).to_have_count(0)  # only the owner moves it
    shot(provider, "5-provider-view")
    provider.get_by_role("button", name=re.compile(r"Mark done\W+Fit a door entry")).click()
    expect(provider.get_by_test_id("actions")).to_contain_text("done")

    # Back with the owner: analysis, response, then the assessment against the baseline.
    asb.goto(case_url)
    asb.get_by_test_id("stage-advance").click()
    expect(asb.get_by_test_id("stage")).to_have_text("analysis")
    asb.get_by_text("Record the analysis").click()
    analysis = asb.get_by_test_id("analysis-form")
    analysis.get_by_label("Place", exact=True).fill("Communal stairwell left unlocked")
    analysis.get_by_label("Manager (responsible for the place)").fill("Test Homes tenancy team")
    analysis.get_by_role("button", name="Save the analysis").click()
    expect(asb.get_by_test_id("triangle")).to_contain_text("Communal stairwell")
    asb.get_by_test_id("stage-advance").click()
    expect(asb.get_by_test_id("stage")).to_have_text("response")
    asb.get_by_test_id("stage-advance").click()
    expect(asb.get_by_test_id("stage")).to_have_text("assessment")
    a = asb.get_by_test_id("assessment-form")
    a.get_by_label("After period from").fill((now.date() - dt.timedelta(days=6)).isoformat())
    a.get_by_label("to", exact=True).fill(now.date().isoformat())
    a.get_by_label("Outcome").fill("Door entry fitted; no calls from the stairwell since")
    a.get_by_role("button", name="Count and record the assessment").click()
    expect(asb.get_by_test_id("assess-target")).to_contain_text("after")
    expect(asb.get_by_test_id("displacement")).not_to_be_empty()
    expect(asb.get_by_test_id("timeline")).to_contain_text("Assessment:")
    shot(asb, "6-assessment")
