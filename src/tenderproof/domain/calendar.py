"""Counting days for deadlines: calendar days, rolled past weekends and public holidays.

DESIGN.md §5: day counts are calendar days unless a rule says otherwise; a deadline that falls on
a weekend or holiday rolls to the next business day. Holidays come from the `holidays` package
for the tender's country (never a hand-made calendar).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, years=year)


def is_business_day(d: date, country: str) -> bool:
    return d.weekday() < 5 and d not in _holidays(country, d.year)


def roll_forward(d: date, country: str) -> date:
    while not is_business_day(d, country):
        d += timedelta(days=1)
    return d


def add_calendar_days(start: datetime, days: int, country: str) -> datetime:
    """The end of the last day of a period of `days` calendar days after `start` (rolled).

    The period ends at 23:59:59 UTC of that day, so "within 10 days" includes the whole 10th day.
    """
    end = roll_forward(start.astimezone(UTC).date() + timedelta(days=days), country)
    return datetime.combine(end, time(23, 59, 59), tzinfo=UTC)


def add_business_days(start: datetime, days: int, country: str) -> datetime:
    d = start.astimezone(UTC).date()
    left = days
    while left:
        d += timedelta(days=1)
        if is_business_day(d, country):
            left -= 1
    return datetime.combine(d, time(23, 59, 59), tzinfo=UTC)
