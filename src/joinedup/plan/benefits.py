"""Scheme benefit models (a BCF plan's arithmetic, e.g. Southend's GP hub: A&E attendances
54,000 x 1% = 540, x conversion 0.38 = 205 admissions avoided, x unit cost = £350k), recomputed
from the plan's stated inputs and from the area's own baseline, beside the plan's stated figures;
and the 2015/16 performance fund (the cost of the planned non-elective reduction)."""

from __future__ import annotations

from dataclasses import dataclass

NEL_REDUCTION = 0.035  # the expected minimum reduction for 2015/16 (metrics.md nel_admissions)
NEL_COST = 1490  # £ per non-elective admission the 2015/16 BCF guidance costs the fund at
PERFORMANCE_YEAR = "2015/16"  # the one year the BCF paid for performance


@dataclass(frozen=True)
class Benefit:
    cohort_metric: str  # the metric whose baseline-year count the cohort is (e.g. ae_attendances)
    cohort: float  # the plan's stated cohort per year (e.g. 54,000 attendances)
    change: float  # expected reduction as a fraction (0.01)
    conversion: float  # share of the avoided cohort events that are the costed outcome (0.38)
    conversion_metric: str | None  # the metric (percent) the area's own conversion comes from
    unit_cost: float  # £ per avoided outcome
    unit_cost_activity: str | None  # unit_costs activity for the area's own cost (NEL_SPELL)
    stated_outcomes: float | None  # what the plan says (205)
    stated_saving: float | None  # (350,000)
    bed_days_per_outcome: float | None = None  # each avoided admission's stay, for scenarios


def whole(x: float) -> int:
    """Rounded half up, as plans round their counts."""
    return int(x + 0.5)


def modelled(cohort: float, change: float, conversion: float, unit_cost: float) -> dict:
    events = cohort * change
    outcomes = whole(events * conversion)
    return {
        "cohort": cohort,
        "events_avoided": whole(events),
        "outcomes_avoided": outcomes,
        "saving": outcomes * unit_cost,
    }


def performance_fund(
    baseline_admissions: float, cost_per_admission: float = NEL_COST, reduction=NEL_REDUCTION
) -> dict:
    """Admissions the reduction avoids (whole) and the fund they cost."""
    admissions = whole(baseline_admissions * reduction)
    return {
        "baseline": baseline_admissions,
        "reduction": reduction,
        "admissions": admissions,
        "cost_per_admission": cost_per_admission,
        "fund": admissions * cost_per_admission,
    }


def baseline_figures(records: list[dict], year: str) -> dict[str, float]:
    """Each metric's figure for the financial year `year`: its year record's (the count, or the
    value of a rate), else its months' added up (counts summed, rates from summed parts)."""
    figures: dict[str, float] = {}
    months: dict[str, list[dict]] = {}
    for r in records:
        if r["grain"] == "year" and r["period"] == year:
            figures[r["id"]] = r["numerator"] if r["unit"] == "count" else r["value"]
        elif r["grain"] == "month" and _in_year(r["period"], year):
            months.setdefault(r["id"], []).append(r)
    for metric, rows in months.items():
        if metric in figures:
            continue
        numerator = sum(r["numerator"] or 0 for r in rows)
        if rows[0]["unit"] == "count":
            figures[metric] = numerator
        elif rows[0]["unit"] == "percent":
            denominator = sum(r["denominator"] or 0 for r in rows)
            figures[metric] = numerator / denominator * 100 if denominator else None
    return figures


def _in_year(month: str, year: str) -> bool:
    start = int(year[:4])
    y, m = int(month[:4]), int(month[5:7])
    return (y == start and m >= 4) or (y == start + 1 and m <= 3)


def recompute(
    plan, baseline: dict[str, float] | None = None, costs: dict[str, float] | None = None
):
    """Per scheme with a benefit model: the plan's stated figures, the model from the plan's own
    inputs, and (with `baseline`, metric id -> the baseline year's figure, and `costs`, activity
    -> £) the model from the area's own cohort, conversion and unit cost."""
    rows = []
    for scheme in plan.schemes:
        b = scheme.benefit
        if b is None:
            continue
        row = {
            "scheme": scheme.id,
            "name": scheme.name,
            "stated": {"outcomes_avoided": b.stated_outcomes, "saving": b.stated_saving},
            "from_plan": modelled(b.cohort, b.change, b.conversion, b.unit_cost),
        }
        if baseline is not None:
            cohort = baseline.get(b.cohort_metric)
            conversion = (
                baseline.get(b.conversion_metric) / 100
                if b.conversion_metric and baseline.get(b.conversion_metric) is not None
                else b.conversion
            )
            cost = (costs or {}).get(b.unit_cost_activity, b.unit_cost)
            row["from_area"] = (
                None if cohort is None else modelled(cohort, b.change, conversion, cost)
            )
        rows.append(row)
    return rows
