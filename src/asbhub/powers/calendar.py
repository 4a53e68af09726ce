"""The legal calendar: periods in hours, days, weeks, months and years, with the days a rule
says are not counted, and working days on the bank holidays of England and Wales.

The Act counts two ways. A period "of 24 hours" with "Christmas Day disregarded" (s.77, s.80)
or "Christmas Day, Good Friday and any Sunday" not counted (s.9) runs the clock through every
hour except those of the excluded days. A period in days, weeks or months (an appeal "within
21 days", an order "for 3 months") is calendar time; a court deadline that ends on a day the
court office is closed moves to the next working day (CPR 2.8(5), CrimPR 2.2), which is why
the bank holidays are needed. They come from the ``holidays`` library's England calendar
(England and Wales share bank holidays), which includes the substitute days and one-off
holidays (the 2022 jubilee and state funeral).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import holidays

from asbhub.errors import InvalidInput

EXCLUDABLE = ("christmas_day", "good_friday", "sunday")

_ISO = re.compile(
    r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?)?$"
)


@dataclass(frozen=True, order=True)
class Period:
    """An ISO 8601 duration of whole years, months, weeks, days or hours (``P3M``, ``PT48H``)."""

    years: int = 0
    months: int = 0
    days: int = 0
    hours: int = 0

    @classmethod
    def parse(cls, text: str, where: str = "duration") -> Period:
        m = _ISO.match(text.strip().upper()) if text else None
        if not m or text.strip().upper() in ("P", "PT"):
            raise InvalidInput(
                f"{text!r} is not a period", {where: "use ISO 8601: P14D, P6W, P3M, P2Y or PT48H"}
            )
        g = {k: int(v) if v else 0 for k, v in m.groupdict().items()}
        return cls(g["years"], g["months"], g["weeks"] * 7 + g["days"], g["hours"])

    @property
    def iso(self) -> str:
        date = "".join(f"{n}{u}" for n, u in ((self.years, "Y"), (self.months, "M")) if n)
        if self.days:
            date += f"{self.days}D"
        time = f"T{self.hours}H" if self.hours else ""
        return f"P{date}{time}" if date or time else "PT0H"

    @property
    def in_hours(self) -> bool:
        return self.hours > 0 and not (self.years or self.months or self.days)

    def words(self) -> str:
        parts = []
        for n, unit in (
            (self.years, "year"),
            (self.months, "month"),
            (self.days, "day"),
            (self.hours, "hour"),
        ):
            if n:
                parts.append(f"{n} {unit}{'' if n == 1 else 's'}")
        return ", ".join(parts) or "no time"

    def after(self, start: dt.datetime) -> dt.datetime:
        """``start`` plus this period on the calendar (a month from 31 January is the last day
        of February)."""
        total = start.month - 1 + self.months + 12 * self.years
        year, month = start.year + total // 12, total % 12 + 1
        day = min(start.day, _days_in_month(year, month))
        moved = start.replace(year=year, month=month, day=day)
        return moved + dt.timedelta(days=self.days, hours=self.hours)


def _days_in_month(year: int, month: int) -> int:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return (nxt - dt.timedelta(days=1)).day


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> dict[dt.date, str]:
    return dict(holidays.country_holidays("GB", subdiv="ENG", years=year).items())


def bank_holiday(day: dt.date) -> str | None:
    """The bank holiday of England and Wales on ``day`` (its name), if any."""
    return _bank_holidays(day.year).get(day)


def good_friday(year: int) -> dt.date:
    for day, name in _bank_holidays(year).items():
        if name == "Good Friday":
            return day
    raise ValueError(f"no Good Friday found for {year}")  # pragma: no cover - every year has one


def is_excluded(day: dt.date, exclude: Iterable[str]) -> str | None:
    """Which of ``exclude`` (``christmas_day``, ``good_friday``, ``sunday``) ``day`` is."""
    for kind in exclude:
        if kind == "christmas_day" and (day.month, day.day) == (12, 25):
            return "Christmas Day"
        if kind == "good_friday" and day == good_friday(day.year):
            return "Good Friday"
        if kind == "sunday" and day.weekday() == 6:
            return "Sunday"
        if kind not in EXCLUDABLE:
            raise ValueError(f"unknown excluded day {kind!r}")
    return None


def add_hours(start: dt.datetime, hours: int, exclude: Iterable[str] = ()) -> dt.datetime:
    """``start`` plus ``hours`` of counted time: the hours of excluded days do not run."""
    skip = tuple(exclude)
    at, left = start, dt.timedelta(hours=hours)
    while True:
        if is_excluded(at.date(), skip):
            at = dt.datetime.combine(at.date() + dt.timedelta(days=1), dt.time())
            continue
        midnight = dt.datetime.combine(at.date() + dt.timedelta(days=1), dt.time())
        if at + left <= midnight:
            return at + left
        left -= midnight - at
        at = midnight


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and bank_holiday(day) is None


def next_working_day(day: dt.date) -> dt.date:
    """``day`` itself if courts and offices are open on it, else the next day they are."""
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def add_working_days(day: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``day`` (``n`` may be negative: before it)."""
    step = 1 if n >= 0 else -1
    left = abs(n)
    while left:
        day += dt.timedelta(days=step)
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative if ``end`` is
    earlier)."""
    if end < start:
        return -working_days_between(end, start)
    return sum(
        1 for i in range(1, (end - start).days + 1) if is_working_day(start + dt.timedelta(days=i))
    )


def deadline(
    start: dt.datetime,
    period: Period,
    *,
    exclude: Iterable[str] = (),
    roll_to_working_day: bool = False,
    beginning_with: bool = False,
) -> dt.datetime:
    """The end of ``period`` from ``start`` on the legal calendar.

    A period in hours runs only through the hours of days not excluded. A period in days or
    longer ends at the end of its last day. A period "beginning with the day" of an event
    (s.46(1): "21 days beginning with the day on which the notice is issued") counts that day
    as the first, so a notice issued on 1 March may be appealed until 21 March; otherwise the
    period starts the next day. With ``roll_to_working_day`` a last day that is a weekend or a
    bank holiday moves to the next working day.
    """
    if period.in_hours:
        return add_hours(start, period.hours, exclude)
    last = period.after(start).date()
    if beginning_with:
        last -= dt.timedelta(days=1)
    if roll_to_working_day:
        last = next_working_day(last)
    return dt.datetime.combine(last, dt.time(23, 59, 59))
