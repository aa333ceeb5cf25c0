"""`joinedup evaluate` on a random warehouse: the cohort's people matched, every outcome and
window estimated with an interval, counts disclosure-controlled, and its user errors."""

import json
import shutil
from datetime import date

import numpy as np
import pytest
from test_spec_random_areas import build_random_area

from joinedup import cli
from joinedup.risk import scores
from joinedup.warehouse import store


@pytest.fixture(scope="module", name="random_area")
def random_area_fixture(tmp_path_factory):
    path = tmp_path_factory.mktemp("evaluate") / "random.duckdb"
    build_random_area(path, 8, people=400)
    return path


def busiest(path, n: int) -> list[str]:
    """The n people with the most emergency admissions in the year before the start."""
    with store.reading(path) as con:
        rows = con.execute(
            "SELECT pseudonym FROM acute_apc JOIN pseudonyms USING (pseudo_id)"
            " WHERE admission_date >= DATE '2014-10-01' AND admission_date < DATE '2015-10-01'"
            " GROUP BY pseudonym ORDER BY COUNT(*) DESC, pseudonym LIMIT ?",
            [n],
        ).fetchall()
    return [r[0] for r in rows]


def test_evaluate_prints_difference_in_differences_beside_the_naive_change(
    random_area, tmp_path, capsys
):
    cohort = tmp_path / "cohort.csv"
    cohort.write_text("pseudo_id\n" + "\n".join(busiest(random_area, 40)) + "\n")
    argv = ["evaluate", "--warehouse", str(random_area), "--cohort", str(cohort)]
    assert cli.main([*argv, "--start", "2015-10-01"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["cohort"]["treated"] % 5 == 0  # rounded, as every published count
    assert set(result["windows"]) == {"6 months", "12 months"}
    for window in result["windows"].values():
        assert set(window) == {"emergency_admissions", "ae_attendances", "bed_days", "cost"}
        for estimate in window.values():
            did = estimate["did"]
            assert did["low"] <= did["value"] <= did["high"]
    assert set(result["balance_after"]) >= {"age", "prior_admissions"}
    assert result["risk_score"]["index_date"] is None  # no scores stored: matched without


def store_scores(path, index: date, pseudo_ids: list[int], score: float) -> None:
    """Every person's emergency admission score at `index`, as `risk score` would store it."""
    n = len(pseudo_ids)
    text = np.array(["x"] * n, dtype=object)
    stored = scores.StoredScores(
        index=index,
        pseudo_ids=np.array(pseudo_ids, dtype=object),
        practices=text,
        localities=text,
        scores={o: np.full(n, score) for o in scores.OUTCOMES},
        tiers=text,
        reasons=text,
        rule_flagged=np.zeros(n, dtype=bool),
    )
    with store.writing(path) as con:
        scores.write(con, stored)


def test_the_matching_uses_the_latest_risk_scores_stored_on_or_before_the_start(
    random_area, tmp_path, capsys
):
    scored = tmp_path / "scored.duckdb"
    shutil.copy(random_area, scored)
    with store.reading(scored) as con:
        everyone = [p for (p,) in con.execute("SELECT pseudo_id FROM person").fetchall()]
    some = everyone[: len(everyone) // 2]  # the others lack a score: the missing indicator
    for index, score in (
        (date(2015, 4, 1), 0.1),
        (date(2015, 9, 1), 0.2),
        (date(2015, 10, 2), 0.9),
    ):
        store_scores(scored, index, some, score)
    cohort = tmp_path / "cohort.csv"
    cohort.write_text("pseudo_id\n" + "\n".join(busiest(scored, 40)) + "\n")
    argv = ["evaluate", "--warehouse", str(scored), "--cohort", str(cohort)]
    assert cli.main([*argv, "--start", "2015-10-01"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["risk_score"] == {"index_date": "2015-09-01", "outcome": "emergency_admission"}
    assert {"risk_score", "no_risk_score"} <= set(result["balance_after"])
    assert cli.main([*argv, "--start", "2015-03-31"]) == 0  # every score stored after it
    assert json.loads(capsys.readouterr().out)["risk_score"]["index_date"] is None


def test_a_cohort_too_small_to_publish_or_without_its_column_is_refused(
    random_area, tmp_path, capsys
):
    cohort = tmp_path / "cohort.csv"
    cohort.write_text("pseudo_id\np1\np2\n")
    argv = ["evaluate", "--warehouse", str(random_area), "--cohort", str(cohort)]
    assert cli.main([*argv, "--start", "2015-10-01"]) == 3
    assert "too few to publish" in capsys.readouterr().err
    with store.reading(random_area) as con:
        everyone = [p for (p,) in con.execute("SELECT pseudonym FROM pseudonyms").fetchall()]
    cohort.write_text("pseudo_id\n" + "\n".join(everyone) + "\n")  # nobody left to compare
    assert cli.main([*argv, "--start", "2015-10-01"]) == 3
    assert "have a comparison among the people registered" in capsys.readouterr().err
    cohort.write_text("person\np1\n")
    assert cli.main([*argv, "--start", "2015-10-01"]) == 3
    assert "line 1: no pseudo_id column" in capsys.readouterr().err
    assert cli.main([*argv, "--start", "1 Oct 2015"]) == 2
