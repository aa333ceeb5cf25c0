"""`joinedup report --warehouse W --out report.html`: the board report as one HTML file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from joinedup.report.builder import build_report


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", required=True, type=Path, help="warehouse DuckDB file")
    parser.add_argument("--out", required=True, type=Path, help="the HTML file to write")
    parser.add_argument(
        "--plan",
        type=Path,
        help="BCF plan YAML for the targets (default: the packaged plan scaled to the area)",
    )
    parser.add_argument("--title", help="report title (default: names the plan's area)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def run(args: argparse.Namespace) -> int:
    summary = build_report(
        args.warehouse, args.out, args.plan, args.title, show_progress=not args.quiet
    )
    not_charted = ", ".join(summary.not_charted) or "none"
    print(
        f"report written to {summary.path}: {summary.charts} SPC charts for"
        f" {summary.months[0]} to {summary.months[1]} (not charted: {not_charted});"
        f" spend for {summary.spend_year or 'no complete year'}; {summary.seconds:.1f}s",
        file=sys.stderr,
    )
    return 0
