"""Did a scheme work? The people it reached against a matched comparison group of people it did
not reach, by difference-in-differences, with the naive before/after change beside it.

Regression to the mean makes the naive figure flatter a scheme that enrols people after a bad
year: their next year is better whatever the scheme does. A comparison group picked for the same
bad year falls back too, so the difference of the two changes is what the scheme did.

Matching is 1:1 nearest neighbour without replacement on standardised covariates (age, risk
score, prior use, deprivation...), exact on the `exact` columns (sex), greedy in order of the
treated's prior use. Balance is shown as standardised mean differences before and after. What
matching leaves of the covariates' differences is regressed out of the pairs' differences
(bias-corrected matching, Abadie and Imbens): the estimate is the intercept of the pairs' change
differences on their covariate differences, with its normal 95% interval (heteroscedasticity-
robust, HC1). The naive figure's interval is the plain one (mean ± 1.96 × sd / √n).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float


@dataclass(frozen=True)
class Evaluation:
    treated: int
    matched: int  # treated people with a comparison
    balance_before: dict[str, float]  # covariate -> standardised mean difference
    balance_after: dict[str, float]
    did: Estimate  # change in the outcome per person the scheme caused (negative: fewer)
    naive: Estimate  # the treated's after minus before, per person
    naive_percent: float | None  # the naive change as a percent of the before level


def standardised_difference(treated: np.ndarray, control: np.ndarray) -> float:
    """(mean_t - mean_c) / sqrt((var_t + var_c) / 2); 0 when both are constant."""
    spread = np.sqrt((treated.var(ddof=1) + control.var(ddof=1)) / 2)
    return 0.0 if spread == 0 else float((treated.mean() - control.mean()) / spread)


def _interval(differences: np.ndarray) -> Estimate:
    mean = float(differences.mean())
    half = Z_95 * float(differences.std(ddof=1)) / np.sqrt(len(differences))
    return Estimate(mean, mean - half, mean + half)


def _adjusted(differences: np.ndarray, gaps: np.ndarray) -> Estimate:
    """The intercept of differences ~ gaps (the pairs' covariate differences) and its interval."""
    design = np.column_stack([np.ones(len(differences)), gaps])
    coefficients, *_ = np.linalg.lstsq(design, differences, rcond=None)
    residuals = differences - design @ coefficients
    n, k = design.shape
    bread = np.linalg.pinv(design.T @ design)
    meat = design.T @ (design * (residuals**2)[:, None]) * n / (n - k)
    half = Z_95 * float(np.sqrt((bread @ meat @ bread)[0, 0]))
    value = float(coefficients[0])
    return Estimate(value, value - half, value + half)


def match(
    covariates: np.ndarray, treated: np.ndarray, exact: np.ndarray, order: np.ndarray
) -> np.ndarray:
    """For each treated row (in `order`), the index of its nearest unused control with the same
    `exact` value, or -1. Covariates are standardised over everybody first."""
    scale = covariates.std(axis=0)
    z = (covariates - covariates.mean(axis=0)) / np.where(scale == 0, 1, scale)
    pairs = np.full(len(treated), -1)
    for stratum in np.unique(exact):
        controls = np.flatnonzero(~treated & (exact == stratum))
        used = np.zeros(len(controls), dtype=bool)
        cases = [i for i in order if treated[i] and exact[i] == stratum]
        for i in cases:
            if used.all():
                break
            distance = ((z[controls] - z[i]) ** 2).sum(axis=1)
            distance[used] = np.inf
            best = int(np.argmin(distance))
            used[best] = True
            pairs[i] = controls[best]
    return pairs


def evaluate(
    covariates: dict[str, np.ndarray],
    treated: np.ndarray,
    before: np.ndarray,
    after: np.ndarray,
    exact: np.ndarray | None = None,
    prior: str | None = None,
) -> Evaluation:
    """Covariates by name (one value per person), who was treated, and the outcome (e.g.
    emergency admissions) in equal windows before and after the start."""
    return evaluate_outcomes(covariates, treated, {"outcome": (before, after)}, exact, prior)[
        "outcome"
    ]


def evaluate_outcomes(
    covariates: dict[str, np.ndarray],
    treated: np.ndarray,
    outcomes: dict[str, tuple[np.ndarray, np.ndarray]],
    exact: np.ndarray | None = None,
    prior: str | None = None,
) -> dict[str, Evaluation]:
    """One matching, then each outcome (name -> before, after) evaluated on the same pairs."""
    treated = np.asarray(treated, dtype=bool)
    names = list(covariates)
    matrix = np.column_stack([np.asarray(covariates[n], dtype=float) for n in names])
    exact = np.zeros(len(treated)) if exact is None else np.asarray(exact)
    priority = np.asarray(covariates[prior], dtype=float) if prior else np.zeros(len(treated))
    order = np.argsort(-priority, kind="stable")  # the hardest to match first
    pairs = match(matrix, treated, exact, order)
    cases = np.flatnonzero(treated & (pairs >= 0))
    controls = pairs[cases]
    all_treated = np.flatnonzero(treated)

    def balance(t_index, c_index):
        return {
            n: standardised_difference(matrix[t_index, k], matrix[c_index, k])
            for k, n in enumerate(names)
        }

    balance_before = balance(all_treated, np.flatnonzero(~treated))
    balance_after = balance(cases, controls) if len(cases) > 1 else {}
    results = {}
    for name, (before, after) in outcomes.items():
        before = np.asarray(before, dtype=float)
        change = np.asarray(after, dtype=float) - before
        naive = _interval(change[all_treated])
        level = float(before[all_treated].mean())
        results[name] = Evaluation(
            treated=int(treated.sum()),
            matched=len(cases),
            balance_before=balance_before,
            balance_after=balance_after,
            did=_adjusted(change[cases] - change[controls], matrix[cases] - matrix[controls]),
            naive=naive,
            naive_percent=None if level == 0 else naive.value / level * 100,
        )
    return results
