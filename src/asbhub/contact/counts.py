"""Counts of the public's channels that the board uses: online reports and live chats.

What each count means:

* **online reports** — incidents whose channel is ``online`` (reports made on the force's web
  form, whether stored by ``/report`` or imported or generated), by the day they were received.
* **chats** — live chat conversations by the day they started: every row of ``chats`` (taken or
  not, and whether or not it became an incident; the generator writes its whole chat history
  there), plus incidents with channel ``live_chat`` that no chat row points at (history
  imported without chat records). A chat turned into an incident is therefore counted once.
* **per day** — a period's count divided by the days from the first day the channel had any
  contact in the period to the end of the period, as the 2021 deep dive counts "since launch".
* **quarters** are financial: Q1 April–June, Q2 July–September, Q3 October–December,
  Q4 January–March, labelled by financial year (``2020-21 Q3``). The change is on the
  previous quarter; a quarter the period cuts short is marked partial.

The query returns one row per day and channel (grouped in the database); the rest are pure
functions of frames.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Select, extract, func, select
from sqlalchemy.orm import Session

from asbhub.contact.models import Chat
from asbhub.errors import InvalidInput
from asbhub.incidents.models import Channel, Incident
from asbhub.permissions import Action, Actor, require, restrict

COLUMNS = ("online_reports", "chats")

DEFINITIONS: dict[str, str] = {
    "online_reports": "Incidents received through the online report form (channel online), "
    "by the day received.",
    "chats": "Live chat conversations by the day they started: every chat, taken or not, plus "
    "live_chat incidents not linked to a chat (history imported without chat records).",
    "per_day": "Count divided by the days from the channel's first contact in the period to "
    "the period's end.",
    "quarter": "Financial quarters: Q1 Apr-Jun, Q2 Jul-Sep, Q3 Oct-Dec, Q4 Jan-Mar.",
    "change_on_previous_quarter": "This quarter's count minus the previous quarter's.",
}


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return (
        dt.datetime.combine(start, dt.time()),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time()),
    )


def _by_day(session: Session, stmt: Select[Any]) -> pd.Series:
    rows = session.execute(stmt).all()
    if not rows:
        return pd.Series(dtype="int64")
    days = pd.to_datetime([str(r[0])[:10] for r in rows])
    return pd.Series([int(r[1]) for r in rows], index=days, dtype="int64").groupby(level=0).sum()


def daily_counts(session: Session, *, actor: Actor, start: dt.date, end: dt.date) -> pd.DataFrame:
    """One row per day from ``start`` to ``end`` inclusive: online reports and chats."""
    if end < start:
        raise ValueError("end is before start")
    lo, hi = _bounds(start, end)
    inc_day = func.date(Incident.received_at)
    online = _by_day(
        session,
        restrict(
            actor,
            select(inc_day, func.count()).where(
                Incident.channel == Channel.ONLINE,
                Incident.received_at >= lo,
                Incident.received_at < hi,
            ),
            Incident,
        ).group_by(inc_day),
    )
    linked = (
        select(Chat.id)
        .where(Chat.force_code == Incident.force_code, Chat.incident_id == Incident.id)
        .exists()
    )
    chat_incidents = _by_day(
        session,
        restrict(
            actor,
            select(inc_day, func.count()).where(
                Incident.channel == Channel.LIVE_CHAT,
                Incident.received_at >= lo,
                Incident.received_at < hi,
                ~linked,
            ),
            Incident,
        ).group_by(inc_day),
    )
    chat_day = func.date(Chat.started_at)
    chats = _by_day(
        session,
        restrict(
            actor,
            select(chat_day, func.count()).where(Chat.started_at >= lo, Chat.started_at < hi),
            Chat,
        ).group_by(chat_day),
    )
    return frame_from_series(
        start, end, online_reports=online, chats=chats.add(chat_incidents, fill_value=0)
    )


def months_with_contact(session: Session, *, actor: Actor) -> dict[str, int]:
    """Chats and online / live chat incidents per month (YYYY-MM), months with any only."""
    require(actor, Action.CHANNELS_VIEW)
    out: dict[str, int] = {}
    inc_year, inc_month = (
        extract("year", Incident.received_at),
        extract("month", Incident.received_at),
    )
    chat_year, chat_month = extract("year", Chat.started_at), extract("month", Chat.started_at)
    for stmt in (
        restrict(
            actor,
            select(inc_year, inc_month, func.count())
            .where(Incident.channel.in_([Channel.ONLINE, Channel.LIVE_CHAT]))
            .group_by(inc_year, inc_month),
            Incident,
        ),
        restrict(
            actor,
            select(chat_year, chat_month, func.count()).group_by(chat_year, chat_month),
            Chat,
        ),
    ):
        for y, m, n in session.execute(stmt):
            key = f"{int(y):04d}-{int(m):02d}"
            out[key] = out.get(key, 0) + int(n)
    return dict(sorted(out.items()))


def frame_from_series(start: dt.date, end: dt.date, **series: pd.Series) -> pd.DataFrame:
    """Align per-day series on every day of the period, zero where a day had nothing."""
    index = pd.date_range(start, end, freq="D", name="day")
    frame = pd.DataFrame(index=index)
    for name in COLUMNS:
        s = series.get(name, pd.Series(dtype="int64"))
        frame[name] = s.reindex(index, fill_value=0).astype("int64")
    return frame


def quarter_label(period: pd.Period) -> str:
    """``Period('2021Q3', 'Q-MAR')`` (Oct-Dec 2020) -> ``2020-21 Q3``."""
    fy_end = period.qyear
    return f"{fy_end - 1}-{fy_end % 100:02d} Q{period.quarter}"


def quarterly(daily: pd.DataFrame) -> pd.DataFrame:
    """Financial-quarter totals of a daily frame, with the change on the previous quarter."""
    if daily.empty:
        return pd.DataFrame(
            columns=[
                "quarter",
                "start",
                "end",
                "days",
                "partial",
                *COLUMNS,
                *(f"{c}_change" for c in COLUMNS),
            ]
        )
    idx = pd.DatetimeIndex(daily.index)
    periods = idx.to_period("Q-MAR")
    grouped = daily.groupby(periods)
    out = grouped[list(COLUMNS)].sum()
    out["days"] = grouped.size()
    quarters = pd.PeriodIndex(out.index, freq="Q-MAR")
    out["start"] = quarters.start_time.date
    out["end"] = quarters.end_time.date
    full_days = (quarters.end_time.normalize() - quarters.start_time).days + 1
    out["partial"] = out["days"].to_numpy() < full_days
    for c in COLUMNS:
        out[f"{c}_change"] = out[c].diff().astype("Int64")
    out.insert(0, "quarter", [quarter_label(p) for p in quarters])
    return out.reset_index(drop=True)


def period_summary(daily: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Count, first day and per-day rate of each channel over the whole daily frame."""
    out: dict[str, dict[str, Any]] = {}
    end = pd.Timestamp(daily.index.max()) if len(daily) else None
    for c in COLUMNS:
        col = daily[c] if c in daily else pd.Series(dtype="int64")
        total = int(col.sum())
        nonzero = col[col > 0]
        if total == 0 or end is None:
            out[c] = {"count": 0, "first_day": None, "days": 0, "per_day": 0.0}
            continue
        first = pd.Timestamp(nonzero.index.min())
        days = int((end - first).days) + 1
        out[c] = {
            "count": total,
            "first_day": first.date().isoformat(),
            "days": days,
            "per_day": round(total / days, 1),
        }
    return out


def default_period(session: Session, *, actor: Actor) -> tuple[dt.date, dt.date]:
    """The financial year of the latest contact through these channels, and the one before."""
    require(actor, Action.CHANNELS_VIEW)
    latest_incident = session.scalar(
        restrict(
            actor,
            select(func.max(Incident.received_at)).where(
                Incident.channel.in_([Channel.ONLINE, Channel.LIVE_CHAT])
            ),
            Incident,
        )
    )
    latest_chat = session.scalar(restrict(actor, select(func.max(Chat.started_at)), Chat))
    latest = max(
        (d for d in (latest_incident, latest_chat) if d is not None),
        default=dt.datetime.now(dt.UTC).replace(tzinfo=None),
    )
    end = latest.date()
    fy_start = end.year if end.month >= 4 else end.year - 1
    return dt.date(fy_start - 1, 4, 1), end


def _check_period(start: dt.date, end: dt.date) -> None:
    for name, day in (("start", start), ("end", end)):
        if not 2000 <= day.year <= 2100:
            raise InvalidInput("The period is not valid", {name: "must be in 2000-2100"})
    if end < start:
        raise InvalidInput("The period is not valid", {"end": "must not be before start"})
    if (end - start).days > 366 * 20:
        raise InvalidInput("The period is too long", {"start": "at most 20 years"})


def channel_counts(
    session: Session, *, actor: Actor, start: dt.date | None = None, end: dt.date | None = None
) -> dict[str, Any]:
    """Everything the board's channel table shows for the actor's force, JSON-ready
    (:class:`~asbhub.contact.schemas.ChannelCounts`).

    Without dates: from 1 April of the financial year before the latest contact, to that day
    (:func:`default_period`). Counts are force-wide aggregates with no identities.
    """
    require(actor, Action.CHANNELS_VIEW)
    if start is None or end is None:
        default_start, default_end = default_period(session, actor=actor)
        start, end = start or default_start, end or default_end
    _check_period(start, end)
    force_code = actor.force_code
    daily = daily_counts(session, actor=actor, start=start, end=end)
    q = quarterly(daily)
    quarters = []
    for row in q.to_dict(orient="records"):
        quarters.append(
            {
                "quarter": row["quarter"],
                "start": row["start"].isoformat(),
                "end": row["end"].isoformat(),
                "partial": bool(row["partial"]),
                **{c: int(row[c]) for c in COLUMNS},
                **{
                    f"{c}_change": None if pd.isna(row[f"{c}_change"]) else int(row[f"{c}_change"])
                    for c in COLUMNS
                },
            }
        )
    return {
        "force": force_code,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "totals": period_summary(daily),
        "quarters": quarters,
        "daily": [
            {"day": day.isoformat(), **{c: int(r[c]) for c in COLUMNS}}
            for day, r in zip(
                pd.DatetimeIndex(daily.index).date, daily.to_dict(orient="records"), strict=True
            )
        ],
        "definitions": DEFINITIONS,
    }
