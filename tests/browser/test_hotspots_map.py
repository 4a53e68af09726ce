"""The hotspot map and the patrol plan, looked at in Chromium (screenshots in test-artifacts)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from browserkit import LiveServer, assert_axe_clean
from sqlalchemy import func, insert, select

from asbhub.hotspots.events import month_label, read_police_uk
from asbhub.ingest.models import PublicRecord
from asbhub.store.engine import make_engine
from conftest import SCREENSHOTS

# The shared data sit beside the checkout, or beside the folder of worktrees.
POLICE_UK = next(
    (
        p / "shared" / "data" / "police-uk"
        for p in SCREENSHOTS.parents[1].parents
        if (p / "shared" / "data" / "police-uk").exists()
    ),
    SCREENSHOTS.parents[2] / "shared" / "data" / "police-uk",
)


@pytest.fixture(scope="module")
def public_records(live_server: LiveServer) -> None:
    """Essex 2025 ASB rows from the real files, as the ingest would store them."""
    if not POLICE_UK.exists():
        pytest.skip(f"no police-uk data at {POLICE_UK}")
    engine = make_engine(live_server.database_url)
    with engine.begin() as conn:
        have = conn.scalar(
            select(func.count()).select_from(PublicRecord).where(PublicRecord.force_code == "essex")
        )
        if not have:
            paths = [POLICE_UK / "2025-01", *sorted(POLICE_UK.glob("2025-*.zip"))]
            f = read_police_uk(paths, "essex").frame
            rows = [
                {
                    "force_code": "essex",
                    "month": dt.date.fromisoformat(month_label(int(m)) + "-01"),
                    "reported_by": "Essex Police",
                    "falls_within": "Essex Police",
                    "x_bng": None if np.isnan(x) else float(x),
                    "y_bng": None if np.isnan(y) else float(y),
                    "mapped": not np.isnan(x),
                    "location": loc,
                    "crime_type": "Anti-social behaviour",
                    "source_file": "test",
                    "source_line": i + 2,
                }
                for i, (m, x, y, loc) in enumerate(
                    zip(f["month"], f["x"], f["y"], f["location"], strict=True)
                )
            ]
            conn.execute(insert(PublicRecord), rows)
    engine.dispose()


def test_hotspot_map_and_patrol_plan(
    page: Any,
    new_page: Callable[[], Any],
    sign_in_as: Callable[[Any, str], None],
    public_records: None,
) -> None:
    sign_in_as(page, "officer")
    page.goto("/hotspots")
    page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
    assert "2026-01" in page.get_by_role("heading", level=1).inner_text()
    rows = page.get_by_test_id("hotspot-table").locator("tbody tr")
    assert rows.count() == 20
    assert "in the last 3 months" in rows.first.inner_text()
    assert page.locator(".leaflet-interactive").count() > 600  # 605 cells + district outlines
    assert_axe_clean(page, "all districts")

    page.select_option("#district", "Colchester")
    page.get_by_role("button", name="Show").click()
    page.wait_for_selector("#map[data-ready='1']", timeout=60_000)
    table = page.get_by_test_id("hotspot-table")
    districts = table.locator("tbody tr td:nth-child(3)").all_inner_texts()
    assert districts and set(districts) == {"Colchester"}
    assert_axe_clean(page, "one district")
    assert page.console_errors == []

    pdf = page.request.get(page.get_by_test_id("patrol-pdf").get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    body = pdf.body()
    assert body.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", body)) == 1

    # The plan as it will print, on screen in Chromium (the same matplotlib figure as SVG).
    plan = new_page()
    sign_in_as(plan, "officer")
    plan.goto(page.get_by_test_id("patrol-svg").get_attribute("href"))
    assert "ASB patrol plan" in plan.content() and "Colchester" in plan.content()
    # The figure's background is white only if Chromium applied the SVG's inline styles (a
    # page-wide style-src 'self' once made every shape fall back to a black fill).
    fill = plan.evaluate("getComputedStyle(document.querySelector('#patch_1 path')).fill")
    assert fill == "rgb(255, 255, 255)"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    plan.screenshot(path=str(SCREENSHOTS / "test_hotspots_patrol_plan.png"))
