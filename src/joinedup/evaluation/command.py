"""`joinedup evaluate`: did a scheme change its cohort's use of hospital? Matched comparison and
difference-in-differences over 6 and 12 months, the naive before/after beside it (tier A:
counts disclosure-controlled, figures are means per person)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path

import numpy as np

from joinedup.errors import BadInput, BadOption, UserError
from joinedup.evaluation.cohort import COVARIATES, OUTCOMES, people
from joinedup.evaluation.did import evaluate_outcomes
from joinedup.governance.disclosure import SUPPRESSION_THRESHOLD, round_count
from joinedup.warehouse import store

WINDOWS = {6: 182, 12: 365}  # months -> days
PRIOR_CAP = 6


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
        result = evaluation(con, cohort, start)
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


def _strata(columns: dict[str, np.ndarray]) -> np.ndarray:
    """Exact-matching strata: sex, and last year's emergency admissions (PRIOR_CAP or more as
    one), as a case-management cohort is picked for its last year."""
    prior = np.minimum(columns["prior_admissions"].astype(int), PRIOR_CAP)
    return np.char.add(columns["sex"].astype(str), prior.astype(str))


def evaluation(con, cohort: set[str], start: date) -> dict:
    result: dict = {"start": str(start), "windows": {}}
    for months, days in WINDOWS.items():
        columns = people(con, start, days)
        treated = np.isin(columns["pseudo_id"], list(cohort))
        if treated.sum() <= SUPPRESSION_THRESHOLD:
            raise UserError(
                f"the cohort has {treated.sum()} people registered on {start}: too few to publish"
            )
        found = evaluate_outcomes(
            {c: columns[c] for c in COVARIATES},
            treated,
            {o: (columns[f"{o}_before"], columns[f"{o}_after"]) for o in OUTCOMES},
            exact=_strata(columns),
            prior="prior_admissions",
        )
        first = found[OUTCOMES[0]]
        result["cohort"] = {
            "treated": round_count(first.treated),
            "matched": round_count(first.matched),
        }
        result["balance_before"], result["balance_after"] = (
            first.balance_before,
            first.balance_after,
        )
        result["windows"][f"{months} months"] = {
            o: {"did": asdict(e.did), "naive": asdict(e.naive), "naive_percent": e.naive_percent}
            for o, e in found.items()
        }
    return result
