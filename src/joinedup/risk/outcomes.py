"""Outcomes over the 12 months from an index date, for the people of a feature table.

- `emergency_admission`: a G&A emergency spell (metrics.md) admitted in the window.
- `permanent_care`: a qualifying permanent admission to residential or nursing care in the window
  (metrics.md `res_admissions_65` rule, at any age: not in permanent care the day before).
- `high_cost`: in the top 5% of the population by health and social care cost in the window
  (the marts' Year of Care cost rule, `marts.events.costed_events_sql`: own cost column, else
  `unit_costs` for the activity and financial year; a social care SERVICE costs weekly_cost x
  active days / 7).
People who die in the window stay in the denominator.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np

from joinedup.engine import engine_of
from joinedup.groupings import EMERGENCY_ADMISSION, NOT_GENERAL_AND_ACUTE, PERMANENT_CARE_SERVICE
from joinedup.marts.calendar import calendar_sql
from joinedup.marts.dialect import days_between
from joinedup.marts.events import costed_events_sql
from joinedup.metrics.periods import financial_year_label
from joinedup.risk.features import (
    FeatureTable,
    add_months,
    in_list,
    lit,
)
from joinedup.warehouse.coverage import Window

OUTCOMES = ("emergency_admission", "permanent_care", "high_cost")
HIGH_COST_SHARE = 0.05
MARTS_YEAR_COST = "person_year_cost"  # written by joinedup.marts


def window_end(index: date) -> date:
    return add_months(index, 12)


def emergency_admission_sql(start: date, end: date) -> str:
    return f"""
    SELECT DISTINCT pseudo_id FROM acute_apc
    WHERE admission_method IN ({in_list(EMERGENCY_ADMISSION)})
      AND main_specialty NOT IN ({in_list(NOT_GENERAL_AND_ACUTE)})
      AND admission_date >= {lit(start)} AND admission_date < {lit(end)}"""


def permanent_care_sql(start: date, end: date) -> str:
    permanent = (
        "event_type = 'SERVICE' AND placement_type = 'PERMANENT'"
        f" AND service_type IN ({in_list(PERMANENT_CARE_SERVICE)})"
    )
    return f"""
    WITH placements AS (
        SELECT pseudo_id, event_start_date, event_end_date FROM social_care_events
        WHERE {permanent}
    )
    SELECT DISTINCT a.pseudo_id FROM placements a
    WHERE a.event_start_date >= {lit(start)} AND a.event_start_date < {lit(end)}
      AND NOT EXISTS (
        SELECT 1 FROM placements b
        WHERE b.pseudo_id = a.pseudo_id AND b.event_start_date < a.event_start_date
          AND (b.event_end_date IS NULL
               OR {days_between("b.event_end_date", "a.event_start_date")} <= 1))"""


def cost_sql(start: date, end: date) -> str:
    """Cost per person of every event in [start, end), by the marts' Year of Care cost rule."""
    window = Window(start, end - timedelta(days=1))
    events = costed_events_sql(window, calendar=f"({calendar_sql(window)})")
    return f"SELECT pseudo_id, SUM(cost_gbp) AS cost FROM ({events}) events GROUP BY pseudo_id"


def people_in(con, sql: str, pseudo_ids: np.ndarray) -> np.ndarray:
    found = {row[0] for row in con.execute(sql).fetchall()}
    return np.fromiter((p in found for p in pseudo_ids), dtype=np.int8, count=len(pseudo_ids))


def has_table(con, name: str) -> bool:
    return name in engine_of(con).tables()  # through the seam: Spark has no information_schema


def cost_in_window(con, pseudo_ids: np.ndarray, start: date, end: date) -> np.ndarray:
    """Cost per person in [start, end): from the marts' person_year_cost when the window is a
    financial year and the marts are built, else from the event tables by the same rule."""
    financial_year = start.month == 4 and start.day == 1 and end == add_months(start, 12)
    if financial_year and has_table(con, MARTS_YEAR_COST):
        period = financial_year_label(start.year)
        sql = (
            f"SELECT pseudo_id, SUM(cost_gbp) FROM {MARTS_YEAR_COST} "
            f"WHERE period = '{period}' GROUP BY pseudo_id"
        )
    else:
        sql = cost_sql(start, end)
    costs = dict(con.execute(sql).fetchall())
    return np.fromiter((costs.get(p, 0.0) for p in pseudo_ids), dtype=np.float64)


def top_share(values: np.ndarray, share: float) -> np.ndarray:
    """1 for the ceil(share x n) largest positive values (ties at the cut all included)."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int8)
    k = math.ceil(share * len(values))
    cut = np.sort(values)[::-1][k - 1]
    return ((values >= cut) & (values > 0)).astype(np.int8)


def build_outcomes(con, features: FeatureTable) -> dict[str, np.ndarray]:
    """Every outcome (0/1 per person, in the feature table's order) over the next 12 months."""
    start, end = features.index, window_end(features.index)
    ids = features.pseudo_ids
    cost = cost_in_window(con, ids, start, end)
    return {
        "emergency_admission": people_in(con, emergency_admission_sql(start, end), ids),
        "permanent_care": people_in(con, permanent_care_sql(start, end), ids),
        "high_cost": top_share(cost, HIGH_COST_SHARE),
    }


def outcomes_observable(con, index: date) -> bool:
    """True when the warehouse holds activity up to the end of the outcome window."""
    latest = con.execute("SELECT MAX(admission_date) FROM acute_apc").fetchone()[0]
    return latest is not None and latest >= window_end(index) - timedelta(days=31)
