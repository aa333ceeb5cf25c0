"""The objection filters (GOVERNANCE.md, DESIGN.md): one rule for when an objection is in force,
and who each kind of objection leaves out.

An objection is in force on a day from its `recorded_date` (included) until its `withdrawn_date`
(excluded). Kinds:
- TYPE1: GP-sourced rows (`gp_*` feeds) of the person are not landed (landing, on the load's
  as-of day);
- SC_DISSENT: the council's rows of the person are not landed either;
- NDOO (national data opt-out): the person is in aggregates (tier A) but in no person-level use:
  not in tier P, not in model training, scores or lists. A person-level use is made now, so
  everyone whose opt-out is still in force (never withdrawn) is left out too, besides those whose
  opt-out was in force on the day the use looks at (an index date, a year's last day);
- DIRECT: in tier I a user sees only the rows their own organisation sent (the web service).
"""

from __future__ import annotations

from datetime import date

import numpy as np

KINDS = ("TYPE1", "NDOO", "DIRECT", "SC_DISSENT")


def _day(on: date | str) -> str:
    """A SQL date: a Python date, or an SQL expression (a column such as `p.year_end`)."""
    return f"DATE '{on.isoformat()}'" if isinstance(on, date) else on


def in_force_condition(on: date | str, alias: str = "o") -> str:
    """SQL condition: the objection row `alias` is in force on the day `on`."""
    day = _day(on)
    return (
        f"{alias}.recorded_date <= {day}"
        f" AND ({alias}.withdrawn_date IS NULL OR {alias}.withdrawn_date > {day})"
    )


def in_force_sql(kind: str, on: date | str) -> str:
    """The pseudo_ids with an objection of `kind` in force on the day `on`."""
    assert kind in KINDS, kind
    return (
        f"SELECT DISTINCT o.pseudo_id FROM objections o WHERE o.objection_type = '{kind}'"
        f" AND o.pseudo_id IS NOT NULL AND {in_force_condition(on)}"
    )


def still_opted_out_sql() -> str:
    """The pseudo_ids whose national data opt-out was never withdrawn: left out of any use now."""
    return (
        "SELECT DISTINCT o.pseudo_id FROM objections o WHERE o.objection_type = 'NDOO'"
        " AND o.pseudo_id IS NOT NULL AND o.withdrawn_date IS NULL"
    )


def opted_out_condition(on: date | str, alias: str = "o") -> str:
    """SQL condition on objection row `alias`: an NDOO that leaves the person out of a
    person-level use looking at the day `on` (in force then, or still in force)."""
    return (
        f"{alias}.objection_type = 'NDOO'"
        f" AND ({alias}.withdrawn_date IS NULL OR ({in_force_condition(on, alias)}))"
    )


def opted_out_sql(on: date | str) -> str:
    """The pseudo_ids a person-level use looking at the day `on` must leave out (NDOO)."""
    return (
        "SELECT DISTINCT o.pseudo_id FROM objections o"
        f" WHERE o.pseudo_id IS NOT NULL AND {opted_out_condition(on)}"
    )


def allowed(con, pseudo_ids: np.ndarray, on: date) -> np.ndarray:
    """True for every person whose data a person-level use looking at `on` may use."""
    excluded = {row[0] for row in con.execute(opted_out_sql(on)).fetchall()}
    return np.fromiter((p not in excluded for p in pseudo_ids), dtype=bool, count=len(pseudo_ids))
