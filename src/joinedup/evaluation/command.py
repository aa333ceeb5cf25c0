"""`joinedup evaluate`: did a scheme change its cohort's use of hospital and its cost? Matched
comparison and difference-in-differences over 6 and 12 months, the naive before/after beside it
(`evaluation/scheme.py`; tier A: counts disclosure-controlled, figures are means per person)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import date
from pathlib import Path

from joinedup.errors import BadInput, BadOption
from joinedup.evaluation.scheme import evaluate_scheme
from joinedup.warehouse import store


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", required=True, type=Path, help="warehouse DuckDB file")
    parser.add_argument(
        "--cohort", required=True, type=Path, help="CSV with a pseudo_id column: who was reached"
    )
    parser.add_argument("--start", required=True, help="the scheme's start date, YYYY-MM-DD")


def run(args: argparse.Namespace) -> int:
    try:
        start = date.fromisoformat(args.start)
    except ValueError:
        raise BadOption(f"--start: {args.start!r} is not a date (YYYY-MM-DD)") from None
    cohort = read_cohort(args.cohort)
    with store.reading(args.warehouse) as con:
        result = evaluate_scheme(con, cohort, start)
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


def read_cohort(path: Path) -> set[str]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if "pseudo_id" not in (reader.fieldnames or []):
                raise BadInput(f"{path}: line 1: no pseudo_id column")
            return {row["pseudo_id"] for row in reader if row["pseudo_id"]}
    except OSError as error:
        raise BadInput(f"{path}: cannot read the cohort ({error.strerror})") from None
