"""`joinedup plan benefits`: Southend's GP hub arithmetic (54,000 x 1% = 540, x 0.38 = 205
admissions, £350k) and the 3.5% performance fund, from the plan's inputs and from an area's own."""

import json

import duckdb
import pytest

from joinedup import cli
from joinedup.errors import BadInput
from joinedup.plan import load_plan
from joinedup.plan.benefits import performance_fund, recompute
from joinedup.warehouse import schema


def test_southends_own_inputs_give_its_205_admissions_and_350k():
    (hub,) = recompute(load_plan())
    assert hub["scheme"] == "004"
    model = hub["from_plan"]
    assert (model["cohort"], model["events_avoided"], model["outcomes_avoided"]) == (
        54_000,
        540,
        205,
    )
    assert round(model["saving"], -3) == 350_000 == hub["stated"]["saving"]
    assert hub["stated"]["outcomes_avoided"] == 205


def test_the_performance_fund_is_the_cost_of_a_3_5_percent_reduction():
    # Southend's 2013/14 outturn: 3.5% of 18,645 = 652.6, so 653 admissions at £1,490.
    assert performance_fund(18_645) == {
        "baseline": 18_645,
        "reduction": 0.035,
        "admissions": 653,
        "cost_per_admission": 1490,
        "fund": 972_970,
    }
    # A £977k fund is 656 admissions at £1,490: a baseline near 18,735.
    assert performance_fund(18_735)["fund"] == 977_440
    assert performance_fund(10_000, 2000, 0.05)["fund"] == 1_000_000


def test_plan_benefits_prints_the_stated_figures_beside_the_recomputed(capsys):
    assert cli.main(["plan", "benefits"]) == 0
    out = capsys.readouterr().out
    assert "stated: 205 avoided, £350,000" in out
    assert "54,000 x change = 540; x conversion = 205 avoided, £349,935" in out
    assert "3.5% of 18,645 = 653 admissions x £1,490 = £972,970" in out


@pytest.fixture
def warehouse(tmp_path):
    """1,000 attendances in April 2013, 400 of them admitted; a non-elective spell costs £1,500."""
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        schema.create_all(con)
        con.execute(
            "INSERT INTO acute_ae (pseudo_id, attendance_id, provider_code, arrival_datetime,"
            " arrival_mode, disposal, postcode_in_area)"
            " SELECT i, i, 'RZA', TIMESTAMP '2013-04-01 10:00' + INTERVAL (i % 30) DAY,"
            " '1', CASE WHEN i < 400 THEN 'ADM' ELSE 'HOM' END, true FROM range(1000) t(i)"
        )
        con.execute("INSERT INTO unit_costs VALUES ('NEL_SPELL', '2013/14', 'spell', 1500)")
    return path


def test_the_area_model_takes_its_own_cohort_conversion_and_unit_cost(warehouse, capsys):
    argv = ["plan", "benefits", "--warehouse", str(warehouse), "--format", "json"]
    assert cli.main(argv) == 0
    (hub,) = json.loads(capsys.readouterr().out)["schemes"]
    assert hub["from_area"] == {
        "cohort": 1000,
        "events_avoided": 10,  # 1% of 1,000
        "outcomes_avoided": 4,  # x 40% admitted
        "saving": 6000.0,  # x £1,500
    }


def test_a_benefit_model_with_an_unknown_key_names_it(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "area: A\nbaseline_year: 2014/15\npooled_budget: {}\ntrajectories: {}\nschemes:\n"
        "  - {id: '1', name: S, investment: 1, benefit: {cohort_metric: ae_attendances,"
        " cohort: 10, change: 0.1, unit_cost: 5, cost: 3}}\n"
    )
    with pytest.raises(BadInput, match=r"schemes\[0\]\.benefit\.cost: unknown key"):
        load_plan(plan)
