from datetime import date

import numpy as np
import pytest
from risk_area import synthetic_area
from sklearn.metrics import roc_auc_score

from joinedup.risk import evaluation, workflow
from joinedup.risk.features import FeatureTable, feature_names
from joinedup.risk.models import Inputs, describe, fit, is_reason
from joinedup.risk.rules import load_rules
from joinedup.warehouse.pseudonyms import pseudonyms_of

TRAIN, VALIDATE = date(2014, 4, 1), date(2015, 4, 1)


@pytest.fixture(scope="module")
def area(tmp_path_factory):
    w = synthetic_area(tmp_path_factory.mktemp("risk") / "w.duckdb", people=600, seed=3)
    w.objection("p0001")  # in force throughout
    w.objection("p0002", recorded=date(2012, 1, 1), withdrawn=date(2013, 1, 1))
    w.objection("p0003", recorded=date(2015, 6, 1))  # after the index dates, still in force
    w.objection("p0004", kind="TYPE1")
    return w.con


@pytest.fixture(scope="module")
def bundle(area):
    return workflow.train(area, TRAIN, seed=0)


def test_opted_out_people_are_left_out_of_training_and_every_list(area, bundle):
    trained = pseudonyms_of(
        area, workflow.cohort(area, TRAIN, with_outcomes=False).features.pseudo_ids
    )
    assert {"p0002", "p0004"} <= set(trained)
    assert not {"p0001", "p0003"} & set(trained)
    assert bundle.models["emergency_admission"].trained["people"] == len(trained) == 598
    scored = workflow.score(area, bundle, date(2016, 4, 1))
    assert not {"p0001", "p0003"} & set(pseudonyms_of(area, scored.pseudo_ids))
    listed = workflow.worklists(area, scored, ("very_high", "high", "low"))
    assert not {"p0001", "p0003"} & {row.pseudo_id for row in listed}


def test_same_seed_same_scores_and_a_saved_model_scores_the_same(area, bundle, tmp_path):
    again = workflow.train(area, TRAIN, seed=0)
    first = workflow.score(area, bundle, VALIDATE)
    second = workflow.score(area, again, VALIDATE)
    for outcome in first.scores:
        np.testing.assert_array_equal(first.scores[outcome], second.scores[outcome])
    workflow.save(tmp_path / "model", bundle, None)
    loaded = workflow.score(area, workflow.load(tmp_path / "model"), VALIDATE)
    np.testing.assert_array_equal(loaded.scores["high_cost"], first.scores["high_cost"])
    assert (loaded.tiers == first.tiers).all()


def test_temporal_validation_discriminates_and_beats_the_rule_at_its_list_size(area, bundle):
    report = workflow.evaluate(area, bundle, VALIDATE, load_rules())
    primary = report["outcomes"]["emergency_admission"]
    auroc = primary["discrimination"]
    assert 0.7 < auroc["auroc"] < 0.95
    assert auroc["ci_low"] < auroc["auroc"] < auroc["ci_high"]
    rule = primary["versus_rule"]
    assert rule["model_same_size"]["list_size"] == rule["rule"]["list_size"] > 0
    assert rule["model_same_size"]["ppv"] > rule["rule"]["ppv"]
    assert set(primary["top_lists"]) == {"top_0.5%", "top_1%", "top_5%", "top_10%"}
    assert primary["top_lists"]["top_5%"]["list_size"] == 30  # 5% of 598 people, rounded up
    twin = bundle.without_social_care["emergency_admission"]
    assert twin.features and not [n for n in twin.features if n.startswith("sc_")]
    assert len(twin.columns) == len(bundle.models["emergency_admission"].columns) - 12
    for outcome in ("permanent_care", "high_cost"):
        assert report["outcomes"][outcome]["without_social_care"]["discrimination"] is not None
        assert report["outcomes"][outcome]["social_care_adds"]["auroc"] is not None


def test_a_persons_factor_pushes_add_up_to_their_logit_against_the_average_person(area, bundle):
    model = bundle.models["emergency_admission"]
    table = workflow.cohort(area, VALIDATE, with_outcomes=False).features
    transformed = bundle.inputs.transform(table)
    p = model.predict(transformed)
    pushes = model.contributions(transformed).sum(axis=1)
    average = model.model.intercept_[0] + model.column_means @ model.model.coef_[0]
    np.testing.assert_allclose(pushes, np.log(p / (1 - p)) - average, atol=1e-8)
    top = np.array([int(np.argmax(p))])
    reasons = model.explain(transformed[top], table.select(top))[0]
    assert 1 <= len(reasons.split("; ")) <= 3


def test_calibration_is_one_and_zero_for_honest_risks_and_flags_overconfidence():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.01, 0.6, 40_000)
    y = (rng.random(len(p)) < p).astype(int)
    honest = evaluation.calibration(y, p)
    assert honest["slope"] == pytest.approx(1, abs=0.05)
    assert honest["intercept"] == pytest.approx(0, abs=0.05)
    logit = np.log(p / (1 - p))
    overconfident = evaluation.calibration(y, 1 / (1 + np.exp(-2 * logit)))
    assert overconfident["slope"] == pytest.approx(0.5, abs=0.05)
    assert evaluation.calibration(np.zeros(5), p[:5]) is None


def test_list_figures_count_true_positives_among_the_top_scores():
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 1, 0])
    p = np.linspace(1, 0.1, 10)
    result = evaluation.list_performance(y, evaluation.top_list(p, 3))
    assert result == {"list_size": 3, "true_positives": 2, "ppv": 2 / 3, "sensitivity": 2 / 3}
    tops = evaluation.at_top_shares(y, p)
    assert tops["top_10%"]["list_size"] == 1 and tops["top_10%"]["ppv"] == 1.0
    rule = evaluation.versus_rule(y, p, np.array([0, 0, 0, 0, 0, 0, 0, 1, 1, 1], dtype=bool))
    assert rule["rule"]["ppv"] == 1 / 3 and rule["model_same_size"]["ppv"] == 2 / 3


def test_calibration_plot_is_an_svg_with_ten_points(tmp_path):
    rng = np.random.default_rng(1)
    p = rng.uniform(0, 1, 500)
    y = (rng.random(500) < p).astype(int)
    path = tmp_path / "plot.svg"
    evaluation.write_calibration_plot(path, y, p, "emergency admission")
    svg = path.read_text()
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<circle") == 10


def test_reasons_name_only_factors_the_person_has_that_raised_the_score():
    assert is_reason("ae_6m", 3, 0.2) and not is_reason("ae_6m", 3, -0.2)
    assert not is_reason("reg_hf", 0, 0.5)  # not being on a register is never a reason
    assert is_reason("female", 0, 0.1) and describe("female", 0) == "male"
    assert describe("ae_6m", 3) == "A&E attendances, last 6 months (3)"
    assert describe("reg_copd", 1) == "on the COPD register"
    assert describe("sc_home_care", 1) == "receives home care"


def test_delong_auroc_equals_the_rank_auroc_and_its_interval_narrows_with_more_people():
    rng = np.random.default_rng(2)
    widths = []
    for people in (400, 40_000):
        y = (rng.random(people) < 0.2).astype(int)
        p = np.round(rng.normal(y * 0.8, 1), 1)  # rounded: plenty of ties
        result = evaluation.auroc_with_ci(y, p)
        assert result["auroc"] == pytest.approx(roc_auc_score(y, p), abs=1e-12)
        assert result["ci_low"] < result["auroc"] < result["ci_high"]
        widths.append(result["ci_high"] - result["ci_low"])
    assert widths[1] < widths[0] / 5
    assert evaluation.auroc_with_ci(np.ones(4), np.arange(4.0)) is None


def test_the_penalty_is_chosen_by_cross_validation_strong_for_rare_noisy_outcomes():
    rng = np.random.default_rng(4)
    names = feature_names()
    people = 3000
    matrix = rng.poisson(1.0, (people, len(names))).astype(float)
    matrix[:, names.index("age")] = rng.integers(20, 95, people)
    table = FeatureTable(
        date(2014, 4, 1),
        np.arange(people).astype(str).astype(object),
        np.full(people, "P1", object),
        np.full(people, "L", object),
        names,
        matrix,
    )
    signal = matrix[:, names.index("ae_6m")] - 1
    common = (rng.random(people) < 1 / (1 + np.exp(-(2 * signal - 1)))).astype(int)
    rare = np.zeros(people, dtype=int)
    rare[rng.choice(people, 6, replace=False)] = 1  # unrelated to any feature
    inputs = Inputs(names).fit(table)
    transformed = inputs.transform(table)
    assert fit(inputs, transformed, "common", common, names).trained["penalty_c"] >= 0.1
    assert fit(inputs, transformed, "rare", rare, names).trained["penalty_c"] <= 0.01
    given = fit(inputs, transformed, "rare", rare, names, c=0.5)
    assert given.trained["penalty_c"] == 0.5
