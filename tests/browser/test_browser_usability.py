"""What a new user hit, in Chromium: a lost session during a filter and during a public report,
the contact queue's refresh and focus, and staff pages on a 390 px phone."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from browserkit import LiveServer, assert_axe_clean, settle, sign_in, track
from playwright.sync_api import expect

SignInAs = Callable[[Any, str], None]


def test_expired_session_during_a_filter_signs_in_and_comes_back(
    page: Any, live_server: LiveServer
) -> None:
    sign_in(page, live_server.seeded.users["officer"])
    page.goto("/incidents?channel=online")
    expect(page.get_by_test_id("incident-table")).to_be_visible()
    page.context.clear_cookies()  # the session has expired
    page.get_by_label("Policing district").select_option("Thurrock")
    # The whole window goes to the sign-in page, not the results panel.
    page.wait_for_url(re.compile(r"/login\?next="))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Sign in"))
    expect(page.locator("#results")).to_have_count(0)
    page.get_by_label("User name").fill(live_server.seeded.users["officer"])
    page.get_by_label("Password").fill("fictitious-password-1")
    page.get_by_role("button", name="Sign in").click()
    # Back on the list with the filter the user had just chosen.
    page.wait_for_url(re.compile(r"/incidents\?.*district=Thurrock"))
    assert "channel=online" in page.url
    districts = page.locator("[data-testid=incident-table] tbody tr td:nth-child(6)")
    assert set(districts.all_inner_texts()) == {"Thurrock"}
    page.console_errors.clear()  # the refused htmx request is a 401, which Chromium logs


def test_public_report_survives_a_lost_session(page: Any, live_server: LiveServer) -> None:
    page.goto("/report")
    page.get_by_label("Begging").check()
    page.get_by_label("Tell us what happened").fill("Someone begging by the cash machine (test).")
    page.get_by_label("Address or description of the place").fill("High Street, Witham")
    page.get_by_label("Town or council area").select_option(label="Braintree")
    day = dt.date.today() - dt.timedelta(days=1)
    page.get_by_label("Day").fill(str(day.day))
    page.get_by_label("Month").fill(str(day.month))
    page.get_by_label("Year").fill(str(day.year))
    page.get_by_label("What time did it happen?").fill("10:05")
    page.locator("#ongoing-2").check()
    page.locator("#targeted-2").check()
    page.locator("#contact-2").check()
    page.get_by_label(re.compile("The information I have given is true")).check()
    page.context.clear_cookies()  # the browser dropped the session cookie
    page.get_by_role("button", name="Send report").click()
    # The public's own page, not a staff "Not permitted" one; every answer is still there.
    expect(page.locator(".govuk-error-summary")).to_contain_text("send again")
    expect(page.get_by_role("link", name="Essex Police")).to_be_visible()
    expect(page.get_by_text("Sign in")).to_have_count(0)
    expect(page.get_by_label("Tell us what happened")).to_have_value(
        "Someone begging by the cash machine (test)."
    )
    expect(page.get_by_label("Begging")).to_be_checked()
    expect(page.get_by_label("What time did it happen?")).to_have_value("10:05")
    assert_axe_clean(page, "refused after a lost session")
    page.console_errors.clear()  # the refusal is a 403 document, which Chromium logs
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("heading", name="Report sent")).to_be_visible()
    reference = page.locator("#reference").inner_text()
    page.reload()  # a refresh keeps the reference on screen
    expect(page.locator("#reference")).to_have_text(reference)
    assert page.console_errors == []


def test_queue_refresh_keeps_focus_and_announces_new_reports(
    new_page: Callable[[], Any], live_server: LiveServer
) -> None:
    handler = new_page()
    # The page's timers run on a clock the test can move on: the 10 s poll is then fired by
    # jumping ahead, not waited for.
    handler.clock.install()
    sign_in(handler, live_server.seeded.users["call_handler"])
    handler.goto("/contact/queue")
    link = handler.locator("[data-testid=new-reports] a").first
    link.focus()
    focused = link.get_attribute("id")
    assert focused
    expect(handler.get_by_test_id("queue-news")).to_have_text("")

    public = new_page()  # a new online report arrives
    public.goto("/chat")
    public.get_by_label(re.compile("What should we call you")).fill("Queue Tester")
    public.get_by_role("button", name="Start chat").click()
    public.wait_for_url(re.compile(r"/chat/[\w-]{40,}$"))

    with handler.expect_response(re.compile(r"/contact/queue$")):
        handler.clock.fast_forward("00:10")  # the list refreshes itself every 10 s
    expect(handler.get_by_test_id("queue-news")).to_have_text("1 new chat waiting.")
    assert handler.evaluate("document.activeElement.id") == focused
    assert handler.evaluate("window.scrollY") == 0
    assert_axe_clean(handler, "after a refresh")
    assert handler.console_errors == []


NARROW_PAGES = [
    ("supervisor", "/"),
    ("supervisor", "/incidents?channel=emergency"),
    ("supervisor", "/search?q=Zzyzxbury"),
    ("supervisor", "/contact/queue"),
    ("supervisor", "/contact/channels"),
    ("officer", "/incidents/{incident}"),
    ("partner", "/incidents?channel=online"),
    ("public", "/report"),
    ("public", "/chat"),
    ("public", "/login"),
]


@pytest.mark.parametrize(("role", "path"), NARROW_PAGES)
def test_no_sideways_scroll_at_390px(
    browser: Any, live_server: LiveServer, role: str, path: str
) -> None:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    try:
        page = track(context.new_page())
        if role != "public":
            sign_in(page, live_server.seeded.users[role])
        page.goto(path.format(incident=live_server.seeded.incident_ids[0]))
        settle(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide at 390 px"
        # Every link of the header is on screen, not cut off at the right edge.
        for box in page.locator("header a, header button").evaluate_all(
            "els => els.map(e => e.getBoundingClientRect().right)"
        ):
            assert box <= 390
    finally:
        context.close()


def test_admin_adds_a_user_and_finds_it_in_the_audit_log(
    page: Any, live_server: LiveServer
) -> None:
    sign_in(page, live_server.seeded.users["admin"])
    page.get_by_role("link", name="Accounts").click()
    page.get_by_role("button", name="Add an account").click()
    page.get_by_role("button", name="Add account").click()  # nothing filled in
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Select a role")
    assert_axe_clean(page, "add account, with errors")
    page.console_errors.clear()  # the refused form is a 422 document
    page.get_by_label("User name").fill("fiona.fictional")
    page.get_by_label("Full name").fill("Fiona Fictional")
    page.get_by_label("First password").fill("a-fictitious-password")
    page.get_by_label("Partner", exact=True).check()
    page.get_by_label("Partner agency").select_option(label="Thurrock Council")
    page.get_by_role("button", name="Add account").click()
    expect(page.get_by_test_id("done")).to_have_text("Account added.")
    expect(page.get_by_test_id("account")).to_contain_text("Thurrock Council")
    assert_axe_clean(page, "account added")

    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("What").fill("user:create")
    page.get_by_label("Who").fill("Test Admin")
    page.get_by_role("button", name="Search the log").click()
    rows = page.get_by_test_id("audit-table").locator("tbody tr")
    expect(rows.first).to_contain_text("auth:user:create")
    expect(rows.first).to_contain_text("Test Admin")
    expect(page.get_by_test_id("audit-count")).to_contain_text("1 event")
    assert_axe_clean(page, "audit search results")
    with page.expect_download() as download:
        page.get_by_test_id("audit-csv").click()
    text = Path(download.value.path()).read_text()
    assert "auth:user:create" in text and text.count("\n") == 2  # header and the one event
    assert page.console_errors == []
