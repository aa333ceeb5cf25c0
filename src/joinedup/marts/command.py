"""`joinedup marts --warehouse W`: (re)build the mart tables in a warehouse."""

from __future__ import annotations

import argparse
import sys

from joinedup.engine import stores
from joinedup.marts.build import REQUIRED_TABLES, build_marts


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse", required=True, help="the warehouse DuckDB file (Parquet folder on Spark)"
    )
    stores.add_option(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def run(args: argparse.Namespace) -> int:
    with stores.writing(args.engine, args.warehouse, needed=REQUIRED_TABLES) as con:
        summary = build_marts(con, show_progress=not args.quiet)
    print(
        f"marts built for {summary.window.start} to {summary.window.end}: {summary.events} events, "
        f"{summary.uncosted_events} without a cost; left out: {summary.unlinked_events} without a "
        f"person, {summary.outside_window} outside those months; total GBP {summary.total_cost:,.0f}, "
        f"in {summary.seconds:.1f}s",
        file=sys.stderr,
    )
    return 0
