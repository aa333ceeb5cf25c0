"""Working-day deadlines (a breach is reported within 10 working days; a break-glass alert is
reviewed within 10): weekends and England's bank holidays, the latter as data
(`bank_holidays_england.yaml`). A date outside the years that data covers is an error, never a
guess."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import yaml

from joinedup.errors import BadInput

HOLIDAYS_FILE = Path(__file__).with_name("bank_holidays_england.yaml")
REPORTING_DAYS = 10


@cache
def _calendar() -> tuple[int, int, frozenset[dt.date]]:
    data = yaml.safe_load(HOLIDAYS_FILE.read_text(encoding="utf-8"))
    first, last = data["years"]
    return first, last, frozenset(day for days in data["dates"].values() for day in days)


def years_covered() -> tuple[int, int]:
    """The first and last year the bank-holiday data covers."""
    first, last, _ = _calendar()
    return first, last


def bank_holidays() -> frozenset[dt.date]:
    return _calendar()[2]


def is_working_day(day: dt.date) -> bool:
    first, last, holidays = _calendar()
    if not first <= day.year <= last:
        raise BadInput(
            f"{HOLIDAYS_FILE.name}: bank holidays are known for {first}-{last} only, not {day.year}"
            " (add the year's dates from gov.uk/bank-holidays)"
        )
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: dt.date, days: int = REPORTING_DAYS) -> dt.date:
    """The day `days` working days after `start` (the day found counts as day 0)."""
    day = start
    for _ in range(days):
        day += dt.timedelta(days=1)
        while not is_working_day(day):
            day += dt.timedelta(days=1)
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_working_day(day)
    return count
