"""Channel counts on generated history against the published deep-dive figures (section 4.6).

The generator writes the online reports and every live chat conversation (the chats that became
ASB incidents linked to them), so both channels' published figures come back exactly, through
the library function and through the API.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, select
from starlette.testclient import TestClient

from asbhub.auth.service import add_user
from asbhub.contact.counts import channel_counts
from asbhub.contact.models import Chat
from asbhub.incidents.models import Channel, Incident
from asbhub.permissions import Actor, Role
from asbhub.store.engine import make_engine, session_scope
from asbhub.web.app import create_app

# ../shared/data/deep-dive-2021, found as tests/conftest.py finds it (beside or above the clone).
_ROOT = Path(__file__).resolve().parents[3]
DEEP_DIVE = next(
    p / "data" / "deep-dive-2021"
    for p in (_ROOT.parent / "shared", _ROOT.parent.parent / "shared")
    if p.exists()
)
PASSWORD = "fictitious-password-4"
# Cheap hashing for the one account these tests sign in with.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
ANALYST = Actor(
    user_id=1, username="analyst", display_name="Analyst", role=Role.ANALYST, force_code="essex"
)


def seed_figure(channel: str, measure: str, start: str) -> float:
    with (DEEP_DIVE / "channels.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if (row["channel"], row["measure"], row["period_start"]) == (channel, measure, start):
                return float(row["value"])
    raise LookupError((channel, measure, start))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, deep_dive_db: str) -> Iterator[Engine]:
    """A copy of the run's six generated years (it adds an account to sign in with)."""
    path = tmp_path_factory.mktemp("channels") / "gen.db"
    shutil.copyfile(Path(deep_dive_db.removeprefix("sqlite:///")), path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def test_online_reports_match_the_seed(generated: Engine) -> None:
    with session_scope(generated) as s:
        out = channel_counts(s, actor=ANALYST, start=dt.date(2020, 4, 1), end=dt.date(2020, 12, 31))
    online = out["totals"]["online_reports"]
    assert online["first_day"] == "2020-05-24"
    assert online["count"] == seed_figure("online_asb_report", "reports", "2020-05-24")  # 1,975
    assert online["per_day"] == seed_figure("online_asb_report", "per_day", "2020-05-24")  # 8.9
    q3 = next(q for q in out["quarters"] if q["quarter"] == "2020-21 Q3")
    assert q3["online_reports"] == seed_figure("online_asb_report", "reports", "2020-10-01")
    assert q3["online_reports_change"] == seed_figure(
        "online_asb_report", "change_on_previous_quarter", "2020-10-01"
    )  # -177
    q1 = next(q for q in out["quarters"] if q["quarter"] == "2020-21 Q1")
    assert not q1["partial"] and q1["online_reports"] == 332


def _chat_figures_hold(out: dict[str, Any]) -> None:
    chats = out["totals"]["chats"]
    assert chats["first_day"] == "2020-04-28"
    assert chats["count"] == seed_figure("live_chat", "conversations", "2020-04-28")  # 10,730
    assert round(chats["per_day"]) == seed_figure("live_chat", "per_day", "2020-04-28")  # 43
    q3 = next(q for q in out["quarters"] if q["quarter"] == "2020-21 Q3")
    assert q3["chats"] == seed_figure("live_chat", "conversations", "2020-10-01")  # 3,535
    assert q3["chats_change"] == seed_figure(
        "live_chat", "change_on_previous_quarter", "2020-10-01"
    )  # -1,464


def test_generated_chat_history_reproduces_the_seed(generated: Engine) -> None:
    with session_scope(generated) as s:
        out = channel_counts(s, actor=ANALYST, start=dt.date(2020, 4, 1), end=dt.date(2020, 12, 31))
        # The store runs on to March 2021: the period's chats are those started before 2021.
        end = dt.datetime(2021, 1, 1)
        chat_rows = s.scalar(select(func.count()).select_from(Chat).where(Chat.started_at < end))
        live_chat_incidents = s.scalar(
            select(func.count())
            .select_from(Incident)
            .where(Incident.channel == Channel.LIVE_CHAT, Incident.received_at < end)
        )
        linked = s.scalar(
            select(func.count())
            .select_from(Chat)
            .where(Chat.incident_id.is_not(None), Chat.started_at < end)
        )
    _chat_figures_hold(out)
    # Counted from the chats table: every live chat incident is one of the chats.
    assert chat_rows == out["totals"]["chats"]["count"]
    assert linked == live_chat_incidents and 0 < linked < chat_rows
    q1 = next(q for q in out["quarters"] if q["quarter"] == "2020-21 Q1")
    q2 = next(q for q in out["quarters"] if q["quarter"] == "2020-21 Q2")
    assert (q1["chats"], q2["chats"]) == (2196, 4999)


def test_channel_counts_api_on_generated_history(
    generated: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("asbhub.auth.service._hasher", FAST_HASHER)
    with session_scope(generated) as s:
        add_user(s, username="board.analyst", password=PASSWORD, role="analyst", force_code="essex")
    with TestClient(create_app(str(generated.url))) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        signed = client.post(
            "/login",
            data={"username": "board.analyst", "password": PASSWORD, "csrf_token": token[1]},
            follow_redirects=False,
        )
        assert signed.status_code == 303, signed.text
        r = client.get(
            "/api/v1/channels/counts", params={"start": "2020-04-01", "end": "2020-12-31"}
        )
    assert r.status_code == 200, r.text
    body = r.json()
    _chat_figures_hold(body)
    assert body["totals"]["online_reports"]["count"] == 1975
