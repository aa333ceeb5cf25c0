"""Risk on a small generated area (synth -> load -> risk train/score), end to end."""

from datetime import date

import duckdb
import numpy as np
import pytest

from joinedup.landing.load import load_area
from joinedup.marts import build_marts
from joinedup.risk import workflow
from joinedup.risk.outcomes import cost_in_window
from joinedup.risk.rules import load_rules
from joinedup.synth.config import AreaSpec
from joinedup.synth.simulate import generate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    folder = tmp_path_factory.mktemp("risk_area")
    generate(folder / "feeds", AreaSpec(people=3000, seed=2), progress=False)
    path = folder / "warehouse.duckdb"
    load_area(folder / "feeds", path, progress=False)
    con = duckdb.connect(str(path))
    yield con
    con.close()


def test_models_learn_the_generated_area_and_leave_opted_out_people_out(warehouse):
    bundle = workflow.train(warehouse, date(2014, 4, 1))
    report = workflow.evaluate(warehouse, bundle, date(2015, 4, 1), load_rules())
    primary = report["outcomes"]["emergency_admission"]
    assert primary["events"] > 50
    assert primary["discrimination"]["auroc"] > 0.7
    assert report["opted_out_excluded"] > 0
    scored = workflow.score(warehouse, bundle, date(2016, 4, 1))
    opted_out = {
        row[0]
        for row in warehouse.execute(
            "SELECT pseudo_id FROM objections WHERE objection_type = 'NDOO' "
            "AND withdrawn_date IS NULL"
        ).fetchall()
    }
    assert opted_out and not opted_out & set(scored.features.pseudo_ids)


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
