"""Attacks from issue 14 replayed against the app; each must be refused or survived."""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from itsdangerous import TimestampSigner
from sqlalchemy import update
from starlette.testclient import TestClient
from typer.testing import CliRunner
from webseed import FAST_HASHER, PASSWORD, Seeded, csrf_of

from asbhub.auth.models import User
from asbhub.cli import app as cli
from asbhub.config import DEFAULT_SECRET, get_settings
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
