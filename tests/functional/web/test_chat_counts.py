"""The board's channel counts through the API and the page, on both databases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.checks import not_a_server_error, response_schema_conformance
from sqlalchemy import Engine
from starlette.testclient import TestClient
from webseed import FAST_HASHER, sign_in

from asbhub.auth.service import add_user
from asbhub.contact.models import Chat
from asbhub.incidents.models import Channel, Incident, IncidentType
from asbhub.store.engine import session_scope
from asbhub.web.app import SESSION_COOKIE, create_app

PASSWORD = "fictitious-password-3"


@pytest.fixture
def analyst(db_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setattr("asbhub.auth.service._hasher", FAST_HASHER)
    with session_scope(engine) as s:
        add_user(s, username="analyst1", password=PASSWORD, role="analyst", force_code="essex")
        # Jul-Sep: 3 online, 2 chats; Oct-Dec: 1 online, 4 chats (one recorded as an incident).
        days = {
            Channel.ONLINE: ["2020-07-01", "2020-08-15", "2020-09-30", "2020-12-31"],
            Channel.NON_EMERGENCY: ["2020-08-01"],
            Channel.LIVE_CHAT: ["2020-08-02", "2020-11-05"],
        }
        linked = None
        for channel, ds in days.items():
            for n, d in enumerate(ds):
                inc = Incident(
                    force_code="essex",
                    reference=f"T-{channel.value}-{n}",
                    received_at=dt.datetime.fromisoformat(d) + dt.timedelta(hours=12),
                    channel=channel,
                    opening_code=IncidentType.NOISE,
                )
                s.add(inc)
                linked = inc
        s.flush()
        for n, d in enumerate(["2020-10-01", "2020-11-05", "2020-12-31"]):
            s.add(
                Chat(
                    force_code="essex",
                    token_hash=f"{n:064d}",
                    status="closed",
                    started_at=dt.datetime.fromisoformat(d) + dt.timedelta(hours=9),
                    incident_id=linked.id if n == 1 else None,
                )
            )
    app: FastAPI = create_app(db_url)
    with TestClient(app, raise_server_exceptions=False) as c:
        sign_in(c, "analyst1", PASSWORD)
        yield c


def test_counts_api(analyst: TestClient) -> None:
    r = analyst.get("/api/v1/channels/counts", params={"start": "2020-07-01", "end": "2020-12-31"})
    assert r.status_code == 200, r.text
    body = r.json()
    q2, q3 = body["quarters"]
    assert (q2["quarter"], q2["online_reports"], q2["chats"]) == ("2020-21 Q2", 3, 1)
    assert (q3["quarter"], q3["online_reports"], q3["chats"]) == ("2020-21 Q3", 1, 3)
    assert q3["online_reports_change"] == -2 and q3["chats_change"] == 2
    assert q2["online_reports_change"] is None and not q3["partial"]
    assert body["totals"]["online_reports"] == {
        "count": 4,
        "first_day": "2020-07-01",
        "days": 184,
        "per_day": 0.0,
    }
    assert len(body["daily"]) == 184
    assert body["daily"][0] == {"day": "2020-07-01", "online_reports": 1, "chats": 0}
    assert "financial" in body["definitions"]["quarter"].lower()


def test_counts_api_defaults_to_the_latest_financial_years(analyst: TestClient) -> None:
    body = analyst.get("/api/v1/channels/counts").json()
    assert body["start"] == "2019-04-01" and body["end"] == "2020-12-31"


def test_counts_api_refuses_a_backwards_period(analyst: TestClient) -> None:
    r = analyst.get("/api/v1/channels/counts", params={"start": "2021-01-01", "end": "2020-01-01"})
    assert r.status_code == 422
    assert r.json()["error"]["fields"] == {"end": "must not be before start"}
    for start, end in [("9999-12-30", "9999-12-31"), ("0001-01-01", "0001-01-02")]:
        r = analyst.get("/api/v1/channels/counts", params={"start": start, "end": end})
        assert r.status_code == 422 and r.json()["error"]["fields"]
    r = analyst.get("/api/v1/channels/counts", params={"start": "yesterday"})
    assert r.status_code == 422 and "start" in r.json()["error"]["fields"]


def test_counts_page(analyst: TestClient) -> None:
    r = analyst.get("/contact/channels", params={"start": "2020-07-01", "end": "2020-12-31"})
    assert r.status_code == 200
    assert 'data-testid="channel-quarters"' in r.text
    assert "2020-21 Q3" in r.text and "-2" in r.text and "+2" in r.text


counts_schema = schemathesis.openapi.from_asgi("/openapi.json", create_app("sqlite://")).include(
    path="/api/v1/channels/counts"
)


@counts_schema.parametrize()
@hypothesis.settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_counts_api_matches_its_schema(case: Any, analyst: TestClient) -> None:
    """As an analyst (who may read the counts): no 5xx, and every response fits the schema."""
    cookie = f"{SESSION_COOKIE}={analyst.cookies[SESSION_COOKIE]}"
    case.call_and_validate(
        app=analyst.app,
        headers={"Cookie": cookie},
        checks=[not_a_server_error, response_schema_conformance],
    )
