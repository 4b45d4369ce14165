"""Counting days for deadlines: calendar days, rolled past weekends and public holidays.

Federal US filing periods (GAO's, 4 CFR 21.0) are counted on Eastern calendar dates and end at a
time of day in Eastern time (`gao_deadline`, `eastern_deadline`); other periods end at the end of
their last UTC day (`add_calendar_days`).

DESIGN.md §5: day counts are calendar days unless a rule says otherwise; a deadline that falls on
a weekend or holiday rolls to the next business day. Holidays come from the `holidays` package
for the tender's country (never a hand-made calendar).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

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
    """The end of the `days`-th business day after `start`'s date, in `start`'s own time zone
    (weekends and the country's public holidays skipped)."""
    d = start.date()
    left = days
    while left:
        d += timedelta(days=1)
        if is_business_day(d, country):
            left -= 1
    return datetime.combine(d, time(23, 59, 59), tzinfo=start.tzinfo)


# --- US federal filing times: Eastern calendar dates --------------------------------------------

EASTERN = ZoneInfo("America/New_York")  # DST-aware: 5:30 p.m. is 22:30Z in winter, 21:30Z in summer
GAO_CLOSE = time(17, 30)  # 4 CFR 21.0(g): filed when GAO receives it by 5:30 p.m. Eastern time
END_OF_DAY = time(23, 59, 59)


def eastern_deadline(start: datetime, days: int, closing: time = END_OF_DAY) -> datetime:
    """The `closing` time, Eastern, of the `days`-th calendar day after `start`'s Eastern date.

    4 CFR 21.0(d): days are calendar days, the day of the event excluded; a period whose last day
    is a Saturday, Sunday or Federal holiday runs to the next day that is none of them.
    """
    last = roll_forward(start.astimezone(EASTERN).date() + timedelta(days=days), "US")
    return datetime.combine(last, closing, tzinfo=EASTERN).astimezone(UTC)


def gao_deadline(start: datetime, days: int) -> datetime:
    """A period for filing with GAO: it ends at 5:30 p.m. Eastern of its (rolled) last day
    (4 CFR 21.0(d), (g))."""
    return eastern_deadline(start, days, GAO_CLOSE)


def holiday_country(country: str) -> bool:
    """Whether the `holidays` package has a calendar for this ISO 3166-1 alpha-2 code."""
    return country in holidays.list_supported_countries()
