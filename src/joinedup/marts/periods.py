"""`person_month_cost` and `person_year_cost`: events and cost per person, period and org type.

Each event's cost is spread evenly over its costed days (`cost_start`..`cost_end`, one day for
everything but a social care SERVICE) and each period takes the share of days that fall in it,
so a service is split across months and years by its active days and the totals reconcile with
`person_event`. `events` counts the events that happen or are active in the period: a service
running through three months counts once in each.
"""

from __future__ import annotations

from joinedup.marts.calendar import CALENDAR_TABLE
from joinedup.marts.dialect import days_between
from joinedup.marts.events import EVENT_TABLE

MONTH_TABLE = "person_month_cost"
YEAR_TABLE = "person_year_cost"

_MONTHS = f"SELECT month AS period, month_start AS period_start, month_end AS period_end FROM {CALENDAR_TABLE}"
_YEARS = (
    f"SELECT DISTINCT financial_year AS period, year_start AS period_start, year_end AS period_end "
    f"FROM {CALENDAR_TABLE}"
)


def _period_cost_sql(table: str, periods: str) -> str:
    overlap = days_between(
        "GREATEST(e.cost_start, p.period_start)", "LEAST(e.cost_end, p.period_end)"
    )
    total = days_between("e.cost_start", "e.cost_end")
    return f"""
CREATE OR REPLACE TABLE {table} AS
WITH periods AS ({periods}),
shares AS (
  SELECT e.pseudo_id, p.period, e.org_type,
    e.cost_gbp * ({overlap} + 1) / ({total} + 1) AS cost_gbp
  FROM {EVENT_TABLE} e
  JOIN periods p ON p.period_start <= e.cost_end AND p.period_end >= e.cost_start
)
SELECT pseudo_id, period, org_type, COUNT(*) AS events, COALESCE(SUM(cost_gbp), 0) AS cost_gbp
FROM shares
GROUP BY pseudo_id, period, org_type"""


def person_month_cost_sql() -> str:
    return _period_cost_sql(MONTH_TABLE, _MONTHS)


def person_year_cost_sql() -> str:
    return _period_cost_sql(YEAR_TABLE, _YEARS)
