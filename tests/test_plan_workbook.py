"""The BCF quarterly return workbook: its sheets and cells in openpyxl, actuals from a real
warehouse, and plan -> workbook -> plan giving the same plan."""

import duckdb
import openpyxl
import pytest

from joinedup import cli
from joinedup.plan import load_plan
from joinedup.plan.workbook import HEADINGS, read_plan, write_return
from joinedup.warehouse import schema


def test_a_plan_survives_the_workbook_round_trip(tmp_path):
    # The plan file's own figures: Excel keeps 15 significant digits, which a plan's do not pass
    # (a default plan scaled to another size would: 1459657.142857143 comes back ...1427).
    plan = load_plan()
    write_return(plan, "2015/16-Q3", tmp_path / "return.xlsx", None)
    assert read_plan(tmp_path / "return.xlsx") == plan
    assert cli.main(["plan", "--file", str(tmp_path / "return.xlsx")]) == 0


def test_a_plan_yaml_survives_the_workbook_round_trip(tmp_path):
    yaml_plan = tmp_path / "plan.yaml"
    yaml_plan.write_text(
        "area: Thanet\nbaseline_year: 2014/15\npooled_budget: {2015/16: 1000.5}\n"
        "schemes:\n  - {id: '7', name: Frailty, investment: 10, metrics: [ae_4h, fit_days]}\n"
        "  - {id: A1, name: Hub, investment: 2.25, expected_return: 0.1, note: 'x, y'}\n"
        "trajectories:\n  ae_4h: {targets: {2015-04: 95, 2015/16-Q1: 94.5}}\n"
        "  res_admissions_65: {measure: numerator, targets: {2015/16: 177}}\n"
    )
    plan = load_plan(yaml_plan)
    write_return(plan, "2015/16-Q1", tmp_path / "return.xlsx", None)
    assert read_plan(tmp_path / "return.xlsx") == plan


def test_the_workbook_has_the_return_sheets_and_cells(tmp_path):
    write_return(load_plan(), "2015/16-Q3", tmp_path / "return.xlsx", None)
    book = openpyxl.load_workbook(tmp_path / "return.xlsx")
    assert book.sheetnames == ["Cover", *HEADINGS]
    assert [c.value for c in book["Cover"]["A"]] == [
        "area",
        "quarter",
        "baseline_year",
        "experience_question",
    ]
    assert book["Cover"]["B2"].value == "2015/16-Q3"
    finance = {row[0]: row for row in book["Finance"].iter_rows(min_row=2, values_only=True)}
    assert finance["004"][2:4] == (50_000, 350_000)  # the GP hub: invests £50k, returns £350k
    benefits = {row[0]: row for row in book["Benefits"].iter_rows(min_row=2, values_only=True)}
    assert benefits["001"][5] == 494_000 + 514_000 - 4_781_000
    assert benefits["003b"][5] is None  # no return stated
    targets = {
        (row[0], row[2]): row[3] for row in book["Metrics"].iter_rows(min_row=2, values_only=True)
    }
    assert targets[("nel_admissions", "2015/16")] == 18_111
    assert [c.value for c in book["Risk log"][1]][:3] == ["risk", "likelihood", "impact"]


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        schema.create_all(con)
        con.execute("INSERT INTO geography VALUES ('E01', 'W1', 'Ward', 'North', 2)")
        con.execute("INSERT INTO population VALUES ('W1', 2015, '1', '70-74', 20000)")
        for day in range(1, 13):  # 12 emergency spells in May 2015, none after
            con.execute(
                "INSERT INTO acute_apc (pseudo_id, spell_id, provider_code, admission_date,"
                " admission_method, main_specialty, postcode_in_area)"
                " VALUES (?, ?, 'RZA', ?, '21', '300', true)",
                [day, day, f"2015-05-{day:02d}"],
            )
        con.execute(
            "INSERT INTO acute_apc (pseudo_id, spell_id, provider_code, admission_date,"
            " admission_method, main_specialty, postcode_in_area)"
            " VALUES (99, 99, 'RZA', '2016-01-10', '11', '300', true)"
        )
    return path


def test_actuals_are_disclosure_controlled_and_only_for_periods_ended_by_the_quarter(
    warehouse, tmp_path
):
    out = tmp_path / "return.xlsx"
    argv = ["return", "--quarter", "2015/16-Q3", "--out", str(out), "--warehouse", str(warehouse)]
    assert cli.main(argv) == 0
    sheet = openpyxl.load_workbook(out)["Metrics"]
    actual = {(row[0], row[2]): row[4] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert actual[("nel_admissions", "2015-05")] == 10  # 12, rounded to 5
    assert actual[("nel_admissions", "2015/16-Q1")] == 10
    assert actual[("nel_admissions", "2016-01")] is None  # after the quarter returned
    assert actual[("nel_admissions", "2015/16")] is None  # the year has not ended


def test_a_bad_quarter_is_a_command_line_error_and_a_foreign_workbook_bad_input(tmp_path, capsys):
    out = tmp_path / "r.xlsx"
    assert cli.main(["return", "--quarter", "2015-Q3", "--out", str(out)]) == 2
    assert "not a quarter" in capsys.readouterr().err
    book = openpyxl.Workbook()
    book.save(out)
    assert cli.main(["plan", "--file", str(out)]) == 3
    assert "no sheet" in capsys.readouterr().err
