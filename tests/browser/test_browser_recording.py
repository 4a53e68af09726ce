"""The recording audit's worklist in Chromium: open it, re-classify a flagged incident, see the
change and its reason in the incident's history and the incident offered to triage."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from browserkit import LiveServer, assert_axe_clean, sign_in
from playwright.sync_api import expect

from asbhub.incidents.models import Channel, Incident, IncidentStatus, IncidentType, Qualifier
from asbhub.permissions import Actor, Role
from asbhub.recording import rules, service
from asbhub.store.engine import make_engine, session_scope

START = dt.datetime(2019, 1, 2, 10)
# (type, qualifier, narrative): the audit's own incidents, in a month no other test reads.
KINDS = [
    (IncidentType.ROWDY_INCONSIDERATE, Qualifier.NUISANCE, "Youths shouting in the park."),
    (
        IncidentType.LITTERING_DRUGS_PARAPHERNALIA,
        Qualifier.ENVIRONMENTAL,
        "Fly-tipping in the lane.",
    ),
    (IncidentType.MALICIOUS_COMMUNICATIONS, Qualifier.PERSONAL, "Abusive messages aimed at her."),
]
TARGET = "My neighbour keeps shouting at me and my children (fictitious browser test)."


@pytest.fixture(scope="module")
def audited(live_server: LiveServer) -> str:
    """Forty-odd fictitious incidents of January 2019, one personal recorded as nuisance, and
    the audit run over that month; returns the misrecorded incident's reference."""
    engine = make_engine(live_server.database_url)
    with session_scope(engine) as s:
        for n in range(45):
            itype, q, text = KINDS[n % 3]
            s.add(
                Incident(
                    force_code="essex",
                    reference=f"ESX-REC-{n:04d}",
                    received_at=START + dt.timedelta(hours=9 * n),
                    channel=Channel.NON_EMERGENCY,
                    opening_code=itype,
                    closing_code=itype,
                    qualifier=q,
                    narrative=text,
                    district="Colchester",
                    local_authority_code="E07000071",
                    status=IncidentStatus.CLOSED,
                )
            )
        s.add(
            Incident(
                force_code="essex",
                reference="ESX-REC-MIS",
                received_at=START + dt.timedelta(days=20),
                channel=Channel.NON_EMERGENCY,
                opening_code=IncidentType.ROWDY_NUISANCE_NEIGHBOURS,
                closing_code=IncidentType.ROWDY_NUISANCE_NEIGHBOURS,
                qualifier=Qualifier.NUISANCE,
                narrative=TARGET,
                district="Colchester",
                local_authority_code="E07000071",
                status=IncidentStatus.CLOSED,
            )
        )
    with session_scope(engine) as s:
        analyst = Actor(
            0, "cli", "command line (recording audit)", Role.ANALYST, force_code="essex"
        )
        service.run(
            s,
            actor=analyst,
            start=dt.date(2019, 1, 1),
            end=dt.date(2019, 1, 31),
            rules=rules.load(),
        )
    engine.dispose()
    return "ESX-REC-MIS"


def test_reclassify_from_the_worklist(new_page: Any, live_server: LiveServer, audited: str) -> None:
    page = new_page()
    sign_in(page, live_server.seeded.users["asb_officer"])
    page.goto("/recording")
    expect(page.get_by_test_id("run")).to_contain_text("flagged")
    assert_axe_clean(page, "worklist")
    page.get_by_label("Reason").select_option("narrative_names_target")
    page.get_by_role("button", name="Filter").click()
    row = page.locator("[data-testid=worklist] tr", has_text=audited)
    expect(row).to_contain_text("personal")
    row.get_by_role("link", name=audited).click()
    page.wait_for_url(re.compile(r"/recording/flags/\d+$"))
    expect(page.get_by_test_id("suggested")).to_contain_text("personal")
    expect(page.get_by_test_id("drivers")).to_be_visible()
    assert_axe_clean(page, "flag")
    page.get_by_label("Reason for the change").fill("Caller names her household as the target")
    page.get_by_role("button", name="Re-classify").click()
    page.wait_for_url(re.compile(r"/incidents/\d+/life$"))
    history = page.get_by_test_id("history")
    expect(history).to_contain_text("reclassify")
    expect(history).to_contain_text("Caller names her household as the target")
    expect(page.get_by_test_id("reclassified-qualifier")).to_contain_text("nuisance → personal")
    offer = page.get_by_test_id("triage-offer")
    expect(offer).to_contain_text("offered to triage")
    expect(offer.get_by_role("link")).to_have_attribute("href", re.compile(r"/triage$"))
    assert_axe_clean(page, "life after re-classification")
    page.goto("/recording")
    expect(page.get_by_test_id("offers")).to_contain_text(audited)
