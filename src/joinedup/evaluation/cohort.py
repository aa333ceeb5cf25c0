"""Per-person covariates and outcomes from the warehouse for `joinedup evaluate`: everybody
registered with a practice on the start date and alive, the cohort among them treated.

Covariates: age and sex, the practice postcode's deprivation decile, and the 12 months before
the start's emergency admissions, A&E attendances and bed days. Outcomes, in equal windows
before and after the start: emergency admissions, A&E attendances and bed days (of spells
admitted in the window). No risk score yet: the risk module's needs a trained model.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from joinedup.metrics.engine import EMERGENCY

COVARIATES = ("age", "deprivation", "prior_admissions", "prior_ae", "prior_bed_days")
OUTCOMES = ("emergency_admissions", "ae_attendances", "bed_days")


def _counts(kind: str, first: str, last: str) -> str:
    """The person's count of `kind` in [first, last) (SQL dates)."""
    if kind == "emergency_admissions":
        return (
            f"(SELECT COUNT(*) FROM acute_apc s WHERE s.pseudo_id = p.pseudo_id AND s.{EMERGENCY}"
            f" AND s.admission_date >= {first} AND s.admission_date < {last})"
        )
    if kind == "ae_attendances":
        return (
            "(SELECT COUNT(*) FROM acute_ae a WHERE a.pseudo_id = p.pseudo_id"
            f" AND CAST(a.arrival_datetime AS DATE) >= {first}"
            f" AND CAST(a.arrival_datetime AS DATE) < {last})"
        )
    return (
        "(SELECT COALESCE(SUM(date_diff('day', s.admission_date, s.discharge_date)), 0)"
        " FROM acute_apc s WHERE s.pseudo_id = p.pseudo_id AND s.discharge_date IS NOT NULL"
        f" AND s.admission_date >= {first} AND s.admission_date < {last})"
    )


def people(con, start: date, window_days: int) -> dict[str, np.ndarray]:
    """Columns (pseudo_id, sex, every covariate, each outcome's _before and _after) of the
    people registered and alive on `start`."""
    day = f"DATE '{start}'"
    year_before = f"DATE '{start - timedelta(days=365)}'"
    before = f"DATE '{start - timedelta(days=window_days)}'"
    after = f"DATE '{start + timedelta(days=window_days)}'"
    outcomes = ", ".join(
        f"{_counts(k, before, day)} AS {k}_before, {_counts(k, day, after)} AS {k}_after"
        for k in OUTCOMES
    )
    sql = f"""
    WITH registered AS (
      SELECT g.pseudo_id, arg_max(g.imd_decile, g.registration_date) AS deprivation
      FROM gp_register g
      WHERE g.registration_date <= {day}
        AND (g.deregistration_date IS NULL OR g.deregistration_date > {day})
      GROUP BY g.pseudo_id),
    p AS (
      SELECT r.pseudo_id, x.sex, r.deprivation,
             {start.year} - CAST(SUBSTR(x.birth_month, 1, 4) AS INTEGER)
               - CASE WHEN CAST(SUBSTR(x.birth_month, 6, 2) AS INTEGER) > {start.month}
                 THEN 1 ELSE 0 END AS age
      FROM registered r JOIN person x ON x.pseudo_id = r.pseudo_id
      WHERE NOT EXISTS (SELECT 1 FROM deaths d WHERE d.pseudo_id = r.pseudo_id
                        AND d.date_of_death <= {day}))
    SELECT p.pseudo_id, COALESCE(p.sex, '0') AS sex, p.age, COALESCE(p.deprivation, 0) AS deprivation,
      {_counts("emergency_admissions", year_before, day)} AS prior_admissions,
      {_counts("ae_attendances", year_before, day)} AS prior_ae,
      {_counts("bed_days", year_before, day)} AS prior_bed_days,
      {outcomes}
    FROM p ORDER BY p.pseudo_id"""
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    return {name: np.array([row[i] for row in rows]) for i, name in enumerate(names)}
