"""Channel counts on hand-made data with known answers, and through the store on both databases."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import Engine

from asbhub.contact.counts import (
    channel_counts,
    frame_from_series,
    period_summary,
    quarter_label,
    quarterly,
)
from asbhub.contact.models import Chat, ChatStatus
from asbhub.errors import InvalidInput
from asbhub.incidents.models import Channel, Incident, IncidentType
from asbhub.permissions import Actor, Role
from asbhub.store.engine import session_scope

ANALYST = Actor(
    user_id=1, username="a", display_name="Analyst", role=Role.ANALYST, force_code="essex"
)


def _series(pairs: dict[str, int]) -> pd.Series:
    return pd.Series(list(pairs.values()), index=pd.to_datetime(list(pairs)), dtype="int64")


def test_quarter_labels_are_financial() -> None:
    assert quarter_label(pd.Period("2020-10-15", freq="Q-MAR")) == "2020-21 Q3"
    assert quarter_label(pd.Period("2020-04-01", freq="Q-MAR")) == "2020-21 Q1"
    assert quarter_label(pd.Period("2021-03-31", freq="Q-MAR")) == "2020-21 Q4"
    assert quarter_label(pd.Period("2021-04-01", freq="Q-MAR")) == "2021-22 Q1"


def test_quarterly_totals_changes_and_partial_quarters() -> None:
    daily = frame_from_series(
        dt.date(2020, 5, 24),
        dt.date(2021, 1, 10),
        online_reports=_series(
            {
                "2020-05-24": 2,
                "2020-06-30": 1,
                "2020-07-01": 5,
                "2020-09-30": 5,
                "2020-10-01": 3,
                "2021-01-10": 4,
            }
        ),
        chats=_series({"2020-08-01": 7, "2020-12-31": 2}),
    )
    q = quarterly(daily)
    assert list(q["quarter"]) == ["2020-21 Q1", "2020-21 Q2", "2020-21 Q3", "2020-21 Q4"]
    assert list(q["online_reports"]) == [3, 10, 3, 4]
    assert list(q["chats"]) == [0, 7, 2, 0]
    assert list(q["partial"]) == [True, False, False, True]
    assert pd.isna(q["online_reports_change"].iloc[0])
    assert list(q["online_reports_change"].iloc[1:]) == [7, -7, 1]
    assert list(q["chats_change"].iloc[1:]) == [7, -5, -2]
    assert q["start"].iloc[2] == dt.date(2020, 10, 1)
    assert q["end"].iloc[2] == dt.date(2020, 12, 31)


def test_per_day_counts_from_the_first_contact_in_the_period() -> None:
    # 10 reports from 1 Jan (first report) to 10 Jan inclusive: 10 days, 1.0 a day.
    daily = frame_from_series(
        dt.date(2021, 1, 1) - dt.timedelta(days=5),
        dt.date(2021, 1, 10),
        online_reports=_series({"2021-01-01": 4, "2021-01-05": 6}),
    )
    s = period_summary(daily)
    assert s["online_reports"] == {
        "count": 10,
        "first_day": "2021-01-01",
        "days": 10,
        "per_day": 1.0,
    }
    assert s["chats"]["count"] == 0 and s["chats"]["per_day"] == 0.0


def test_seed_rates_are_reproduced_from_counts() -> None:
    # The seed's per-day figures follow from its counts and launch dates.
    online = frame_from_series(
        dt.date(2020, 4, 1),
        dt.date(2020, 12, 31),
        online_reports=_series({"2020-05-24": 1975}),
        chats=_series({"2020-04-28": 10730}),
    )
    s = period_summary(online)
    assert s["online_reports"]["per_day"] == 8.9
    assert s["chats"]["per_day"] == 43.3


def _incident(ref: str, when: dt.datetime, channel: Channel) -> Incident:
    return Incident(
        force_code="essex",
        reference=ref,
        received_at=when,
        channel=channel,
        opening_code=IncidentType.NOISE,
    )


def test_store_counts_chats_once_and_by_force(engine: Engine) -> None:
    with session_scope(engine) as s:
        linked = _incident("C1", dt.datetime(2020, 10, 2, 9), Channel.LIVE_CHAT)
        s.add_all(
            [
                _incident("O1", dt.datetime(2020, 9, 30, 23, 59), Channel.ONLINE),
                _incident("O2", dt.datetime(2020, 10, 1, 0, 0), Channel.ONLINE),
                _incident("O3", dt.datetime(2020, 10, 1, 12), Channel.ONLINE),
                _incident("P1", dt.datetime(2020, 10, 1, 12), Channel.NON_EMERGENCY),
                _incident("H1", dt.datetime(2020, 8, 1, 12), Channel.LIVE_CHAT),
                linked,
            ]
        )
        kent = _incident("K1", dt.datetime(2020, 10, 1, 12), Channel.ONLINE)
        kent.force_code = "kent"
        s.add(kent)
        s.flush()
        for i, status in enumerate([ChatStatus.CLOSED, ChatStatus.WAITING]):
            s.add(
                Chat(
                    force_code="essex",
                    token_hash=f"{i:064d}",
                    status=status,
                    started_at=dt.datetime(2020, 10, 2, 8 + i),
                    incident_id=linked.id if i == 0 else None,
                )
            )
    with session_scope(engine) as s:
        out = channel_counts(s, actor=ANALYST, start=dt.date(2020, 7, 1), end=dt.date(2020, 12, 31))
    by_q = {q["quarter"]: q for q in out["quarters"]}
    assert by_q["2020-21 Q2"]["online_reports"] == 1
    assert by_q["2020-21 Q3"]["online_reports"] == 2
    assert by_q["2020-21 Q3"]["online_reports_change"] == 1
    # H1 (history without a transcript) in Q2; two chats in Q3, one of which became C1.
    assert by_q["2020-21 Q2"]["chats"] == 1
    assert by_q["2020-21 Q3"]["chats"] == 2
    days = {d["day"]: d for d in out["daily"]}
    assert days["2020-10-02"]["chats"] == 2
    assert days["2020-10-01"]["online_reports"] == 2
    assert len(out["daily"]) == 184
    assert out["totals"]["online_reports"]["count"] == 3


def test_empty_period_gives_zeros(engine: Engine) -> None:
    with session_scope(engine) as s:
        out = channel_counts(s, actor=ANALYST, start=dt.date(2021, 1, 1), end=dt.date(2021, 1, 31))
    assert out["totals"]["chats"]["count"] == 0
    assert out["quarters"][0]["online_reports"] == 0


def test_end_before_start_is_refused(engine: Engine) -> None:
    with session_scope(engine) as s, pytest.raises(InvalidInput) as err:
        channel_counts(s, actor=ANALYST, start=dt.date(2021, 2, 1), end=dt.date(2021, 1, 1))
    assert err.value.fields == {"end": "must not be before start"}
