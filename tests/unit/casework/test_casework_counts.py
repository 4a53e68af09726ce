"""The SARA counts on hand-made incident sets: target, buffer and control areas, windows, the
weighted displacement quotient and its verdicts."""

from __future__ import annotations

import datetime as dt

import pytest

from asbhub.casework.counts import (
    AreaCounts,
    Place,
    Point,
    Window,
    area_counts,
    assess,
    baseline_window,
)

LA, OTHER = "E07000066", "E07000071"
PLACE = Place(x=570000.0, y=190000.0, radius_m=100, buffer_m=500, local_authority_code=LA)
JAN = Window(dt.date(2026, 1, 1), dt.date(2026, 1, 31))


def at(dx: float, dy: float, day: int = 10, la: str | None = LA, **kw: object) -> Point:
    return Point(dt.datetime(2026, 1, day, 12), 570000.0 + dx, 190000.0 + dy, la, **kw)  # type: ignore[arg-type]


def test_points_fall_in_target_buffer_or_control_by_distance() -> None:
    points = [
        at(0, 0),
        at(60, 80),  # exactly 100 m: the target includes its edge
        at(100.1, 0),  # just outside: buffer
        at(300, 400),  # exactly 500 m: buffer
        at(501, 0),  # control (same area)
        at(5000, 0),
        at(5000, 0, la=OTHER),  # another area, far: not counted at all
        at(200, 0, la=OTHER),  # another area, but in the buffer: buffer (distance decides)
        Point(dt.datetime(2026, 1, 5), None, None, LA),  # no position, in the area: control
    ]
    assert area_counts(points, PLACE, JAN) == AreaCounts(target=2, buffer=3, control=3)


def test_the_window_is_whole_days_and_covid_breaches_are_left_out() -> None:
    points = [
        Point(dt.datetime(2025, 12, 31, 23, 59), 570000.0, 190000.0, LA),
        Point(dt.datetime(2026, 1, 1, 0, 0), 570000.0, 190000.0, LA),
        Point(dt.datetime(2026, 1, 31, 23, 59), 570000.0, 190000.0, LA),
        Point(dt.datetime(2026, 2, 1, 0, 0), 570000.0, 190000.0, LA),
        at(0, 0, covid_breach=True),
    ]
    assert area_counts(points, PLACE, JAN).target == 2
    assert area_counts(points, PLACE, JAN, exclude_covid=False).target == 3


def test_baseline_window_is_the_whole_months_before_opening() -> None:
    assert baseline_window(dt.date(2026, 3, 17), 6) == Window(
        dt.date(2025, 9, 1), dt.date(2026, 2, 28)
    )
    assert baseline_window(dt.date(2026, 1, 1), 1) == Window(
        dt.date(2025, 12, 1), dt.date(2025, 12, 31)
    )
    assert JAN.days == 31


@pytest.mark.parametrize(
    ("before", "after", "wdq", "verdict"),
    [
        # Target 20 -> 10 against a flat control; the buffer halves too: diffusion of benefits.
        (AreaCounts(20, 10, 100), AreaCounts(10, 5, 100), 0.5, "diffusion"),
        # The buffer does not move: no displacement.
        (AreaCounts(20, 10, 100), AreaCounts(10, 10, 100), 0.0, "none"),
        # The buffer rises by 5 while the target falls by 10: some displacement.
        (AreaCounts(20, 10, 100), AreaCounts(10, 15, 100), -0.5, "displacement"),
        # The buffer rises by more than the target fell.
        (AreaCounts(20, 10, 100), AreaCounts(10, 25, 100), -1.5, "displacement_exceeds"),
        # The control doubled while the target stayed: relative fall, weighted by the control.
        (AreaCounts(20, 10, 100), AreaCounts(20, 20, 200), 0.0, "none"),
        # The target rose against the control: the response did not work, no WDQ.
        (AreaCounts(10, 10, 100), AreaCounts(12, 10, 100), None, "no_reduction"),
        (AreaCounts(10, 10, 0), AreaCounts(5, 10, 10), None, "no_control"),
    ],
)
def test_the_displacement_check(
    before: AreaCounts, after: AreaCounts, wdq: float | None, verdict: str
) -> None:
    result = assess(before, after)
    assert result.wdq == wdq and result.displacement == verdict
    assert result.target_change == after.target - before.target


def test_the_change_in_percent() -> None:
    assert assess(AreaCounts(8, 0, 50), AreaCounts(2, 0, 50)).target_change_pct == -75.0
    assert assess(AreaCounts(0, 0, 50), AreaCounts(2, 0, 50)).target_change_pct is None
