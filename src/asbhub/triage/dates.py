"""Calendar arithmetic for rule windows stated in months (a month back from 31 March is the
last day of February, as a person counting on a calendar would say)."""

from __future__ import annotations

import calendar
import datetime as dt


def add_months(d: dt.datetime, months: int) -> dt.datetime:
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    day = min(d.day, calendar.monthrange(year, month + 1)[1])
    return d.replace(year=year, month=month + 1, day=day)
