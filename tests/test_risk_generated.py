"""Risk on a generated area (synth -> load -> risk train/evaluate/score), end to end: the models
against the generator's true hazards (the ceiling) and the rule, and what the social care signal
adds. 20,000 people: enough permanent care admissions (about 20 a year) to see the planted signal.
"""

from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from joinedup.identity.vault import Vault
from joinedup.landing.lineage import landed_lineage
from joinedup.landing.load import load_paths
from joinedup.marts import build_marts
from joinedup.risk import oracle, workflow
from joinedup.risk.features import social_care_features
from joinedup.risk.models import Inputs, logit, reasons
from joinedup.risk.outcomes import cost_in_window
from joinedup.risk.rules import load_rules
from joinedup.synth.config import AreaSpec
from joinedup.synth.simulate import generate

pytestmark = pytest.mark.slow
TRAIN, VALIDATE = date(2014, 4, 1), date(2015, 4, 1)
# The planted signal (synth/signal.py) multiplies placement hazards by 1.7-3.0 for a few people;
# the social care features must explain at least this much more of the true placement hazard's
# log-odds (R squared) than health features alone (0.055 measured on this area).
SOCIAL_CARE_MARGIN = 0.03


@pytest.fixture(scope="module")
def area(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("risk_area")
    generate(folder / "feeds", AreaSpec(people=20_000, seed=5), progress=False)
    load_paths(folder / "feeds", folder / "warehouse.duckdb", progress=False)
    return folder


@pytest.fixture(scope="module")
def warehouse(area):
    con = duckdb.connect(str(area / "warehouse.duckdb"))
    yield con
    con.close()


@pytest.fixture(scope="module")
def truth(area, warehouse) -> oracle.Truth:
    with Vault.open(area / "vault.duckdb", must_exist=True) as vault:
        lineage = landed_lineage(warehouse, vault, area / "warehouse.duckdb")
    return oracle.Truth(area / "feeds" / "truth", lineage)


@pytest.fixture(scope="module")
def validated(warehouse, truth):
    bundle = workflow.train(warehouse, TRAIN)
    report = workflow.evaluate(warehouse, bundle, VALIDATE, load_rules(), truth=truth)
    workflow.choose_learners(bundle, report)
    return bundle, report


def test_models_learn_the_generated_area_and_leave_opted_out_people_out(warehouse, validated):
    bundle, report = validated
    primary = report["outcomes"]["emergency_admission"]
    assert primary["events"] > 1000
    assert primary["discrimination"]["auroc"] > 0.75
    assert report["opted_out_excluded"] > 0
    scored = workflow.score(warehouse, bundle, date(2016, 4, 1))
    opted_out = {
        row[0]
        for row in warehouse.execute(
            "SELECT pseudo_id FROM objections WHERE objection_type = 'NDOO' "
            "AND withdrawn_date IS NULL"
        ).fetchall()
    }
    assert opted_out and not opted_out & set(scored.pseudo_ids)


def test_the_true_hazards_rank_above_the_model_and_the_model_above_the_rule(validated):
    _, report = validated
    for outcome in ("emergency_admission", "high_cost"):
        ceiling = report["outcomes"][outcome]["oracle"]
        assert ceiling["people"] > 0.99 * report["people"]  # nearly everyone matched to truth
        assert ceiling["oracle_auroc"] > ceiling["model_auroc"] > ceiling["rule_auroc"]
        assert 0.5 < ceiling["share_of_achievable_auroc_gain"] < 1
    emergency = report["outcomes"]["emergency_admission"]["oracle"]
    assert emergency["oracle_brier"] < emergency["model_brier"] < emergency["chance_brier"]
    # permanent care: about 20 events, too few to order AUROCs; the Brier scores still order
    placements = report["outcomes"]["permanent_care"]["oracle"]
    assert placements["oracle_brier"] < placements["model_brier"]


def test_the_social_care_features_carry_the_planted_signal_that_health_data_lacks(warehouse, truth):
    """About 20 placements a year are too few to train on, so the signal is checked against the
    true hazards themselves: the features with social care explain the log-odds of the true
    permanent care hazard (people at home aged 65+) better than health features alone."""
    table = workflow.cohort(warehouse, VALIDATE, with_outcomes=False).features
    hazard = oracle.true_hazards(warehouse, truth, table)["permanent_care"]
    at_risk = (hazard > 0) & (hazard < 1)  # out: unmatched (NaN), in care, placement arranged
    log_odds = np.log(hazard[at_risk] / (1 - hazard[at_risk]))
    inputs = Inputs(table.names).fit(table)
    design = inputs.transform(table)[at_risk]
    health = [n for n in table.names if n not in social_care_features()]

    def explained(columns) -> float:
        fitted = LinearRegression().fit(design[:, columns], log_odds)
        return fitted.score(design[:, columns], log_odds)

    gain = explained(inputs.columns_of(table.names)) - explained(inputs.columns_of(health))
    assert at_risk.sum() > 2000
    assert gain >= SOCIAL_CARE_MARGIN


def test_what_linking_adds_shows_the_chosen_models_gain_over_its_twin(validated, tmp_path):
    bundle, report = validated
    placements = report["outcomes"]["permanent_care"]
    ceiling = placements["oracle"]
    expected_gain = ceiling["model_expected_auroc"] - ceiling["twin_expected_auroc"]
    with_sc = placements["discrimination"]["auroc"]
    without = placements["without_social_care"]["discrimination"]["auroc"]
    assert placements["social_care_adds"]["auroc"] == pytest.approx(with_sc - without)
    assert ceiling["oracle_expected_auroc"] > ceiling["model_expected_auroc"]
    workflow.save(tmp_path, bundle, report)
    card = (tmp_path / workflow.CARD_MARKDOWN).read_text(encoding="utf-8")
    table = card[card.index("## What linking adds") :]
    row = next(line for line in table.splitlines() if line.startswith("| permanent_care"))
    assert row.strip("| ").split(" | ")[1:5] == [
        f"{with_sc:.3f}",
        f"{without:.3f}",
        f"{with_sc - without:.3f}",
        f"{expected_gain:.3f}",
    ]


def test_both_learners_are_compared_and_the_lower_log_loss_is_chosen(validated):
    bundle, report = validated
    for outcome, r in report["outcomes"].items():
        losses = {name: s["log_loss"] for name, s in r["learners"].items()}
        assert set(losses) == {"logistic", "boosted"}
        assert bundle.chosen[outcome] == r["learner"] == min(losses, key=losses.get)
        assert 0.7 < r["calibration"]["slope"] < 1.3


def test_the_boosted_models_reasons_name_only_factors_the_person_has(warehouse, validated):
    bundle, _ = validated
    table = workflow.cohort(warehouse, VALIDATE, with_outcomes=False).features
    model = bundle.boosted["permanent_care"]
    listed = table.select(np.argsort(-model.predict(table), kind="stable")[:30])
    reasons = model.explain(listed)
    assert all(reasons)
    for row, reason in enumerate(reasons):
        for register in (n for n in listed.names if n.startswith("reg_")):
            if f"on the {register[4:].upper()} register" in reason:
                assert listed.column(register)[row] == 1


def test_boosted_scores_and_pushes_are_the_bits_of_scoring_every_person_and_cell(
    warehouse, validated, monkeypatch
):
    """The fast paths (the trees as look-up tables; occlusion re-reading only the trees that
    split on the feature; batches) against their definitions: every person through
    `predict_proba`, every moved cell re-scored through it."""
    bundle, _ = validated
    table = workflow.cohort(warehouse, VALIDATE, with_outcomes=False).features
    for outcome, model in bundle.boosted.items():
        every = model.platt_scaled(model.model.predict_proba(model.raw(table))[:, 1])
        np.testing.assert_array_equal(model.predict(table), every, err_msg=outcome)
    model = bundle.boosted["emergency_admission"]
    listed = table.select(np.argsort(-model.predict(table), kind="stable")[:2_000])
    raw = model.raw(listed)
    base = logit(model.platt_scaled(model.model.predict_proba(raw)[:, 1]))
    expected = np.zeros(raw.shape)
    for i, typical in enumerate(model.typical):
        moved = raw.copy()
        moved[:, i] = typical
        expected[:, i] = base - logit(model.platt_scaled(model.model.predict_proba(moved)[:, 1]))
    expected[raw == model.typical] = 0  # a cell at the typical value is not re-scored
    assert (expected > 0).sum() > 5_000
    monkeypatch.setenv("JOINEDUP_BATCH_ROWS", "300")  # batches of 300 people, and one batch
    np.testing.assert_array_equal(model.contributions(listed), expected)
    monkeypatch.setenv("JOINEDUP_BATCH_ROWS", "100000")
    np.testing.assert_array_equal(model.contributions(listed), expected)
    assert model.explain(listed) == reasons(model.features, expected, raw)


def test_own_cost_rule_agrees_with_the_marts_person_year_cost(warehouse):
    people = workflow.cohort(warehouse, date(2015, 4, 1), with_outcomes=False).features
    ids = people.pseudo_ids
    own = cost_in_window(warehouse, ids, date(2015, 4, 1), date(2015, 10, 1))  # not a year: own
    build_marts(warehouse)
    half_year = cost_in_window(warehouse, ids, date(2015, 4, 1), date(2015, 10, 1))
    np.testing.assert_allclose(own, half_year)  # the marts only serve whole financial years
    from_marts = cost_in_window(warehouse, ids, date(2015, 4, 1), date(2016, 4, 1))
    warehouse.execute("ALTER TABLE person_year_cost RENAME TO person_year_cost_aside")
    recomputed = cost_in_window(warehouse, ids, date(2015, 4, 1), date(2016, 4, 1))
    warehouse.execute("ALTER TABLE person_year_cost_aside RENAME TO person_year_cost")
    np.testing.assert_allclose(recomputed, from_marts, atol=0.01)
    assert from_marts.sum() > 0
