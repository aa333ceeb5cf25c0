"""The planted social care signal (synth/signal.py) on the default area (175,000 people, about 200
permanent care admissions a year: a smaller area has too few to train on): the permanent care
model with social care features beats its twin without them.

The warehouse is the truth's (synth/oracle.py), so the models see what a perfect landing gives.
Both are the product's logistic learner (risk/models.py), trained at 2014-04-01 and validated at
2015-04-01 by their expected AUROC under the true hazards (risk/oracle.py), which the few
validation events would measure only roughly. The margin comes from the planted effect itself:
what the social care features can carry is measured by the same learner fitted to the true
hazards (each person's outcome weighted by their hazard), and the trained model must gain at
least MARGIN_SHARE of that over its twin, and at least MARGIN_FLOOR.
"""

from datetime import date

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from joinedup.risk import oracle, workflow
from joinedup.risk.features import social_care_features
from joinedup.risk.models import Inputs, fit
from joinedup.synth.oracle import build_oracle_warehouse

pytestmark = pytest.mark.slow
TRAIN, VALIDATE = date(2014, 4, 1), date(2015, 4, 1)
OUTCOME = "permanent_care"
# measured: the features can carry +0.005 expected AUROC, the trained model gains +0.012
MARGIN_SHARE = 0.5
MARGIN_FLOOR = 0.003  # expected AUROC


@pytest.fixture(scope="module")
def warehouse(default_area):
    con = build_oracle_warehouse(default_area)
    yield con
    con.close()


def _hazards(warehouse, default_area, table) -> np.ndarray:
    """The true hazards; in the truth's warehouse a row's pseudo_id is its true person."""
    lineage = warehouse.sql(
        "SELECT feed, 'gp_register.csv' AS file, CAST(line AS BIGINT) AS line, person_id AS pseudo_id"
        " FROM read_csv(?, header = true, all_varchar = true) WHERE feed = 'gp_register'",
        params=[str(default_area / "truth" / "row_person.csv")],
    ).to_arrow_table()
    truth = oracle.Truth(default_area / "truth", lineage)
    return oracle.true_hazards(warehouse, truth, table)[OUTCOME]


def _ideal(design: np.ndarray, hazard: np.ndarray) -> LogisticRegression:
    """The learner fitted to the true hazards: every person once as a case (weight: hazard) and
    once as a non-case (1 - hazard)."""
    known = ~np.isnan(hazard)
    rows, h = design[known], hazard[known]
    return LogisticRegression(C=1.0, solver="newton-cholesky", max_iter=200).fit(
        np.vstack([rows, rows]), np.r_[np.ones(len(h)), np.zeros(len(h))], np.r_[h, 1 - h]
    )


def test_the_social_care_model_beats_its_twin_on_permanent_care(default_area, warehouse):
    train = workflow.cohort(warehouse, TRAIN, with_outcomes=True)
    later = workflow.cohort(warehouse, VALIDATE, with_outcomes=True)
    names = train.features.names
    health = [n for n in names if n not in social_care_features()]
    inputs = Inputs(names).fit(train.features)
    design, later_design = inputs.transform(train.features), inputs.transform(later.features)
    y = train.outcomes[OUTCOME]
    assert y.sum() > 150 and later.outcomes[OUTCOME].sum() > 150
    full = fit(inputs, design, OUTCOME, y, names)
    twin = fit(inputs, design, OUTCOME, y, health, c=full.trained["penalty_c"])
    hazard = _hazards(warehouse, default_area, later.features)
    known = ~np.isnan(hazard)
    assert known.mean() > 0.99

    def expected(p: np.ndarray) -> float:
        return oracle.expected_auroc(hazard[known], p[known])

    gain = expected(full.predict(later_design)) - expected(twin.predict(later_design))
    train_hazard = _hazards(warehouse, default_area, train.features)
    ideal_gain = 0.0
    for sign, features in ((1, names), (-1, health)):
        columns = inputs.columns_of(features)
        ideal = _ideal(design[:, columns], train_hazard)
        ideal_gain += sign * expected(ideal.predict_proba(later_design[:, columns])[:, 1])
    assert ideal_gain > MARGIN_FLOOR  # the planted signal is there to find
    assert gain >= max(MARGIN_SHARE * ideal_gain, MARGIN_FLOOR)
