"""The evaluator on a simulated population whose scheme enrols the people with the most emergency
admissions last year (as case management does): with a planted effect its 95% interval holds the
true effect and the naive before/after overstates it; with none, its interval covers zero."""

import time

import numpy as np
import pytest

from joinedup.evaluation import evaluate


def population(hazard_ratio: float, seed: int = 3, people: int = 20_000, cohort: int = 2_000):
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 100, people)
    deprivation = rng.integers(1, 11, people)
    sex = rng.integers(1, 3, people)
    # Latent need: older and more deprived people are admitted more; last year's count is a
    # noisy reading of it, so the highest counts are partly bad luck.
    rate = rng.gamma(0.6, 1.0, people) * np.exp((age - 60) / 30 + (5 - deprivation) / 15) * 0.4
    risk = np.log(rate) + rng.normal(0, 0.7, people)
    before = rng.poisson(rate)
    pilot = rng.random(people) < 0.5  # the pilot practices' patients
    ranked = np.argsort(-(before + rng.random(people) * 0.5) * pilot)  # ties broken at random
    treated = np.zeros(people, dtype=bool)
    treated[ranked[:cohort]] = True
    after = rng.poisson(rate * np.where(treated, hazard_ratio, 1.0))
    true_effect = float((rate[treated] * (hazard_ratio - 1)).mean())
    covariates = {"age": age, "risk": risk, "prior": before, "deprivation": deprivation}
    strata = sex * 1000 + before  # exact on sex and on last year's admissions
    return covariates, treated, before, after, strata, true_effect


def test_the_planted_effect_is_recovered_and_the_naive_figure_overstates_it():
    covariates, treated, before, after, sex, true_effect = population(0.8)
    started = time.monotonic()
    result = evaluate(covariates, treated, before, after, exact=sex, prior="prior")
    seconds = time.monotonic() - started
    assert result.treated == 2_000 and result.matched >= 1_900
    assert result.did.low <= true_effect <= result.did.high
    assert result.naive.high < result.did.low  # regression to the mean claims far more
    assert result.naive.value < 2 * true_effect
    assert abs(result.balance_after["prior"]) < 0.1 < abs(result.balance_before["prior"])
    assert seconds < 30


def test_with_no_effect_the_interval_covers_zero_while_before_after_still_falls():
    covariates, treated, before, after, sex, true_effect = population(1.0)
    result = evaluate(covariates, treated, before, after, exact=sex, prior="prior")
    assert true_effect == 0
    assert result.did.low <= 0 <= result.did.high
    assert result.naive.high < 0 and result.naive_percent < -20


@pytest.mark.parametrize("seed", [5, 6])
def test_the_interval_holds_the_effect_across_seeds(seed):
    covariates, treated, before, after, sex, true_effect = population(0.7, seed=seed)
    result = evaluate(covariates, treated, before, after, exact=sex, prior="prior")
    assert result.did.low <= true_effect <= result.did.high
