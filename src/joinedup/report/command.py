"""`joinedup report --warehouse W --out report.html`: the board report as one HTML file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from joinedup.engine import engine_of, stores
from joinedup.marts import build_marts
from joinedup.marts.build import REQUIRED_TABLES as MARTS_INPUTS
from joinedup.marts.segments import SEGMENT_TABLE
from joinedup.report.builder import build_report, required_tables


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse", required=True, help="warehouse DuckDB file (Parquet folder on Spark)"
    )
    stores.add_option(parser)
    parser.add_argument("--out", required=True, type=Path, help="the HTML file to write")
    parser.add_argument(
        "--plan",
        type=Path,
        help="BCF plan YAML for the targets (default: the packaged plan scaled to the area)",
    )
    parser.add_argument("--title", help="report title (default: names the plan's area)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def run(args: argparse.Namespace) -> int:
    with stores.reading(args.engine, args.warehouse) as con:
        has_marts = SEGMENT_TABLE in engine_of(con).tables()
    if not has_marts:  # a first report builds the marts (the one write a report makes)
        with stores.writing(args.engine, args.warehouse, needed=MARTS_INPUTS) as con:
            build_marts(con)
    with stores.reading(args.engine, args.warehouse, needed=required_tables()) as con:
        summary = build_report(con, args.out, args.plan, args.title, show_progress=not args.quiet)
    not_charted = ", ".join(summary.not_charted) or "none"
    print(
        f"report written to {summary.path}: {summary.charts} SPC charts for"
        f" {summary.months[0]} to {summary.months[1]} (not charted: {not_charted});"
        f" spend for {summary.spend_year or 'no complete year'}; {summary.seconds:.1f}s",
        file=sys.stderr,
    )
    return 0
