"""Generated live chat history: every conversation of the deep dive, linked, timed, transcribed.

The run's six generated years (``deep_dive_db``) hold every chat (2020/21); a shorter run on
SQLite and PostgreSQL must give exactly its chats for the same months, and ``replace`` must
swap them without leaving transcripts behind.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from asbhub.contact.service import chat_by_token
from asbhub.errors import Conflict, NotFound
from asbhub.generate.chats import HANDLE_CAP, WAIT_CAP
from asbhub.generate.service import generate
from asbhub.store.engine import make_engine, session_scope

SEED = 2021  # the seed of deep_dive_db
_ROOT = Path(__file__).resolve().parents[3]
DEEP_DIVE = next(
    p / "data" / "deep-dive-2021"
    for p in (_ROOT.parent / "shared", _ROOT.parent.parent / "shared")
    if p.exists()
)


def published(measure: str, start: str) -> int:
    with (DEEP_DIVE / "channels.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if (row["channel"], row["measure"], row["period_start"]) == (
                "live_chat",
                measure,
                start,
            ):
                return int(float(row["value"]))
    raise LookupError(measure, start)


@pytest.fixture(scope="module")
def year(
    deep_dive_db: str, deep_dive_report: dict[str, object]
) -> Iterator[tuple[Engine, dict[str, object]]]:
    """The run's six generated years (tests/conftest.py, seed 2021): live chat began in April
    2020, so every chat is in 2020/21."""
    engine = make_engine(deep_dive_db)
    yield engine, deep_dive_report
    engine.dispose()


def _chats(engine: Engine, where: str = "") -> pd.DataFrame:
    df = pd.read_sql(
        "SELECT c.id, c.token_hash, c.status, c.display_name, c.topic, c.started_at, "
        "c.taken_at, c.closed_at, c.waiting_seconds, c.handling_seconds, c.handler_id, "
        "c.handler_name, i.reference, i.received_at, i.channel "
        f"FROM chats c LEFT JOIN incidents i ON i.id = c.incident_id {where} "
        "ORDER BY c.started_at, c.id",
        engine,
    )
    for col in ("started_at", "taken_at", "closed_at", "received_at"):
        df[col] = pd.to_datetime(df[col]).astype("datetime64[us]")
    return df


def _lines(engine: Engine, where: str = "") -> pd.DataFrame:
    df = pd.read_sql(
        "SELECT m.chat_id, c.started_at, m.sent_at, m.sender, m.body FROM chat_messages m "
        f"JOIN chats c ON c.id = m.chat_id {where} ORDER BY c.started_at, c.id, m.id",
        engine,
    )
    for col in ("started_at", "sent_at"):
        df[col] = pd.to_datetime(df[col]).astype("datetime64[us]")
    return df


def test_every_published_chat_is_generated(year: tuple[Engine, dict[str, object]]) -> None:
    engine, report = year
    chats = _chats(engine)
    day = chats["started_at"].dt.normalize()
    in_2020 = chats[day <= "2020-12-31"]
    assert len(in_2020) == published("conversations", "2020-04-28")  # 10,730
    assert in_2020["started_at"].min().normalize() == pd.Timestamp("2020-04-28")
    oct_dec = (day >= "2020-10-01") & (day <= "2020-12-31")
    jul_sep = (day >= "2020-07-01") & (day <= "2020-09-30")
    assert oct_dec.sum() == published("conversations", "2020-10-01")  # 3,535
    assert oct_dec.sum() - jul_sep.sum() == published(
        "change_on_previous_quarter", "2020-10-01"
    )  # -1,464
    # January to March 2021 carries on at Q3's rate: 3,535 / 92 days x 90 days.
    assert (day >= "2021-01-01").sum() == round(3535 / 92 * 90)
    assert report["chats"] == len(chats)
    assert report["chat_messages"] == len(_lines(engine))


def test_live_chat_incidents_are_linked_to_their_chats(
    year: tuple[Engine, dict[str, object]],
) -> None:
    engine, _ = year
    chats = _chats(engine)
    linked = chats[chats["reference"].notna()]
    incidents = pd.read_sql("SELECT COUNT(*) n FROM incidents WHERE channel = 'live_chat'", engine)
    assert len(linked) == incidents["n"][0] > 0
    assert (linked["channel"] == "live_chat").all()
    # The incident was received when the chat started, and a handler took the chat.
    assert (linked["received_at"] == linked["started_at"]).all()
    assert linked["taken_at"].notna().all()
    # About a quarter of chats became ASB incidents (the generator's assumption).
    assert 0.2 < len(linked) / len(chats) < 0.3


def test_waiting_and_handling_times(year: tuple[Engine, dict[str, object]]) -> None:
    engine, _ = year
    chats = _chats(engine)
    assert (chats["status"] == "closed").all() and chats["handler_id"].isna().all()
    taken = chats[chats["taken_at"].notna()]
    left = chats[chats["taken_at"].isna()]
    # Stored times agree with the timestamps, as the live service stores them.
    wait = (taken["taken_at"] - taken["started_at"]).dt.total_seconds()
    handle = (taken["closed_at"] - taken["taken_at"]).dt.total_seconds()
    assert (wait == taken["waiting_seconds"]).all() and (handle == taken["handling_seconds"]).all()
    assert taken["handler_name"].notna().all()
    # Some of the public give up waiting: no handler, no waiting or handling time.
    assert 0.03 < len(left) / len(chats) < 0.2
    assert left["waiting_seconds"].isna().all() and left["handling_seconds"].isna().all()
    assert left["handler_name"].isna().all() and (left["closed_at"] > left["started_at"]).all()
    # Right-skewed: most waits are short, a few are long; handling takes minutes.
    assert 60 < wait.median() < 180 and wait.quantile(0.95) > 2 * wait.median()
    assert wait.max() <= WAIT_CAP and handle.max() <= HANDLE_CAP
    assert 6 * 60 < handle.median() < 15 * 60
    # Waits are longer in the busy afternoon than in the small hours.
    hour = taken["started_at"].dt.hour
    assert wait[hour.between(13, 20)].median() > wait[hour.between(1, 5)].median()
    # Recording an ASB incident takes longer than a general enquiry.
    asb = taken["reference"].notna()
    assert handle[asb].median() > handle[~asb].median()


def test_transcripts(year: tuple[Engine, dict[str, object]]) -> None:
    engine, _ = year
    chats = _chats(engine)
    lines = _lines(engine)
    per_chat = lines.groupby("chat_id").size()
    assert len(per_chat) == len(chats) and per_chat.between(2, 5).all()
    first = lines.groupby("chat_id").first()
    assert (first["sender"] == "public").all()
    recorded = lines[lines["body"].str.startswith("Recorded as incident SYN-")]
    assert len(recorded) == chats["reference"].notna().sum()
    assert set(lines["sender"]) == {"public", "handler", "system"}
    assert (lines["sent_at"] >= lines["started_at"]).all()


def test_generated_chats_have_no_token(year: tuple[Engine, dict[str, object]]) -> None:
    engine, _ = year
    chats = _chats(engine)
    assert chats["token_hash"].str.startswith("SYN-").all()
    with session_scope(engine) as s, pytest.raises(NotFound):
        chat_by_token(s, str(chats["token_hash"][0]), force_code="essex")


WINDOW = "WHERE c.started_at >= '2020-10-01' AND c.started_at < '2021-01-01'"


def test_short_period_gives_the_same_chats_and_replace_swaps_them(
    engine: Engine, year: tuple[Engine, dict[str, object]]
) -> None:
    """Runs on SQLite and PostgreSQL against the SQLite run of the whole year."""
    first = generate(engine, force_code="essex", start="2020-10", end="2020-12", seed=SEED)
    assert first["chats"] == 3535
    drop = ["id"]  # ids depend on what the database already holds
    got, want = (
        _chats(engine, WINDOW).drop(columns=drop),
        _chats(year[0], WINDOW).drop(columns=drop),
    )
    got["token_hash"] = want["token_hash"] = None
    pd.testing.assert_frame_equal(got, want)
    pd.testing.assert_frame_equal(
        _lines(engine, WINDOW).drop(columns="chat_id"),
        _lines(year[0], WINDOW).drop(columns="chat_id"),
    )

    with pytest.raises(Conflict, match="3,535 generated chats"):
        generate(engine, force_code="essex", start="2020-10", end="2020-12", seed=SEED)
    other = generate(
        engine, force_code="essex", start="2020-10", end="2020-12", seed=SEED + 1, replace=True
    )
    assert other["replaced_chats"] == 3535 and other["chats"] == 3535
    counts = pd.read_sql(
        "SELECT (SELECT COUNT(*) FROM chats) c, (SELECT COUNT(*) FROM chat_messages) m, "
        "(SELECT COUNT(DISTINCT chat_id) FROM chat_messages) mc",
        engine,
    ).iloc[0]
    assert counts["c"] == counts["mc"] == 3535 and counts["m"] == other["chat_messages"]
    assert (_chats(engine)["topic"] != got["topic"]).mean() > 0.5
