"""`joinedup load DIR --warehouse W [--vault V] [--as-of D] [--register R] [--reload FILE]
[--engine duckdb|spark]`:
land an area's feed files (landing/load.py) and print the summary."""

from __future__ import annotations

import argparse
from pathlib import Path

from joinedup.arguments import iso_date
from joinedup.engine import ENGINES
from joinedup.landing.load import load_paths


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "directory",
        metavar="DIR",
        type=Path,
        help="folder of feed files named by the contract (<feed>.csv, .parquet or <feed>/)",
    )
    parser.add_argument(
        "--warehouse",
        required=True,
        type=Path,
        help="warehouse DuckDB file (created if missing); with --engine spark a Parquet folder",
    )
    parser.add_argument(
        "--vault",
        type=Path,
        help="identity vault DuckDB file (default: vault.duckdb beside the warehouse)",
    )
    parser.add_argument(
        "--as-of",
        type=iso_date,
        help="dates after this day are rejected as future (default: today)",
    )
    parser.add_argument(
        "--register",
        type=Path,
        help="governance register: land only feeds with an agreement active on --as-of",
    )
    parser.add_argument(
        "--reload",
        action="append",
        default=[],
        metavar="FILE",
        help="land FILE (relative to DIR) again though already loaded, e.g. after a wrong --as-of",
    )
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="duckdb",
        help="spark: each file's checks and the probabilistic linkage (Splink) on Apache Spark "
        "(JOINEDUP_SPARK_MASTER, default local[2]), the warehouse a Parquet folder (one folder "
        "per table, each load a new snapshot); the vault stays a DuckDB file on this host "
        "(docs/spark.md)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def run(args: argparse.Namespace) -> int:
    summary = load_paths(
        args.directory,
        args.warehouse,
        args.vault,
        args.as_of,
        not args.quiet,
        args.register,
        args.reload,
        args.engine,
    )
    for skipped in summary.skipped_files:
        print(f"skipped {skipped['file']}: {skipped['reason']}")
    if summary.skipped_feeds:
        print(f"skipped (no active agreement): {', '.join(summary.skipped_feeds)}")
    print(
        f"{summary.files_loaded} files loaded, {summary.files_rejected} rejected whole,"
        f" {summary.files_already_loaded} already loaded; rows read {summary.rows_read},"
        f" accepted {summary.rows_accepted}, rejected {summary.rows_rejected}"
        f" ({summary.seconds}s)"
    )
    if summary.rows_expired:
        print(f"skipped {summary.rows_expired} expired rows (past their retention period)")
    return 0
