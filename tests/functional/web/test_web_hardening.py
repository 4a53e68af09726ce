"""Attacks from issue 14 replayed against the app; each must be refused or survived."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from itsdangerous import TimestampSigner
from sqlalchemy import func, select, text, update
from starlette.testclient import TestClient
from test_public_report import good_form
from typer.testing import CliRunner
from webseed import FAST_HASHER, PASSWORD, Seeded, csrf_of

from asbhub.audit.models import AuditEvent
from asbhub.auth.models import User
from asbhub.auth.service import actor_for, change_password, change_role
from asbhub.cli import app as cli
from asbhub.config import DEFAULT_SECRET, get_settings
from asbhub.contact.models import Chat, PublicSubmission
from asbhub.errors import InvalidInput
from asbhub.incidents.queries import encode_cursor
from asbhub.provision.demo import _demo_accounts
from asbhub.store.engine import make_engine, session_scope, upgrade
from asbhub.web.app import SESSION_COOKIE, create_app


def _forged_cookie(key: str, session: dict[str, Any]) -> str:
    """A session cookie as Starlette's SessionMiddleware signs it, under ``key``."""
    data = base64.b64encode(json.dumps(session).encode())
    return TimestampSigner(key).sign(data).decode()


@pytest.mark.parametrize(
    "weak",
    ["", "a", DEFAULT_SECRET, "x" * 64, secrets.token_hex(16), "change-me"],
    ids=["empty", "a", "default", "repeated", "16-bytes-hex", "documented"],
)
def test_weak_secret_refused_outside_development(
    weak: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """14.1: with an empty or short key anyone can sign a cookie naming any user."""
    monkeypatch.setenv("ASBHUB_MODE", "production")
    monkeypatch.setenv("ASBHUB_SECRET_KEY", weak)
    with pytest.raises(InvalidInput) as err:
        create_app("sqlite://")
    assert "token_urlsafe(32)" in str(err.value.fields)
    assert weak not in str(err.value.fields) or len(weak) <= 1
    result = CliRunner().invoke(cli, ["serve", "--db", "sqlite://"])
    assert result.exit_code == 2 and "ASBHUB_SECRET_KEY" in result.output


def test_strong_secret_accepted_and_forged_cookie_refused(
    db_url: str, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASBHUB_MODE", "production")
    monkeypatch.setenv("ASBHUB_SECRET_KEY", secrets.token_urlsafe(32))
    app = create_app(db_url)
    person = seeded.person_ids[0]
    with TestClient(app, base_url="https://testserver") as c:
        for key in ["", "a", DEFAULT_SECRET]:
            c.cookies.set(SESSION_COOKIE, _forged_cookie(key, {"uid": 1, "purpose": "x"}))
            r = c.get(f"/api/v1/people/{person}")
            assert r.status_code == 401, (key, r.text)
            assert "Canaria" not in r.text


def test_non_ascii_csrf_token_is_refused_not_crashed(client: TestClient) -> None:
    """14.9: compare_digest raised TypeError (500) on a non-ASCII token."""
    csrf_of(client, "/report")
    for path in ["/login", "/report", "/logout"]:
        r = client.post(path, data={"csrf_token": "é" * 43, "username": "x", "password": "y"})
        assert r.status_code == 403, (path, r.status_code)


def test_huge_cursor_id_is_refused(client_as: Callable[[str], TestClient]) -> None:
    """14.9: an id past 64 bits raised OverflowError while binding on SQLite."""
    c = client_as("officer")
    at = dt.datetime(2021, 1, 1)
    for ident in [10**30, 2**63, 2**31, 0, -5]:
        r = c.get("/api/v1/incidents", params={"after": encode_cursor(at, ident)})
        assert r.status_code == 422, (ident, r.status_code)
        assert r.json()["error"]["fields"] == {"after": "not a cursor"}
    assert c.get("/api/v1/incidents", params={"after": encode_cursor(at, 5)}).status_code == 200


class CountingHasher(PasswordHasher):
    """The fast test hasher, counting how often a hash is checked."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified += 1
        return super().verify(hash, password)


def test_locked_or_disabled_account_still_checks_the_hash(
    client: TestClient, engine: Any, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """14.9: a locked account answered without hashing (4 ms against 170 ms), which
    confirmed that the user name exists. Every attempt now costs one hash check."""
    hasher = CountingHasher()
    monkeypatch.setattr("asbhub.auth.service._hasher", hasher)
    officer, handler = seeded.users["officer"], seeded.users["call_handler"]
    with session_scope(engine) as s:
        s.execute(
            update(User)
            .where(User.username == officer)
            .values(locked_until=dt.datetime(2100, 1, 1))
        )
        s.execute(update(User).where(User.username == handler).values(active=False))
    for name, password in [
        (officer, PASSWORD),
        (officer, "wrong-password-1"),
        (handler, PASSWORD),
        ("nobody-at-all", "wrong-password-1"),
    ]:
        before = hasher.verified
        r = client.post(
            "/login",
            data={"username": name, "password": password, "csrf_token": csrf_of(client)},
        )
        assert r.status_code == 401, name
        assert hasher.verified == before + 1, name


def test_serve_refuses_a_network_while_demo_accounts_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """14.9: development mode with a custom secret served the published demo password on
    0.0.0.0. Loopback stays allowed; changing the demo passwords lifts the refusal."""
    monkeypatch.setattr("asbhub.auth.service._hasher", FAST_HASHER)
    monkeypatch.setenv("ASBHUB_SECRET_KEY", secrets.token_urlsafe(32))
    get_settings.cache_clear()
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    engine = make_engine(db)
    upgrade(engine)
    assert _demo_accounts(engine, get_settings())
    result = CliRunner().invoke(cli, ["serve", "--db", db, "--host", "0.0.0.0"])
    assert result.exit_code == 2, result.output
    assert "demo accounts" in result.output and "officer" in result.output
    with session_scope(engine) as s:
        s.execute(update(User).values(password_hash=FAST_HASHER.hash("a-changed-password")))
    engine.dispose()
    from asbhub.web.cli import _refuse_demo_accounts

    _refuse_demo_accounts(make_engine(db), "0.0.0.0")  # no longer refused


def _user(engine: Any, username: str) -> User:
    with session_scope(engine) as s:
        return s.execute(select(User).where(User.username == username)).scalar_one()


def _replay(app: Any, cookie: str) -> int:
    with TestClient(app, raise_server_exceptions=False) as thief:
        thief.cookies.set(SESSION_COOKIE, cookie)
        return thief.get("/api/v1/me").status_code


def test_cookie_replayed_after_sign_out_is_refused(
    app: Any, client_as: Callable[[str], TestClient]
) -> None:
    """14.2: a copy of the cookie kept from before POST /logout worked for up to 10 h."""
    c = client_as("officer")
    stolen = c.cookies[SESSION_COOKIE]
    assert _replay(app, stolen) == 200
    r = c.post("/logout", data={"csrf_token": csrf_of(c, "/purpose")}, follow_redirects=False)
    assert r.status_code == 303
    assert _replay(app, stolen) == 401


def test_session_opened_before_a_lock_out_ends_with_it(
    app: Any, client: TestClient, client_as: Callable[[str], TestClient], seeded: Seeded
) -> None:
    c = client_as("officer")
    assert c.get("/api/v1/me").status_code == 200
    for _ in range(5):
        client.post(
            "/login",
            data={
                "username": seeded.users["officer"],
                "password": "not-the-password",
                "csrf_token": csrf_of(client),
            },
        )
    assert c.get("/api/v1/me").status_code == 401


def test_role_and_password_changes_end_sessions(
    app: Any, engine: Any, client_as: Callable[[str], TestClient], seeded: Seeded
) -> None:
    officer = client_as("officer")
    analyst = client_as("analyst")
    with session_scope(engine) as s:
        # actor_for reads the account's agency and agreements in the account's session.
        admin = actor_for(
            s.merge(_user(engine, seeded.users["admin"])), settings=app.state.settings
        )
    with session_scope(engine) as s:
        change_role(
            s, actor=admin, user_id=_user(engine, seeded.users["officer"]).id, role="analyst"
        )
        change_password(
            s,
            actor=admin,
            user_id=_user(engine, seeded.users["analyst"]).id,
            password="a-brand-new-password",
        )
    assert officer.get("/api/v1/me").status_code == 401
    assert analyst.get("/api/v1/me").status_code == 401
    with session_scope(engine) as s:
        events = s.scalars(
            select(AuditEvent.fields).where(AuditEvent.event == "auth:session:revoke")
        )
        assert sorted(e["reason"] for e in events) == ["password_change", "role_change"]


@pytest.mark.parametrize(
    ("opened_ago", "seen_ago", "status"),
    [(60, 60, 200), (60, 31 * 60, 401), (11 * 3600, 60, 401)],
    ids=["fresh", "idle-31-min", "opened-11-h-ago"],
)
def test_idle_and_absolute_timeouts(
    app: Any, engine: Any, seeded: Seeded, opened_ago: int, seen_ago: int, status: int
) -> None:
    """A cookie as the app itself signed it, replayed after 31 idle minutes (default limit
    30) or 11 hours after sign-in (limit 10), is refused."""
    user = _user(engine, seeded.users["officer"])
    now = int(time.time())
    data = {"uid": user.id, "sv": user.session_version, "iat": now - opened_ago}
    cookie = _forged_cookie(DEFAULT_SECRET, {**data, "seen": now - seen_ago})
    assert _replay(app, cookie) == status


def _good_report() -> dict[str, str]:
    return dict(good_form(contact="anonymous"))


@pytest.mark.parametrize("path", ["/report", "/chat"])
def test_simultaneous_posts_from_one_client_hold_the_rate_limit(
    path: str, db_url: str, engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """14.7: 40 reports at once from one client stored 24 on PostgreSQL (limit 10)."""
    monkeypatch.setenv("ASBHUB_PUBLIC_REPORT_RATE_LIMIT", "10")
    app = create_app(db_url)
    form = _good_report() if path == "/report" else {"display_name": "Fic", "topic": "Noise"}
    clients = [TestClient(app, raise_server_exceptions=False) for _ in range(40)]
    forms = []
    for c in clients:
        c.__enter__()
        forms.append({**form, "csrf_token": csrf_of(c, path)})
    barrier = threading.Barrier(len(clients))

    def post(i: int) -> int:
        barrier.wait()
        return clients[i].post(path, data=forms[i], follow_redirects=False).status_code

    try:
        with ThreadPoolExecutor(len(clients)) as pool:
            codes = list(pool.map(post, range(len(clients))))
    finally:
        for c in clients:
            c.__exit__(None, None, None)
    assert sorted(codes) == [303] * 10 + [429] * 30
    table = PublicSubmission if path == "/report" else Chat
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(table)) == 10


def _events(engine: Any, event: str) -> list[AuditEvent]:
    with session_scope(engine) as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.event == event)))


def test_every_page_of_personal_data_is_audited_with_its_subjects(
    engine: Any, client_as: Callable[[str], TestClient], seeded: Seeded
) -> None:
    """14.3: paging /api/v1/incidents?limit=200 as an officer (17,317 house-number addresses
    in 50,000 rows) wrote nothing to the audit log; nor did /locations, /near, search by
    reference or the contact queue."""
    officer = client_as("officer")
    first = officer.get("/api/v1/incidents", params={"limit": 40}).json()
    second = officer.get(
        "/api/v1/incidents", params={"limit": 40, "after": first["next_cursor"]}
    ).json()
    pages = _events(engine, "incidents:incident:list")
    assert [e.result_count for e in pages] == [40, len(second["items"])]
    assert pages[0].fields["incidents"] == [i["id"] for i in first["items"]]
    assert set(pages[0].data_subjects) == set(seeded.person_ids)
    assert pages[1].query and "after" in pages[1].query

    loc = seeded.location_ids[0]
    near = officer.get(f"/api/v1/locations/{loc}/incidents").json()
    [viewed] = _events(engine, "incidents:location:view")
    assert viewed.object_id == str(loc) and viewed.result_count == len(near["items"]) > 0
    officer.get("/api/v1/near", params={"lon": 0.458, "lat": 51.576, "radius": 300})
    assert _events(engine, "incidents:incident:near")[0].data_subjects
    officer.get("/api/v1/search", params={"q": seeded.references[0]})
    [searched] = _events(engine, "incidents:incident:search")
    assert searched.query == seeded.references[0] and searched.result_count == 1

    handler = client_as("call_handler")
    assert handler.get("/contact/queue").status_code == 200
    [queue] = _events(engine, "contact:queue:view")
    assert queue.fields["incidents"] and queue.data_subjects

    # An analyst's list carries no free text and no personal data: nothing to record.
    before = len(_events(engine, "incidents:incident:list"))
    client_as("analyst").get("/api/v1/incidents")
    assert len(_events(engine, "incidents:incident:list")) == before


def test_a_refused_out_of_scope_request_is_audited(
    engine: Any, client_as: Callable[[str], TestClient], seeded: Seeded
) -> None:
    partner = client_as("partner")  # Basildon Council: Colchester is outside its area
    colchester = seeded.incident_ids[seeded.by_district["Basildon"]]
    r = partner.get(f"/api/v1/incidents/{colchester}")
    assert r.status_code == 404
    [refused] = _events(engine, "web:route:not_found")
    assert refused.outcome == "denied" and refused.actor_role == "partner"
    assert refused.object_id == f"/api/v1/incidents/{colchester}"


def test_the_transcript_sent_over_the_handlers_socket_is_audited(
    engine: Any, client: TestClient, client_as: Callable[[str], TestClient]
) -> None:
    r = client.post(
        "/chat",
        data={"display_name": "Fic", "topic": "Noise", "csrf_token": csrf_of(client, "/chat")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with session_scope(engine) as s:
        chat_id = s.scalars(select(Chat.id)).one()
    handler = client_as("call_handler")
    with handler.websocket_connect(f"/contact/chats/{chat_id}/ws") as ws:
        assert ws.receive_json()["type"] == "history"
    [viewed] = _events(engine, "contact:chat:view")
    assert viewed.object_id == str(chat_id) and viewed.result_count == 1


@contextlib.contextmanager
def _database_locked(db_url: str) -> Iterator[None]:
    """Another process holding the lock every write needs: SQLite's write lock, or on
    PostgreSQL the audit chain's advisory lock (every write appends to the chain)."""
    eng = make_engine(db_url)
    with eng.connect() as conn:
        if eng.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": 0x61736268})
        try:
            yield
        finally:
            conn.rollback()
            if eng.dialect.name != "sqlite":
                conn.execute(text("SELECT pg_advisory_unlock_all()"))
    eng.dispose()


def test_a_locked_database_answers_503_with_the_answers_kept(
    db_url: str, engine: Any, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """14.8: with the database locked, POST /report answered a generic 500 after 30.1 s and
    the typed text was gone; queued writers made GET /login wait."""
    monkeypatch.setenv("ASBHUB_DB_WAIT_SECONDS", "0.3")
    words = "Bikes racing round the field by the school gates (fictitious)."
    with TestClient(create_app(db_url), raise_server_exceptions=False) as c:
        form = {**_good_report(), "description": words, "csrf_token": csrf_of(c, "/report")}
        with _database_locked(db_url):
            r = c.post("/report", data=form)
            assert r.status_code == 503 and r.headers["retry-after"] == "30"
            assert words in r.text and "send them again in a minute" in r.text
            assert c.get("/login").status_code == 200  # reads go on meanwhile
            r = c.post(
                "/login",
                data={"username": "nobody", "password": "x" * 12, "csrf_token": csrf_of(c)},
            )
            assert r.status_code == 503 and r.headers["retry-after"] == "30"
        again = c.post("/report", data={**form, "csrf_token": csrf_of(c, "/report")})
        assert again.status_code == 200 and "reference" in again.text
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(PublicSubmission)) == 1


def test_a_read_only_database_answers_503_not_500(
    tmp_path: Path, _sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """14.8: with the file read-only, reports and sign-in answered 500."""
    import shutil

    db = tmp_path / "ro.db"
    shutil.copyfile(_sqlite_template, db)
    app = create_app(f"sqlite:///file:{db}?mode=ro&uri=true")
    with TestClient(app, raise_server_exceptions=False) as c:
        form = {**_good_report(), "csrf_token": csrf_of(c, "/report")}
        r = c.post("/report", data=form)
        assert r.status_code == 503 and _good_report()["description"] in r.text
        r = c.post(
            "/login", data={"username": "nobody", "password": "x" * 12, "csrf_token": csrf_of(c)}
        )
        assert r.status_code == 503
