"""`joinedup metrics`: print every metric of metrics.md for the periods the warehouse covers,
as one JSON object (metrics.md "Output shape") or as CSV, raw or disclosure-controlled."""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import sys
from pathlib import Path

from joinedup.engine import stores
from joinedup.errors import BadOption
from joinedup.metrics import periods
from joinedup.metrics.engine import (
    BREAKDOWN_METRICS,
    BREAKDOWNS,
    DEFAULT_EXPERIENCE_QUESTION,
    METRICS,
    compute_metrics,
    required_tables,
)
from joinedup.metrics.output import MetricSet
from joinedup.progress import stage

CSV_COLUMNS = ["id", "period", "grain", "numerator", "denominator", "value", "unit", "breakdown"]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse", required=True, help="warehouse DuckDB file (or Parquet folder, --engine)"
    )
    stores.add_option(parser)
    parser.add_argument("--format", choices=("json", "csv"), default="json", help="output format")
    parser.add_argument(
        "--metric",
        action="append",
        choices=list(METRICS),
        metavar="ID",
        help=f"only this metric (repeatable); one of: {', '.join(METRICS)}",
    )
    parser.add_argument(
        "--disclosure-control",
        action="store_true",
        help="suppress counts 1-7 and round the rest (DESIGN.md tier A) before printing",
    )
    parser.add_argument(
        "--method",
        choices=("round5", "midpoint6"),
        help="disclosure control rounding (default round5); needs --disclosure-control",
    )
    parser.add_argument(
        "--months",
        nargs=2,
        metavar=("FIRST", "LAST"),
        help="report the periods from month FIRST to LAST (YYYY-MM; default: what the data covers)",
    )
    parser.add_argument(
        "--question",
        default=DEFAULT_EXPERIENCE_QUESTION,
        help=f"experience_survey question for patient_experience (default {DEFAULT_EXPERIENCE_QUESTION})",
    )
    parser.add_argument("--area", help="area name for the output (default: the warehouse's name)")
    parser.add_argument(
        "--by",
        choices=BREAKDOWNS,
        help="also each group of this dimension (records gain `by` and `group`), for every"
        " metric but the survey's (patient_experience)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def run(args: argparse.Namespace) -> int:
    if args.method and not args.disclosure_control:
        raise BadOption("--method needs --disclosure-control")
    months = checked_months(args.months) if args.months else None
    if args.by and (unbroken := sorted(set(args.metric or ()) - set(BREAKDOWN_METRICS))):
        raise BadOption(f"--by: {', '.join(unbroken)}: an aggregate survey, with no breakdowns")
    with (  # the store first: a missing warehouse is one line, no progress before it
        stores.reading(args.engine, args.warehouse, needed=required_tables()) as con,
        stage("computing metrics", enabled=not args.quiet),
    ):
        metrics = compute_metrics(con, args.metric, months, args.question, args.by)
    if args.disclosure_control:
        disclosure = importlib.import_module("joinedup.governance.disclosure")
        metrics = disclosure.apply_disclosure_control(metrics, args.method or "round5")
    if args.format == "json":
        write_json(metrics, args.area or Path(args.warehouse.rstrip("/")).stem, sys.stdout)
    else:
        write_csv(metrics, sys.stdout)
    return 0


def checked_months(months: list[str]) -> tuple[str, str]:
    first, last = months
    for month in months:
        try:
            period = periods.parse(month)
        except ValueError:
            period = None
        if period is None or period.grain != "month":
            raise BadOption(f"--months: {month!r} is not a month (YYYY-MM)")
    if first > last:
        raise BadOption(f"--months: {first} comes after {last}")
    return first, last


def write_json(metrics: list[dict], area: str, out) -> None:
    json.dump(MetricSet.now(area, metrics).to_dict(), out, indent=1)
    out.write("\n")


def write_csv(metrics: list[dict], out) -> None:
    """One row per record; nested values (breakdown, suppressed fields) as JSON text."""
    extra = [key for record in metrics for key in record if key not in CSV_COLUMNS]
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS + list(dict.fromkeys(extra)))
    writer.writeheader()
    for record in metrics:
        writer.writerow(
            {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in record.items()}
        )
