"""On a problem-solving case, a Community Protection Warning to the case's offender, then a
Notice refused while the warning's time runs and issued once it has passed, its letter
downloaded as a PDF and read back, in Chromium; axe-core on every step and a screenshot of
each (docs/images/powers-*.png are copies)."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

from browserkit import LiveServer, assert_axe_clean, sign_in
from playwright.sync_api import expect
from pypdf import PdfReader

from asbhub.store.engine import make_engine
from caseseed import Area, offender_case

# Away from the other browser tests' places and people, on the same live server.
CHELMSFORD = Area(0.4690, 51.7360, "E07000070", "Chelmsford", "chelmsford-council")
OFFENDER = ("Fabricius", "Inventorley")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"powers-{name}.png"), full_page=True)
    assert_axe_clean(page, name)


def issue_on(page: Any, day: dt.date, time: str = "10:00") -> None:
    form = page.get_by_test_id("issue-form")
    form.get_by_label("Date").fill(day.isoformat())
    form.get_by_label("Time").fill(time)
    form.get_by_role("button", name="Issue the").click()


def case_with_offender(live_server: LiveServer) -> int:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    engine = make_engine(live_server.database_url)
    _, case_id = offender_case(
        engine,
        now,
        area=CHELMSFORD,
        prefix="PWR-",
        people=(("Imaginia", "Powersby"), OFFENDER),
        suspect_born=dt.date(1990, 5, 17),
    )
    engine.dispose()
    return case_id


def draft(page: Any, case_id: int, power: str, confirm: list[str], terms: str) -> None:
    page.goto(f"/cases/{case_id}")
    page.get_by_test_id("case-powers-link").click()
    expect(page.get_by_test_id("case-powers-heading")).to_be_visible()
    add = page.get_by_test_id("add-power")
    add.get_by_label(f"{' '.join(OFFENDER)} (offender on the case)").check()
    add.get_by_label("Power").select_option(label=power)
    add.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name=power)).to_be_visible()
    page.get_by_label("Rank (police officers)").select_option("constable")
    for text in confirm:
        page.get_by_label(text, exact=False).check()
    page.get_by_label("What must stop or be done").fill(terms)
    page.get_by_role("button", name="Save the draft").click()
    expect(page.get_by_test_id("state")).to_have_text("Draft")


def test_on_a_case_cpw_then_cpn_refused_too_early_issued_after_and_its_letter(
    page: Any, live_server: LiveServer
) -> None:
    case_id = case_with_offender(live_server)
    sign_in(page, "asb.t")
    warned = dt.date.today() - dt.timedelta(days=30)

    draft(
        page,
        case_id,
        "Community Protection Warning",
        ["The conduct has a detrimental effect", "The conduct is unreasonable"],
        "Stop playing amplified music in the garden after 11pm.",
    )
    shot(page, "cpw-draft")
    issue_on(page, warned)
    expect(page.get_by_test_id("state")).to_have_text("Issued")
    ends = warned + dt.timedelta(days=14)
    expect(page.get_by_test_id("ends")).to_contain_text(f"{ends:%d %b %Y}")
    expect(page.get_by_test_id("record-case")).to_have_text(re.compile(r"^SARA-"))
    shot(page, "cpw-issued")

    draft(
        page,
        case_id,
        "Community Protection Notice",
        [
            "The conduct has a detrimental effect",
            "The conduct is unreasonable",
            "The bodies or persons the issuer thinks appropriate",
        ],
        "Stop playing amplified music in the garden after 11pm.",
    )
    # Too early: the warning's 14 days have not passed.
    issue_on(page, warned + dt.timedelta(days=7))
    refusal = page.get_by_test_id("refusal")
    expect(refusal).to_be_visible()
    expect(page.get_by_test_id("refusal-reason")).to_contain_text("time to comply runs until")
    expect(page.get_by_test_id("refusal-section")).to_have_text("ASBCPA 2014 s.43(5)")
    expect(page.get_by_test_id("state")).to_have_text("Draft")
    shot(page, "cpn-refused")

    issued = warned + dt.timedelta(days=20)
    issue_on(page, issued)
    expect(page.get_by_test_id("state")).to_have_text("Issued")
    expect(page.get_by_test_id("deadlines")).to_contain_text("Last day to appeal")
    page.get_by_role("button", name="Produce the Community Protection Notice").click()
    expect(page.get_by_test_id("letter")).to_have_count(1)
    shot(page, "cpn-issued")

    with page.expect_download() as got:
        page.get_by_test_id("letter-pdf").click()
    pdf = Path(got.value.path()).read_bytes()
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    text = " ".join(text.split()).replace("s. ", "s.")  # a section may wrap after "s."
    assert "Community Protection Notice" in text
    assert "Stop playing amplified music in the garden after 11pm." in text
    assert "magistrates' court within 21 days" in text
    assert "ASBCPA 2014 s.46(1)" in text
    assert "ASBCPA 2014 s.48" in text
    assert "£20,000" in text
    assert "Citizens Advice" in text

    # Back on the case: both powers, and the filter (htmx) narrows them without a reload.
    page.get_by_test_id("case-powers-back").click()
    rows = page.get_by_test_id("case-powers").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Community Protection Notice")
    expect(rows.first).to_contain_text(" ".join(OFFENDER))
    page.get_by_label("Show").select_option(label="Drafts")
    expect(page.get_by_test_id("case-powers-none")).to_have_text(
        "There are no drafts on this case."
    )
    expect(page).to_have_url(re.compile(r"/cases/\d+/powers\?state=draft$"))
    page.get_by_label("Show").select_option(label="Powers in force")
    expect(rows).to_have_count(2)
    shot(page, "case-powers")


def test_the_deadlines_list_and_the_rules_table(page: Any, live_server: LiveServer) -> None:
    sign_in(page, live_server.seeded.users["admin"])
    page.goto("/powers/rules")
    expect(page.get_by_role("heading", name="Rules of the statutory powers")).to_be_visible()
    row = page.get_by_test_id("changes").locator("tr", has_text="Respect Orders")
    row.get_by_label("Effective date").fill("2026-08-01")
    row.get_by_label("Reason").fill("Commencement regulations (browser test)")
    row.get_by_role("button", name="Switch on").click()
    expect(page.get_by_test_id("in-force-cpa2026_respect_orders")).to_have_text("1 August 2026")
    shot(page, "rules-admin")
