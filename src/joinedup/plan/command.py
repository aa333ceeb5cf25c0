"""`joinedup plan`: check a BCF plan file and print it (text summary or the whole plan as JSON)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from joinedup.plan.loader import Plan, load_plan


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--file", type=Path, help="plan YAML or BCF return workbook (.xlsx) to check (default: the packaged default plan)"
    )
    parser.add_argument(
        "--people",
        type=int,
        default=175_000,
        help="people in the area, to scale the default plan (default 175000)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")


def run(args: argparse.Namespace) -> int:
    plan = load_plan(args.file, people=args.people)
    if args.format == "json":
        json.dump(asdict(plan), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(summary(plan))
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
