"""Year of Care capitated budgets: the log-linear cost model recovers costs that are made of its
factors, its predictions add up to the base year's spend, and the next year's budgets by
locality and practice are published only as tier A figures (with secondary suppression)."""

import itertools
import json

import numpy as np
import pytest

from joinedup import cli
from joinedup.marts import build_marts
from joinedup.marts.budgets import FACTORS, budgets, fit, published
from joinedup.synth.config import AreaSpec
from joinedup.synth.oracle import build_oracle_warehouse
from joinedup.synth.simulate import generate

RELATIVE = {
    "age_band": {"18-64": 1.0, "65-74": 2.0, "85+": 5.0},
    "ltc_band": {"0": 1.0, "2": 1.5},
    "social_care_status": {"none": 1.0, "permanent_care": 10.0},
}


def people(noise=None, copies=3):
    rows = []
    for age, ltc, care in itertools.product(*(RELATIVE[f] for f in FACTORS)):
        cost = 400 * RELATIVE["age_band"][age] * RELATIVE["ltc_band"][ltc]
        cost *= RELATIVE["social_care_status"][care]
        for _ in range(copies + (age == "18-64") * 3):  # 18-64, 0, none: the commonest levels
            extra = 0 if noise is None else noise.gamma(0.5, 2) - 1
            row = {"age_band": age, "ltc_band": ltc, "social_care_status": care}
            rows.append(row | {"total_cost": max(0.0, cost * (1 + extra))})
    return rows


def test_the_model_recovers_costs_made_of_its_factors():
    model = fit(people(), "2014/15")
    assert model.cell_cost() == pytest.approx(400)  # the reference levels: the commonest
    assert model.cell_cost(age_band="85+", social_care_status="permanent_care") == pytest.approx(
        400 * 5 * 10
    )
    assert np.exp(model.effects["ltc_band"]["2"]) == pytest.approx(1.5)


def test_its_predictions_add_up_to_the_base_years_spend_even_for_skewed_costs():
    rows = people(noise=np.random.default_rng(3), copies=20)
    model = fit(rows, "2014/15")
    assert model.predict(rows).sum() == pytest.approx(sum(r["total_cost"] for r in rows))


def test_published_budgets_hide_a_small_group_and_the_next_smallest_with_it():
    raw = {
        "base_year": "2014/15",
        "model": {"people": 1003, "spend_gbp": 1_234_567.0},
        "area": {"people": 1003, "budget_gbp": 1_000_400.0, "actual_gbp": 990_600.0},
        "by": {
            "practice": {
                "P1": {"people": 600, "budget_gbp": 600_000.0, "actual_gbp": 590_000.0},
                "P2": {"people": 398, "budget_gbp": 395_400.0, "actual_gbp": 396_100.0},
                "P3": {"people": 5, "budget_gbp": 5_000.0, "actual_gbp": 4_500.0},
            },
            "locality": {"North": {"people": 1003, "budget_gbp": 1_000_400.0, "actual_gbp": 1.0}},
        },
    }
    shown = published(raw)
    assert shown["area"] == {"people": 1005, "budget_gbp": 1_000_000, "actual_gbp": 991_000}
    practices = shown["by"]["practice"]
    assert practices["P1"] == {"people": 600, "budget_gbp": 600_000, "actual_gbp": 590_000}
    assert (
        practices["P3"]
        == practices["P2"]
        == {
            "people": None,
            "budget_gbp": None,
            "actual_gbp": None,
        }
    )  # P3 alone would follow from the total; P2 goes with it
    assert shown["model"]["spend_gbp"] == 1_235_000


def test_small_groups_of_one_person_each_take_a_shown_group_with_them():
    # Two hidden groups that could only be one person each would follow from the total too.
    groups = {"P1": 600, "P2": 398, "P3": 1, "P4": 1}
    by = {g: {"people": n, "budget_gbp": 1000.0 * n, "actual_gbp": 900.0 * n}
          for g, n in groups.items()}  # fmt: skip
    raw = {
        "model": {"people": 1000, "spend_gbp": 1.0},
        "area": {"people": 1000, "budget_gbp": 1e6, "actual_gbp": 9e5},
        "by": {"practice": by},
    }
    shown = published(raw)["by"]["practice"]
    assert {g: f["people"] for g, f in shown.items()} == {
        "P1": 600, "P2": None, "P3": None, "P4": None
    }  # fmt: skip
    assert shown["P2"]["budget_gbp"] is None and shown["P1"]["budget_gbp"] == 600_000


@pytest.fixture(scope="module")
def area(tmp_path_factory):
    folder = tmp_path_factory.mktemp("budgets")
    generate(folder / "area", AreaSpec(people=3000, seed=5), progress=False)
    con = build_oracle_warehouse(folder / "area")
    build_marts(con)
    warehouse = folder / "warehouse.duckdb"
    con.execute(f"ATTACH '{warehouse}' AS w; COPY FROM DATABASE memory TO w; DETACH w")
    return con, warehouse


def test_the_next_years_budgets_come_close_to_spend_by_locality_and_practice(area):
    con, _ = area
    result = budgets(con, "2014/15")
    assert result["budget_year"] == "2015/16"
    total = result["area"]
    assert total["budget_gbp"] == pytest.approx(total["actual_gbp"], rel=0.15)
    localities = result["by"]["locality"]
    assert set(localities) >= {"Central", "East Central", "West", "Shoebury"}
    for grouping in ("locality", "practice"):
        groups = result["by"][grouping].values()
        assert sum(g["people"] for g in groups) == total["people"]
        assert sum(g["budget_gbp"] for g in groups) == pytest.approx(total["budget_gbp"])
    assert "unregistered" in result["by"]["practice"] or len(result["by"]["practice"]) >= 3


def test_the_command_prints_tier_a_budgets(area, capsys):
    _, warehouse = area
    argv = ["budgets", "--warehouse", str(warehouse), "--format", "json", "--uplift", "0.015"]
    assert cli.main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["base_year"], result["budget_year"]) == ("2014/15", "2015/16")  # the default
    for groups in result["by"].values():
        for figures in groups.values():
            assert figures["people"] is None or figures["people"] % 5 == 0
            assert figures["budget_gbp"] is None or figures["budget_gbp"] % 1000 == 0
    with pytest.raises(SystemExit) as refused:  # argparse: a command-line error
        cli.main(["budgets", "--warehouse", str(warehouse), "--base-year", "2014"])
    assert refused.value.code == 2 and "not a financial year" in capsys.readouterr().err
