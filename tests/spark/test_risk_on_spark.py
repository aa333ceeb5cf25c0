"""Risk stratification on Spark: training sees the same cohort (every feature and outcome of
every person) and learns the same model as on DuckDB, and one model scores everyone alike on
both engines."""

from datetime import date

import numpy as np
import pytest
from test_same_answers import same_row

from joinedup.cli import main
from joinedup.engine.parquet import open_in_duckdb
from joinedup.engine.spark import Spark
from joinedup.risk import workflow
from joinedup.risk.outcomes import OUTCOMES
from joinedup.warehouse import store

TRAIN_INDEX = date(2014, 4, 1)


@pytest.fixture(scope="module")
def on_duckdb(marts_on_both) -> tuple[workflow.Cohort, workflow.ModelBundle]:
    """The training cohort and the model trained on it, by DuckDB on the warehouse file."""
    with store.reading(marts_on_both[0]) as con:
        workflow.require_outcomes(con, TRAIN_INDEX)
        cohort = workflow.cohort(con, TRAIN_INDEX, with_outcomes=True)
    return cohort, workflow.fit_bundle(cohort, TRAIN_INDEX)


def test_training_on_spark_sees_the_same_cohort_and_learns_the_same_model(marts_on_both, on_duckdb):
    duck_cohort, duck_model = on_duckdb
    spark = Spark(marts_on_both[1])
    workflow.require_outcomes(spark, TRAIN_INDEX)  # as workflow.train, keeping the cohort
    cohort = workflow.cohort(spark, TRAIN_INDEX, with_outcomes=True)
    features, expected = cohort.features, duck_cohort.features
    assert len(features) == len(expected) > 1000
    assert features.names == expected.names
    for kept in ("pseudo_ids", "practices", "localities"):
        assert list(getattr(features, kept)) == list(getattr(expected, kept)), kept
    np.testing.assert_allclose(features.matrix, expected.matrix, rtol=1e-9, atol=1e-9)
    assert cohort.opted_out == duck_cohort.opted_out
    for outcome in OUTCOMES:
        assert cohort.outcomes[outcome].sum() > 0, outcome
        np.testing.assert_array_equal(cohort.outcomes[outcome], duck_cohort.outcomes[outcome])
    model = workflow.fit_bundle(cohort, TRAIN_INDEX)
    for learner in workflow.LEARNERS:
        for twins in (False, True):
            scores = model.predict(expected, twins, learner)
            for outcome, duck_scores in duck_model.predict(expected, twins, learner).items():
                np.testing.assert_allclose(scores[outcome], duck_scores, rtol=1e-9, atol=1e-12)


def test_the_same_model_gives_the_same_risk_scores_on_spark(
    marts_on_both, on_duckdb, tmp_path, capsys
):
    warehouse, folder = marts_on_both
    models = tmp_path / "models"
    workflow.save(models, on_duckdb[1], None)
    score = ["risk", "score", "--model-dir", str(models), "--index-date", "2016-04-01", "--quiet"]
    assert main([*score, "--warehouse", str(warehouse)]) == 0
    assert main([*score, "--warehouse", str(folder), "--engine", "spark"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == printed[len(printed) // 2]  # "N scores written ..." on both
    columns = "pseudo_id, practice_code, locality, tier, reasons, rule_flagged, " + ", ".join(
        OUTCOMES
    )
    query = f"SELECT {columns} FROM risk_scores ORDER BY pseudo_id"
    with store.reading(warehouse) as duck:
        expected = duck.execute(query).fetchall()
    found = open_in_duckdb(folder).execute(query).fetchall()
    assert len(found) == len(expected) > 1000
    assert all(same_row(a, b) for a, b in zip(expected, found, strict=True))
