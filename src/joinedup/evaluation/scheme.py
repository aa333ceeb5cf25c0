"""A scheme's evaluation on a warehouse (`joinedup evaluate`, the analysts' evaluator page): the
people it reached against a matched comparison of people registered and alive at its start,
difference-in-differences over 6 and 12 months for each outcome, the naive before/after beside
it. Tier A: counts disclosure-controlled; figures are means per person."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta

import numpy as np

from joinedup.errors import UserError
from joinedup.evaluation.cohort import (
    COVARIATES,
    OUTCOMES,
    RISK_OUTCOME,
    StoredRisk,
    people,
    stored_risk,
)
from joinedup.evaluation.did import evaluate_outcomes
from joinedup.governance.disclosure import SUPPRESSION_THRESHOLD, round_count
from joinedup.warehouse.coverage import covered
from joinedup.warehouse.pseudonyms import numbers_of

WINDOWS = {6: 182, 12: 365}  # months -> days
PRIOR_CAP = 6


def _strata(columns: dict[str, np.ndarray]) -> np.ndarray:
    """Exact-matching strata: sex, and last year's emergency admissions (PRIOR_CAP or more as
    one), as a case-management cohort is picked for its last year."""
    prior = np.minimum(columns["prior_admissions"].astype(int), PRIOR_CAP)
    return np.char.add(columns["sex"].astype(str), prior.astype(str))


def evaluate_scheme(con, cohort: set[str], start: date) -> dict:
    """The evaluation of the cohort (pseudonyms) from `start`, as `joinedup evaluate` prints it;
    a user error when fewer than the publishable minimum are registered on that day, or have a
    comparison."""
    cohort = {n for n in numbers_of(con, sorted(cohort)) if n is not None}
    risk = stored_risk(con, start)
    result: dict = {"start": str(start), "risk_score": _risk_note(risk, start), "windows": {}}
    for months, days in WINDOWS.items():
        found = _window(con, cohort, start, days, risk)
        first = found[OUTCOMES[0]]
        result["cohort"] = {
            "treated": round_count(first.treated),
            "matched": round_count(first.matched),
        }
        result["balance_before"] = first.balance_before
        result["balance_after"] = first.balance_after
        result["windows"][f"{months} months"] = {
            o: {"did": asdict(e.did), "naive": asdict(e.naive), "naive_percent": e.naive_percent}
            for o, e in found.items()
        }
    return result


def _window(con, cohort: set[int], start: date, days: int, risk: StoredRisk | None) -> dict:
    """Every outcome evaluated over `days` before and after the start, on one matching."""
    columns = people(con, start, days)
    treated = np.isin(columns["pseudo_id"], list(cohort))
    if treated.sum() <= SUPPRESSION_THRESHOLD:
        raise UserError(
            f"the cohort has {treated.sum()} people registered on {start}: too few to publish"
        )
    if (~treated).sum() <= SUPPRESSION_THRESHOLD:
        raise _unmatched(start)
    covariates = {c: columns[c] for c in COVARIATES}
    if risk:
        covariates |= risk.covariates(columns["pseudo_id"])
    found = evaluate_outcomes(
        covariates,
        treated,
        {o: (columns[f"{o}_before"], columns[f"{o}_after"]) for o in OUTCOMES},
        exact=_strata(columns),
        prior="prior_admissions",
    )
    if found[OUTCOMES[0]].matched <= SUPPRESSION_THRESHOLD:
        raise _unmatched(start)
    return found


def _unmatched(start: date) -> UserError:
    return UserError(
        f"at most {SUPPRESSION_THRESHOLD} of the cohort have a comparison among the people"
        f" registered on {start} outside it: too few to publish"
    )


def _risk_note(risk, start: date) -> dict:
    """Which risk score the matching used, or that there was none to use."""
    if risk is None:
        return {
            "index_date": None,
            "note": f"no risk scores stored on or before {start}: matched without a risk score",
        }
    return {"index_date": str(risk.index), "outcome": RISK_OUTCOME}


def default_start(con) -> date | None:
    """The first day 12 months before the end of the data: the latest start with a whole year
    after it (None without data)."""
    window = covered(con)
    if window is None:
        return None
    after = window.end + timedelta(days=1)
    return date(after.year - 1, after.month, 1)
