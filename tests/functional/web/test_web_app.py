"""The app shell: headers, sessions, CSRF, sign-in and lock-out, errors, start-up checks."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, select
from starlette.testclient import TestClient
from typer.testing import CliRunner
from webseed import PASSWORD, Seeded, csrf_of, sign_in

from asbhub.audit.models import AuditEvent
from asbhub.audit.service import verify
from asbhub.cli import app as cli
from asbhub.errors import InvalidInput
from asbhub.store.engine import session_scope
from asbhub.web.app import create_app


def test_security_headers_on_every_kind_of_response(client: TestClient) -> None:
    for path in ["/login", "/nope", "/static/app.js", "/api/v1/me"]:
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
        assert "frame-ancestors 'none'" in csp
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"


def test_no_page_loads_from_a_cdn(client: TestClient) -> None:
    # FastAPI's default Swagger UI pages fetch scripts from a CDN and run an inline one.
    for path in ["/api/docs", "/docs", "/redoc"]:
        r = client.get(path)
        assert r.status_code == 404, path
        assert "cdn.jsdelivr.net" not in r.text
    assert client.get("/openapi.json").json()["openapi"].startswith("3.")


def test_session_cookie_is_signed_httponly_and_samesite(client: TestClient) -> None:
    r = client.get("/login")
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("asbhub_session=")
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    # A forged cookie is ignored: the request is treated as not signed in.
    client.cookies.set("asbhub_session", "eyJ1aWQiOiAxfQ==.forged.sig")
    assert client.get("/api/v1/me").status_code == 401


def test_pages_have_no_inline_script_or_handlers(
    client_as: Callable[[str], TestClient], seeded: Seeded
) -> None:
    c = client_as("officer")
    pages = ["/", "/incidents", f"/incidents/{seeded.incident_ids[0]}", "/search?q=Zzyzx"]
    pages += [f"/people/{seeded.person_ids[0]}", f"/locations/{seeded.location_ids[0]}"]
    # The public's pages, the purpose form and an error page share the rule.
    pages += ["/report", "/chat", "/purpose", "/no-such-page"]
    for path in pages:
        r = c.get(path, follow_redirects=False)
        assert r.status_code == (404 if path == "/no-such-page" else 200), path
        html = r.text
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag, f"inline script on {path}: {tag}"
        assert not re.search(r"\son[a-z]+\s*=", html), f"inline handler on {path}"
        assert "style=" not in html, f"inline style on {path}"


def test_sign_in_redirects_back_and_sign_out_needs_csrf(client: TestClient, seeded: Seeded) -> None:
    r = client.get("/incidents", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fincidents"
    sign_in(client, seeded.users["officer"])
    assert client.get("/api/v1/me").json()["role"] == "officer"
    assert client.post("/logout").status_code == 403  # no token
    r = client.post("/logout", data={"csrf_token": csrf_of(client, "/")}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/api/v1/me").status_code == 401


def test_login_without_csrf_token_is_refused(client: TestClient, seeded: Seeded) -> None:
    client.get("/login")
    r = client.post("/login", data={"username": seeded.users["officer"], "password": PASSWORD})
    assert r.status_code == 403
    assert "did not come from this site" in r.text
    assert client.get("/api/v1/me").status_code == 401


def test_csrf_token_from_another_session_is_refused(app: FastAPI, seeded: Seeded) -> None:
    with TestClient(app) as a, TestClient(app) as b:
        token_a = csrf_of(a)
        b.get("/login")
        data = {"username": seeded.users["officer"], "password": PASSWORD, "csrf_token": token_a}
        assert b.post("/login", data=data).status_code == 403


def test_open_redirect_after_sign_in_is_refused(client: TestClient, seeded: Seeded) -> None:
    token = csrf_of(client)
    data = {
        "username": seeded.users["officer"],
        "password": PASSWORD,
        "csrf_token": token,
        "next": "//evil.example/",
    }
    r = client.post("/login", data=data, follow_redirects=False)
    assert r.headers["location"] == "/"


def test_lockout_after_repeated_failures(
    client: TestClient, seeded: Seeded, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = seeded.users["analyst"]
    for _ in range(5):  # settings.login_max_failures
        token = csrf_of(client)
        r = client.post(
            "/login", data={"username": name, "password": "wrong-password", "csrf_token": token}
        )
        assert r.status_code == 401
        assert "wrong, or the account is locked" in r.text
    # The right password no longer works while the account is locked.
    token = csrf_of(client)
    r = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 401
    with session_scope(engine) as s:
        outcomes = s.execute(
            select(AuditEvent.outcome).where(AuditEvent.event == "auth:session:login")
        ).scalars()
        assert list(outcomes) == ["denied"] * 6
        assert verify(s).intact


def test_api_errors_have_one_shape(client_as: Callable[[str], TestClient]) -> None:
    c = client_as("officer")
    r = c.get("/api/v1/incidents/999999")
    assert r.status_code == 404
    assert r.json() == {
        "error": {"status": 404, "message": "incident 999999 not found", "fields": {}}
    }
    r = c.get("/api/v1/incidents?date_from=notadate&limit=0")
    body = r.json()["error"]
    assert r.status_code == 422 and set(body["fields"]) == {"date_from", "limit"}
    r = c.get("/api/v1/audit-not-a-route")
    assert r.status_code == 404 and r.json()["error"]["status"] == 404


def test_browser_errors_are_pages(client_as: Callable[[str], TestClient]) -> None:
    c = client_as("analyst")
    r = c.get("/people/1")
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
    assert "Not permitted" in r.text
    r = c.get("/incidents?date_from=31-31-2021")
    assert r.status_code == 422 and "date_from" in r.text


def test_default_secret_refused_outside_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASBHUB_MODE", "production")
    monkeypatch.delenv("ASBHUB_SECRET_KEY", raising=False)
    with pytest.raises(InvalidInput) as err:
        create_app("sqlite://")
    assert "secret_key" in str(err.value.fields) or "ASBHUB_SECRET_KEY" in str(err.value.fields)
    result = CliRunner().invoke(cli, ["serve", "--db", "sqlite://"])
    assert result.exit_code == 2
    assert "ASBHUB_SECRET_KEY" in result.output


def test_development_secret_is_served_on_loopback_only() -> None:
    """In development mode the known secret and demo sign-ins never face a network."""
    result = CliRunner().invoke(cli, ["serve", "--db", "sqlite://", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "refusing to serve on 0.0.0.0" in result.output
    assert "ASBHUB_SECRET_KEY" in result.output


def test_serve_refuses_default_secret_in_a_real_process(tmp_path: object) -> None:
    env = {"ASBHUB_MODE": "production", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "asbhub.cli", "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "ASBHUB_SECRET_KEY must be set" in proc.stderr


def test_serve_serves_pages_in_a_real_process(tmp_path: Path, _sqlite_template: Path) -> None:
    """What `make run` ends with: `asbhub serve` answering on a local port."""
    db = tmp_path / "serve.db"
    shutil.copyfile(_sqlite_template, db)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "ASBHUB_MODE": "development"}
    env.pop("ASBHUB_SECRET_KEY", None)
    cmd = [sys.executable, "-m", "asbhub.cli", "serve", "--db", f"sqlite:///{db}"]
    proc = subprocess.Popen(
        [*cmd, "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,  # uvicorn's access log
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None and proc.stdout is not None
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):  # up to about 30 s for the process to start listening
            if proc.poll() is not None:
                pytest.fail(f"asbhub serve exited: {proc.stderr.read().decode()[-2000:]}")
            try:
                login = httpx.get(f"{base}/login")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("asbhub serve did not start listening")
        assert login.status_code == 200 and "Sign in" in login.text
        assert "script-src 'self'" in login.headers["content-security-policy"]
        report = httpx.get(f"{base}/report")
        assert report.status_code == 200 and "Report anti-social behaviour" in report.text
        home = httpx.get(f"{base}/", follow_redirects=False)
        assert home.status_code == 303 and home.headers["location"].startswith("/login")
        # The access log must not keep a searched name nor a chatter's token (issue 14.9).
        httpx.get(f"{base}/search?q=Canaria+Fictitiousworth")
        httpx.get(f"{base}/chat/chatter-secret-token-123")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log = proc.stdout.read().decode() + proc.stderr.read().decode()
        proc.stdout.close()
        proc.stderr.close()
    assert '"GET /search HTTP/1.1" 303' in log and "/chat/[token]" in log, log[-2000:]
    assert "Canaria" not in log and "chatter-secret-token-123" not in log


def test_users_cli(db_url: str) -> None:
    runner = CliRunner()
    args = ["users", "add", "pat", "--role", "partner", "--agency", "thurrock-council"]
    r = runner.invoke(cli, [*args, "--password-stdin", "--db", db_url, "--json"], input="x" * 12)
    assert r.exit_code == 0, r.output
    assert '"role": "partner"' in r.stdout
    r = runner.invoke(
        cli,
        ["users", "add", "sam", "--role", "partner", "--password-stdin", "--db", db_url],
        input="y" * 12,
    )
    assert r.exit_code == 2 and "a partner account must name its agency" in r.output
    r = runner.invoke(
        cli,
        ["users", "add", "pat", "--role", "officer", "--password-stdin", "--db", db_url],
        input="z" * 12,
    )
    assert r.exit_code == 1 and "already exists" in r.output
    r = runner.invoke(cli, ["users", "list", "--db", db_url, "--json"])
    assert [u["username"] for u in __import__("json").loads(r.stdout)["users"]] == ["pat"]
