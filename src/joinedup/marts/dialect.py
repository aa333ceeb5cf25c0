"""The few expressions whose spelling differs between DuckDB and Spark SQL, kept in one place
so the marts' SQL can be ported by changing only this module. Types are spelt as both
engines accept them (STRING, DOUBLE, BIGINT, DATE, BOOLEAN)."""

from __future__ import annotations

from datetime import date


def days_between(start: str, end: str) -> str:
    """Whole days from start to end (end - start). Spark SQL 3.3+: datediff(DAY, start, end)."""
    return f"datediff('day', {start}, {end})"


def date_literal(day: date) -> str:
    return f"DATE '{day.isoformat()}'"
