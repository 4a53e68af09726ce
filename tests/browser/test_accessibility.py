"""axe-core on every public and staff page, in each state a user meets it (blank, with errors,
after sending, a chat waiting and ended): no violation at WCAG 2.0/2.1 A and AA, WCAG 2.2 AA or
axe's best practices. One signed-in context per role is shared by the whole module."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pyotp
import pytest
from browserkit import LiveServer, assert_axe_clean, settle, sign_in, track
from playwright.sync_api import expect

from asbhub.auth.service import add_user
from asbhub.store.engine import make_engine, session_scope
from functional.web.webseed import PASSWORD

Pages = Callable[[str], Any]


@pytest.fixture(scope="module")
def as_role(browser: Any, live_server: LiveServer) -> Iterator[Pages]:
    """``as_role("officer")``: a page signed in as that role (``"public"``: not signed in)."""
    contexts: dict[str, Any] = {}
    pages: dict[str, Any] = {}

    def get(role: str) -> Any:
        if role not in pages:
            context = browser.new_context(
                base_url=live_server.url, viewport={"width": 1280, "height": 900}
            )
            context.set_default_timeout(15_000)
            contexts[role] = context
            pages[role] = track(context.new_page())
            if role != "public":
                sign_in(pages[role], live_server.seeded.users[role])
        return pages[role]

    yield get
    for context in contexts.values():
        context.close()


def _paths(s: LiveServer) -> dict[str, str]:
    return {
        "incident": str(s.seeded.incident_ids[0]),
        "person": str(s.seeded.person_ids[0]),
        "location": str(s.seeded.location_ids[0]),
        "case_review": str(s.seeded.case_review_ids[0]),
        "referral": str(s.seeded.referral_ids[0]),
    }


# The list's counts are cached for a minute per scope and filters, and other modules compare
# the unfiltered count with the database after adding reports: this module asks for filtered
# lists only, so it never leaves them a stale count.
STAFF_PAGES = [
    ("supervisor", "/"),
    ("supervisor", "/incidents?channel=emergency"),
    ("supervisor", "/incidents?district=Colchester&covid=true"),
    ("supervisor", "/incidents/count?channel=emergency"),
    ("supervisor", "/incidents/{incident}"),
    ("supervisor", "/search"),
    ("supervisor", "/search?q=Zzyzxbury"),
    ("supervisor", "/search?q=ESX-TEST"),
    ("supervisor", "/people/{person}"),
    ("supervisor", "/locations/{location}"),
    ("supervisor", "/near?lon=0.458&lat=51.576&radius=200"),
    ("supervisor", "/contact/queue"),
    ("supervisor", "/contact/channels"),
    ("supervisor", "/purpose"),
    ("supervisor", "/no-such-page"),
    ("supervisor", "/incidents?date_from=2021-1"),
    ("partner", "/"),
    ("partner", "/incidents?channel=emergency"),
    ("partner", "/incidents/{incident}"),
    ("analyst", "/"),
    ("analyst", "/contact/channels"),
    ("admin", "/"),
    ("admin", "/admin/users"),
    ("admin", "/admin/users/new"),
    ("admin", "/admin/users/1"),
    ("admin", "/audit"),
    ("supervisor", "/audit?what=login"),
    ("supervisor", "/audit?date_from=2026-03-01&date_to=2026-02-01"),
    ("call_handler", "/contact/queue"),
    ("call_handler", "/incidents/{incident}/triage"),
    ("supervisor", "/incidents/{incident}/life"),
    ("supervisor", "/triage/reviews"),
    ("officer", "/my-incidents"),
    ("asb_officer", "/case-reviews"),
    ("asb_officer", "/case-reviews/new"),
    ("asb_officer", "/case-reviews/{case_review}"),
    ("asb_officer", "/case-reviews/table?from=2020-04-01&to=2021-03-31"),
    ("asb_officer", "/case-reviews/table?from=2021-04-01&to=2021-03-31"),
    ("partner", "/case-reviews/{case_review}"),
    ("officer", "/restorative"),
    ("officer", "/restorative/new"),
    ("officer", "/restorative/{referral}"),
    ("partner", "/restorative/{referral}"),
    ("supervisor", "/people/{person}/subject-access"),
    ("supervisor", "/audit?case=case_review:{case_review}&agency=Basildon"),
    ("supervisor", "/cases"),
    ("supervisor", "/cases?stage=closed"),
    ("supervisor", "/cases/new"),
    ("supervisor", "/cases/overrides"),
    ("partner", "/cases"),
    ("partner", "/referrals"),
    ("asb_officer", "/recording"),
    ("supervisor", "/recording?status=all&min_confidence=0.9"),
    ("asb_officer", "/people/{person}/powers"),
    ("asb_officer", "/powers/new?power=CPN&person_id={person}"),
    ("asb_officer", "/powers/new?power=CLOSURE_NOTICE"),
    ("asb_officer", "/powers/new?power=CBO&person_id={person}"),
    ("supervisor", "/powers/deadlines"),
    ("officer", "/powers/rules"),
    ("admin", "/powers/rules"),
]


@pytest.mark.parametrize(("role", "path"), STAFF_PAGES)
def test_staff_page(as_role: Pages, live_server: LiveServer, role: str, path: str) -> None:
    page = as_role(role)
    page.goto(path.format(**_paths(live_server)))
    settle(page)
    assert_axe_clean(page, f"as {role}")


def test_case_review_forms_with_errors(as_role: Pages, live_server: LiveServer) -> None:
    page = as_role("asb_officer")
    page.goto("/case-reviews/new")
    page.get_by_label("Someone on the victim's behalf, with their consent").check()
    page.get_by_role("button", name="Record application").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_axe_clean(page, "application with errors")
    page.goto(f"/case-reviews/{_paths(live_server)['case_review']}")
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_axe_clean(page, "decision with errors")
    page = as_role("officer")
    page.goto(f"/restorative/{_paths(live_server)['referral']}")
    page.get_by_role("button", name="Record plan").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_axe_clean(page, "referral plan with errors")


# Every state of the hotspot pages: the newest month, a later page of one district's places, a
# month the records do not reach and one that is not a month, the patrol plan short and long.
HOTSPOT_PAGES = [
    "/hotspots",
    "/hotspots?district=Colchester&page=2",
    "/hotspots?month=2026-11",
    "/hotspots?month=soon&district=Colchester",
    "/hotspots/patrol?district=Colchester",
    "/hotspots/patrol?district=Colchester&cells=60",
    "/hotspots/patrol?district=Colchester&month=2026-11",
]


@pytest.mark.parametrize("path", HOTSPOT_PAGES)
def test_hotspot_page(as_role: Pages, public_records: None, path: str) -> None:
    page = as_role("officer")
    page.goto(path, timeout=90_000)  # a month not yet in the cache is computed first
    settle(page)
    assert_axe_clean(page, "as officer")


def test_sign_in_page_blank_and_with_errors(as_role: Pages) -> None:
    page = as_role("public")
    page.goto("/login")
    assert_axe_clean(page, "blank")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_axe_clean(page, "with errors")


def test_public_report_blank_with_errors_and_sent(as_role: Pages) -> None:
    page = as_role("public")
    page.goto("/report")
    settle(page)
    assert_axe_clean(page, "blank")
    page.locator("#contact").check()  # revealed follow-up questions
    page.locator("#targeted").check()
    assert_axe_clean(page, "follow-up questions shown")
    page.get_by_role("button", name="Send report").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_axe_clean(page, "with errors")
    page.goto("/report")
    page.get_by_label("Loud noise or music").check()
    page.get_by_label("Tell us what happened").fill("Music until 4am (fictitious, axe test).")
    page.get_by_label("Address or description of the place").fill("Nowhere Flats, Basildon")
    page.get_by_label("Town or council area").select_option(label="Basildon")
    page.get_by_label("Day").fill("1")
    page.get_by_label("Month").fill("3")
    page.get_by_label("Year").fill("2026")
    page.get_by_label("What time did it happen?").fill("21:15")
    page.locator("#ongoing-2").check()
    page.get_by_label(re.compile("How is it affecting you")).fill("No sleep.")
    page.locator("#targeted-2").check()
    page.locator("#contact-2").check()
    page.get_by_label(re.compile("The information I have given is true")).check()
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("heading", name="Report sent")).to_be_visible()
    assert_axe_clean(page, "sent")


def test_chat_pages_waiting_and_ended(as_role: Pages) -> None:
    public = as_role("public")
    public.goto("/chat")
    assert_axe_clean(public, "blank")
    public.get_by_label(re.compile("What should we call you")).fill("Axe Tester")
    public.get_by_label(re.compile("What would you like to talk about")).fill(
        "Noise from a car park (fictitious axe test)"
    )
    public.get_by_role("button", name="Start chat").click()
    public.wait_for_url(re.compile(r"/chat/[\w-]{40,}$"))
    expect(public.locator("#chat-log")).to_have_attribute("data-connected", "1")
    assert_axe_clean(public, "waiting")
    chat_url = public.url

    handler = as_role("call_handler")
    handler.goto("/contact/queue")
    handler.get_by_role("button", name=re.compile(r"^Take chat \d+$")).last.click()
    handler.wait_for_url(re.compile(r"/contact/chats/\d+$"))
    expect(handler.locator("#chat-log")).to_have_attribute("data-connected", "1")
    assert_axe_clean(handler, "chat in progress")
    expect(public.locator("#chat-status")).to_contain_text("You are chatting with")
    assert_axe_clean(public, "chatting")

    # Enough lines that the log scrolls: a scrolling region must be reachable by keyboard.
    for n in range(12):
        handler.get_by_label("Your reply").fill(f"Line {n} of a long answer (fictitious).")
        handler.get_by_label("Your reply").press("Enter")
    expect(public.locator(".essex-chat__msg--handler")).to_have_count(12)
    assert public.evaluate(
        "() => { const l = document.getElementById('chat-log');"
        " return l.scrollHeight > l.clientHeight; }"
    )
    public.get_by_role("button", name="End chat").click()
    expect(public.locator("#chat-status")).to_have_text("This chat has ended.")
    assert_axe_clean(public, "ended")
    public.goto(chat_url)
    assert_axe_clean(public, "ended, reloaded")
    handler.reload()
    settle(handler)
    assert_axe_clean(handler, "chat ended")


def _new_staff(live_server: LiveServer, username: str) -> None:
    """An officer account that needs a second factor (the seeded ones are demo accounts)."""
    engine = make_engine(live_server.database_url)
    with session_scope(engine) as s:
        add_user(s, username=username, password=PASSWORD, role="officer", force_code="essex")
    engine.dispose()


def test_second_factor_enrolment_and_sign_in(
    browser: Any, live_server: LiveServer, new_page: Callable[[], Any]
) -> None:
    """Issue 14.2 in a browser, by keyboard: password, the QR code page (and its error), the
    recovery codes shown once, then a later sign-in with a code (and its error); each page
    axe-clean, and the account's pages reached only at the end."""
    _new_staff(live_server, "axe.officer")
    page = new_page()
    sign_in(page, "axe.officer")
    expect(page).to_have_url(re.compile("/login/enrol$"))
    expect(page.get_by_role("img", name=re.compile("QR code to add axe.officer"))).to_be_visible()
    assert_axe_clean(page, "enrolment")
    secret = page.get_by_test_id("secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code from your app").fill("12")
    page.get_by_label("Code from your app").press("Enter")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_axe_clean(page, "enrolment with errors")
    step = int(time.time()) // 30
    page.get_by_label("Code from your app").fill(totp.generate_otp(step))
    page.get_by_label("Code from your app").press("Enter")
    expect(page.get_by_role("heading", name="Sign-in codes set up")).to_be_visible()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    assert_axe_clean(page, "recovery codes")
    page.get_by_role("link", name=re.compile("continue")).click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "axe.officer")
    expect(page).to_have_url(re.compile("/login/code$"))
    assert_axe_clean(page, "code")
    field = page.get_by_label("Code from your app, or a recovery code")
    field.fill(totp.generate_otp(step))  # the one typed at enrolment: a replay
    field.press("Enter")
    expect(page.locator(".govuk-error-summary")).to_contain_text("used already")
    assert_axe_clean(page, "code with errors")
    page.get_by_label("Code from your app, or a recovery code").fill(totp.generate_otp(step + 1))
    page.get_by_label("Code from your app, or a recovery code").press("Enter")
    expect(page).to_have_url(re.compile("/$"))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
