"""The national data opt-out (NDOO): who must be left out of model training and every list.

An NDOO objection applies from its recorded date until its withdrawn date (DESIGN.md). Besides
those whose opt-out is in force at the index date, everyone whose opt-out is still in force today
(never withdrawn) is left out too: training a model or listing people is a use made now, even
when the index date is in the past.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from joinedup.risk.features import lit


def opted_out_sql(as_at: date) -> str:
    day = lit(as_at)
    return f"""
    SELECT DISTINCT pseudo_id FROM objections
    WHERE objection_type = 'NDOO' AND pseudo_id IS NOT NULL AND recorded_date <= {day}
      AND (withdrawn_date IS NULL OR withdrawn_date > {day})"""


def still_opted_out_sql() -> str:
    return """
    SELECT DISTINCT pseudo_id FROM objections
    WHERE objection_type = 'NDOO' AND pseudo_id IS NOT NULL AND withdrawn_date IS NULL"""


def _ids(con, sql: str) -> set[str]:
    return {row[0] for row in con.execute(sql).fetchall()}


def allowed(con, pseudo_ids: np.ndarray, as_at: date) -> np.ndarray:
    """True for every person whose data may be used: no opt-out in force at `as_at` or today."""
    excluded = _ids(con, opted_out_sql(as_at)) | _ids(con, still_opted_out_sql())
    return np.fromiter((p not in excluded for p in pseudo_ids), dtype=bool, count=len(pseudo_ids))
