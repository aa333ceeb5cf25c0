"""`joinedup plan scenario`: what if a scheme's effect, cohort or start date are not the plan's?

A scheme's benefit model gives its admissions avoided a year (cohort x change x conversion),
their bed days (x bed days per admission) and their cost (x unit cost). For each financial year
of the plan (its pooled budget's years) the plan's figures and the scenario's are set side by
side, each year counting the part of it after the scheme starts (its go-live date, else the
year's first day; the scenario's own start if given), pro rata by days.

Payment for performance (BCF 2015/16, that year only): the performance fund is the cost of the planned
non-elective reduction (3.5% of the baseline year's admissions at £1,490 each,
`benefits.performance_fund`), released in proportion to the reduction achieved, up to all of
it. The scenario takes every other scheme to deliver as planned and the plan's reduction to be
met when every scheme does, so this scheme's shortfall in admissions avoided is the reduction
not achieved (a scheme that beats its plan releases no more than the whole fund). What is not
released pays for the acute activity that happened instead; the plan's risk-sharing terms say
who bears it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from joinedup.errors import BadOption
from joinedup.metrics import periods as P
from joinedup.plan.benefits import PERFORMANCE_YEAR, performance_fund
from joinedup.plan.loader import Plan


@dataclass(frozen=True)
class Variation:
    effect: float | None = None  # the change as a fraction (the plan's benefit.change)
    cohort: float | None = None  # events a year (the plan's benefit.cohort)
    start: date | None = None  # the scheme's start (the plan's go_live)


def _yearly(cohort: float, change: float, conversion: float, unit_cost: float, stay) -> dict:
    admissions = cohort * change * conversion
    return {
        "admissions_avoided": admissions,
        "bed_days_avoided": None if stay is None else admissions * stay,
        "saving_gbp": admissions * unit_cost,
    }


def _share_of_year(year: str, start: date) -> float:
    """The part of the financial year on or after `start`."""
    period = P.parse(year)
    days = (period.end - period.start).days + 1
    return min(1.0, max(0.0, ((period.end - max(start, period.start)).days + 1) / days))


def _part(figures: dict, share: float) -> dict:
    return {k: None if v is None else round(v * share, 1) for k, v in figures.items()}


def scenario(plan: Plan, scheme_id: str, variation: Variation, stay: float | None = None) -> dict:
    """The plan's and the scenario's figures by year, and the payment-for-performance outcome.
    `stay`: bed days per avoided admission (default the benefit model's own)."""
    scheme = plan.scheme(scheme_id)
    if scheme is None or scheme.benefit is None:
        modelled = ", ".join(s.id for s in plan.schemes if s.benefit) or "none"
        raise BadOption(
            f"--scheme {scheme_id}: no scheme with a benefit model (these have one: {modelled})"
        )
    b = scheme.benefit
    stay = b.bed_days_per_outcome if stay is None else stay
    planned = _yearly(b.cohort, b.change, b.conversion, b.unit_cost, stay)
    varied = _yearly(
        b.cohort if variation.cohort is None else variation.cohort,
        b.change if variation.effect is None else variation.effect,
        b.conversion,
        b.unit_cost,
        stay,
    )
    years = sorted(plan.pooled_budget, key=lambda y: P.parse(y).start)
    planned_start = scheme.go_live or P.parse(years[0]).start
    start = variation.start or planned_start
    outturn = plan.target("nel_admissions", plan.baseline_year)
    fund = None if outturn is None else performance_fund(outturn)
    rows = []
    for year in years:
        mine = _part(planned, _share_of_year(year, planned_start))
        theirs = _part(varied, _share_of_year(year, start))
        rows.append(
            {
                "year": year,
                "plan": mine,
                "scenario": theirs,
                "payment_for_performance": None
                if fund is None or year != PERFORMANCE_YEAR
                else _paid(plan, fund, mine, theirs),
            }
        )
    return {
        "scheme": scheme.id,
        "name": scheme.name,
        "plan": {"effect": b.change, "cohort": b.cohort, "start": str(planned_start)},
        "scenario": {
            "effect": b.change if variation.effect is None else variation.effect,
            "cohort": b.cohort if variation.cohort is None else variation.cohort,
            "start": str(start),
        },
        "bed_days_per_admission": stay,
        "years": rows,
    }


def _paid(plan: Plan, fund: dict, planned: dict, varied: dict) -> dict:
    target = fund["admissions"]
    shortfall = max(0.0, planned["admissions_avoided"] - varied["admissions_avoided"])
    achieved = max(0.0, target - shortfall)
    released = fund["fund"] * (min(1.0, achieved / target) if target else 1.0)
    withheld = fund["fund"] - released
    return {
        "fund_gbp": fund["fund"],
        "reduction_planned": target,
        "reduction_achieved": round(achieved, 1),
        "released_gbp": round(released),
        "withheld_gbp": round(withheld),
        "borne_by": {party: round(withheld * share) for party, share in plan.risk_sharing.items()},
    }


def scenario_text(result: dict) -> str:
    plan, varied = result["plan"], result["scenario"]
    lines = [
        f"scheme {result['scheme']} {result['name']}",
        f"  plan: effect {plan['effect']:.2%} of {plan['cohort']:,.0f} from {plan['start']};"
        f" scenario: {varied['effect']:.2%} of {varied['cohort']:,.0f} from {varied['start']}",
    ]
    for row in result["years"]:
        lines.append(f"  {row['year']}:")
        for name in ("plan", "scenario"):
            f = row[name]
            bed_days = (
                "" if f["bed_days_avoided"] is None else f", {f['bed_days_avoided']:,.0f} bed days"
            )
            lines.append(
                f"    {name:<8} {f['admissions_avoided']:,.1f} admissions avoided{bed_days},"
                f" £{f['saving_gbp']:,.0f}"
            )
        if paid := row["payment_for_performance"]:
            borne = ", ".join(f"{p} £{v:,.0f}" for p, v in paid["borne_by"].items()) or "no terms"
            lines.append(
                f"    performance fund £{paid['fund_gbp']:,.0f}: reduction"
                f" {paid['reduction_achieved']:,.1f} of {paid['reduction_planned']:,};"
                f" released £{paid['released_gbp']:,.0f}, withheld £{paid['withheld_gbp']:,.0f}"
                f" (borne by {borne})"
            )
    return "\n".join(lines) + "\n"
