"""Year of Care capitated budgets: a person-level cost model fitted on a base year, the budget
it implies for each locality and practice list in the next year, against what was spent.

The model: a resident's yearly health and social care cost (`person_year_segment.total_cost`)
is exp(intercept + the effects of their age band, long-term condition band and social care
status), fitted by Poisson pseudo-maximum likelihood (iteratively reweighted least squares with
a log link: costs are skewed and many are zero; the fit's predictions add up to the base
year's actual spend exactly). A group's budget for the next year is the sum of its residents'
predicted costs from their segments in that year, times (1 + uplift) for prices; the actual is
what its residents cost. Residents are those `person_year_segment` marks resident; a resident's
practice is their latest registration started by the year's end (`unregistered` without one),
their locality that of the segments.

Published (tier A, through governance/disclosure.py): people counts suppressed at 1 to 7 and
rounded to 5, money to the nearest £1,000, and a group's budget and spend hidden with its count;
the groups of a table add up to the area's total, so while the hidden ones could be worked out
from it the smallest shown groups are hidden too (`disclosure.parts`, secondary suppression).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from joinedup.errors import BadInput
from joinedup.governance.disclosure import count, parts, rounded_money
from joinedup.marts.segments import SEGMENT_TABLE
from joinedup.metrics import periods as P

FACTORS = ("age_band", "ltc_band", "social_care_status")
GROUPINGS = ("locality", "practice")
ITERATIONS = 50


@dataclass(frozen=True)
class CostModel:
    base_year: str
    intercept: float
    effects: dict[str, dict[str, float]]  # factor -> level -> log effect (reference level 0)
    people: int
    spend: float

    def predict(self, rows: list[dict]) -> np.ndarray:
        link = np.full(len(rows), self.intercept)
        for factor, levels in self.effects.items():
            link += np.array([levels.get(row[factor], 0.0) for row in rows])
        return np.exp(link)

    def cell_cost(self, **levels: str) -> float:
        """The modelled yearly cost of a person with these levels (others at their reference)."""
        link = self.intercept + sum(self.effects[f].get(v, 0.0) for f, v in levels.items())
        return float(np.exp(link))


def residents(con, year: str) -> list[dict]:
    """One row per resident of the financial year: segments, locality, practice, cost."""
    end = P.parse(year).end
    cursor = con.execute(
        f"""SELECT s.age_band, s.ltc_band, s.social_care_status,
              COALESCE(s.locality, 'unknown') AS locality,
              COALESCE((SELECT g.practice_code FROM gp_register g WHERE g.pseudo_id = s.pseudo_id
                        AND g.registration_date <= ? ORDER BY g.registration_date DESC,
                        g.practice_code LIMIT 1), 'unregistered') AS practice,
              s.total_cost
            FROM {SEGMENT_TABLE} s WHERE s.financial_year = ? AND s.resident""",
        [end, year],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def fit(rows: list[dict], base_year: str) -> CostModel:
    """The log-linear cost model of `rows` (Poisson IRLS); each factor's most common level is
    its reference."""
    if not rows:
        raise BadInput(f"{SEGMENT_TABLE}: no residents in {base_year} to fit the cost model on")
    levels = {}
    for factor in FACTORS:
        counts: dict[str, int] = defaultdict(int)
        for row in rows:
            counts[row[factor]] += 1
        ordered = sorted(counts, key=lambda level: (-counts[level], level))
        levels[factor] = ordered[1:]  # the first is the reference
    columns = [(f, level) for f in FACTORS for level in levels[f]]
    design = np.column_stack(
        [np.ones(len(rows))]
        + [np.array([row[f] == level for row in rows], dtype=float) for f, level in columns]
    )
    cost = np.array([float(row["total_cost"] or 0) for row in rows])
    beta = np.zeros(design.shape[1])
    beta[0] = np.log(max(cost.mean(), 1e-9))
    for _ in range(ITERATIONS):
        mu = np.exp(np.clip(design @ beta, -30, 30))
        # IRLS for the log link: weights mu, working response eta + (y - mu) / mu
        z = design @ beta + (cost - mu) / mu
        weighted = design * mu[:, None]
        step = np.linalg.lstsq(design.T @ weighted, weighted.T @ z, rcond=None)[0]
        converged = np.max(np.abs(step - beta)) < 1e-10
        beta = step
        if converged:
            break
    effects = {f: {} for f in FACTORS}
    for (factor, level), b in zip(columns, beta[1:], strict=True):
        effects[factor][level] = float(b)
    return CostModel(base_year, float(beta[0]), effects, len(rows), float(cost.sum()))


def budgets(con, base_year: str, uplift: float = 0.0) -> dict:
    """The model fitted on `base_year` and the next year's budgets against spend, by locality
    and by practice, raw (before disclosure control)."""
    year = P.parse(base_year)  # a financial year YYYY/YY
    next_year = f"{year.start.year + 1}/{str(year.start.year + 2)[2:]}"
    model = fit(residents(con, base_year), base_year)
    rows = residents(con, next_year)
    if not rows:
        raise BadInput(f"{SEGMENT_TABLE}: no residents in {next_year}, the budget year")
    predicted = model.predict(rows) * (1 + uplift)
    tables = {}
    for grouping in GROUPINGS:
        groups: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
        for row, budget in zip(rows, predicted, strict=True):
            group = groups[row[grouping]]
            group[0] += 1
            group[1] += float(budget)
            group[2] += float(row["total_cost"] or 0)
        tables[grouping] = {
            name: {"people": n, "budget_gbp": b, "actual_gbp": a}
            for name, (n, b, a) in sorted(groups.items())
        }
    return {
        "base_year": base_year,
        "budget_year": next_year,
        "uplift": uplift,
        "model": {
            "people": model.people,
            "spend_gbp": model.spend,
            "reference_cost_gbp": model.cell_cost(),
            "relative_cost": {
                f: {lv: float(np.exp(b)) for lv, b in e.items()} for f, e in model.effects.items()
            },
        },
        "area": {
            "people": len(rows),
            "budget_gbp": float(predicted.sum()),
            "actual_gbp": float(sum(float(r["total_cost"] or 0) for r in rows)),
        },
        "by": tables,
    }


def published(result: dict) -> dict:
    """The tier A copy, through the one gate (governance/disclosure.py): counts controlled, money
    rounded, a group's money hidden with its count, each table's people counts the parts of the
    area's total (`disclosure.parts`: secondary suppression)."""
    out = {**result, "area": _controlled(result["area"], count(result["area"]["people"]))}
    out["model"] = {
        **result["model"],
        "people": count(result["model"]["people"]),
        "spend_gbp": rounded_money(result["model"]["spend_gbp"]),
    }
    out["by"] = {}
    for grouping, groups in result["by"].items():
        people = parts({g: f["people"] for g, f in groups.items()})
        out["by"][grouping] = {g: _controlled(f, people[g]) for g, f in groups.items()}
    return out


def _controlled(figures: dict, people: int | None) -> dict:
    """A group's published figures: its people count as controlled, its money to the nearest
    £1,000, hidden with the count."""
    money = {k: None if people is None else rounded_money(v) for k, v in figures.items()
             if k != "people"}  # fmt: skip
    return {"people": people, **money}
