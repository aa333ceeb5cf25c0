"""The months and financial years the marts are built over (the window: `warehouse.coverage`).

The calendar is made in Python and written as a table so the SQL only ever joins dates to
periods (`event_date BETWEEN month_start AND month_end`): no dialect-specific date formatting.
"""

from __future__ import annotations

from datetime import date

from joinedup.marts.dialect import date_literal
from joinedup.metrics.periods import financial_year_label, financial_year_start
from joinedup.warehouse.coverage import Window, month_end

CALENDAR_TABLE = "calendar_month"


def calendar_rows(window: Window) -> list[tuple]:
    """One row per month of every financial year the window touches (whole years, so that a
    year's start and end are always its real 1 April and 31 March)."""
    first_year = financial_year_start(window.start)
    last_year = financial_year_start(window.end)
    rows = []
    for start_year in range(first_year, last_year + 1):
        label = financial_year_label(start_year)
        year_start, year_end = date(start_year, 4, 1), date(start_year + 1, 3, 31)
        for offset in range(12):
            month = date(start_year + (3 + offset) // 12, (3 + offset) % 12 + 1, 1)
            rows.append((f"{month:%Y-%m}", month, month_end(month), label, year_start, year_end))
    return rows


def calendar_sql(window: Window) -> str:
    """The calendar as a SELECT over inline values (every engine runs it)."""
    rows = ",\n  ".join(
        f"('{month}', {date_literal(start)}, {date_literal(end)}, '{label}',"
        f" {date_literal(year_start)}, {date_literal(year_end)})"
        for month, start, end, label, year_start, year_end in calendar_rows(window)
    )
    return (
        f"SELECT * FROM (VALUES\n  {rows}\n)"
        " AS t(month, month_start, month_end, financial_year, year_start, year_end)"
    )


def write_calendar(con, window: Window) -> None:
    con.execute(f"CREATE OR REPLACE TABLE {CALENDAR_TABLE} AS {calendar_sql(window)}")
