"""`joinedup plan`: check a BCF plan file and print it (text summary or the whole plan as JSON);
recompute its benefit models; vary a scheme in a scenario."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from joinedup.arguments import iso_date
from joinedup.errors import BadOption
from joinedup.metrics import periods as P
from joinedup.metrics.engine import EMERGENCY, METRICS, compute_metrics, required_tables
from joinedup.plan.benefits import baseline_figures, performance_fund, recompute
from joinedup.plan.loader import Plan, load_plan
from joinedup.plan.scenario import Variation, scenario, scenario_text
from joinedup.warehouse import store


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        nargs="?",
        choices=("show", "benefits", "scenario"),
        default="show",
        help="show the plan (default), recompute every scheme's benefit model, or vary one scheme",
    )
    parser.add_argument(
        "--file",
        type=Path,
        help="plan YAML or BCF return workbook (.xlsx) to check (default: the packaged default plan)",
    )
    parser.add_argument(
        "--people",
        type=int,
        default=175_000,
        help="people in the area, to scale the default plan (default 175000)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    parser.add_argument(
        "--warehouse",
        type=Path,
        help="benefits: also from this area's own baseline and costs; scenario: its own length"
        " of an emergency stay in the baseline year",
    )
    varied = parser.add_argument_group("scenario")
    varied.add_argument("--scheme", help="the scheme id to vary (one with a benefit model)")
    varied.add_argument("--effect", type=float, help="its change as a fraction (plan: benefit.change)")
    varied.add_argument("--cohort", type=float, help="its cohort a year (plan: benefit.cohort)")
    varied.add_argument("--start", type=iso_date, help="its start, YYYY-MM-DD (plan: go_live)")


def run(args: argparse.Namespace) -> int:
    plan = load_plan(args.file, people=args.people)
    if args.action == "scenario":
        if not args.scheme:
            raise BadOption("scenario needs --scheme")
        stay = _emergency_stay(args.warehouse, plan.baseline_year) if args.warehouse else None
        result = scenario(plan, args.scheme, Variation(args.effect, args.cohort, args.start), stay)
        return _print(args.format, result, scenario_text)
    if args.action == "benefits":
        return _print(args.format, benefits_of(plan, args.warehouse), benefits_text)
    return _print(args.format, asdict(plan), lambda _: summary(plan))


def _print(form: str, result: dict, as_text) -> int:
    if form == "json":
        json.dump(result, sys.stdout, indent=1, default=str)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(as_text(result))
    return 0


def summary(plan: Plan) -> str:
    lines = [f"{plan.area}: baseline {plan.baseline_year}"]
    lines += [
        f"pooled budget {year}: £{amount:,.0f}" for year, amount in plan.pooled_budget.items()
    ]
    for scheme in plan.schemes:
        returns = (
            "none stated" if scheme.expected_return is None else f"£{scheme.expected_return:,.0f}"
        )
        lines.append(
            f"scheme {scheme.id} {scheme.name}: invests £{scheme.investment:,.0f}, returns {returns}"
        )
    lines.append(f"schemes invest £{plan.total_investment:,.0f} in all")
    for metric, trajectory in plan.trajectories.items():
        periods = sorted(trajectory.targets)
        lines.append(
            f"trajectory {metric} ({trajectory.measure}): {len(periods)} targets, {periods[0]} to {periods[-1]}"
            if periods
            else f"trajectory {metric}: no targets"
        )
    return "\n".join(lines) + "\n"


def _emergency_stay(warehouse: Path, year: str) -> float | None:
    """The area's mean length (days) of emergency spells discharged in the financial year."""
    period = P.parse(year)
    with store.reading(warehouse, needed=["acute_apc"]) as con:
        (stay,) = con.execute(
            "SELECT AVG(date_diff('day', admission_date, discharge_date)) FROM acute_apc"
            f" WHERE {EMERGENCY} AND discharge_date BETWEEN ? AND ?",
            [period.start, period.end],
        ).fetchone()
    return None if stay is None else round(float(stay), 2)


def benefits_of(plan: Plan, warehouse: Path | None) -> dict:
    """Every benefit model recomputed, and the performance fund of the baseline's 3.5%."""
    baseline = costs = None
    if warehouse:
        wanted = {
            m
            for s in plan.schemes
            if s.benefit
            for m in (s.benefit.cohort_metric, s.benefit.conversion_metric)
            if m in METRICS
        }
        with store.reading(warehouse, needed=required_tables()) as con:
            baseline = baseline_figures(compute_metrics(con, sorted(wanted)), plan.baseline_year)
            costs = dict(
                con.execute(
                    "SELECT activity, cost_gbp FROM unit_costs WHERE financial_year = ?",
                    [plan.baseline_year],
                ).fetchall()
            )
    outturn = plan.target("nel_admissions", plan.baseline_year)
    return {
        "schemes": recompute(plan, baseline, costs),
        "performance_fund": None if outturn is None else performance_fund(outturn),
    }


def benefits_text(result: dict) -> str:
    lines = []
    for row in result["schemes"]:
        lines.append(f"scheme {row['scheme']} {row['name']}:")
        stated = row["stated"]
        lines.append(
            f"  stated: {_figure(stated['outcomes_avoided'])} avoided, £{_figure(stated['saving'])}"
        )
        for source in ("from_plan", "from_area"):
            if model := row.get(source):
                lines.append(
                    f"  {source.replace('_', ' ')}: {model['cohort']:,.0f} x change ="
                    f" {model['events_avoided']:,}; x conversion = {model['outcomes_avoided']:,}"
                    f" avoided, £{model['saving']:,.0f}"
                )
    fund = result["performance_fund"]
    if fund:
        lines.append(
            f"performance fund: {fund['reduction']:.1%} of {fund['baseline']:,.0f} ="
            f" {fund['admissions']:,} admissions x £{fund['cost_per_admission']:,.0f}"
            f" = £{fund['fund']:,.0f}"
        )
    return "\n".join(lines) + "\n"


def _figure(value) -> str:
    return "none stated" if value is None else f"{value:,.0f}"
