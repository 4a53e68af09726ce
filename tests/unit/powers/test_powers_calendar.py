"""The legal calendar: hours that skip excluded days, periods in days and months, and working
days on the bank holidays of England and Wales (Christmas, Easter, substitute days)."""

from __future__ import annotations

import datetime as dt

import pytest

from asbhub.errors import InvalidInput
from asbhub.powers import calendar as cal

D = dt.datetime


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (dt.date(2026, 4, 3), "Good Friday"),
        (dt.date(2026, 4, 6), "Easter Monday"),
        (dt.date(2026, 12, 25), "Christmas Day"),
        (dt.date(2026, 12, 28), "Boxing Day (observed)"),  # the 26th is a Saturday
        (dt.date(2021, 12, 27), "Christmas Day (observed)"),
        (dt.date(2022, 1, 3), "New Year's Day (observed)"),
        (dt.date(2022, 9, 19), "State Funeral of Queen Elizabeth II"),
    ],
)
def test_bank_holidays_of_england_and_wales(day: dt.date, name: str) -> None:
    assert cal.bank_holiday(day) == name
    assert not cal.is_working_day(day)


def test_working_days_skip_weekends_and_bank_holidays() -> None:
    assert cal.is_working_day(dt.date(2026, 4, 7))
    # Christmas Eve 2026 is a Thursday: Friday 25th, the weekend and Monday 28th are not.
    assert cal.add_working_days(dt.date(2026, 12, 24), 1) == dt.date(2026, 12, 29)
    assert cal.add_working_days(dt.date(2026, 4, 2), 1) == dt.date(2026, 4, 7)  # Easter
    assert cal.add_working_days(dt.date(2026, 4, 7), -1) == dt.date(2026, 4, 2)
    assert cal.working_days_between(dt.date(2026, 12, 24), dt.date(2027, 1, 4)) == 4
    assert cal.next_working_day(dt.date(2021, 12, 25)) == dt.date(2021, 12, 29)


def test_hours_do_not_run_on_excluded_days() -> None:
    assert cal.add_hours(D(2026, 12, 24, 18), 24, ["christmas_day"]) == D(2026, 12, 26, 18)
    assert cal.add_hours(D(2026, 12, 24, 18), 24) == D(2026, 12, 25, 18)
    # Good Friday 2026 is 3 April; Sunday 5th too.
    skip = ["christmas_day", "good_friday", "sunday"]
    assert cal.add_hours(D(2026, 4, 2, 12), 24, skip) == D(2026, 4, 4, 12)
    assert cal.add_hours(D(2026, 4, 4, 12), 24, skip) == D(2026, 4, 6, 12)


def test_periods_on_the_calendar() -> None:
    assert cal.Period.parse("P3M").after(D(2026, 11, 30, 9)) == D(2027, 2, 28, 9)
    assert cal.Period.parse("P6W").days == 42
    assert cal.Period.parse("PT72H").in_hours
    assert cal.Period.parse("P1Y2M3D").iso == "P1Y2M3D"
    end = cal.deadline(D(2026, 3, 2, 10), cal.Period.parse("P21D"), beginning_with=True)
    assert end == D(2026, 3, 22, 23, 59, 59)
    rolled = cal.deadline(
        D(2026, 3, 2, 10), cal.Period.parse("P21D"), beginning_with=True, roll_to_working_day=True
    )
    assert rolled == D(2026, 3, 23, 23, 59, 59)  # the 22nd is a Sunday
    for bad in ("", "P", "3 days", "PT", "P1H"):
        with pytest.raises(InvalidInput, match="is not a period"):
            cal.Period.parse(bad)
