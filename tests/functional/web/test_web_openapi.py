"""schemathesis against /openapi.json: no server errors, and every response matches the schema.

Runs signed in (an officer's session cookie), on SQLite and PostgreSQL, with a small number of
generated examples per operation. The coverage phase (every boundary and invalid case the schema
defines: missing fields, wrong types, values past their limits) runs on PostgreSQL, the stricter
of the two: an integer past its column, a NUL byte in text or a string past its length fails
there and not on SQLite; SQLite gets the generated examples only. The whole module then takes
about half as long.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.checks import not_a_server_error, response_schema_conformance
from starlette.testclient import TestClient
from webseed import FAST_HASHER, seed, sign_in

from asbhub.store.engine import make_engine
from asbhub.web.app import SESSION_COOKIE, create_app

# The document does not depend on the database, so it is read from an app without one; each
# test then calls the app built on its own seeded database.
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app("sqlite://"))
generated_only = schemathesis.openapi.from_asgi("/openapi.json", create_app("sqlite://"))
generated_only.config.phases.coverage.enabled = False


@pytest.fixture(scope="module")
def api_app(module_db_url: str) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    """One seeded app per dialect for the module, and an officer's session cookie: the
    generated calls may write, but what they write is what any client may, so a later call
    meets it as it would in service."""
    mp = pytest.MonkeyPatch()
    mp.setattr("asbhub.auth.service._hasher", FAST_HASHER)
    engine = make_engine(module_db_url)
    seeded = seed(engine)
    engine.dispose()
    app = create_app(module_db_url)
    with TestClient(app) as c:
        sign_in(c, seeded.users["officer"])
        cookie = {"Cookie": f"{SESSION_COOKIE}={c.cookies[SESSION_COOKIE]}"}
    yield app, cookie
    app.state.engine.dispose()
    mp.undo()


SETTINGS = hypothesis.settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(hypothesis.HealthCheck),
)


def _call(case: Any, api_app: tuple[FastAPI, dict[str, str]]) -> None:
    app, cookie = api_app
    case.call_and_validate(
        app=app, headers=cookie, checks=[not_a_server_error, response_schema_conformance]
    )


@pytest.mark.parametrize("module_db_url", ["postgresql"], indirect=True)
@schema.parametrize()
@SETTINGS
def test_api_matches_its_schema(case: Any, api_app: tuple[FastAPI, dict[str, str]]) -> None:
    _call(case, api_app)


@pytest.mark.parametrize("module_db_url", ["sqlite"], indirect=True)
@generated_only.parametrize()
@SETTINGS
def test_api_matches_its_schema_on_sqlite(
    case: Any, api_app: tuple[FastAPI, dict[str, str]]
) -> None:
    _call(case, api_app)


def test_schema_documents_the_error_shape(app: FastAPI) -> None:
    with TestClient(app) as c:
        doc = c.get("/openapi.json").json()
    assert set(doc["paths"]) >= {"/api/v1/incidents", "/api/v1/people/{person_id}"}
    responses = doc["paths"]["/api/v1/incidents"]["get"]["responses"]
    assert responses["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert not any(p.startswith(("/login", "/incidents", "/people")) for p in doc["paths"])
