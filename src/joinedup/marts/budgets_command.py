"""`joinedup budgets`: Year of Care capitated budgets by locality and practice for the year
after a base year, against actual spend (tier A: disclosure-controlled)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from joinedup.errors import BadInput
from joinedup.marts.budgets import budgets, published
from joinedup.marts.build import REQUIRED_TABLES
from joinedup.marts.segments import SEGMENT_TABLE
from joinedup.metrics import periods as P
from joinedup.metrics.engine import covered_months
from joinedup.warehouse import store


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse", required=True, type=Path, help="warehouse with its marts built"
    )
    parser.add_argument(
        "--base-year",
        type=_financial_year,
        help="financial year the cost model is fitted on, YYYY/YY (default: the one before the"
        " latest complete year, which is then the budget year)",
    )
    parser.add_argument(
        "--uplift", type=float, default=0.0, help="price uplift to the budget year (0.015: 1.5%%)"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")


def _financial_year(text: str) -> str:
    try:
        if P.parse(text).grain == "year":
            return text
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"{text!r} is not a financial year (YYYY/YY)")


def run(args: argparse.Namespace) -> int:
    with store.reading(args.warehouse, needed=[*REQUIRED_TABLES, SEGMENT_TABLE]) as con:
        base_year = args.base_year or default_base_year(con)
        result = published(budgets(con, base_year, args.uplift))
    if args.format == "json":
        json.dump(result, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(text(result))
    return 0


def default_base_year(con) -> str:
    months = covered_months(con)
    first, last = (P.parse(m) for m in months) if months else (None, None)
    years = [
        p.label
        for p in (P.covering(*months) if months else [])
        if p.grain == "year" and p.start >= first.start and p.end <= last.end
    ]
    if len(years) < 2:
        raise BadInput(
            f"{SEGMENT_TABLE}: fewer than two complete financial years; give --base-year"
        )
    return years[-2]


def text(result: dict) -> str:
    def money(gbp) -> str:
        return "suppressed" if gbp is None else f"£{gbp:,.0f}"

    def line(name: str, figures: dict) -> str:
        people = "suppressed" if figures["people"] is None else f"{figures['people']:,}"
        return (
            f"  {name:<14} {people:>10} people  budget {money(figures['budget_gbp']):>14}"
            f"  actual {money(figures['actual_gbp']):>14}"
        )

    model = result["model"]
    lines = [
        f"cost model fitted on {result['base_year']} ({model['people']:,} residents,"
        f" {money(model['spend_gbp'])}); budgets for {result['budget_year']}"
        f" (uplift {result['uplift']:.1%})",
        line("area", result["area"]),
    ]
    for grouping, groups in result["by"].items():
        lines.append(f"by {grouping}:")
        lines += [line(name, figures) for name, figures in groups.items()]
    return "\n".join(lines) + "\n"
