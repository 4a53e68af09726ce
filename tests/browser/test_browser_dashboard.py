"""Choosing the dashboard's period in Chromium; the dashboard and channel pages are axe-clean."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from browserkit import LiveServer, assert_axe_clean, sign_in
from playwright.sync_api import expect
from sqlalchemy import text

from asbhub.incidents.models import Channel, Incident, IncidentType, Qualifier
from asbhub.store.engine import make_engine, session_scope


@pytest.fixture
def older_month(live_server: LiveServer) -> Iterator[int]:
    """Three incidents in May 2019, far from the seeded month, removed again afterwards."""
    engine = make_engine(live_server.database_url)
    with session_scope(engine) as s:
        for k in range(3):
            s.add(
                Incident(
                    force_code="essex",
                    reference=f"ESX-OLD-{k}",
                    received_at=dt.datetime(2019, 5, 10 + k, 15),
                    channel=Channel.NON_EMERGENCY,
                    opening_code=IncidentType.NOISE,
                    closing_code=IncidentType.NOISE,
                    qualifier=Qualifier.NUISANCE,
                    attended=k == 0,
                    district="Basildon",
                    local_authority_code="E07000066",
                )
            )
    yield 3
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM incidents WHERE reference LIKE 'ESX-OLD-%'"))
    engine.dispose()


def test_choosing_a_dashboard_period(
    new_page: Callable[[], Any], live_server: LiveServer, older_month: int
) -> None:
    page = new_page()
    sign_in(page, live_server.seeded.users["analyst"])
    page.goto("/")
    shown = page.get_by_test_id("period-shown")
    expect(shown).to_contain_text("12 months to 31 March 2021")
    assert_axe_clean(page, "dashboard, default period")
    # By keyboard: focus the period list, pick the May 2019 period, send the form.
    page.get_by_label("Period").focus()
    page.get_by_label("Period").select_option(label="12 months to 31 May 2019")
    page.keyboard.press("Tab")  # to the area list
    page.keyboard.press("Tab")  # to the Show button
    expect(page.get_by_role("button", name="Show")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "period=2019-05" in page.url
    expect(shown).to_contain_text("12 months to 31 May 2019: 1 June 2018 to 31 May 2019")
    expect(page.get_by_test_id("kpi-summary")).to_contain_text(f"{older_month}")
    expect(page.locator("#monthly-chart")).to_have_attribute("data-drawn", "1")
    assert_axe_clean(page, "dashboard, May 2019")
    assert page.console_errors == []


def test_channel_counts_page_says_its_period_and_is_axe_clean(
    new_page: Callable[[], Any], live_server: LiveServer
) -> None:
    page = new_page()
    sign_in(page, live_server.seeded.users["analyst"])
    page.goto("/contact/channels")
    expect(page.get_by_test_id("period-shown")).to_contain_text("Showing")
    assert_axe_clean(page, "channel counts")
