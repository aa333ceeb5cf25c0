"""`joinedup plan scenario`: a scheme's effect, cohort or start date varied, the change in
admissions, bed days and money by year, and the payment-for-performance outcome shared by the
plan's risk-sharing terms (the default plan: Southend's GP hub, 54,000 x 1% x 0.38 a year)."""

import json
from datetime import date

import duckdb
import pytest

from joinedup import cli
from joinedup.errors import BadOption
from joinedup.plan import load_plan
from joinedup.plan.scenario import Variation, scenario
from joinedup.warehouse import schema

FUND = 653 * 1490  # 3.5% of the 18,645 baseline admissions, whole, at £1,490: £972,970


def year(result: dict, label: str) -> dict:
    return next(row for row in result["years"] if row["year"] == label)


def test_as_planned_the_hub_avoids_205_admissions_and_the_whole_fund_is_released():
    result = scenario(load_plan(), "004", Variation())
    planned = year(result, "2015/16")
    assert planned["plan"] == planned["scenario"]
    assert planned["plan"]["admissions_avoided"] == pytest.approx(205.2)  # 54,000 x 1% x 0.38
    assert planned["plan"]["bed_days_avoided"] == pytest.approx(205.2 * 5.5, abs=0.1)
    assert planned["plan"]["saving_gbp"] == pytest.approx(205.2 * 1707, abs=1)
    paid = planned["payment_for_performance"]
    assert (paid["fund_gbp"], paid["released_gbp"], paid["withheld_gbp"]) == (FUND, FUND, 0)
    assert year(result, "2014/15")["plan"]["admissions_avoided"] == 0  # before its go-live


def test_half_the_effect_from_october_withholds_the_shortfall_and_the_partners_share_it():
    result = scenario(load_plan(), "004", Variation(effect=0.005, start=date(2015, 10, 1)))
    varied = year(result, "2015/16")
    # 54,000 x 0.5% x 0.38 = 102.6 a year, for 183 of the year's 366 days
    assert varied["scenario"]["admissions_avoided"] == pytest.approx(51.3)
    paid = varied["payment_for_performance"]
    shortfall = 205.2 - 51.3
    assert paid["reduction_achieved"] == pytest.approx(653 - shortfall, abs=0.05)
    assert paid["withheld_gbp"] == pytest.approx(FUND * shortfall / 653, abs=1)
    assert paid["borne_by"] == {
        "CCG": round(paid["withheld_gbp"] / 2),
        "Council": round(paid["withheld_gbp"] / 2),
    }
    assert paid["released_gbp"] + paid["withheld_gbp"] == FUND


def test_a_bigger_cohort_saves_more_but_releases_no_more_than_the_fund():
    result = scenario(load_plan(), "004", Variation(cohort=108_000))
    varied = year(result, "2015/16")
    assert varied["scenario"]["admissions_avoided"] == pytest.approx(410.4)
    assert varied["payment_for_performance"]["released_gbp"] == FUND


def test_the_command_prints_the_scenario_and_refuses_a_scheme_without_a_model(capsys):
    assert (
        cli.main(["plan", "scenario", "--scheme", "004", "--effect", "0", "--format", "json"]) == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert year(result, "2015/16")["scenario"]["saving_gbp"] == 0
    assert cli.main(["plan", "scenario", "--scheme", "004", "--cohort", "27000"]) == 0
    assert "performance fund £972,970" in capsys.readouterr().out
    assert cli.main(["plan", "scenario", "--scheme", "002"]) == 2
    assert "no scheme with a benefit model (these have one: 004)" in capsys.readouterr().err
    assert cli.main(["plan", "scenario"]) == 2
    with pytest.raises(BadOption):
        scenario(load_plan(), "999", Variation())


def test_with_a_warehouse_each_avoided_admission_saves_the_areas_own_emergency_stay(
    tmp_path, capsys
):
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        schema.create_all(con)
        for i, (admitted, discharged, method) in enumerate(
            [
                ("2013-05-01", "2013-05-05", "21"),
                ("2013-06-01", "2013-06-11", "2B"),
                ("2013-07-01", "2013-07-30", "11"),
            ]  # the elective spell does not count
        ):
            con.execute(
                "INSERT INTO acute_apc (pseudo_id, spell_id, provider_code, admission_date,"
                " discharge_date, admission_method) VALUES (?, ?, 'RZA', ?, ?, ?)",
                [i + 1, i, admitted, discharged, method],
            )
    argv = ["plan", "scenario", "--scheme", "004", "--warehouse", str(path), "--format", "json"]
    assert cli.main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["bed_days_per_admission"] == 7.0  # (4 + 10) / 2, the baseline year 2013/14
    assert year(result, "2015/16")["plan"]["bed_days_avoided"] == pytest.approx(205.2 * 7, abs=0.1)
