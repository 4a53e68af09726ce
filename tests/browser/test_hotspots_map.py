"""The hotspot map and the patrol plan, used in Chromium as an officer would: the months it
shows, a refused month, the key, every flagged place page by page, the plan on screen and
every place of the plan in its PDF, by keyboard (screenshots in test-artifacts)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdf
from browserkit import assert_axe_clean
from playwright.sync_api import expect

Page = Any
# As conftest.py names it (importing conftest by name finds whichever is first on the path).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def tab_to(page: Page, selector: str, limit: int = 120) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user would reach it."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} not reached in {limit} presses of Tab")


def test_hotspot_page_months_key_and_every_place(
    page: Page, sign_in_as: Callable[[Any, str], None], public_records: None
) -> None:
    page.set_default_timeout(90_000)  # a month not yet in the cache is computed first
    sign_in_as(page, "officer")
    page.goto("/hotspots")
    page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
    assert page.get_by_role("heading", level=1).inner_text().endswith("in January 2026")
    assert page.get_by_test_id("predicted-month").inner_text() == "January 2026 (2026-01)"
    assert page.get_by_test_id("data-months").inner_text() == "2025-01 to 2025-12"
    expect(page.get_by_test_id("map-key")).to_contain_text("Flagged 250 m cell")
    expect(page.get_by_test_id("places-count")).to_have_text(
        "605 places flagged, in rank order; showing 1 to 20 (page 1 of 31)."
    )
    rows = page.get_by_test_id("hotspot-table").locator("tbody tr")
    assert rows.count() == 20 and "in the last 3 months" in rows.first.inner_text()
    assert page.locator(".leaflet-interactive").count() > 600  # 605 cells + district outlines
    assert_axe_clean(page, "all districts")

    # Paging by keyboard: Tab to "Next", Enter; the list goes on at rank 21.
    tab_to(page, "[data-testid=next-page]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"page=2"))
    assert rows.first.locator("td").first.inner_text() == "21"
    expect(page.get_by_test_id("places-count")).to_contain_text("showing 21 to 40 (page 2 of 31)")
    page.goto("/hotspots?page=31")
    assert rows.count() == 5 and rows.last.locator("td").first.inner_text() == "605"
    assert page.get_by_role("link", name="Previous page").is_visible()

    # A month the records do not reach is explained on the page, with the months to choose.
    response = page.goto("/hotspots?month=2026-11")
    assert response.status == 422
    expect(page.get_by_test_id("refused-month")).to_contain_text(
        "There is no prediction for 2026-11: the records in the store end in 2025-12"
    )
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("choose a month from 2025-07 to 2026-01")
    page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
    assert_axe_clean(page, "refused month")
    summary.get_by_role("link").click()
    expect(page.locator("#month")).to_be_focused()
    page.locator("#month").select_option("2025-09")
    page.keyboard.press("Tab")  # to the district
    page.keyboard.press("Tab")  # to Show
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"month=2025-09"))
    assert page.get_by_role("heading", level=1).inner_text().endswith("in September 2025")
    page.goto("/hotspots?month=last-year")
    expect(page.locator(".govuk-error-summary")).to_contain_text("for example 2026-01")
    # JSON clients keep the API's error shape.
    api = page.request.get("/hotspots?month=2026-11", headers={"accept": "application/json"})
    assert api.status == 422
    assert "2025-07 to 2026-01" in api.json()["error"]["fields"]["month"]
    # Chromium logs each 422 page load; nothing else may fail.
    assert [e for e in page.console_errors if "status of 422" not in e] == []


def test_patrol_plan_page_and_every_place_in_its_pdf(
    page: Page, sign_in_as: Callable[[Any, str], None], public_records: None
) -> None:
    page.set_default_timeout(90_000)  # a month not yet in the cache is computed first
    sign_in_as(page, "officer")
    page.goto("/hotspots")
    page.select_option("#district", "Colchester")
    page.get_by_role("button", name="Show").click()
    page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
    districts = page.get_by_test_id("hotspot-table").locator("tbody tr td:nth-child(3)")
    assert set(districts.all_inner_texts()) == {"Colchester"}
    assert_axe_clean(page, "one district")

    tab_to(page, "[data-testid=patrol-page]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/hotspots/patrol\?"))
    assert page.title() == "Patrol plan Colchester, 2026-01 – asbhub"
    assert page.get_by_role("heading", level=1).inner_text() == "Colchester, January 2026"
    plan_map = page.get_by_test_id("plan-map")
    expect(plan_map).to_be_visible()
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", plan_map.element_handle())
    assert page.get_by_test_id("plan-table").locator("tbody tr").count() == 15
    assert_axe_clean(page, "patrol plan")

    # Forty places: the PDF runs to more pages and still explains every one of them.
    page.locator("#cells").select_option("40")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"cells=40"))
    places = page.get_by_test_id("plan-table").locator("tbody tr td:nth-child(2)")
    names = [t.split("\n")[0] for t in places.all_inner_texts()]
    assert len(names) == 40
    assert_axe_clean(page, "patrol plan of 40 places")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "test_hotspots_patrol_plan.png"), full_page=True)
    pdf = page.request.get(page.get_by_test_id("patrol-pdf").get_attribute("href"), timeout=90_000)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(pdf.body()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert len(reader.pages) >= 2 and "40 places" in text and "data to 2025-12" in text
    listed = re.findall(r"^(\d+)\. (.+?)  \(", text, flags=re.M)
    assert [(int(n), name) for n, name in listed] == list(enumerate(names, start=1))
    assert "list continues" not in text

    # A refused month on the plan is explained there too, the summary leading to the month.
    assert page.goto("/hotspots/patrol?district=Colchester&month=2024-01").status == 422
    expect(page.get_by_test_id("refused-month")).to_contain_text("needs the 6 months")
    page.locator(".govuk-error-summary").get_by_role("link").click()
    expect(page.locator("#month")).to_be_focused()
    page.goto("/hotspots/patrol?district=Colchester&month=2026-01")

    # Back to the map by keyboard, with the district and month kept.
    page.get_by_test_id("back-to-map").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/hotspots\?district=Colchester&month=2026-01$"))
    assert [e for e in page.console_errors if "status of 422" not in e] == []
