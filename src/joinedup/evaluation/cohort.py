"""Per-person covariates and outcomes from the warehouse for `joinedup evaluate`: everybody
registered with a practice on the start date and alive, the cohort among them treated; people
with a national data opt-out in force then (or never withdrawn) are left out, treated and
comparison alike (an evaluation is a person-level secondary use, GOVERNANCE.md).

Covariates: age and sex, the practice postcode's deprivation decile, the 12 months before the
start's emergency admissions, A&E attendances and bed days, and the emergency admission risk
score stored at the latest index date on or before the start (`risk_scores`, written by
`joinedup risk score`; a score at date D reads only rows dated before D, so nothing after the
start selects the comparison). Outcomes, in equal windows before and after the start: emergency
admissions, A&E attendances, bed days (of spells admitted in the window) and health and social
care cost (the Year of Care cost rule, `risk.outcomes.cost_sql`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from joinedup.engine import engine_of
from joinedup.governance.objections import opted_out_sql
from joinedup.metrics.engine import EMERGENCY
from joinedup.risk import scores
from joinedup.risk.outcomes import cost_sql

COVARIATES = ("age", "deprivation", "prior_admissions", "prior_ae", "prior_bed_days")
OUTCOMES = ("emergency_admissions", "ae_attendances", "bed_days", "cost")
RISK_OUTCOME = "emergency_admission"  # the score matched on: the outcome schemes aim at


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


def _day(value: date) -> str:
    return f"DATE '{value}'"


def people(con, start: date, window_days: int) -> dict[str, np.ndarray]:
    """Columns (pseudo_id, sex, every covariate but the risk score, each outcome's _before and
    _after) of the people registered and alive on `start`."""
    day, year_before = _day(start), _day(start - timedelta(days=365))
    windows = {
        "before": (start - timedelta(days=window_days), start),
        "after": (start, start + timedelta(days=window_days)),
    }
    counted = ", ".join(
        f"{_counts(k, _day(first), _day(last))} AS {k}_{when}"
        for k in OUTCOMES[:-1]  # cost: by the Year of Care rule, joined below
        for when, (first, last) in windows.items()
    )
    costs = ", ".join(f"COALESCE(cost_{when}.cost, 0) AS cost_{when}" for when in windows)
    cost_joins = "".join(
        f" LEFT JOIN ({cost_sql(first, last)}) cost_{when} ON cost_{when}.pseudo_id = p.pseudo_id"
        for when, (first, last) in windows.items()
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
                        AND d.date_of_death <= {day})
        AND r.pseudo_id NOT IN ({opted_out_sql(start)}))
    SELECT p.pseudo_id, COALESCE(p.sex, '0') AS sex, p.age, COALESCE(p.deprivation, 0) AS deprivation,
      {_counts("emergency_admissions", year_before, day)} AS prior_admissions,
      {_counts("ae_attendances", year_before, day)} AS prior_ae,
      {_counts("bed_days", year_before, day)} AS prior_bed_days,
      {counted}, {costs}
    FROM p{cost_joins} ORDER BY p.pseudo_id"""
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    return {name: np.array([row[i] for row in rows]) for i, name in enumerate(names)}


@dataclass(frozen=True)
class StoredRisk:
    """The risk scores one evaluation matches on: their index date and score by person number."""

    index: date
    by_person: dict[int, float]

    def covariates(self, pseudo_ids: np.ndarray) -> dict[str, np.ndarray]:
        """`risk_score` per person; a person without one (registered since, or opted out of
        scoring) gets the mean score and `no_risk_score` 1, a column kept only when some lack
        one (the missing-indicator method)."""
        found = np.array([self.by_person.get(p, np.nan) for p in pseudo_ids], dtype=float)
        missing = np.isnan(found)
        mean = float(np.nanmean(found)) if (~missing).any() else 0.0
        columns = {"risk_score": np.where(missing, mean, found)}
        if missing.any():
            columns["no_risk_score"] = missing.astype(float)
        return columns


def stored_risk(con, start: date) -> StoredRisk | None:
    """The emergency admission scores of the latest index date on or before `start`, or None
    when `joinedup risk score` has stored none by then."""
    if scores.SCORES_TABLE not in engine_of(con).tables():
        return None
    index = con.execute(
        f"SELECT MAX(index_date) FROM {scores.SCORES_TABLE} WHERE index_date <= ?", [start]
    ).fetchone()[0]
    if index is None:
        return None
    stored = scores.read(con, index)
    return StoredRisk(index, dict(zip(stored.pseudo_ids, stored.scores[RISK_OUTCOME], strict=True)))
