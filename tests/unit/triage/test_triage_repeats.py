"""Repeat flags: 3 or more (the call included) in 3 months; 12 months shown."""

from __future__ import annotations

import datetime as dt

from asbhub.triage import rules
from asbhub.triage.repeats import Earlier, RepeatKind, evaluate

R = rules.load().repeats
NOW = dt.datetime(2026, 6, 15, 12, 0)


def e(i: int, days_ago: float, **kw: object) -> Earlier:
    return Earlier(i, f"REF{i}", NOW - dt.timedelta(days=days_ago), "person", **kw)  # type: ignore[arg-type]


def test_two_earlier_in_three_months_and_the_call_make_a_repeat() -> None:
    r = evaluate(R, RepeatKind.VICTIM, [e(1, 10), e(2, 80)], now=NOW)
    assert (r.repeat, r.count_in_window, r.threshold, r.window_months) == (True, 2, 3, 3)


def test_one_outside_the_window_is_shown_but_not_counted() -> None:
    r = evaluate(R, RepeatKind.LOCATION, [e(1, 10), e(2, 100)], now=NOW)  # 15 March is 92 days
    assert not r.repeat and r.count_in_window == 1
    assert [x.reference for x in r.shown] == ["REF1", "REF2"]


def test_window_edge_is_a_calendar_month() -> None:
    edge = Earlier(3, "EDGE", dt.datetime(2026, 3, 15, 12, 0), "person")
    r = evaluate(R, RepeatKind.OFFENDER, [e(1, 1), edge], now=NOW)
    assert r.repeat  # exactly three months back is inside


def test_history_beyond_twelve_months_covid_and_future_are_left_out() -> None:
    r = evaluate(
        R,
        RepeatKind.VICTIM,
        [e(1, 400), e(2, 5, covid_breach=True), e(3, -1), e(4, 30)],
        now=NOW,
    )
    assert [x.reference for x in r.shown] == ["REF4"]


def test_the_same_incident_matched_twice_counts_once() -> None:
    r = evaluate(R, RepeatKind.LOCATION, [e(1, 10), e(1, 10), e(2, 20)], now=NOW)
    assert r.count_in_window == 2 and r.repeat
    r = evaluate(R, RepeatKind.LOCATION, [e(1, 10), e(1, 10)], now=NOW)
    assert r.count_in_window == 1 and not r.repeat
