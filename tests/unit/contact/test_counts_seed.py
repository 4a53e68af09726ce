"""Channel counts on generated history against the published deep-dive figures (section 4.6).

The generator reproduces the online reports exactly; live chat history is generated only for
chats that became ASB incidents, so its counts are checked against an independent count.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from asbhub.contact.counts import channel_counts
from asbhub.generate.service import generate
from asbhub.permissions import Actor, Role
from asbhub.store.engine import make_engine, session_scope
from asbhub.store.models import Channel, Incident

# ../shared/data/deep-dive-2021, found as tests/conftest.py finds it (beside or above the clone).
_ROOT = Path(__file__).resolve().parents[3]
DEEP_DIVE = next(
    p / "data" / "deep-dive-2021"
    for p in (_ROOT.parent / "shared", _ROOT.parent.parent / "shared")
    if p.exists()
)
ANALYST = Actor(user_id=1, username="analyst", display_name="Analyst", role=Role.ANALYST)


def seed_figure(channel: str, measure: str, start: str) -> float:
    with (DEEP_DIVE / "channels.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if (row["channel"], row["measure"], row["period_start"]) == (channel, measure, start):
                return float(row["value"])
    raise LookupError((channel, measure, start))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("channels") / "gen.db"
    shutil.copyfile(_sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    generate(engine, force_code="essex", start="2020-04", end="2020-12", seed=11)
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


def test_generated_chat_history_is_counted_from_live_chat_incidents(generated: Engine) -> None:
    with session_scope(generated) as s:
        out = channel_counts(
            s, actor=ANALYST, start=dt.date(2020, 10, 1), end=dt.date(2020, 12, 31)
        )
        independent = s.scalar(
            select(func.count())
            .select_from(Incident)
            .where(
                Incident.channel == Channel.LIVE_CHAT,
                Incident.received_at >= dt.datetime(2020, 10, 1),
                Incident.received_at < dt.datetime(2021, 1, 1),
            )
        )
    assert out["quarters"][0]["chats"] == independent
    # Only chats that became ASB incidents are generated: fewer than all the seed's chats.
    assert (
        0
        < out["totals"]["chats"]["count"]
        < seed_figure("live_chat", "conversations", "2020-10-01")
    )
