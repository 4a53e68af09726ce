"""Fixtures for the web tests: a seeded database, the app and signed-in clients per role."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.testclient import TestClient
from webseed import FAST_HASHER, PASSWORD, Seeded, seed

from asbhub.web.app import create_app

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def seeded(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Seeded:
    monkeypatch.setattr("asbhub.auth.service._hasher", FAST_HASHER)
    return seed(engine)


@pytest.fixture
def app(db_url: str, seeded: Seeded) -> FastAPI:
    return create_app(db_url)


def csrf_of(client: TestClient, path: str = "/login") -> str:
    match = CSRF_RE.search(client.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> None:
    token = csrf_of(client)
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def client_as(app: FastAPI, seeded: Seeded) -> Iterator[Callable[[str], TestClient]]:
    """``client_as("officer")`` gives a client signed in with that role."""
    opened: list[TestClient] = []

    def make(role: str) -> TestClient:
        c = TestClient(app, raise_server_exceptions=False)
        c.__enter__()
        opened.append(c)
        sign_in(c, seeded.users[role])
        return c

    yield make
    for c in opened:
        c.__exit__(None, None, None)
