"""`joinedup evaluate` on a random warehouse: the cohort's people matched, every outcome and
window estimated with an interval, counts disclosure-controlled, and its user errors."""

import json

import pytest
from test_spec_random_areas import build_random_area

from joinedup import cli
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
            "SELECT pseudo_id FROM acute_apc WHERE admission_date >= DATE '2014-10-01'"
            " AND admission_date < DATE '2015-10-01' GROUP BY pseudo_id"
            " ORDER BY COUNT(*) DESC, pseudo_id LIMIT ?",
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
        assert set(window) == {"emergency_admissions", "ae_attendances", "bed_days"}
        for estimate in window.values():
            did = estimate["did"]
            assert did["low"] <= did["value"] <= did["high"]
    assert set(result["balance_after"]) >= {"age", "prior_admissions"}


def test_a_cohort_too_small_to_publish_or_without_its_column_is_refused(
    random_area, tmp_path, capsys
):
    cohort = tmp_path / "cohort.csv"
    cohort.write_text("pseudo_id\np1\np2\n")
    argv = ["evaluate", "--warehouse", str(random_area), "--cohort", str(cohort)]
    assert cli.main([*argv, "--start", "2015-10-01"]) == 3
    assert "too few to publish" in capsys.readouterr().err
    cohort.write_text("person\np1\n")
    assert cli.main([*argv, "--start", "2015-10-01"]) == 3
    assert "line 1: no pseudo_id column" in capsys.readouterr().err
    assert cli.main([*argv, "--start", "1 Oct 2015"]) == 2
