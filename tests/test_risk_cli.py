import json

import duckdb
import pytest
from risk_area import synthetic_area

from joinedup.cli import main
from joinedup.warehouse.pseudonyms import number_sql


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("risk_cli")
    warehouse = folder / "w.duckdb"
    area = synthetic_area(warehouse, people=400, seed=5)
    area.objection("p0007")
    area.close()
    model_dir = folder / "model"
    code = main(
        [
            "risk",
            "train",
            "--warehouse",
            str(warehouse),
            "--model-dir",
            str(model_dir),
            "--quiet",
            "--format",
            "json",
        ]
    )
    assert code == 0
    return warehouse, model_dir


def run_json(capsys, *argv) -> dict:
    capsys.readouterr()
    assert main(["risk", *argv, "--format", "json", "--quiet"]) == 0
    return json.loads(capsys.readouterr().out)


def test_train_writes_the_model_its_card_and_calibration_plots(trained):
    _, model_dir = trained
    names = {p.name for p in model_dir.iterdir()}
    assert {
        "model.joblib",
        "model_card.json",
        "model_card.md",
        "evaluation.json",
        "calibration_emergency_admission.svg",
        "calibration_permanent_care.svg",
        "calibration_high_cost.svg",
    } <= names
    card = json.loads((model_dir / "model_card.json").read_text())
    assert card["period"] == {
        "train_index_date": "2014-04-01",
        "train_outcome_window_end": "2015-04-01",
        "validation_index_date": "2015-04-01",
    }
    assert set(card["performance"]) == {"emergency_admission", "permanent_care", "high_cost"}
    assert card["intended_use"] and card["limits"]
    assert "| emergency_admission |" in (model_dir / "model_card.md").read_text()


def test_score_writes_one_row_per_person_and_outcome_without_opted_out_people(trained, capsys):
    warehouse, model_dir = trained
    out = run_json(
        capsys,
        "score",
        "--warehouse",
        str(warehouse),
        "--model-dir",
        str(model_dir),
        "--index-date",
        "2016-04-01",
    )
    con = duckdb.connect(str(warehouse), read_only=True)
    people, rows, opted, very_high, scored = con.execute(
        "SELECT COUNT(DISTINCT pseudo_id), COUNT(*), COUNT(*) FILTER (WHERE pseudo_id = "
        f"{number_sql(repr('p0007'))}), "
        "COUNT(*) FILTER (WHERE tier = 'very_high'), "
        "COUNT(emergency_admission + permanent_care + high_cost) "
        "FROM risk_scores WHERE index_date = DATE '2016-04-01'"
    ).fetchone()
    con.close()
    assert (rows, opted) == (out["rows_written"], 0) and rows == people == scored
    assert very_high == round(0.005 * people)
    assert set(out["pyramid_by_locality"]) == {"North", "South"}


def test_list_shows_worklists_rule_lists_and_pyramids_with_pseudo_ids_only(trained, capsys):
    warehouse, model_dir = trained
    common = (
        "--warehouse",
        str(warehouse),
        "--model-dir",
        str(model_dir),
        "--index-date",
        "2015-04-01",
    )
    assert main(["risk", "list", *common, "--quiet"]) == 3  # nothing scored at that date yet
    assert "run `joinedup risk score --index-date 2015-04-01` first" in capsys.readouterr().err
    scored = run_json(capsys, "score", *common)
    worklist = run_json(capsys, "list", *common, "--practice", "P2")["worklist"]
    assert worklist and {r["practice_code"] for r in worklist} == {"P2"}
    assert {r["tier"] for r in worklist} <= {"very_high", "high"}
    assert [r["score"] for r in worklist] == sorted((r["score"] for r in worklist), reverse=True)
    assert set(worklist[0]) == {
        "practice_code",
        "pseudo_id",
        "score",
        "tier",
        "reasons",
        "on_care_plan",
        "rule_flagged",
    }
    rule = run_json(capsys, "list", *common, "--rule")
    assert rule["list_size"] == len(rule["people"]) > 0
    assert all(r["criteria_met"].startswith("aged_over_65") for r in rule["people"])
    flagged = {r["pseudo_id"] for r in rule["people"]}  # the stored flags are the rule's
    assert all(r["rule_flagged"] == (r["pseudo_id"] in flagged) for r in worklist)
    assert all(r["reasons"] for r in worklist)
    shown = run_json(capsys, "list", *common, "--pyramid", "practice")
    assert set(shown) == {"P1", "P2", "P3"}
    by_locality = run_json(capsys, "list", *common, "--pyramid", "locality")
    assert by_locality == scored["pyramid_by_locality"]  # the stored tiers, not a re-scoring
    assert all(v is None or v % 5 == 0 for row in shown.values() for v in row.values())


def test_user_mistakes_exit_with_their_documented_codes(trained, tmp_path, capsys):
    warehouse, model_dir = trained
    assert (
        main(
            [
                "risk",
                "score",
                "--warehouse",
                str(tmp_path / "none.duckdb"),
                "--index-date",
                "2016-04-01",
            ]
        )
        == 5
    )
    assert (
        main(
            [
                "risk",
                "score",
                "--warehouse",
                str(warehouse),
                "--model-dir",
                str(tmp_path / "empty"),
                "--index-date",
                "2016-04-01",
            ]
        )
        == 5
    )
    assert (
        main(
            [
                "risk",
                "evaluate",
                "--warehouse",
                str(warehouse),
                "--model-dir",
                str(model_dir),
                "--index-date",
                "2016-04-01",
            ]
        )
        == 3
    )
    assert "cannot be observed" in capsys.readouterr().err
    with pytest.raises(SystemExit) as raised:
        main(
            [
                "risk",
                "list",
                "--warehouse",
                str(warehouse),
                "--index-date",
                "2016-04-01",
                "--tiers",
                "middling",
            ]
        )
    assert raised.value.code == 2


def test_a_model_file_that_is_not_a_risk_model_is_a_store_error(trained, tmp_path, capsys):
    warehouse, _ = trained
    (tmp_path / "model.joblib").write_bytes(b"not a pickle")
    assert (
        main(
            [
                "risk",
                "score",
                "--warehouse",
                str(warehouse),
                "--model-dir",
                str(tmp_path),
                "--index-date",
                "2016-04-01",
                "--quiet",
            ]
        )
        == 5
    )
    assert "cannot read this model" in capsys.readouterr().err


def test_running_out_of_memory_is_one_line_exit_5_and_leaves_the_warehouse(
    trained, monkeypatch, capsys
):
    warehouse, model_dir = trained
    before = warehouse.read_bytes()
    monkeypatch.setenv("JOINEDUP_DUCKDB_MEMORY", "4MB")  # opens the store; the features do not fit
    capsys.readouterr()
    score = ["risk", "score", "--warehouse", str(warehouse), "--model-dir", str(model_dir)]
    assert main([*score, "--index-date", "2016-04-01", "--quiet"]) == 5
    assert capsys.readouterr().err.splitlines() == [
        f"joinedup risk: error: {warehouse}: risk score ran out of memory (JOINEDUP_DUCKDB_MEMORY="
        "4MB per DuckDB instance); the warehouse is as it was: raise it, or free memory, and run"
        " it again"
    ]
    assert warehouse.read_bytes() == before
    assert not warehouse.with_name(warehouse.name + ".next").exists()
