"""The evaluator against a case-management scheme planted in a generated area (`synth --scheme`):
the true effect in truth/scheme.json lies inside its 95% interval and the naive before/after
claims far more; with no planted effect its interval covers zero. The warehouse is the oracle's
(what a perfect landing would produce), so that the evaluation is measured apart from linkage.
The planted area's people are matched on risk scores too: a model trained on the year before the
scheme scores everyone on its start date, as `joinedup risk score` would store them."""

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from joinedup import cli
from joinedup.evaluation import evaluate_scheme
from joinedup.risk import workflow
from joinedup.synth.config import AreaSpec
from joinedup.synth.oracle import build_oracle_warehouse
from joinedup.synth.scheme import SchemeSpec
from joinedup.synth.simulate import generate

START = date(2015, 4, 1)
WINDOWS = ("6 months", "12 months")


def evaluated(folder: Path, reduction: float, scored: bool = False) -> tuple[dict, dict]:
    plant = SchemeSpec(START, hazard_ratio=1 - reduction, practice_share=0.5, cohort_share=0.1)
    generate(folder, AreaSpec(people=20_000, seed=11), progress=False, plant=plant)
    truth = json.loads((folder / "truth" / "scheme.json").read_text())
    with (folder / "truth" / "scheme_enrolment.csv").open(newline="") as handle:
        cohort = {row["person_id"] for row in csv.DictReader(handle)}
    warehouse = build_oracle_warehouse(folder)
    if scored:  # outcomes of the training year end on the start date: none is the scheme's
        bundle = workflow.train(warehouse, date(START.year - 1, START.month, START.day))
        workflow.score_into_warehouse(warehouse, bundle, START)
    return truth, evaluate_scheme(warehouse, cohort, START)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    return evaluated(tmp_path_factory.mktemp("planted"), reduction=0.3, scored=True)


@pytest.fixture(scope="module")
def placebo(tmp_path_factory):
    return evaluated(tmp_path_factory.mktemp("placebo"), reduction=0.0)


@pytest.mark.parametrize("window", WINDOWS)
def test_the_planted_effect_lies_inside_the_interval_and_the_naive_figure_overstates_it(
    planted, window
):
    truth, result = planted
    effect = truth["windows"][window]["effect_per_person"]
    found = result["windows"][window]["emergency_admissions"]
    assert truth["enrolled"] > 500 and effect < -0.05
    assert found["did"]["low"] <= effect <= found["did"]["high"]
    if window == "12 months":  # 6 months of 20,000 people: too few admissions to exclude zero
        assert found["did"]["high"] < 0
    assert found["naive"]["high"] < found["did"]["low"]  # regression to the mean claims more


def test_the_planted_area_is_matched_on_its_stored_risk_scores_and_gains_cost_as_an_outcome(
    planted,
):
    _, result = planted
    assert result["risk_score"] == {"index_date": str(START), "outcome": "emergency_admission"}
    before, after = result["balance_before"]["risk_score"], result["balance_after"]["risk_score"]
    assert before > 1 and abs(after) < before / 5  # the cohort's higher risk matched away
    cost = result["windows"]["12 months"]["cost"]
    assert cost["did"]["low"] <= cost["did"]["value"] <= cost["did"]["high"]
    assert cost["naive"]["value"] < cost["did"]["value"]  # the fall after a costly year, mostly


@pytest.mark.parametrize("window", WINDOWS)
def test_with_no_planted_effect_the_interval_covers_zero_while_before_after_still_falls(
    placebo, window
):
    truth, result = placebo
    assert truth["windows"][window]["effect_per_person"] == 0
    found = result["windows"][window]["emergency_admissions"]
    assert found["did"]["low"] <= 0 <= found["did"]["high"]
    assert found["naive"]["high"] < 0 and found["naive_percent"] < -20
    assert result["risk_score"]["index_date"] is None  # none stored: matched without one


def test_a_scheme_with_no_effect_draws_nothing_so_the_feeds_are_those_of_an_area_without_one(
    tmp_path,
):
    for name, extra in (("plain", []), ("scheme", ["--scheme", "--scheme-reduction", "0"])):
        args = ["synth", "--out", str(tmp_path / name), "--people", "1500", "--seed", "3"]
        assert cli.main([*args, "--quiet", *extra]) == 0
    for feed in sorted((tmp_path / "plain").glob("*.csv")):
        assert feed.read_bytes() == (tmp_path / "scheme" / feed.name).read_bytes(), feed.name
    assert not (tmp_path / "plain" / "truth" / "scheme.json").exists()
    truth = json.loads((tmp_path / "scheme" / "truth" / "scheme.json").read_text())
    assert truth["enrolled"] > 0 and truth["start"] == "2015-04-01"  # 12 months before the end


def test_a_scheme_start_without_a_year_of_history_is_refused(tmp_path, capsys):
    args = ["synth", "--out", str(tmp_path), "--people", "500", "--scheme", "--scheme-start"]
    assert cli.main([*args, "2013-09", "--quiet"]) == 2
    assert "--scheme-start must be at least 12 months after --start" in capsys.readouterr().err
