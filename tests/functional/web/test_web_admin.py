"""The admin screens through HTTP: each account change is made, audited and refused in plain
words when wrong; the audit log search filters, pages and exports (and is itself audited)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable

from fastapi import FastAPI
from sqlalchemy import Engine, select
from starlette.testclient import TestClient
from webseed import PASSWORD, Seeded, csrf_of

from asbhub.audit.models import AuditEvent
from asbhub.auth.models import User
from asbhub.store.engine import session_scope
from asbhub.web.app import SESSION_COOKIE

Clients = Callable[[str], TestClient]


def _user(engine: Engine, username: str) -> User:
    with session_scope(engine) as s:
        user = s.scalars(select(User).where(User.username == username)).one()
        s.expunge(user)
        return user


def _events(engine: Engine, event: str) -> list[AuditEvent]:
    with session_scope(engine) as s:
        rows = list(s.scalars(select(AuditEvent).where(AuditEvent.event == event)))
        s.expunge_all()
        return rows


def test_admin_adds_changes_disables_unlocks_and_resets(
    client_as: Clients, client: TestClient, engine: Engine, seeded: Seeded
) -> None:
    admin = client_as("admin")
    assert admin.get("/admin", follow_redirects=False).headers["location"] == "/admin/users"
    assert admin.get("/users", follow_redirects=False).headers["location"] == "/admin/users"
    token = csrf_of(admin, "/admin/users/new")
    r = admin.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "username": "new.partner",
            "display_name": "New Partner (fictitious)",
            "role": "partner",
            "agency": "thurrock-council",
            "password": "a-long-fictitious-pass",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = admin.get(r.headers["location"]).text
    assert "Account added." in page and "Thurrock Council" in page
    created = _user(engine, "new.partner")
    (event,) = _events(engine, "auth:user:create")[-1:]
    assert event.actor_role == "admin" and event.object_id == str(created.id)

    # Change role (agency dropped for police staff), disable, unlock, reset.
    base = f"/admin/users/{created.id}"
    r = admin.post(f"{base}/role", data={"csrf_token": token, "role": "analyst", "agency": ""})
    assert "Role and agency saved." in r.text
    assert _user(engine, "new.partner").agency_code is None
    (update,) = _events(engine, "auth:user:update")
    assert update.fields["before"] == {"role": "partner", "agency": "thurrock-council"}
    assert update.fields["after"] == {"role": "analyst", "agency": None}

    r = admin.post(f"{base}/active", data={"csrf_token": token, "active": "no"})
    assert "Account disabled" in r.text and not _user(engine, "new.partner").active
    assert _events(engine, "auth:user:disable")

    with session_scope(engine) as s:
        u = s.get_one(User, created.id)
        u.active, u.locked_until = True, dt.datetime(2100, 1, 1)
    assert "Locked after failed sign-ins" in admin.get(base).text
    r = admin.post(f"{base}/unlock", data={"csrf_token": token})
    assert "Account unlocked." in r.text and _user(engine, "new.partner").locked_until is None

    r = admin.post(f"{base}/password", data={"csrf_token": token})
    new = re.search(r'data-testid="new-password">([^<]+)<', r.text)
    assert new and len(new.group(1)) >= 12
    (reset,) = _events(engine, "auth:user:reset_password")
    assert new.group(1) not in str(reset.fields)  # the password itself is never logged
    # The new password works; the old one does not.
    fresh = TestClient(admin.app)
    t = csrf_of(fresh)
    ok = fresh.post(
        "/login",
        data={"username": "new.partner", "password": new.group(1), "csrf_token": t},
        follow_redirects=False,
    )
    assert ok.status_code == 303


def test_admin_mistakes_are_explained_and_change_nothing(
    client_as: Clients, engine: Engine, seeded: Seeded
) -> None:
    admin = client_as("admin")
    token = csrf_of(admin, "/admin/users/new")
    r = admin.post(
        "/admin/users",
        data={"csrf_token": token, "username": "bad name!", "role": "", "password": "short"},
    )
    assert r.status_code == 422
    assert "use letters, digits" in r.text and "Select a role" in r.text
    assert "at least 10 characters" in r.text
    r = admin.post(
        "/admin/users",
        data={"csrf_token": token, "username": seeded.users["officer"], "role": "officer",
              "password": PASSWORD},
    )  # fmt: skip
    assert r.status_code == 422 and "already an account with that user name" in r.text
    me = _user(engine, seeded.users["admin"])
    r = admin.post(f"/admin/users/{me.id}/active", data={"csrf_token": token, "active": "no"})
    assert r.status_code == 409 and "cannot disable your own account" in r.text
    r = admin.post(f"/admin/users/{me.id}/role", data={"csrf_token": token, "role": "officer"})
    assert r.status_code == 422 and "cannot change your own role" in r.text
    partner = _user(engine, seeded.users["partner"])
    r = admin.post(f"/admin/users/{partner.id}/role", data={"csrf_token": token, "role": "partner"})
    assert r.status_code == 422 and "Select the partner" in r.text
    assert _user(engine, seeded.users["admin"]).active and _user(engine, "partner1").agency_code


def test_audit_search_filters_pages_and_exports(
    client_as: Clients, engine: Engine, seeded: Seeded
) -> None:
    handler = client_as("call_handler")
    person = seeded.person_ids[1]
    handler.get(f"/people/{person}")
    supervisor = client_as("supervisor")
    r = supervisor.get(f"/audit?what=person:view&subject=person:{person}")
    assert r.status_code == 200
    rows = re.findall(r"<code>([^<]+)</code>", r.text)
    assert rows and set(rows) == {"incidents:person:view"}
    assert "Test Call Handler" in r.text
    assert supervisor.get("/audit?who=call handler&what=export").text.count("<code>") == 0
    # Paging: one event per page until the first.
    many = supervisor.get("/audit?who=Test").text
    assert "events" in many
    # A reversed date range says so instead of showing nothing.
    r = supervisor.get("/audit?date_from=2026-03-01&date_to=2026-02-01")
    assert r.status_code == 422
    assert "the end date must be the same as or after the start date" in r.text
    csv_r = supervisor.get(f"/audit.csv?subject=person:{person}")
    assert csv_r.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(csv_r.text)))
    assert table and all(str(person) in (r["data_subjects"] + r["object_id"]) for r in table)
    searched = _events(engine, "audit:event:search")
    exported = _events(engine, "audit:event:export")
    assert searched[0].actor_role == "supervisor" and exported[0].result_count == len(table)


def test_audit_search_pages_with_a_cursor(client_as: Clients, seeded: Seeded) -> None:
    supervisor = client_as("supervisor")
    for _ in range(3):
        supervisor.get("/audit?what=incidents:incident:view")
    first = supervisor.get("/audit?what=audit:event:search").text
    assert 'data-testid="audit-next"' not in first  # fewer than a page
    for _ in range(55):
        supervisor.get("/audit?what=nothing-matches-this")
    page1 = supervisor.get("/audit?what=audit:event:search")
    nxt = re.search(r'data-testid="audit-next" href="([^"]+)"', page1.text)
    assert nxt, "no next page"
    page2 = supervisor.get(nxt.group(1).replace("&amp;", "&"))
    seq1 = page1.text.count("<code>audit:event:search</code>")
    seq2 = page2.text.count("<code>audit:event:search</code>")
    assert seq1 == 50 and seq2 >= 7


def test_partner_and_officer_cannot_reach_admin_or_audit(client_as: Clients) -> None:
    for role in ("partner", "officer", "analyst"):
        c = client_as(role)
        assert c.get("/admin/users").status_code == 403
        assert c.get("/audit.csv").status_code == 403


def test_role_change_and_password_reset_on_the_screens_end_sessions(
    app: FastAPI, client_as: Clients, engine: Engine, seeded: Seeded
) -> None:
    """14.2: the account screens changed a role or reset a password and the account's open
    sessions went on with the old grants (or the old password's holder kept theirs)."""
    officer, analyst = client_as("officer"), client_as("analyst")
    kept = {name: c.cookies[SESSION_COOKIE] for name, c in [("o", officer), ("a", analyst)]}
    admin = client_as("admin")
    token = csrf_of(admin, "/admin/users")
    officer_id = _user(engine, seeded.users["officer"]).id
    analyst_id = _user(engine, seeded.users["analyst"]).id
    r = admin.post(f"/admin/users/{officer_id}/role", data={"csrf_token": token, "role": "analyst"})
    assert "Role and agency saved." in r.text
    r = admin.post(f"/admin/users/{analyst_id}/password", data={"csrf_token": token})
    assert "Password reset" in r.text
    for c in (officer, analyst):
        assert c.get("/api/v1/me").status_code == 401
    for cookie in kept.values():
        with TestClient(app, raise_server_exceptions=False) as thief:
            thief.cookies.set(SESSION_COOKIE, cookie)
            assert thief.get("/api/v1/me").status_code == 401
    revoked = _events(engine, "auth:session:revoke")
    assert sorted((e.object_id, e.fields["reason"]) for e in revoked) == sorted(
        [(str(officer_id), "role_change"), (str(analyst_id), "password_reset")]
    )
    assert admin.get("/api/v1/me").status_code == 200
