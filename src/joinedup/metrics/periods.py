"""Reporting periods (metrics.md "Periods"): month `YYYY-MM`, quarter `YYYY/YY-Qn` (Q1 = April
to June) and financial year `YYYY/YY` (1 April to 31 March). A period knows its first and last day
and the population year its denominators use (the calendar year the financial year starts in).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

GRAINS = ("month", "quarter", "year")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})/(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})/(\d{2})-Q([1-4])$")


@dataclass(frozen=True)
class Period:
    grain: str
    label: str
    start: date
    end: date  # last day, included

    @property
    def population_year(self) -> int:
        return financial_year_start(self.start)


def financial_year_start(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def financial_year_label(start_year: int) -> str:
    """'2015/16' for the year starting 1 April 2015 (metrics.md periods): the one spelling."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def _month_end(year: int, month: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    return following - timedelta(days=1)


def month(year: int, month_number: int) -> Period:
    return Period(
        "month",
        f"{year:04d}-{month_number:02d}",
        date(year, month_number, 1),
        _month_end(year, month_number),
    )


def quarter(start_year: int, number: int) -> Period:
    first_month = 4 + 3 * (number - 1)
    year = start_year + (first_month - 1) // 12
    first_month = (first_month - 1) % 12 + 1
    return Period(
        "quarter",
        f"{financial_year_label(start_year)}-Q{number}",
        date(year, first_month, 1),
        _month_end(year + (first_month + 1) // 12, (first_month + 1) % 12 + 1),
    )


def financial_year(start_year: int) -> Period:
    return Period(
        "year",
        financial_year_label(start_year),
        date(start_year, 4, 1),
        date(start_year + 1, 3, 31),
    )


def containing(day: date, grain: str) -> Period:
    """The period of the given grain that contains the day."""
    start_year = financial_year_start(day)
    if grain == "month":
        return month(day.year, day.month)
    if grain == "quarter":
        return quarter(start_year, (day.month - 4) % 12 // 3 + 1)
    if grain == "year":
        return financial_year(start_year)
    raise ValueError(f"unknown grain {grain!r}")


def parse(label: str) -> Period:
    """The period a label names; ValueError when it is none of the three forms."""
    if found := _MONTH.match(label):
        return month(int(found[1]), int(found[2]))
    if (found := _QUARTER.match(label)) and _next_year_matches(found):
        return quarter(int(found[1]), int(found[3]))
    if (found := _YEAR.match(label)) and _next_year_matches(found):
        return financial_year(int(found[1]))
    raise ValueError(f"{label!r} is not a period (YYYY-MM, YYYY/YY or YYYY/YY-Qn)")


def _next_year_matches(found: re.Match) -> bool:
    return (int(found[1]) + 1) % 100 == int(found[2])


def covering(first_month: str, last_month: str, grains=GRAINS) -> list[Period]:
    """Every period of the given grains that holds at least one month from first to last."""
    first, last = parse(first_month), parse(last_month)
    if first.grain != "month" or last.grain != "month":
        raise ValueError("coverage is given as two months, YYYY-MM")
    found: dict[tuple[str, str], Period] = {}
    day = first.start
    while day <= last.start:
        for grain in grains:
            period = containing(day, grain)
            found.setdefault((grain, period.label), period)
        day = containing(day, "month").end + timedelta(days=1)
    order = {grain: rank for rank, grain in enumerate(GRAINS)}
    return sorted(found.values(), key=lambda p: (order[p.grain], p.start))
