"""`joinedup return`: the BCF quarterly return workbook for a quarter, from the plan and (with a
warehouse) the metrics' disclosure-controlled actuals."""

from __future__ import annotations

import argparse
from pathlib import Path

from joinedup.errors import BadOption
from joinedup.governance.disclosure import apply_disclosure_control
from joinedup.metrics import periods
from joinedup.metrics.engine import METRICS, compute_metrics, required_tables
from joinedup.plan.loader import load_plan
from joinedup.plan.workbook import write_return
from joinedup.warehouse import store


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quarter", required=True, help="the quarter returned, YYYY/YY-Qn")
    parser.add_argument("--out", required=True, type=Path, help="workbook to write (.xlsx)")
    parser.add_argument(
        "--plan", type=Path, help="plan YAML or workbook (default: the default plan)"
    )
    parser.add_argument(
        "--people", type=int, default=175_000, help="people, to scale the default plan"
    )
    parser.add_argument("--warehouse", type=Path, help="warehouse for the actuals (default: none)")


def run(args: argparse.Namespace) -> int:
    try:
        quarter = periods.parse(args.quarter)
    except ValueError:
        quarter = None
    if quarter is None or quarter.grain != "quarter":
        raise BadOption(f"--quarter: {args.quarter!r} is not a quarter (YYYY/YY-Qn)")
    plan = load_plan(args.plan, people=args.people)
    actuals = None
    if args.warehouse:
        wanted = [m for m in plan.trajectories if m in METRICS]
        with store.reading(args.warehouse, needed=required_tables()) as con:
            records = compute_metrics(con, wanted, experience_question=plan.experience_question)
        actuals = {
            (r["id"], r["period"]): r[plan.trajectories[r["id"]].measure]
            for r in apply_disclosure_control(records)
        }
    write_return(plan, quarter.label, args.out, actuals)
    return 0
