"""One settings path: the settings given to ``create_app`` are the ones sign-in and the
pseudonyms use, whatever the environment says (services read no global settings)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient
from webseed import FAST_HASHER, PASSWORD, csrf_of, seed, sign_in

from asbhub.config import Settings
from asbhub.web.app import create_app


def _label(key: str, person_id: int) -> str:
    digest = hmac.new(key.encode(), f"person:{person_id}".encode(), hashlib.sha256).hexdigest()
    return f"P-{digest[:8].upper()}"


def _post_login(client: TestClient, username: str, password: str) -> int:
    data = {"username": username, "password": password, "csrf_token": csrf_of(client)}
    return client.post("/login", data=data, follow_redirects=False).status_code


def test_create_app_settings_reach_sign_in_and_pseudonyms(
    engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("asbhub.auth.service._hasher", FAST_HASHER)
    seeded = seed(engine)
    # The environment says five failures and another secret; the app is given two and its own.
    monkeypatch.setenv("ASBHUB_LOGIN_MAX_FAILURES", "5")
    monkeypatch.setenv("ASBHUB_SECRET_KEY", secrets.token_urlsafe(32))
    key = secrets.token_urlsafe(32)
    settings = Settings(secret_key=key, login_max_failures=2, mode="test")
    app = create_app(db_url, settings=settings)
    with TestClient(app) as client:
        officer = seeded.users["officer"]
        assert _post_login(client, officer, "wrong-password-1") == 401
        assert _post_login(client, officer, "wrong-password-2") == 401
        assert _post_login(client, officer, PASSWORD) == 401  # locked after two, not five

    with TestClient(app) as client:
        sign_in(client, seeded.users["analyst"])
        detail = None
        for incident_id in seeded.incident_ids:
            body = client.get(f"/api/v1/incidents/{incident_id}").json()
            if body["people"]:
                detail = body
                break
        assert detail is not None
    labels = {p["label"] for p in detail["people"]}
    assert all(p["person_id"] is None for p in detail["people"])
    # Each label is keyed with the app's secret: some seeded person has exactly that label.
    assert labels <= {_label(key, pid) for pid in seeded.person_ids}
