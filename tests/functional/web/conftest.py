"""Fixtures for the web tests: a seeded database, the app and signed-in clients per role."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.testclient import TestClient
from webseed import FAST_HASHER, Seeded, csrf_of, seed, sign_in

# Re-exported for older test modules; import them from ``webseed`` instead, because every
# conftest.py is a module named "conftest" and ``from conftest import`` picks whichever
# was imported last when several directories are collected together.
__all__ = ["csrf_of", "sign_in"]

from asbhub.web.app import create_app


@pytest.fixture
def seeded(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Seeded:
    monkeypatch.setattr("asbhub.auth.service._hasher", FAST_HASHER)
    return seed(engine)


@pytest.fixture
def app(db_url: str, seeded: Seeded) -> FastAPI:
    return create_app(db_url)


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
