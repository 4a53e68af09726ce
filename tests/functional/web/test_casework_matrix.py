"""The casework permission matrix, generated from the live app's routes.

Every casework route (screens and API) is called by every role, and by partners of agencies in
every agreement state, against one case; each call must be allowed or refused as the policy
says, each allowed read must show exactly the data classes the policy grants (the victim's
name only with personal details) and leave an audit row naming the people it showed. The table
of expectations below is written out by hand, not computed by the policy under test.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient
from webseed import FAST_HASHER, csrf_of, sign_in

from asbhub.agencies import service as agencies
from asbhub.audit.models import AuditEvent
from asbhub.casework import service
from asbhub.casework.rules import shipped
from asbhub.casework.schemas import ActionIn, FromTriageIn, ShareIn
from asbhub.permissions import Role
from asbhub.store.engine import make_engine, session_scope
from asbhub.web.app import create_app
from caseseed import HOUSING, PASSWORD, VICTIM, CaseWorld, actor_of, build, user

ALL = ["case_notes", "incident_summary", "personal_details", "risk_assessment"]
NOW = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
TODAY = NOW.date()
BIG = 2**31 - 1

# Who calls: the police roles (all of the force, which owns the case) and partners of
# agencies in each agreement state with the force. For each: the data classes it must see on
# the case, or None when it must not know the case exists.
CALLERS: dict[str, dict[str, Any]] = {
    "call_handler": {"role": Role.CALL_HANDLER, "classes": ALL},
    "officer": {"role": Role.OFFICER, "classes": ALL},
    "asb_officer": {"role": Role.ASB_OFFICER, "classes": ALL},
    "supervisor": {"role": Role.SUPERVISOR, "classes": ALL},
    "analyst": {"role": Role.ANALYST, "classes": ["incident_summary"]},
    "admin": {"role": Role.ADMIN, "classes": None, "no_view_grant": True},
    # shared, agreement in force (summary, personal details, case notes)
    "partner_active": {
        "role": Role.PARTNER,
        "agency": HOUSING,
        "classes": ["case_notes", "incident_summary", "personal_details"],
    },
    # shared while its agreement was in force; the agreement ended yesterday
    "partner_lapsed": {
        "role": Role.PARTNER,
        "agency": "lapsed-homes",
        "classes": ["incident_summary"],
    },
    # shared the summary only: there is no agreement, so nothing personal was shared
    "partner_none": {
        "role": Role.PARTNER,
        "agency": "no-isa-homes",
        "classes": ["incident_summary"],
    },
    # no agreement, personal details shared by emergency override (pending review)
    "partner_override": {
        "role": Role.PARTNER,
        "agency": "override-homes",
        "classes": ["incident_summary", "personal_details"],
    },
    # not shared, but the case is in its area: it exists, and whom to ask
    "partner_area": {"role": Role.PARTNER, "agency": "basildon-council", "classes": []},
    # not shared and outside its area: not found
    "partner_outside": {"role": Role.PARTNER, "agency": "thurrock-council", "classes": None},
}
GRANTS = {
    # what each caller's role is granted, written out (permissions.GRANTS must agree)
    "list": {"call_handler", "officer", "asb_officer", "supervisor", "analyst", "partner_*"},
    "create": {"officer", "asb_officer", "supervisor", "partner_*"},
    "update": {"officer", "asb_officer", "supervisor", "partner_*"},
    "share": {"officer", "asb_officer", "supervisor", "partner_*"},
    "override_review": {"supervisor"},
    "review_record": {"asb_officer", "supervisor"},
    "referrals": {"partner_*"},
    # the statutory powers on a case (powers:record:view): police who issue them
    "powers": {"officer", "asb_officer", "supervisor"},
}
OWNERS = {"call_handler", "officer", "asb_officer", "supervisor", "analyst"}


def granted(caller: str, what: str) -> bool:
    names = GRANTS[what]
    return caller in names or (caller.startswith("partner_") and "partner_*" in names)


@dataclass
class Matrix:
    app: FastAPI
    case_id: int
    action_id: int
    world: CaseWorld
    engine_url: str
    clients: dict[str, TestClient] = field(default_factory=dict)


def _setup(url: str) -> tuple[int, int, CaseWorld]:
    engine = make_engine(url)
    w = build(engine, NOW)
    past = TODAY - dt.timedelta(days=60)
    with session_scope(engine) as s:
        admin = actor_of(s, "admin.t")
        for code in ("lapsed-homes", "no-isa-homes", "override-homes"):
            agencies.add_agency(
                s,
                actor=admin,
                code=code,
                name=f"{code} (fictitious)",
                kind="housing",
                areas=["E07000066"],
            )
        agencies.add_agreement(
            s,
            actor=admin,
            reference="ISA-TEST-LAPSED",
            title="Lapsed",
            purpose="p",
            lawful_basis="uk-gdpr-6-1-e",
            data_classes=["incident_summary", "personal_details", "case_notes"],
            parties=["essex-police", "lapsed-homes"],
            starts_on=past - dt.timedelta(days=300),
            ends_on=TODAY - dt.timedelta(days=1),
            review_on=None,
        )
        for name, c in CALLERS.items():
            if c["role"] is Role.PARTNER:
                user(s, name, Role.PARTNER, c["agency"])
            else:
                user(s, name, c["role"])
    rules = shipped()
    with session_scope(engine) as s:
        asb = actor_of(s, "asb.t")
        case = service.open_from_triage(
            s,
            actor=asb,
            data=FromTriageIn(assessment_id=w.assessment_id, kind="victim"),
            rules=rules,
            now=NOW,
        )
        case_id = case.id
        three = ["incident_summary", "personal_details", "case_notes"]
        service.share(
            s,
            actor=asb,
            case_id=case_id,
            today=TODAY,
            data=ShareIn(agency_code=HOUSING, data_classes=three, purpose="p"),
        )
        service.share(
            s,
            actor=actor_of(s, "asb.t"),
            case_id=case_id,
            today=past,
            data=ShareIn(agency_code="lapsed-homes", data_classes=three, purpose="p"),
        )
        service.share(
            s,
            actor=asb,
            case_id=case_id,
            today=TODAY,
            data=ShareIn(
                agency_code="no-isa-homes", data_classes=["incident_summary"], purpose="p"
            ),
        )
        service.share(
            s,
            actor=asb,
            case_id=case_id,
            today=TODAY,
            data=ShareIn(
                agency_code="override-homes",
                data_classes=["incident_summary", "personal_details"],
                purpose="p",
                override_reason="Immediate risk to the victim (fictitious)",
            ),
        )
        action = service.add_action(
            s,
            actor=asb,
            case_id=case_id,
            rules=rules,
            today=TODAY,
            data=ActionIn(
                description="Fit a door entry system",
                owner_name="Tenancy team",
                agency_code=HOUSING,
                due_on=TODAY + dt.timedelta(days=30),
                tool="design",
            ),
        )
        action_id = action.id
    engine.dispose()
    return case_id, action_id, w


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def matrix(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    _sqlite_template: Path,
    _pg_template: str | None,
) -> Iterator[Matrix]:
    mp = pytest.MonkeyPatch()
    mp.setattr("asbhub.auth.service._hasher", FAST_HASHER)
    admin_engine, name = None, ""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("matrix") / "asbhub.db"
        shutil.copyfile(_sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        if _pg_template is None:
            pytest.skip("ASBHUB_TEST_POSTGRES_URL is not set")
        base = os.environ["ASBHUB_TEST_POSTGRES_URL"]
        name = f"asbhub_m_{uuid.uuid4().hex[:10]}"
        admin_engine = make_engine(base, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{_pg_template}"'))
        url = make_url(base).set(database=name).render_as_string(False)
    case_id, action_id, w = _setup(url)
    m = Matrix(create_app(url), case_id, action_id, w, url)
    yield m
    for c in m.clients.values():
        c.__exit__(None, None, None)
    m.app.state.engine.dispose()
    mp.undo()
    if admin_engine is not None:
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


def client(m: Matrix, caller: str) -> TestClient:
    if caller not in m.clients:
        c = TestClient(m.app, raise_server_exceptions=False)
        c.__enter__()
        sign_in(c, caller, PASSWORD)
        m.clients[caller] = c
    return m.clients[caller]


def _casework_routes() -> list[tuple[str, str]]:
    app = create_app("sqlite://")
    out = []
    for rc in iter_route_contexts(app.routes):
        if not isinstance(rc.route, APIRoute):
            continue
        if re.match(r"^(/api/v1)?/(cases|referrals)", rc.path):
            for method in sorted(set(rc.methods or ()) - {"HEAD"}):
                out.append((method, rc.path))
    return sorted(out)


ROUTES = _casework_routes()

# What each route sends and expects. ``body`` is sent as a form (screens) or JSON (API);
# ``owner_status`` is the status for a caller of the owning agency that holds the grant (each
# body fails a business rule after the policy decided, or changes nothing that matters).
FORM, JSON = "form", "json"
PLAN: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/cases"): {"grant": "list", "kind": "list"},
    ("GET", "/api/v1/cases"): {"grant": "list", "kind": "list"},
    ("GET", "/cases/new"): {"grant": "create", "kind": "global", "ok": 200},
    ("POST", "/cases"): {
        "grant": "create",
        "kind": "global",
        "ok": 404,
        "send": FORM,
        "body": {"assessment_id": BIG, "kind": "location"},
    },
    ("POST", "/api/v1/cases"): {
        "grant": "create",
        "kind": "global",
        "ok": 404,
        "send": JSON,
        "body": {"assessment_id": BIG, "kind": "location"},
    },
    ("GET", "/cases/{case_id}"): {"grant": "view", "kind": "read"},
    ("GET", "/api/v1/cases/{case_id}"): {"grant": "view", "kind": "read"},
    ("POST", "/cases/{case_id}/problem"): {
        "grant": "update",
        "kind": "owner",
        "ok": 303,
        "send": FORM,
        "body": {"when_text": "Evenings"},
    },
    ("POST", "/cases/{case_id}/analysis"): {
        "grant": "update",
        "kind": "owner",
        "ok": 422,
        "send": FORM,
        "body": {"incident_ids": str(BIG)},
    },
    ("POST", "/cases/{case_id}/objectives"): {
        "grant": "update",
        "kind": "owner",
        "ok": 422,
        "send": FORM,
        "body": {"text": "t", "measure": "m", "target": "t", "due_on": "2020-01-01"},
    },
    ("POST", "/cases/{case_id}/actions"): {
        "grant": "update",
        "kind": "owner",
        "ok": 422,
        "send": FORM,
        "body": {
            "description": "d",
            "owner_name": "o",
            "agency_code": HOUSING,
            "due_on": "2099-01-01",
            "tool": "nope",
        },
    },
    ("POST", "/api/v1/cases/{case_id}/actions"): {
        "grant": "update",
        "kind": "owner",
        "ok": 422,
        "send": JSON,
        "body": {
            "description": "d",
            "owner_name": "o",
            "agency_code": HOUSING,
            "due_on": "2099-01-01",
            "tool": "nope",
        },
    },
    ("POST", "/cases/{case_id}/actions/{action_id}"): {
        "grant": "update",
        "kind": "action",
        "ok": 303,
        "send": FORM,
        "body": {"status": "open"},
    },
    ("POST", "/cases/{case_id}/shares"): {
        "grant": "share",
        "kind": "owner",
        "ok": 422,
        "send": FORM,
        "body": {
            "agency_code": "no-such-agency",
            "data_classes": "incident_summary",
            "purpose": "p",
        },
    },
    ("POST", "/api/v1/cases/{case_id}/shares"): {
        "grant": "share",
        "kind": "owner",
        "ok": 422,
        "send": JSON,
        "body": {
            "agency_code": "no-such-agency",
            "data_classes": ["incident_summary"],
            "purpose": "p",
        },
    },
    ("POST", "/cases/{case_id}/stage"): {
        "grant": "update",
        "kind": "owner",
        "ok": 422,
        "send": FORM,
        "body": {"event": "reopen"},
    },
    ("POST", "/api/v1/cases/{case_id}/stage"): {
        "grant": "update",
        "kind": "owner",
        "ok": 422,
        "send": JSON,
        "body": {"event": "reopen"},
    },
    ("POST", "/cases/{case_id}/assessment"): {
        "grant": "update",
        "kind": "owner",
        "ok": 422,
        "send": FORM,
        "body": {"assess_from": "2026-01-01", "assess_to": "2026-01-31", "outcome": "o"},
    },
    ("POST", "/api/v1/cases/{case_id}/assessment"): {
        "grant": "update",
        "kind": "owner",
        "ok": 409,
        "send": JSON,
        "body": {"assess_from": "2026-01-01", "assess_to": "2026-01-31", "outcome": "o"},
    },
    ("POST", "/cases/{case_id}/reviews/{review_id}"): {
        "grant": "review_record",
        "kind": "owner",
        "ok": 404,
        "send": FORM,
        "body": {"note": "n"},
    },
    ("GET", "/cases/overrides"): {"grant": "override_review", "kind": "global", "ok": 200},
    ("GET", "/api/v1/cases-overrides"): {"grant": "override_review", "kind": "global", "ok": 200},
    ("POST", "/cases/overrides/{share_id}"): {
        "grant": "override_review",
        "kind": "global",
        "ok": 404,
        "send": FORM,
        "body": {"decision": "upheld", "note": "n"},
    },
    # Shown to those who may see powers and the case's notes (all of the owning force here).
    ("GET", "/cases/{case_id}/powers"): {"grant": "powers", "kind": "notes", "ok": 200},
    ("GET", "/referrals"): {"grant": "referrals", "kind": "global", "ok": 200},
    ("GET", "/api/v1/referrals"): {"grant": "referrals", "kind": "global", "ok": 200},
}


def test_the_plan_covers_every_casework_route_of_the_app() -> None:
    assert sorted(PLAN) == ROUTES


def expected(caller: str, plan: dict[str, Any]) -> int:
    c = CALLERS[caller]
    kind = plan["kind"]
    if plan["grant"] == "view":
        if c.get("no_view_grant"):
            return 403
        return 404 if c["classes"] is None else 200
    if not granted(caller, plan["grant"]):
        return 403
    if kind in ("list", "global"):
        return plan.get("ok", 200)
    if c["classes"] is None:
        return 404
    if kind == "notes":  # what the case's notes are open to
        return plan["ok"] if "case_notes" in c["classes"] else 403
    if kind == "action":  # the owner, or the agency the action is for once shared with it
        return plan["ok"] if caller in OWNERS or c.get("agency") == HOUSING else 403
    return plan["ok"] if caller in OWNERS else 403


def call(m: Matrix, caller: str, method: str, path: str) -> Any:
    plan = PLAN[(method, path)]
    values = {"case_id": m.case_id, "action_id": m.action_id, "review_id": BIG, "share_id": BIG}
    url = re.sub(r"{(\w+)}", lambda g: str(values[g.group(1)]), path)
    c = client(m, caller)
    if method == "GET":
        return c.get(url, follow_redirects=False)
    token = csrf_of(c) if plan["send"] == FORM else None
    if plan["send"] == FORM:
        data = dict(plan["body"], csrf_token=token)
        return c.post(url, data=data, follow_redirects=False)
    return c.post(
        url,
        json=plan["body"],
        headers={"X-CSRF-Token": csrf_of(c)},
        follow_redirects=False,
    )


@pytest.mark.parametrize("caller", list(CALLERS))
@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_caller_on_every_casework_route(
    matrix: Matrix, caller: str, method: str, path: str
) -> None:
    plan = PLAN[(method, path)]
    r = call(matrix, caller, method, path)
    want = expected(caller, plan)
    assert r.status_code == want, f"{caller} {method} {path}: {r.status_code} {r.text[:300]}"
    classes = CALLERS[caller]["classes"]
    reference = "SARA-"
    if plan["kind"] == "list" and r.status_code == 200:
        assert (reference in r.text) == (classes is not None), f"{caller} list"
    if plan["kind"] == "read" and r.status_code == 200:
        if path.startswith("/api/"):
            assert r.json()["classes"] == classes
        shows_name = VICTIM[1] in r.text
        assert shows_name == ("personal_details" in classes), f"{caller} name on {path}"
        assert "Whom to ask" in r.text or path.startswith("/api/")


def test_every_allowed_read_of_personal_data_is_audited(matrix: Matrix) -> None:
    engine = make_engine(matrix.engine_url)
    for caller, c in CALLERS.items():
        if c["classes"] is None:
            continue
        r = client(matrix, caller).get(f"/api/v1/cases/{matrix.case_id}")
        assert r.status_code == 200
        with session_scope(engine) as s:
            row = s.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.event == "casework:case:view",
                    AuditEvent.actor_name == f"Test {caller}",
                )
                .order_by(AuditEvent.seq.desc())
                .limit(1)
            ).one()
        assert row.object_id == str(matrix.case_id) and row.outcome == "success"
        assert row.fields["classes"] == c["classes"]
        personal = "personal_details" in c["classes"]
        assert row.data_subjects == ([matrix.world.victim] if personal else []), caller
    engine.dispose()


def test_a_share_without_an_agreement_is_refused_and_an_override_logged(matrix: Matrix) -> None:
    engine = make_engine(matrix.engine_url)
    c = client(matrix, "supervisor")
    url = f"/api/v1/cases/{matrix.case_id}/shares"
    body = {"agency_code": "ecfrs", "data_classes": ["personal_details"], "purpose": "Fire risk"}
    headers = {"X-CSRF-Token": csrf_of(c)}
    refused = c.post(url, json=body, headers=headers)
    assert refused.status_code == 403
    assert "no information sharing agreement" in refused.json()["error"]["message"]
    with session_scope(engine) as s:
        denied = s.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.event == "web:route:access_denied",
                AuditEvent.actor_name == "Test supervisor",
            )
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        ).one()
        assert "no information sharing agreement" in denied.fields["reason"]
        assert (
            s.scalars(
                select(AuditEvent).where(
                    AuditEvent.event == "casework:case:share",
                    AuditEvent.recipient.like("Essex County Fire%"),
                )
            ).first()
            is None
        )
    body["override_reason"] = "A fire-setting threat tonight (fictitious)"
    ok = c.post(url, json=body, headers=headers)
    assert ok.status_code == 201, ok.text
    with session_scope(engine) as s:
        logged = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.event == "casework:share:override")
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        ).one()
    assert logged.recipient == "Essex County Fire and Rescue Service" and logged.isa_id is None
    assert logged.fields["override_reason"].startswith("A fire-setting threat")
    assert logged.data_subjects == [matrix.world.victim]
    queue = c.get("/api/v1/cases-overrides").json()
    assert {q["agency_name"] for q in queue} >= {"Essex County Fire and Rescue Service"}
    engine.dispose()
