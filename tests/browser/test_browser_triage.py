"""From a public online report in the queue to a stored decision, an assignment, attendance
and closure with a confirmed qualifier, in Chromium, with a screenshot at each step."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from browserkit import LiveServer, assert_axe_clean, sign_in
from playwright.sync_api import expect
from sqlalchemy import select

from asbhub.incidents.models import Incident, IncidentStatusChange
from asbhub.store.engine import make_engine, session_scope
from asbhub.triage.models import TriageAssessment

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def shot(page: Any, name: str) -> None:
    """A screenshot of the step, and axe-core on the page as it is then."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"triage-{name}.png"), full_page=True)
    assert_axe_clean(page, name)


def report_online(page: Any) -> str:
    page.goto("/report")
    page.get_by_label("Loud noise or music").check()
    page.get_by_label("Tell us what happened").fill(
        "Neighbours shouting and banging on my door every night (fictitious browser test)."
    )
    page.get_by_label("Address or description of the place").fill("3 Pretend Street, Colchester")
    page.get_by_label("Town or council area").select_option(label="Colchester")
    day = dt.date.today() - dt.timedelta(days=1)
    page.get_by_label("Day").fill(str(day.day))
    page.get_by_label("Month").fill(str(day.month))
    page.get_by_label("Year").fill(str(day.year))
    page.get_by_label("What time did it happen?").fill("22:30")
    page.locator("#ongoing").check()
    page.get_by_label("How is it affecting you?").fill("I cannot sleep and I am scared.")
    page.locator("#targeted-2").check()
    page.locator("#contact-2").check()  # anonymous
    page.get_by_label(re.compile("The information I have given is true")).check()
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("heading", name="Report sent")).to_be_visible()
    return str(page.locator("#reference").inner_text())


def test_online_report_to_closure(new_page: Any, live_server: LiveServer) -> None:
    reference = report_online(new_page())
    users = live_server.seeded.users

    handler = new_page()
    sign_in(handler, users["call_handler"])
    handler.goto("/contact/queue")
    row = handler.locator("[data-testid=new-reports] tr", has_text=reference)
    expect(row).to_contain_text("Online")
    shot(handler, "1-queue")
    row.get_by_role("link", name=re.compile("Triage")).click()
    handler.wait_for_url(re.compile(r"/incidents/\d+/triage$"))
    expect(handler.get_by_test_id("reference")).to_have_text(reference)

    # Keyboard first: answers are selects, so a focused question takes "y" for yes.
    handler.get_by_label("Has this happened to you before?").focus()
    handler.keyboard.press("y")
    handler.get_by_label("Victim's forename").fill("Canaria")
    handler.get_by_label("Victim's surname").fill("Fictitiousworth")
    handler.get_by_label("Address where it happened").fill("1 Pretend Street, Colchester")
    handler.get_by_label("Suspect's surname").press("Tab")
    for q in ("3", "8", "9"):
        handler.locator(f"#a_q{q}").select_option("yes")
    handler.locator("#t_harm").select_option("medium")
    handler.locator("#tn_harm").fill("frightened in her own home")
    # htmx fills the history panels and the decision preview as the fields change.
    expect(handler.get_by_test_id("risk-level")).to_contain_text("Medium (score 6 of 19)")
    expect(handler.get_by_test_id("repeat-victim")).to_contain_text("earlier in 3 months")
    expect(handler.get_by_test_id("outcome")).to_contain_text("Attend")
    shot(handler, "2-call-handler")

    handler.get_by_test_id("record").click()
    expect(handler.get_by_test_id("errors")).to_contain_text("single point of contact")
    assert_axe_clean(handler, "refused")
    # The refusal is a 422 page by design; Chromium logs that status as a console error.
    handler.console_errors.clear()
    handler.locator("#spoc").select_option(users["officer"])
    informed = handler.get_by_label("I have told the caller of the right to an ASB Case Review")
    informed.check()
    handler.get_by_test_id("record").click()
    handler.wait_for_url(re.compile(r"/incidents/\d+/life$"))
    incident_id = int(re.findall(r"/incidents/(\d+)/life", handler.url)[0])
    expect(handler.get_by_test_id("status")).to_have_text("triaged")
    expect(handler.get_by_test_id("decision-outcome")).to_contain_text("Attend")
    shot(handler, "3-decision")

    handler.locator("#assignee").select_option(users["officer"])
    handler.get_by_role("button", name="Assign").click()
    expect(handler.get_by_test_id("status")).to_have_text("assigned")
    assert handler.console_errors == []

    officer = new_page()
    sign_in(officer, users["officer"])
    officer.goto("/my-incidents")
    officer.get_by_role("link", name=reference).click()
    officer.wait_for_url(re.compile(r"/life$"))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    officer.locator("#attended_at").fill(now.strftime("%Y-%m-%dT%H:%M"))
    officer.get_by_role("button", name="Record attendance").click()
    expect(officer.get_by_test_id("history")).to_contain_text("attend")
    officer.locator("#closing_code").select_option("rowdy_nuisance_neighbours")
    officer.locator("#qualifier").select_option("personal")
    officer.get_by_label(re.compile("I confirm the qualifier")).check()
    officer.get_by_label("Closing rationale").fill("Warning given; SPOC follows up")
    officer.get_by_role("button", name="Close incident").click()
    expect(officer.get_by_test_id("status")).to_have_text("closed")
    expect(officer.get_by_test_id("history")).to_contain_text("qualifier personal")
    shot(officer, "4-closed")
    assert officer.console_errors == []

    engine = make_engine(live_server.database_url)
    try:
        with session_scope(engine) as s:
            incident = s.get(Incident, (incident_id, "essex"))
            assert incident is not None and incident.reference == reference
            assert incident.status.value == "closed" and incident.attended
            assert (
                incident.closing_code is not None
                and incident.closing_code.value == "rowdy_nuisance_neighbours"
            )
            a = s.execute(
                select(TriageAssessment).where(TriageAssessment.incident_id == incident_id)
            ).scalar_one()
            assert (a.risk_level.value, a.outcome, a.case_review_informed) == (
                "medium",
                "attend",
                True,
            )
            steps = s.execute(
                select(IncidentStatusChange.event, IncidentStatusChange.actor_name)
                .where(IncidentStatusChange.incident_id == incident_id)
                .order_by(IncidentStatusChange.id)
            ).all()
            # The first row is the "incident recorded" event's: how the report came in.
            assert [e for e, _ in steps] == ["record", "triage", "assign", "attend", "close"]
    finally:
        engine.dispose()
