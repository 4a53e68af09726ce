"""The powers screens through HTTP, without JavaScript: a person's powers, a CPW drafted and
issued, a CPN refused with its reason and section then issued, its letter (HTML and PDF) kept
and audited, the deadlines list, and the rules table read-only for staff and editable (audited)
by an administrator."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable

from pypdf import PdfReader
from sqlalchemy import Engine, select
from starlette.testclient import TestClient
from webseed import Seeded, csrf_of

from asbhub.audit.models import AuditEvent
from asbhub.store.engine import session_scope

CPW_PRE = ["detrimental_persistent_effect", "conduct_unreasonable"]


def post(c: TestClient, path: str, data: dict[str, object], page: str) -> object:
    return c.post(path, data={**data, "csrf_token": csrf_of(c, page)}, follow_redirects=False)


def new_record(c: TestClient, person: int, power: str, confirmed: list[str], **extra: str) -> int:
    page = f"/powers/new?power={power}&person_id={person}"
    r = c.get(page)
    assert r.status_code == 200 and 'data-testid="power-form"' in r.text
    data: dict[str, object] = {
        "power": power,
        "person_id": str(person),
        "subject_type": "individual",
        "issuer": "police",
        "issuer_rank": "constable",
        "confirmed": confirmed,
        "terms": "Stop revving engines outside number 4 at night.",
        **extra,
    }
    r = post(c, "/powers/new", data, page)
    assert r.status_code == 303, r.text  # type: ignore[attr-defined]
    return int(r.headers["location"].rsplit("/", 1)[1])  # type: ignore[attr-defined]


def issue(c: TestClient, record: int, day: dt.date) -> object:
    page = f"/powers/{record}"
    return post(c, f"{page}/issue", {"at_date": day.isoformat(), "at_time": "10:00"}, page)


def test_cpw_then_cpn_refused_then_issued_with_its_letter(
    client_as: Callable[[str], TestClient], seeded: Seeded, engine: Engine
) -> None:
    officer = client_as("asb_officer")
    person = seeded.person_ids[2]
    r = officer.get(f"/people/{person}/powers")
    assert r.status_code == 200 and "No powers have been given" in r.text
    warned = dt.date.today() - dt.timedelta(days=40)
    cpw = new_record(officer, person, "CPW", CPW_PRE)
    assert issue(officer, cpw, warned).status_code == 303  # type: ignore[attr-defined]
    cpn = new_record(officer, person, "CPN", [*CPW_PRE, "inform_relevant_bodies"])
    r = issue(officer, cpn, warned + dt.timedelta(days=3))
    assert r.status_code == 409  # type: ignore[attr-defined]
    assert 'data-testid="refusal"' in r.text  # type: ignore[attr-defined]
    assert "time to comply runs until" in r.text and "ASBCPA 2014 s.43(5)" in r.text  # type: ignore[attr-defined]
    assert issue(officer, cpn, warned + dt.timedelta(days=15)).status_code == 303  # type: ignore[attr-defined]
    page = officer.get(f"/powers/{cpn}")
    assert 'data-testid="state">Issued' in page.text and "Last day to appeal" in page.text
    r = post(officer, f"/powers/{cpn}/letters", {}, f"/powers/{cpn}")
    assert r.status_code == 303  # type: ignore[attr-defined]
    page = officer.get(f"/powers/{cpn}")
    letter = int(re.search(r"/powers/letters/(\d+)\.pdf", page.text).group(1))  # type: ignore[union-attr]
    pdf = officer.get(f"/powers/letters/{letter}.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages).split()
    )
    assert "Community Protection Notice" in text and "ASBCPA 2014 s.46(1)" in text
    assert "Stop revving engines outside number 4 at night." in text
    html = officer.get(f"/powers/letters/{letter}.html")
    assert html.status_code == 200 and "<h1>Community Protection Notice</h1>" in html.text
    # A partner or an analyst may not open it; a wrong id is not found.
    assert client_as("analyst").get(f"/powers/letters/{letter}.pdf").status_code == 403
    assert officer.get("/powers/letters/999999.pdf").status_code == 404
    with session_scope(engine) as s:
        events = [
            e.event
            for e in s.execute(
                select(AuditEvent).where(AuditEvent.event.like("powers:%"))
            ).scalars()
        ]
    for name in (
        "powers:record:create",
        "powers:record:issue",
        "powers:letter:issue",
        "powers:letter:view",
        "powers:record:view",
        "powers:record:list",
    ):
        assert name in events, name


def test_a_bad_form_is_refused_naming_the_field(
    client_as: Callable[[str], TestClient], seeded: Seeded
) -> None:
    officer = client_as("asb_officer")
    person = seeded.person_ids[1]
    page = f"/powers/new?power=CPW&person_id={person}"
    officer.get(page)
    r = post(
        officer,
        "/powers/new",
        {"power": "CPW", "person_id": str(person), "subject_type": "individual", "issuer": "mayor"},
        page,
    )
    assert r.status_code == 422 and "There is a problem" in r.text  # type: ignore[attr-defined]
    cpw = new_record(officer, person, "CPW", CPW_PRE)
    r = post(officer, f"/powers/{cpw}/issue", {"at_date": "31/02/2026"}, f"/powers/{cpw}")
    assert r.status_code == 422 and "date" in r.text  # type: ignore[attr-defined]
    future = dt.date.today() + dt.timedelta(days=3)
    assert issue(officer, cpw, future).status_code == 422  # type: ignore[attr-defined]


def test_the_rules_table_read_only_for_staff_and_edited_by_an_administrator(
    client_as: Callable[[str], TestClient], engine: Engine
) -> None:
    officer, admin = client_as("officer"), client_as("admin")
    r = officer.get("/powers/rules")
    assert r.status_code == 200 and "Closure notice" in r.text and "Switch on" not in r.text
    page = "/powers/rules"
    r = post(
        officer,
        "/powers/rules/changes/cpa2026_dispersal_72h",
        {"in_force": "2026-06-29", "reason": "x"},
        page,
    )
    assert r.status_code == 403  # type: ignore[attr-defined]
    r = admin.get(page)
    assert "Switch on" in r.text
    r = post(
        admin,
        "/powers/rules/changes/cpa2026_dispersal_72h",
        {"in_force": "2026-06-29", "reason": "Commencement order", "switch": "on"},
        page,
    )
    assert r.status_code == 303  # type: ignore[attr-defined]
    r = admin.get(page)
    assert 'data-testid="in-force-cpa2026_dispersal_72h">29 June 2026' in r.text
    r = post(
        admin,
        "/powers/rules/config/cpw_compliance_days",
        {"value": "200", "effective_from": "2026-09-01", "reason": "x"},
        page,
    )
    assert r.status_code == 422 and "outside 1-90" in r.text  # type: ignore[attr-defined]
    r = post(
        admin, "/powers/rules/changes/cpa2026_fpn_500", {"in_force": "soon", "reason": "x"}, page
    )
    assert r.status_code == 422  # type: ignore[attr-defined]
    with session_scope(engine) as s:
        updates = (
            s.execute(select(AuditEvent).where(AuditEvent.event == "powers:rules:update"))
            .scalars()
            .all()
        )
    assert len(updates) == 1 and updates[0].object_id == "change:cpa2026_dispersal_72h"


def test_the_deadlines_list(client_as: Callable[[str], TestClient]) -> None:
    sup = client_as("supervisor")
    r = sup.get("/powers/deadlines")
    assert r.status_code == 200 and "Deadlines of statutory powers" in r.text
    assert client_as("analyst").get("/powers/deadlines").status_code == 403


def pdf_text(c: TestClient, record: int) -> str:
    r = post(c, f"/powers/{record}/letters", {}, f"/powers/{record}")
    assert r.status_code == 303, r.text  # type: ignore[attr-defined]
    page = c.get(f"/powers/{record}")
    letter = re.findall(r"/powers/letters/(\d+)\.pdf", page.text)[-1]
    data = c.get(f"/powers/letters/{letter}.pdf").content
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())
    return text.replace("s. ", "s.")  # a section may wrap after its "s."


def test_the_other_letters_say_what_the_act_requires(
    client_as: Callable[[str], TestClient], seeded: Seeded
) -> None:
    officer, admin = client_as("asb_officer"), client_as("admin")
    person = seeded.person_ids[0]
    yesterday = dt.date.today() - dt.timedelta(days=1)
    cpw = new_record(officer, person, "CPW", CPW_PRE)
    assert issue(officer, cpw, yesterday).status_code == 303  # type: ignore[attr-defined]
    text = pdf_text(officer, cpw)
    assert "Community Protection Warning" in text and "There is no appeal" in text
    assert "Community Protection Notice may be issued" in text

    page = "/powers/new?power=CLOSURE_NOTICE"
    officer.get(page)
    r = post(
        officer,
        "/powers/new",
        {
            "power": "CLOSURE_NOTICE",
            "subject_type": "premises",
            "place_text": "Flat 9, Imaginary House, Basildon",
            "issuer": "police",
            "issuer_rank": "inspector",
            "confirmed": [
                "nuisance_or_disorder",
                "necessary_to_prevent",
                "consult_appropriate",
                "inform_residents",
            ],
        },
        page,
    )
    assert r.status_code == 303, r.text  # type: ignore[attr-defined]
    notice = int(r.headers["location"].rsplit("/", 1)[1])  # type: ignore[attr-defined]
    assert issue(officer, notice, yesterday).status_code == 303  # type: ignore[attr-defined]
    text = pdf_text(officer, notice)
    assert "Closure notice" in text and "Flat 9, Imaginary House, Basildon" in text
    assert "must be heard by" in text and "ASBCPA 2014 s.80(3)-(4)" in text
    assert "ASBCPA 2014 s.86(1)" in text and "Shelter" in text

    rules_page = "/powers/rules"
    admin.get(rules_page)
    r = post(
        admin,
        "/powers/rules/changes/cpa2026_respect_orders",
        {"in_force": "2026-08-01", "reason": "Commencement", "switch": "on"},
        rules_page,
    )
    assert r.status_code == 303  # type: ignore[attr-defined]
    respect = new_record(
        officer,
        person,
        "RESPECT_ORDER",
        ["asb_HAD_limb", "just_and_convenient", "applicant_risk_assessment"],
        issuer="council",
        period_n="2",
        period_unit="years",
    )
    text = pdf_text(officer, respect)  # the application is made before the order
    assert "Application for a Respect Order" in text and "risk assessment" in text
    assert "For 2 years" in text and "criminal offence" in text
