"""Outcomes over the 12 months from an index date, for the people of a feature table.

- `emergency_admission`: a G&A emergency spell (metrics.md) admitted in the window.
- `permanent_care`: a qualifying permanent admission to residential or nursing care in the window
  (metrics.md `res_admissions_65` rule, at any age: not in permanent care the day before).
- `high_cost`: in the top 5% of the population by health and social care cost in the window
  (metrics.md Cost rule: own cost column, else `unit_costs` for the activity and financial year;
  a social care SERVICE costs weekly_cost x active days / 7).
People who die in the window stay in the denominator.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np

from joinedup.groupings import (
    ELECTIVE_ADMISSION,
    EMERGENCY_ADMISSION,
    MENTAL_HEALTH_SPECIALTY,
    NOT_GENERAL_AND_ACUTE,
    PERMANENT_CARE_SERVICE,
)
from joinedup.marts.dialect import days_between
from joinedup.metrics.periods import financial_year_label
from joinedup.risk.features import (
    FeatureTable,
    add_months,
    in_list,
    lit,
)

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


def financial_year_sql(column: str) -> str:
    """'YYYY/YY' of a date expression (April to March)."""
    year = (
        f"(CAST(EXTRACT(YEAR FROM {column}) AS INTEGER)"
        f" - CASE WHEN EXTRACT(MONTH FROM {column}) < 4 THEN 1 ELSE 0 END)"
    )
    return f"CAST({year} AS VARCHAR) || '/' || SUBSTR(CAST({year} + 1 AS VARCHAR), 3, 2)"


def cost_sql(start: date, end: date) -> str:
    """Cost per person of every event dated in [start, end)."""
    s, e, last = lit(start), lit(end), lit(end - timedelta(days=1))
    elective = in_list(ELECTIVE_ADMISSION)

    def dated(column: str) -> str:
        return f"CAST({column} AS DATE) >= {s} AND CAST({column} AS DATE) < {e}"

    community_bed = (
        f"provider_code = 'RZC' AND main_specialty NOT IN ({in_list(MENTAL_HEALTH_SPECIALTY)})"
    )
    spell_activity = (
        f"CASE WHEN {community_bed} THEN 'COMMUNITY_BED_DAY'"
        f" WHEN admission_method NOT IN ({elective}) THEN 'NEL_SPELL'"
        f" WHEN patient_classification = '2' THEN 'DAY_CASE' ELSE 'EL_SPELL' END"
    )
    bed_days = (
        f"CASE WHEN {community_bed} THEN GREATEST(1, "
        f"{days_between('admission_date', f'COALESCE(discharge_date, {e})')}) ELSE 1 END"
    )
    urgent_activity = (
        "CASE WHEN service = 'NHS111' THEN 'NHS111_CALL' WHEN service = 'OOH' THEN 'OOH_CONTACT'"
        " WHEN outcome = 'CONVEYED' THEN 'AMBULANCE_CONVEYED'"
        " WHEN outcome = 'HEAR_AND_TREAT' THEN 'AMBULANCE_HEAR_AND_TREAT'"
        " ELSE 'AMBULANCE_SEE_AND_TREAT' END"
    )
    service_from = f"CASE WHEN event_start_date > {s} THEN event_start_date ELSE {s} END"
    service_to = (
        f"CASE WHEN event_end_date IS NULL OR event_end_date > {last} THEN {last}"
        " ELSE event_end_date END"
    )
    return f"""
    WITH activity AS (
        SELECT pseudo_id, {spell_activity} AS activity, {financial_year_sql("admission_date")} AS fy,
               {bed_days} AS quantity, spell_cost AS own_cost
        FROM acute_apc WHERE {dated("admission_date")}
        UNION ALL
        SELECT pseudo_id, 'AE_ATTENDANCE', {financial_year_sql("arrival_datetime")}, 1,
               attendance_cost
        FROM acute_ae WHERE {dated("arrival_datetime")}
        UNION ALL
        SELECT pseudo_id, 'GP_APPOINTMENT', {financial_year_sql("appointment_date")}, 1, NULL
        FROM gp_appointments WHERE status = 'ATTENDED' AND {dated("appointment_date")}
        UNION ALL
        SELECT pseudo_id, 'PRESCRIPTION_ITEM', {financial_year_sql("issue_date")}, 1, NULL
        FROM gp_medications WHERE {dated("issue_date")}
        UNION ALL
        SELECT pseudo_id, 'COMMUNITY_CONTACT', {financial_year_sql("contact_date")}, 1,
               contact_cost
        FROM community_contacts WHERE {dated("contact_date")}
        UNION ALL
        SELECT pseudo_id, 'MH_CONTACT', {financial_year_sql("contact_date")}, 1, contact_cost
        FROM mental_health_contacts WHERE {dated("contact_date")}
        UNION ALL
        SELECT pseudo_id, {urgent_activity}, {financial_year_sql("contact_datetime")}, 1,
               contact_cost
        FROM urgent_care_contacts WHERE {dated("contact_datetime")}
    ),
    health AS (
        SELECT a.pseudo_id, COALESCE(a.own_cost, a.quantity * u.cost_gbp, 0) AS cost
        FROM activity a
        LEFT JOIN unit_costs u ON u.activity = a.activity AND u.financial_year = a.fy
    ),
    social AS (
        SELECT pseudo_id,
               COALESCE(weekly_cost, 0)
                 * ({days_between(service_from, service_to)} + 1) / 7.0 AS cost
        FROM social_care_events
        WHERE event_type = 'SERVICE' AND event_start_date < {e}
          AND (event_end_date IS NULL OR event_end_date >= {s})
    )
    SELECT pseudo_id, SUM(cost) AS cost FROM (
        SELECT pseudo_id, cost FROM health UNION ALL SELECT pseudo_id, cost FROM social
    ) all_costs
    WHERE pseudo_id IS NOT NULL
    GROUP BY pseudo_id"""


def people_in(con, sql: str, pseudo_ids: np.ndarray) -> np.ndarray:
    found = {row[0] for row in con.execute(sql).fetchall()}
    return np.fromiter((p in found for p in pseudo_ids), dtype=np.int8, count=len(pseudo_ids))


def has_table(con, name: str) -> bool:
    found = con.execute(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchone()[0]
    return found > 0


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
