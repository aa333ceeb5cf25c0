"""`joinedup metrics`: output shapes, disclosure control and user errors, on a real warehouse."""

import csv
import io
import json

import duckdb
import pytest
from record_tokens import record_token

from joinedup import cli
from joinedup.warehouse import schema


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "southend.duckdb"
    with duckdb.connect(str(path)) as con:
        schema.create_all(con)
        con.execute("INSERT INTO geography VALUES ('E01', 'W1', 'Ward', 'North', 2)")
        con.execute("INSERT INTO population VALUES ('W1', 2015, '1', '70-74', 20000)")
        spells = [(f"s{day}", f"2015-05-{day:02d}") for day in range(1, 13)]
        spells += [(f"t{day}", f"2015-06-{day:02d}") for day in range(1, 7)]
        for person, (spell_id, admitted) in enumerate(spells, 1):  # 12 emergency spells in May 2015, 6 in June (covered: at least half the median month)
            con.execute(
                "INSERT INTO acute_apc (pseudo_id, spell_id, provider_code, admission_date,"
                " admission_method, main_specialty, postcode_in_area)"
                " VALUES (?, ?, 'RZA', ?, '21', '300', true)",
                [person, record_token(spell_id), admitted],
            )
    return path


def run(capsys, *argv):
    code = cli.main(["metrics", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_output_has_the_metrics_md_shape(warehouse, capsys):
    code, out, err = run(capsys, "--warehouse", str(warehouse), "--metric", "nel_admissions_rate")
    assert code == 0
    document = json.loads(out)
    assert document["area"] == "southend"
    assert document["generated_at"].endswith("Z")
    may = next(m for m in document["metrics"] if m["period"] == "2015-05")
    assert may == {
        "id": "nel_admissions_rate",
        "period": "2015-05",
        "grain": "month",
        "numerator": 12,
        "denominator": 20000,
        "value": 60.0,
        "unit": "per_100k",
        "breakdown": {},
    }
    assert {m["period"] for m in document["metrics"]} == {
        "2015-05",
        "2015-06",
        "2015/16-Q1",
        "2015/16",
    }
    assert "computing metrics" in err


def test_csv_output_has_one_row_per_record(warehouse, capsys):
    code, out, _ = run(
        capsys, "--warehouse", str(warehouse), "--format", "csv", "--metric", "ae_attendances"
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["period"] for r in rows] == ["2015-05", "2015-06"]
    assert rows[0]["numerator"] == "0"
    assert json.loads(rows[0]["breakdown"]) == {"from_care_home": {}}


def test_disclosure_control_suppresses_small_counts_and_rounds_others(warehouse, capsys):
    code, out, _ = run(
        capsys,
        "--warehouse",
        str(warehouse),
        "--metric",
        "nel_admissions",
        "--disclosure-control",
        "--quiet",
    )
    assert code == 0
    by_period = {m["period"]: m for m in json.loads(out)["metrics"]}
    assert by_period["2015-05"]["numerator"] == 10  # 12 rounded to the nearest 5
    assert by_period["2015-06"]["numerator"] is None  # 6 is suppressed


def test_a_missing_warehouse_is_a_warehouse_error(tmp_path, capsys):
    code, _, err = run(capsys, "--warehouse", str(tmp_path / "none.duckdb"))
    assert code == 5
    assert "none.duckdb: no warehouse here" in err


def test_a_file_that_is_not_a_warehouse_is_a_warehouse_error(tmp_path, capsys):
    path = tmp_path / "other.duckdb"
    duckdb.connect(str(path)).close()
    code, _, err = run(capsys, "--warehouse", str(path))
    assert code == 5
    assert "not a joinedup warehouse" in err


def test_method_without_disclosure_control_is_a_command_line_error(warehouse, capsys):
    code, _, err = run(capsys, "--warehouse", str(warehouse), "--method", "midpoint6")
    assert code == 2
    assert "--method needs --disclosure-control" in err


def test_months_choose_the_periods_reported(warehouse, capsys):
    code, out, _ = run(
        capsys,
        "--warehouse",
        str(warehouse),
        "--metric",
        "nel_admissions",
        "--months",
        "2015-06",
        "2015-07",
        "--quiet",
    )
    assert code == 0
    periods = [m["period"] for m in json.loads(out)["metrics"]]
    assert periods == ["2015-06", "2015-07", "2015/16-Q1", "2015/16-Q2", "2015/16"]


@pytest.mark.parametrize(
    "months", [["2015-13", "2016-01"], ["2016-02", "2016-01"], ["2015/16", "2016-01"]]
)
def test_bad_months_are_a_command_line_error(warehouse, capsys, months):
    code, _, err = run(capsys, "--warehouse", str(warehouse), "--months", *months)
    assert code == 2
    assert "--months" in err


def test_patient_experience_follows_the_named_question(warehouse, capsys):
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "INSERT INTO experience_survey (question_id, question_text, period, positive_responses,"
            " total_responses) VALUES ('ASCS_SAFE', 'feel safe', '2015/16', 30, 40),"
            " ('GPPS_LTC_SUPPORT', 'support', '2015/16', 10, 40)"
        )
    code, out, _ = run(
        capsys,
        "--warehouse",
        str(warehouse),
        "--metric",
        "patient_experience",
        "--question",
        "ASCS_SAFE",
    )
    assert code == 0
    assert [m["value"] for m in json.loads(out)["metrics"]] == [75.0]
